package storetest

import (
	"fmt"
	gosync "sync"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// testHealth: a store that keeps gate health (sync.HealthStore) counts a
// boot's report once however often it is resent, adds a new boot's from
// zero, counts a late report of the boot before once, takes concurrent reports of one boot in any order without
// counting twice, keeps times moving forward, and sums refusals by
// reason over gates and minutes.
func testHealth(t *testing.T, s ticketsync.Store, _ purchase.Store, c catalog.Store) {
	hs, ok := s.(ticketsync.HealthStore)
	if !ok {
		t.Fatalf("%T does not implement sync.HealthStore", s)
	}
	ctx := t.Context()
	f := setup(t, c)
	north := createGate(t, s, newGate(f.event.ID, "North", when(0)))
	south := createGate(t, s, newGate(f.event.ID, "South", when(0)))
	t0 := when(0)
	m0 := stored(t0).Truncate(time.Minute)

	touch := func(g ticketsync.Gate, t ticketsync.GateTouch) ticketsync.GateTouchOf {
		return ticketsync.GateTouchOf{GateID: g.ID, GateTouch: t}
	}
	unknown := ticketsync.Gate{ID: "gat_000000000000000000000000", EventID: f.event.ID}
	is(t, "TouchGates of an unknown gate", hs.TouchGates(ctx, []ticketsync.GateTouchOf{touch(unknown, ticketsync.GateTouch{At: t0})}), ticketsync.ErrNotFound)
	is(t, "TouchGates of a known and an unknown gate",
		hs.TouchGates(ctx, []ticketsync.GateTouchOf{touch(south, ticketsync.GateTouch{At: t0}), touch(unknown, ticketsync.GateTouch{At: t0})}), ticketsync.ErrNotFound)
	got, err := hs.GateHealthOfEvent(ctx, f.event.ID)
	must(t, "GateHealthOfEvent", err)
	equal(t, "health after touches that failed", len(got), 0)
	must(t, "TouchGates", hs.TouchGates(ctx, []ticketsync.GateTouchOf{touch(north, ticketsync.GateTouch{At: t0, Skew: time.Second, SkewKnown: true})}))
	// Several touches in one call apply in order: the later skew wins,
	// times only move forward.
	must(t, "TouchGates earlier, with a second skew", hs.TouchGates(ctx, []ticketsync.GateTouchOf{
		touch(north, ticketsync.GateTouch{At: t0.Add(-time.Minute), Synced: t0.Add(-time.Minute)}),
		touch(north, ticketsync.GateTouch{At: t0.Add(-2 * time.Minute), Skew: 3 * time.Second, SkewKnown: true}),
	}))
	must(t, "TouchGates disconnected", hs.TouchGates(ctx, []ticketsync.GateTouchOf{touch(north, ticketsync.GateTouch{At: t0.Add(time.Second), Disconnected: true})}))
	must(t, "TouchGates of no gate", hs.TouchGates(ctx, nil))
	got, err = hs.GateHealthOfEvent(ctx, f.event.ID)
	must(t, "GateHealthOfEvent", err)
	equal(t, "health after touches", got, map[string]ticketsync.GateHealth{north.ID: {
		GateID: north.ID, EventID: f.event.ID, LastSeen: stored(t0), DisconnectedAt: stored(t0.Add(time.Second)),
		LastSync: stored(t0.Add(-time.Minute)), ClockSkew: 3 * time.Second, SkewKnown: true,
	}})

	report := func(g ticketsync.Gate, boot string, scans, admits int64, refusals map[string]int64, at time.Time) ticketsync.GateHealth {
		t.Helper()
		h, err := hs.ReportGate(ctx, g, ticketsync.GateReport{Boot: boot, Version: "v1", Outbox: 2, Scans: scans, Admits: admits, Refusals: refusals},
			ticketsync.GateTouch{At: at, Skew: -time.Second, SkewKnown: true})
		must(t, "ReportGate", err)
		return h
	}
	report(north, "bootA", 5, 3, map[string]int64{"already_used": 1, "invalid_signature": 1}, t0.Add(2*time.Second))
	report(north, "bootA", 5, 3, map[string]int64{"already_used": 1, "invalid_signature": 1}, t0.Add(3*time.Second)) // a resend
	t1 := t0.Add(time.Minute)
	report(north, "bootA", 7, 4, map[string]int64{"already_used": 2, "invalid_signature": 1}, t1)
	report(north, "bootA", 6, 4, map[string]int64{"already_used": 2}, t1.Add(time.Second)) // overtaken
	h := report(north, "bootB", 2, 1, map[string]int64{"code_expired": 1}, t1.Add(2*time.Second))
	report(south, "bootS", 1, 0, map[string]int64{"wrong_event": 1}, t1)

	equal(t, "north totals", h.Totals, ticketsync.GateCounts{Scans: 9, Admits: 5,
		Refusals: map[string]int64{"already_used": 2, "invalid_signature": 1, "code_expired": 1}})
	equal(t, "north last scan", h.LastScanAt, stored(t1.Add(2*time.Second)))
	equal(t, "north skew", h.ClockSkew, -time.Second)
	equal(t, "north report", h.Report, ticketsync.GateReport{Boot: "bootB", Version: "v1", Outbox: 2, Scans: 2, Admits: 1,
		Refusals: map[string]int64{"code_expired": 1}})
	late := report(north, "bootA", 7, 4, map[string]int64{"already_used": 2, "invalid_signature": 1}, t1.Add(3*time.Second))
	equal(t, "north totals after a late report of the boot before", late.Totals, h.Totals)
	equal(t, "north report after a late report of the boot before", late.Report, h.Report)
	h = late
	got, err = hs.GateHealthOfEvent(ctx, f.event.ID)
	must(t, "GateHealthOfEvent", err)
	equal(t, "stored north", got[north.ID], h)
	equal(t, "gates with health", len(got), 2)

	minutes, err := hs.GateMinutes(ctx, f.event.ID, time.Time{})
	must(t, "GateMinutes", err)
	m1 := m0.Add(time.Minute)
	equal(t, "minutes", minutes, sortedMinutes(
		ticketsync.GateMinute{GateID: north.ID, Minute: m0, GateCounts: ticketsync.GateCounts{Scans: 5, Admits: 3,
			Refusals: map[string]int64{"already_used": 1, "invalid_signature": 1}}},
		ticketsync.GateMinute{GateID: north.ID, Minute: m1, GateCounts: ticketsync.GateCounts{Scans: 4, Admits: 2,
			Refusals: map[string]int64{"already_used": 1, "code_expired": 1}}},
		ticketsync.GateMinute{GateID: south.ID, Minute: m1, GateCounts: ticketsync.GateCounts{Scans: 1,
			Refusals: map[string]int64{"wrong_event": 1}}},
	))
	minutes, err = hs.GateMinutes(ctx, f.event.ID, t1)
	must(t, "GateMinutes since t1", err)
	equal(t, "minutes since t1", len(minutes), 2)

	refusals, err := hs.RefusalsByReason(ctx, f.event.ID)
	must(t, "RefusalsByReason", err)
	equal(t, "RefusalsByReason", refusals, map[string]int64{"already_used": 2, "invalid_signature": 1, "code_expired": 1, "wrong_event": 1})
	refusals, err = hs.RefusalsByReason(ctx, "ev_0000000000000000")
	must(t, "RefusalsByReason of another event", err)
	equal(t, "RefusalsByReason of another event", len(refusals), 0)

	_, err = hs.ReportGate(ctx, north, ticketsync.GateReport{Boot: "", Scans: 1}, ticketsync.GateTouch{At: t1})
	is(t, "ReportGate without a boot", err, ticketsync.ErrInvalid)
	_, err = hs.ReportGate(ctx, north, ticketsync.GateReport{Boot: "x", Scans: 1, Admits: 2}, ticketsync.GateTouch{At: t1})
	is(t, "ReportGate with more admits than scans", err, ticketsync.ErrInvalid)

	// Reports of one boot racing (two connections through two servers)
	// count the highest once.
	var wg gosync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			_, err := hs.ReportGate(ctx, south, ticketsync.GateReport{Boot: "bootR", Scans: int64(i + 1)}, ticketsync.GateTouch{At: t1})
			if err != nil {
				t.Error(fmt.Errorf("racing ReportGate: %w", err))
			}
		})
	}
	wg.Wait()
	got, err = hs.GateHealthOfEvent(ctx, f.event.ID)
	must(t, "GateHealthOfEvent", err)
	equal(t, "south scans after the race", got[south.ID].Totals.Scans, int64(1+8))
}

func sortedMinutes(ms ...ticketsync.GateMinute) []ticketsync.GateMinute {
	ticketsync.SortMinutes(ms)
	return ms
}
