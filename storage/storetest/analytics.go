package storetest

import (
	"testing"
	"time"

	"github.com/admitone/admitone/analytics"
	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// Stores are one backend's stores over the same data.
type Stores struct {
	Sync     ticketsync.Store
	Purchase purchase.Store
	Catalog  catalog.Store
}

// RunAnalytics runs the analytics.Store conformance subtests. open
// returns a new, empty store and reopen, which closes that store and
// opens it again over the same data (a restart).
func RunAnalytics(t *testing.T, open func(t *testing.T) (Stores, func(t *testing.T) Stores)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Stores, reopen func(t *testing.T) Stores)
	}{
		{"KnownAnswers", testAnalyticsKnownAnswers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, reopen := open(t)
			tt.fn(t, s, reopen)
		})
	}
}

// testAnalyticsKnownAnswers is issue 13's acceptance 4 at the store: a
// scenario with known answers, checked figure by figure, then again
// after the store is closed and opened. 6 tickets are sold in three
// orders (two paid in one hour, one the next), 1 of them refunded; one
// sold ticket is transferred; 4 lineages enter through two gates (5
// entries: the sixth scan of an inside ticket, offline, is the one
// conflict), 2 exit, and 1 valid ticket never enters (the no-show once
// the event ends).
func testAnalyticsKnownAnswers(t *testing.T, st Stores, reopen func(t *testing.T) Stores) {
	ctx := t.Context()
	s, p, c := st.Sync, st.Purchase, st.Catalog

	paid1, paid2 := when(0), when(0).Add(time.Hour)
	sh, a := orderedShop(t, p, c, 3)
	at := ticketsFor(sh, a, 3, paid1)
	_, err := p.MarkPaid(ctx, a.ID, "pi_a", paid1, at)
	must(t, "MarkPaid a", err)
	sell := func(n int, intent string, paid time.Time) (purchase.Order, []purchase.Ticket) {
		t.Helper()
		h := sh.hold(0, n)
		reserve(t, p, h, sh.limits(0))
		o := sh.order(h)
		must(t, "CreateOrder", p.CreateOrder(ctx, o))
		ts := ticketsFor(sh, o, n, paid)
		_, err := p.MarkPaid(ctx, o.ID, intent, paid, ts)
		must(t, "MarkPaid "+intent, err)
		return o, ts
	}
	b, _ := sell(1, "pi_b", paid1)
	_, err = p.Refund(ctx, b.ID, paid1.Add(time.Minute))
	must(t, "Refund", err)
	_, ct := sell(2, "pi_c", paid2)
	// A pending order sells nothing.
	pending := sh.hold(0, 1)
	reserve(t, p, pending, sh.limits(0))
	must(t, "CreateOrder pending", p.CreateOrder(ctx, sh.order(pending)))

	next := ticketsFor(sh, a, 1, paid2)[0]
	next.HolderID, next.Replaces, next.Lineage = "usr_000000000000000000000f01", at[2].ID, at[2].ID
	_, err = p.Transfer(ctx, at[2].ID, a.BuyerID, next, paid2)
	must(t, "Transfer", err)

	north := createGate(t, s, newGate(sh.event.ID, "North", when(0)))
	south := createGate(t, s, newGate(sh.event.ID, "South", when(0)))
	exit := newGate(sh.event.ID, "Exit", when(0))
	exit.Direction = bundle.Exit
	exit = createGate(t, s, exit)
	doors := when(0).Add(3 * time.Hour).Truncate(time.Minute)
	record(t, s, north, 3, checkin(north, at[0].ID, doors), checkin(north, at[1].ID, doors.Add(10*time.Second)),
		checkin(north, next.ID, doors.Add(70*time.Second)))
	record(t, s, south, 1, checkin(south, ct[0].ID, doors.Add(20*time.Second)))
	again := checkin(south, at[0].ID, doors.Add(2*time.Minute))
	again.Offline = true
	res := record(t, s, south, 1, again)
	equal(t, "conflicts of the second entry", len(res.Conflicts), 1)
	record(t, s, exit, 2, checkin(exit, next.ID, doors.Add(5*time.Minute)), checkin(exit, at[1].ID, doors.Add(6*time.Minute)))

	hour := func(at time.Time) time.Time { return stored(at).Truncate(time.Hour) }
	want := analytics.Counts{
		Tickets:   map[string]analytics.TicketCounts{sh.types[0].ID: {Valid: 5, Revoked: 1}},
		Revenue:   map[string]analytics.RevenueCounts{"EUR": {Paid: 6 * 4_950, Refunded: 4_950}},
		CheckedIn: 4, // at[0], at[1], at[2]'s lineage, ct[0]
		Inside:    2, // at[0], ct[0]
		Entries:   map[string]int{north.ID: 3, south.ID: 2},
		EntryMinutes: map[analytics.GateMinute]int{
			{GateID: north.ID, Minute: stored(doors)}: 2, {GateID: north.ID, Minute: stored(doors.Add(time.Minute))}: 1,
			{GateID: south.ID, Minute: stored(doors)}: 1, {GateID: south.ID, Minute: stored(doors.Add(2 * time.Minute))}: 1,
		},
		Conflicts: 1, OfflineConflicts: 1,
		Sales:        map[time.Time]analytics.SalesCounts{hour(paid1): {Orders: 2, Units: 4}, hour(paid2): {Orders: 1, Units: 2}},
		NeverEntered: 1, // ct[1]
	}
	if hour(paid1).Equal(hour(paid2)) {
		t.Fatal("the scenario's two sales hours are one")
	}
	as := func(p purchase.Store) analytics.Store {
		t.Helper()
		as, ok := p.(analytics.Store)
		if !ok {
			t.Fatalf("%T does not implement analytics.Store", p)
		}
		return as
	}
	check := func(what string, p purchase.Store) {
		t.Helper()
		empty, err := as(p).EventCounts(ctx, "evt_000000000000000000000000", true)
		must(t, "EventCounts of an unknown event", err)
		equal(t, what+": counts of an unknown event", empty, analytics.NewCounts())
		got, err := as(p).EventCounts(ctx, sh.event.ID, true)
		must(t, "EventCounts", err)
		live, err := as(p).EventCounts(ctx, sh.event.ID, false)
		must(t, "EventCounts without no-shows", err)
		equal(t, what+": never entered, not asked for", live.NeverEntered, 0)
		live.NeverEntered = got.NeverEntered
		equal(t, what+": the figures without no-shows", live, got)
		equal(t, what+": tickets", got.Tickets, want.Tickets)
		equal(t, what+": revenue", got.Revenue, want.Revenue)
		equal(t, what+": checked in", got.CheckedIn, want.CheckedIn)
		equal(t, what+": inside", got.Inside, want.Inside)
		equal(t, what+": entries by gate", got.Entries, want.Entries)
		equal(t, what+": entries by gate and minute", got.EntryMinutes, want.EntryMinutes)
		equal(t, what+": conflicts", [2]int{got.Conflicts, got.OfflineConflicts}, [2]int{want.Conflicts, want.OfflineConflicts})
		equal(t, what+": sales by hour", got.Sales, want.Sales)
		equal(t, what+": never entered", got.NeverEntered, want.NeverEntered)
	}
	check("before a restart", p)
	check("after a restart", reopen(t).Purchase)
}
