package sync

import (
	"context"
	"sort"
	gosync "sync"
	"time"
)

// Defaults of the gate health view.
const (
	// DefaultQuietAfter is how long a gate may go without a scan during
	// doors-open before it is flagged quiet.
	DefaultQuietAfter = 10 * time.Minute
	// RateWindow is the span ScansPerMinute averages over.
	RateWindow = 5 * time.Minute
)

// GateState is a gate with its health, as GET /v1/events/{id}/gates
// shows it.
type GateState struct {
	Gate
	Health GateStatus `json:"health"`
}

// GateStatus is the health view of one gate at one instant.
type GateStatus struct {
	// Online: a server heard from the gate within Hub.OfflineAfter and
	// saw no disconnect since.
	Online   bool      `json:"online"`
	LastSeen time.Time `json:"last_seen,omitzero"`
	LastSync time.Time `json:"last_sync,omitzero"`
	// ClockSkewMS is the gate's clock minus the server's in
	// milliseconds; absent until a frame carried the gate's clock.
	ClockSkewMS *int64 `json:"clock_skew_ms,omitempty"`
	// Outbox, Version and Boot are from the last status frame
	// (ReportedAt); a gate too old to send status frames has none.
	Outbox     int64     `json:"outbox"`
	Version    string    `json:"version,omitempty"`
	Boot       string    `json:"boot,omitempty"`
	ReportedAt time.Time `json:"reported_at,omitzero"`
	// ScansPerMinute averages the scans reported over the last
	// RateWindow.
	ScansPerMinute float64   `json:"scans_per_minute"`
	LastScanAt     time.Time `json:"last_scan_at,omitzero"`
	// Scans, Admits and Refusals are the gate's totals over every boot.
	GateCounts
	// Quiet flags a gate that is offline, or online without a scan for
	// Hub.QuietAfter, during the event's doors-open window;
	// QuietReason is "offline" or "no_scans".
	Quiet       bool   `json:"quiet"`
	QuietReason string `json:"quiet_reason,omitempty"`
}

// Quiet reasons.
const (
	QuietOffline = "offline"
	QuietNoScans = "no_scans"
)

func (s *Hub) health() HealthStore {
	if s.Health != nil {
		return s.Health
	}
	hs, _ := s.Store.(HealthStore)
	return hs
}

func (s *Hub) offlineAfter() time.Duration {
	return orDefault(s.OfflineAfter, 3*orDefault(s.PingInterval, DefaultPingInterval)+15*time.Second)
}

// hear notes that the gate was heard from now.
func (c *conn) hear() { c.heard.Store(c.srv.now().UnixNano()) }

// syncedAt is the gate's last sync on this connection, or zero.
func (c *conn) syncedAt() time.Time {
	if n := c.synced.Load(); n != 0 {
		return time.Unix(0, n).UTC()
	}
	return time.Time{}
}

// hello queues what a connection's hello told of its gate.
func (s *Hub) hello(c *conn, t GateTouch) {
	if hs := s.health(); hs != nil {
		s.queueUpdate(hs, GateUpdate{GateID: c.gate.ID, GateTouch: t})
	}
}

// touch saves what the connection learned of its gate; a failure is
// logged, never fatal to the connection.
func (s *Hub) touch(ctx context.Context, c *conn, t GateTouch) {
	hs := s.health()
	if hs == nil {
		return
	}
	if _, err := hs.UpdateGates(ctx, []GateUpdate{{GateID: c.gate.ID, GateTouch: t}}); err != nil && ctx.Err() == nil {
		c.log.Warn("sync: save gate health", "err", err)
	}
}

// touchGone records the end of a connection, unless this hub holds
// another connection of the gate.
func (s *Hub) touchGone(c *conn) {
	s.mu.Lock()
	others := false
	for o := range s.events[c.gate.EventID] {
		if o != c && o.gate.ID == c.gate.ID {
			others = true
		}
	}
	s.mu.Unlock()
	if others {
		return
	}
	// The request's context may be over already.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.touch(ctx, c, GateTouch{At: s.now().UTC(), Synced: c.syncedAt(), Disconnected: true})
}

