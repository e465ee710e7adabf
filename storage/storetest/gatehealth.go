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

	touch := func(g ticketsync.Gate, t ticketsync.GateTouch) ticketsync.GateUpdate {
		return ticketsync.GateUpdate{GateID: g.ID, GateTouch: t}
	}
	update := func(us ...ticketsync.GateUpdate) error {
		_, err := hs.UpdateGates(ctx, us)
		return err
	}
	unknown := ticketsync.Gate{ID: "gat_000000000000000000000000", EventID: f.event.ID}
	is(t, "UpdateGates of an unknown gate", update(touch(unknown, ticketsync.GateTouch{At: t0})), ticketsync.ErrNotFound)
	is(t, "UpdateGates of a known and an unknown gate",
		update(touch(south, ticketsync.GateTouch{At: t0}), touch(unknown, ticketsync.GateTouch{At: t0})), ticketsync.ErrNotFound)
	got, err := hs.GateHealthOfEvent(ctx, f.event.ID)
	must(t, "GateHealthOfEvent", err)
	equal(t, "health after updates that failed", len(got), 0)
	must(t, "UpdateGates", update(touch(north, ticketsync.GateTouch{At: t0, Skew: time.Second, SkewKnown: true})))
	// Several updates in one call apply in order: the later skew wins,
	// times only move forward.
	must(t, "UpdateGates earlier, with a second skew", update(
		touch(north, ticketsync.GateTouch{At: t0.Add(-time.Minute), Synced: t0.Add(-time.Minute)}),
		touch(north, ticketsync.GateTouch{At: t0.Add(-2 * time.Minute), Skew: 3 * time.Second, SkewKnown: true}),
	))
	must(t, "UpdateGates disconnected", update(touch(north, ticketsync.GateTouch{At: t0.Add(time.Second), Disconnected: true})))
	must(t, "UpdateGates of no gate", update())
	got, err = hs.GateHealthOfEvent(ctx, f.event.ID)
	must(t, "GateHealthOfEvent", err)
	equal(t, "health after touches", got, map[string]ticketsync.GateHealth{north.ID: {
		GateID: north.ID, EventID: f.event.ID, LastSeen: stored(t0), DisconnectedAt: stored(t0.Add(time.Second)),
		LastSync: stored(t0.Add(-time.Minute)), ClockSkew: 3 * time.Second, SkewKnown: true,
	}})

	report := func(g ticketsync.Gate, boot string, scans, admits int64, refusals map[string]int64, at time.Time) ticketsync.GateHealth {
		t.Helper()
		hs, err := hs.UpdateGates(ctx, []ticketsync.GateUpdate{{GateID: g.ID, GateTouch: ticketsync.GateTouch{At: at, Skew: -time.Second, SkewKnown: true},
			Report: &ticketsync.GateReport{Boot: boot, Version: "v1", Outbox: 2, Scans: scans, Admits: admits, Refusals: refusals}}})
		must(t, "UpdateGates with a report", err)
		return hs[0]
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

	reported := func(g ticketsync.Gate, r ticketsync.GateReport, at time.Time) ticketsync.GateUpdate {
		return ticketsync.GateUpdate{GateID: g.ID, GateTouch: ticketsync.GateTouch{At: at}, Report: &r}
	}
	is(t, "a report without a boot", update(reported(north, ticketsync.GateReport{Boot: "", Scans: 1}, t1)), ticketsync.ErrInvalid)
	is(t, "a report with more admits than scans", update(reported(north, ticketsync.GateReport{Boot: "x", Scans: 1, Admits: 2}, t1)), ticketsync.ErrInvalid)
	before, err := hs.GateHealthOfEvent(ctx, f.event.ID)
	must(t, "GateHealthOfEvent", err)
	is(t, "a batch with one invalid report", update(
		reported(south, ticketsync.GateReport{Boot: "bootS", Scans: 5}, t1.Add(time.Second)),
		reported(north, ticketsync.GateReport{Boot: "x", Scans: 1, Admits: 2}, t1)), ticketsync.ErrInvalid)
	after, err := hs.GateHealthOfEvent(ctx, f.event.ID)
	must(t, "GateHealthOfEvent", err)
	equal(t, "health after a batch refused", after, before)

	// One batch of several gates' reports across minutes, a gate twice
	// in one minute and a new boot within the batch, counts as the
	// reports one by one would.
	east := createGate(t, s, newGate(f.event.ID, "East", when(0)))
	t2 := t1.Add(time.Minute)
	m2 := stored(t2).Truncate(time.Minute)
	healths, err := hs.UpdateGates(ctx, []ticketsync.GateUpdate{
		reported(east, ticketsync.GateReport{Boot: "e1", Scans: 2, Admits: 2}, t1.Add(10*time.Second)),
		reported(east, ticketsync.GateReport{Boot: "e1", Scans: 3, Admits: 2, Refusals: map[string]int64{"already_used": 1}}, t1.Add(20*time.Second)),
		reported(south, ticketsync.GateReport{Boot: "bootS", Scans: 4, Admits: 3}, t2),
		reported(east, ticketsync.GateReport{Boot: "e2", Scans: 1, Admits: 1}, t2.Add(time.Second)),
	})
	must(t, "UpdateGates of a batch of reports", err)
	equal(t, "healths answered", len(healths), 4)
	equal(t, "east's totals after its second report", healths[1].Totals, ticketsync.GateCounts{Scans: 3, Admits: 2, Refusals: map[string]int64{"already_used": 1}})
	equal(t, "east's totals after the new boot", healths[3].Totals, ticketsync.GateCounts{Scans: 4, Admits: 3, Refusals: map[string]int64{"already_used": 1}})
	minutes, err = hs.GateMinutes(ctx, f.event.ID, m2.Add(-time.Minute))
	must(t, "GateMinutes", err)
	var eastMinutes []ticketsync.GateMinute
	southM2 := ticketsync.GateCounts{}
	for _, m := range minutes {
		switch m.GateID {
		case east.ID:
			eastMinutes = append(eastMinutes, m)
		case south.ID:
			if m.Minute.Equal(m2) {
				southM2 = m.GateCounts
			}
		}
	}
	equal(t, "east's minutes", eastMinutes, []ticketsync.GateMinute{
		{GateID: east.ID, Minute: m1, GateCounts: ticketsync.GateCounts{Scans: 3, Admits: 2, Refusals: map[string]int64{"already_used": 1}}},
		{GateID: east.ID, Minute: m2, GateCounts: ticketsync.GateCounts{Scans: 1, Admits: 1}},
	})
	equal(t, "south's minute of the batch", southM2, ticketsync.GateCounts{Scans: 3, Admits: 3})

	// Reports of one boot racing (two connections through two servers)
	// count the highest once.
	var wg gosync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if err := update(reported(south, ticketsync.GateReport{Boot: "bootR", Scans: int64(i + 1)}, t1)); err != nil {
				t.Error(fmt.Errorf("racing UpdateGates: %w", err))
			}
		})
	}
	wg.Wait()
	got, err = hs.GateHealthOfEvent(ctx, f.event.ID)
	must(t, "GateHealthOfEvent", err)
	equal(t, "south scans after the race", got[south.ID].Totals.Scans, int64(4+8)) // bootS's 4, bootR's highest
}

func sortedMinutes(ms ...ticketsync.GateMinute) []ticketsync.GateMinute {
	ticketsync.SortMinutes(ms)
	return ms
}
