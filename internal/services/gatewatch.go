package services

import (
	"context"
	"time"

	"github.com/admitone/admitone/catalog"
	ticketsync "github.com/admitone/admitone/sync"
	"github.com/admitone/admitone/webhook"
)

// GateWatchEvery is how often RunGateWatch looks for gates gone quiet.
const GateWatchEvery = time.Minute

// wireGateAlerts tells the operator of each gate that goes quiet during
// its event's doors-open window (the hub's CheckQuiet, run by
// RunGateWatch). Without operator alerts nothing is wired.
func wireGateAlerts(s *Services) {
	if s.Alerts == nil {
		return
	}
	s.Hub.OnGateQuiet = func(g ticketsync.GateState) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Alerts.GateOffline(ctx, webhook.GateOfflineData{EventID: g.EventID, GateID: g.ID, GateName: g.Name,
			LastSeen: g.Health.LastSeen, Reason: g.Health.QuietReason})
	}
}

// RunGateWatch checks the gates of every event whose doors are open,
// once a GateWatchEvery, until ctx ends, so the operator hears of a gate
// gone quiet (with operator alerts) and the syncserver_gates_quiet
// metric counts them. The desk and GET /v1/events/{id}/gates compute
// quiet gates themselves when asked.
func (s *Services) RunGateWatch(ctx context.Context) {
	s.Hub.WatchQuiet(ctx, GateWatchEvery, s.doorsOpen)
}

// doorsOpen lists the published events whose doors are open now (from
// the doors, or the start when no doors time is set, to the end),
// reading the catalog a page at a time.
func (s *Services) doorsOpen(ctx context.Context) ([]string, error) {
	now := s.now()
	var ids []string
	after := ""
	for {
		page, err := s.Catalog.Store.Events(ctx, after, 500)
		if err != nil {
			return ids, err
		}
		for _, e := range page {
			after = e.ID
			if e.Status == catalog.StatusPublished && !now.Before(doorsAt(e)) && now.Before(e.EndsAt) {
				ids = append(ids, e.ID)
			}
		}
		if len(page) < 500 {
			return ids, nil
		}
	}
}

// doorsAt is when e's doors open: DoorsAt, or StartsAt when unset.
func doorsAt(e catalog.Event) time.Time {
	if e.DoorsAt.IsZero() {
		return e.StartsAt
	}
	return e.DoorsAt
}

func (s *Services) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