// MinStatusGap is the least time between two status frames of one
// connection that the hub saves; one sooner is dropped (a gate sends
// them at most once a second), so a gate cannot turn its frame rate
// into store writes.
const MinStatusGap = 500 * time.Millisecond

// Status reports (and hellos) are saved in batches: report queues each
// (the frame has no answer) and one goroutine, running while some are
// queued, saves every ReportFlush those that came meanwhile, in one
// HealthStore.UpdateGates. A gate that scans sends one a second, so 500
// scanning gates would otherwise make 500 transactions a second, each
// holding up its connection's reader while it waited for a pooled
// connection: with them, BenchmarkFanout's paced p99 on PostgreSQL was
// 217 ms. A report's counters run from its gate's boot, so a batch that
// fails loses no count: the gate's next report carries it.
const (
	// ReportFlush is how often queued status reports are saved.
	ReportFlush = MinStatusGap
	// maxQueuedReports bounds the queue; a report beyond it is dropped
	// (the next one carries its counts).
	maxQueuedReports = 20_000
	// reportTimeout bounds one batch's save.
	reportTimeout = 30 * time.Second
)

// reportQueue holds the status reports and hellos not saved yet.
type reportQueue struct {
	mu       gosync.Mutex
	pending  []GateUpdate
	flushing bool // a goroutine runs flushReports
}

// report queues a status frame (parsed and validated by ParseFrame) for
// saving. A connection's hello (hello) is queued the same way: after a
// server restart every gate reconnects at once.
func (s *Hub) report(c *conn, f Frame) {
	hs := s.health()
	if hs == nil || time.Since(c.lastStatus) < MinStatusGap {
		return
	}
	c.lastStatus = time.Now()
	now := s.now().UTC()
	r := *f.Status
	s.queueUpdate(hs, GateUpdate{GateID: c.gate.ID, GateTouch: GateTouch{At: now, Skew: f.ClientTime.Sub(now), SkewKnown: true, Synced: c.syncedAt()}, Report: &r})
}

// queueUpdate queues u for the next batch (flushReports).
func (s *Hub) queueUpdate(hs HealthStore, u GateUpdate) {
	q := &s.reports
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) >= maxQueuedReports {
		return
	}
	q.pending = append(q.pending, u)
	if !q.flushing {
		q.flushing = true
		go s.flushReports(hs)
	}
}

// flushReports saves the queued reports every ReportFlush until none
// came in one interval. When a batch fails, each gate's reports are
// tried alone, so one gate's trouble costs the others nothing.
func (s *Hub) flushReports(hs HealthStore) {
	q := &s.reports
	for {
		time.Sleep(ReportFlush)
		q.mu.Lock()
		batch := q.pending
		q.pending = nil
		if len(batch) == 0 {
			q.flushing = false
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), reportTimeout)
		if _, err := hs.UpdateGates(ctx, batch); err != nil {
			byGate := make(map[string][]GateUpdate)
			for _, u := range batch {
				byGate[u.GateID] = append(byGate[u.GateID], u)
			}
			for id, us := range byGate {
				if _, err := hs.UpdateGates(ctx, us); err != nil {
					s.logger().Warn("sync: save gate status", "gate", id, "reports", len(us), "err", err)
				}
			}
		}
		cancel()
	}
}

