package sync

import (
	"context"
	"time"
)

// The keeper is one goroutine per hub, running while the hub holds
// connections. Every PingInterval it
//
//   - saves when each connected gate was last heard from and last synced,
//     for all of the hub's connections in one HealthStore.UpdateGates;
//   - closes the connections of gates revoked since they connected, read
//     with one Store.GatesOfEvent per event: another server process may
//     have revoked the gate, and its Hub.Disconnect reaches only its own
//     connections.
//
// Each connection's writer did both at its own ping, and gates connect
// together (doors opening, every gate reconnecting after a server
// restart), so their pings fall together too: 500 gates made 500
// transactions and 500 reads within a few hundred milliseconds every
// interval, each holding up its connection's deliveries while it waited
// for a pooled connection. The check-ins of those moments reached the
// gates 100 to 170 ms late; in BenchmarkFanout that was the p99 of every
// other 5-second run. The writer now only pings.

// keepRoundTimeout is the least time a keeper round may take.
const keepRoundTimeout = 10 * time.Second

// keep runs the keeper until the hub has no connection left or shuts
// down; register starts it again with the next connection.
func (s *Hub) keep() {
	every := orDefault(s.PingInterval, DefaultPingInterval)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for range tick.C {
		s.mu.Lock()
		if s.closed || len(s.events) == 0 {
			s.keeping = false
			s.mu.Unlock()
			return
		}
		byEvent := make(map[string][]*conn, len(s.events))
		for ev, conns := range s.events {
			for c := range conns {
				byEvent[ev] = append(byEvent[ev], c)
			}
		}
		s.mu.Unlock()
		// A round may take longer than a short interval (tests use
		// milliseconds); ticks it overlaps are dropped.
		ctx, cancel := context.WithTimeout(context.Background(), max(every, keepRoundTimeout))
		s.keepRound(ctx, byEvent)
		cancel()
	}
}

// keepRound is one round of the keeper over the connections it found,
// by event.
func (s *Hub) keepRound(ctx context.Context, byEvent map[string][]*conn) {
	log := s.logger()
	if hs := s.health(); hs != nil {
		var touches []GateUpdate
		for _, conns := range byEvent {
			for _, c := range conns {
				touches = append(touches, GateUpdate{GateID: c.gate.ID,
					GateTouch: GateTouch{At: time.Unix(0, c.heard.Load()).UTC(), Synced: c.syncedAt()}})
			}
		}
		if _, err := hs.UpdateGates(ctx, touches); err != nil && ctx.Err() == nil {
			log.Warn("sync: save gates' health", "gates", len(touches), "err", err)
		}
	}
	for ev, conns := range byEvent {
		gates, err := s.Store.GatesOfEvent(ctx, ev)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("sync: read gates to find revoked ones", "event", ev, "err", err)
			}
			continue
		}
		revoked := make(map[string]bool)
		for _, g := range gates {
			if !g.RevokedAt.IsZero() {
				revoked[g.ID] = true
			}
		}
		for _, c := range conns {
			if revoked[c.gate.ID] {
				c.shut(CloseRevoked, "gate revoked by an organizer")
			}
		}
	}
}
