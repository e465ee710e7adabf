package storetest

import (
	"errors"
	"fmt"
	gosync "sync"
	"testing"
	"time"

	"github.com/admitone/admitone/analytics"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// testFiguresRace races, ticket by ticket, what changes an event's
// figures from two sides: an order's refund against the first entry of
// its first ticket, a transfer of its second ticket against that
// ticket's first entry. Whatever order each pair lands in, the figures
// the store keeps (EventCounts) must be what the outcomes say: a store
// that keeps figures as they change must not count a lineage's entry
// and its ticket's refund (or transfer) each without the other.
func testFiguresRace(t *testing.T, s ticketsync.Store, p purchase.Store, c catalog.Store) {
	ctx := t.Context()
	as, ok := p.(analytics.Store)
	if !ok {
		t.Fatalf("%T does not implement analytics.Store", p)
	}
	const orders = 24
	sh := newShop(t, c, 1_000)
	g := createGate(t, s, newGate(sh.event.ID, "Race gate", when(0)))
	type sold struct {
		order   purchase.Order
		tickets []purchase.Ticket
	}
	var all []sold
	for i := range orders {
		h := sh.hold(0, 2)
		h.BuyerID = fmt.Sprintf("usr_figures%013d", i)
		must(t, "reserve", p.Reserve(ctx, h, sh.limits(0)))
		o := sh.order(h)
		must(t, "order", p.CreateOrder(ctx, o))
		tickets := ticketsFor(sh, o, 2, when(0))
		_, err := p.MarkPaid(ctx, o.ID, "pi_"+o.ID, when(0), tickets)
		must(t, "pay", err)
		all = append(all, sold{o, tickets})
	}
	doors := when(0).Add(time.Hour)
	var wg gosync.WaitGroup
	var mu gosync.Mutex
	var errs []error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	transferred := make([]bool, orders)
	for i, o := range all {
		start := make(chan struct{})
		enter := func(tk purchase.Ticket) {
			<-start
			if _, err := s.RecordCheckins(ctx, g, []changelog.Checkin{checkin(g, tk.ID, doors)}, doors); err != nil {
				fail(fmt.Errorf("entry of %s: %w", tk.ID, err))
			}
		}
		wg.Go(func() { enter(o.tickets[0]) })
		wg.Go(func() { enter(o.tickets[1]) })
		if i%2 == 0 {
			wg.Go(func() {
				<-start
				if _, err := p.Refund(ctx, o.order.ID, doors); err != nil {
					fail(fmt.Errorf("refund of %s: %w", o.order.ID, err))
				}
			})
		} else {
			wg.Go(func() {
				<-start
				old := o.tickets[1]
				next := ticketsFor(sh, o.order, 1, doors)[0]
				next.HolderID, next.Replaces, next.Lineage = "usr_000000000000000000000f02", old.ID, old.Root()
				_, err := p.Transfer(ctx, old.ID, old.HolderID, next, doors)
				switch {
				case err == nil:
					transferred[i] = true
				case errors.Is(err, purchase.ErrTicketUsed):
				default:
					fail(fmt.Errorf("transfer of %s: %w", o.tickets[1].ID, err))
				}
			})
		}
		close(start)
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	// Every lineage entered once; refunded orders' tickets revoked;
	// a transfer that won its race replaced a ticket in its lineage
	// (still valid, entered after or not at all: its old ticket's entry
	// counts for the lineage), one that lost changed nothing.
	got, err := as.EventCounts(ctx, sh.event.ID, true)
	must(t, "EventCounts", err)
	refunded := (orders + 1) / 2
	equal(t, "tickets", got.Tickets, map[string]analytics.TicketCounts{sh.types[0].ID: {Valid: 2 * (orders - refunded), Revoked: 2 * refunded}})
	equal(t, "checked in (lineages)", got.CheckedIn, 2*orders)
	equal(t, "never entered", got.NeverEntered, 0)
	n := 0
	for _, tr := range transferred {
		if tr {
			n++
		}
	}
	t.Logf("%d of %d transfers landed before their ticket's entry", n, orders-refunded)
}