// GateStates lists an event's gates by creation time with their health
// at the hub's clock.
func (s *Hub) GateStates(ctx context.Context, eventID string) ([]GateState, error) {
	gates, err := s.Store.GatesOfEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	out := make([]GateState, len(gates))
	for i, g := range gates {
		out[i].Gate = g
	}
	hs := s.health()
	if hs == nil || len(gates) == 0 {
		return out, nil
	}
	now := s.now().UTC()
	health, err := hs.GateHealthOfEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	from := now.Truncate(time.Minute).Add(time.Minute - RateWindow)
	minutes, err := hs.GateMinutes(ctx, eventID, from)
	if err != nil {
		return nil, err
	}
	recent := make(map[string]int64)
	for _, m := range minutes {
		recent[m.GateID] += m.Scans
	}
	var open, end time.Time
	if s.Doors != nil {
		if open, end, err = s.Doors(ctx, eventID); err != nil {
			return nil, err
		}
	}
	doors := !open.IsZero() && !end.IsZero() && !now.Before(open) && now.Before(end)
	for i := range out {
		h := health[out[i].ID]
		st := &out[i].Health
		st.Online = !h.LastSeen.IsZero() && h.LastSeen.After(h.DisconnectedAt) && now.Sub(h.LastSeen) < s.offlineAfter()
		st.LastSeen, st.LastSync, st.LastScanAt, st.ReportedAt = h.LastSeen, h.LastSync, h.LastScanAt, h.ReportedAt
		if h.SkewKnown {
			ms := h.ClockSkew.Milliseconds()
			st.ClockSkewMS = &ms
		}
		st.Outbox, st.Version, st.Boot = h.Report.Outbox, h.Report.Version, h.Report.Boot
		st.GateCounts = h.Totals
		st.ScansPerMinute = float64(recent[out[i].ID]) / RateWindow.Minutes()
		if doors && out[i].RevokedAt.IsZero() {
			quietSince := open
			if h.LastScanAt.After(open) {
				quietSince = h.LastScanAt
			}
			switch {
			case !st.Online:
				st.Quiet, st.QuietReason = true, QuietOffline
			case now.Sub(quietSince) >= orDefault(s.QuietAfter, DefaultQuietAfter):
				st.Quiet, st.QuietReason = true, QuietNoScans
			}
		}
	}
	return out, nil
}

// CheckQuiet returns the event's quiet gates (GateStatus.Quiet) and
// calls OnGateQuiet for each one that was not quiet at this hub's
// previous check of the event. Something calls it periodically for the
// events whose doors are open (the operator alerts' loop); each server
// process remembers on its own which gates it has reported.
func (s *Hub) CheckQuiet(ctx context.Context, eventID string) ([]GateState, error) {
	states, err := s.GateStates(ctx, eventID)
	if err != nil {
		return nil, err
	}
	var quiet, fresh []GateState
	s.mu.Lock()
	if s.quiet == nil {
		s.quiet = make(map[string]bool)
	}
	for _, g := range states {
		if !g.Health.Quiet {
			delete(s.quiet, g.ID)
			continue
		}
		quiet = append(quiet, g)
		if !s.quiet[g.ID] {
			s.quiet[g.ID] = true
			fresh = append(fresh, g)
		}
	}
	s.mu.Unlock()
	if s.OnGateQuiet != nil {
		for _, g := range fresh {
			s.OnGateQuiet(g)
		}
	}
	return quiet, nil
}

// QuietGates is how many gates this hub's last CheckQuiet found quiet
// (across the events it checked), for metrics.
func (s *Hub) QuietGates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.quiet)
}

// WatchQuiet runs CheckQuiet every interval for each event that events
// returns (the events whose doors are open, say) until ctx ends; errors
// are logged and the watch goes on. It is what calls OnGateQuiet.
func (s *Hub) WatchQuiet(ctx context.Context, every time.Duration, events func(context.Context) ([]string, error)) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		ids, err := events(ctx)
		if err != nil && ctx.Err() == nil {
			s.logger().Warn("sync: list events to check for quiet gates", "err", err)
		}
		for _, id := range ids {
			if _, err := s.CheckQuiet(ctx, id); err != nil && ctx.Err() == nil {
				s.logger().Warn("sync: check for quiet gates", "event", id, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// GateMinutes lists an event's per gate and minute counts from since
// on (see HealthStore.GateMinutes); nil without a HealthStore.
func (s *Hub) GateMinutes(ctx context.Context, eventID string, since time.Time) ([]GateMinute, error) {
	hs := s.health()
	if hs == nil {
		return nil, nil
	}
	return hs.GateMinutes(ctx, eventID, since)
}

// SortMinutes orders minutes by minute then gate id, as
// HealthStore.GateMinutes returns them.
func SortMinutes(ms []GateMinute) {
	sort.Slice(ms, func(i, j int) bool {
		if !ms[i].Minute.Equal(ms[j].Minute) {
			return ms[i].Minute.Before(ms[j].Minute)
		}
		return ms[i].GateID < ms[j].GateID
	})
}
