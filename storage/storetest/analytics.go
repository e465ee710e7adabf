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

// testAnalytics pins EventCounts against a scenario with known answers:
// an order of 3 tickets paid, one of 1 paid and refunded, a transfer,
// two entries (one a conflict), an exit, and a ticket never entered.
func testAnalytics(t *testing.T, s ticketsync.Store, p purchase.Store, c catalog.Store) {
	ctx := t.Context()
	as, ok := p.(analytics.Store)
	if !ok {
		t.Fatalf("%T does not implement analytics.Store", p)
	}
	empty, err := as.EventCounts(ctx, "evt_000000000000000000000000")
	must(t, "EventCounts of an unknown event", err)
	equal(t, "counts of an unknown event", [4]int{len(empty.Tickets), len(empty.Revenue), empty.CheckedIn, empty.NeverEntered}, [4]int{})

	sh, o := orderedShop(t, p, c, 3)
	tickets := ticketsFor(sh, o, 3, when(0))
	_, err = p.MarkPaid(ctx, o.ID, "pi_a", when(0), tickets)
	must(t, "MarkPaid", err)
	h := sh.hold(0, 1)
	reserve(t, p, h, sh.limits(0))
	refunded := sh.order(h)
	must(t, "CreateOrder", p.CreateOrder(ctx, refunded))
	_, err = p.MarkPaid(ctx, refunded.ID, "pi_b", when(0), ticketsFor(sh, refunded, 1, when(0)))
	must(t, "MarkPaid", err)
	_, err = p.Refund(ctx, refunded.ID, when(0).Add(time.Minute))
	must(t, "Refund", err)
	next := ticketsFor(sh, o, 1, when(0).Add(time.Hour))[0]
	next.HolderID, next.Replaces, next.Lineage = "usr_000000000000000000000f01", tickets[2].ID, tickets[2].ID
	_, err = p.Transfer(ctx, tickets[2].ID, o.BuyerID, next, when(0).Add(time.Hour))
	must(t, "Transfer", err)

	north := createGate(t, s, newGate(sh.event.ID, "North", when(0)))
	south := createGate(t, s, newGate(sh.event.ID, "South", when(0)))
	exit := newGate(sh.event.ID, "Exit", when(0))
	exit.Direction = bundle.Exit
	exit = createGate(t, s, exit)
	record(t, s, north, 2, checkin(north, tickets[0].ID, when(0).Add(2*time.Hour)), checkin(north, next.ID, when(0).Add(2*time.Hour)))
	res := record(t, s, south, 1, checkin(south, tickets[0].ID, when(0).Add(3*time.Hour)))
	equal(t, "conflicts of the second entry", len(res.Conflicts), 1)
	record(t, s, exit, 1, checkin(exit, next.ID, when(0).Add(4*time.Hour)))

	got, err := as.EventCounts(ctx, sh.event.ID)
	must(t, "EventCounts", err)
	want := analytics.Counts{
		Tickets:      map[string]analytics.TicketCounts{sh.types[0].ID: {Valid: 3, Revoked: 1}},
		Revenue:      map[string]analytics.RevenueCounts{"EUR": {Paid: 4 * 4_950, Refunded: 4_950}},
		CheckedIn:    2,
		Inside:       1,
		Entries:      map[string]int{north.ID: 2, south.ID: 1},
		Conflicts:    1,
		NeverEntered: 1,
	}
	equal(t, "counts", got, want)
}
