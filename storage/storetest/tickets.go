package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/purchase"
)

// paidShop is a shop with one ordered hold of quantity n of its first
// type, ready to be paid.
func orderedShop(t *testing.T, s purchase.Store, c catalog.Store, n int) (shop, purchase.Order) {
	t.Helper()
	sh := newShop(t, c, 100)
	h := sh.hold(0, n)
	reserve(t, s, h, sh.limits(0))
	o := sh.order(h)
	must(t, "CreateOrder", s.CreateOrder(t.Context(), o))
	return sh, o
}

// ticketsFor makes n valid tickets of o's first line, issued at at. The
// tokens are placeholders: stores keep them as given.
func ticketsFor(sh shop, o purchase.Order, n int, at time.Time) []purchase.Ticket {
	out := make([]purchase.Ticket, n)
	for i := range out {
		id := ticketcrypto.NewTicketID().String()
		out[i] = purchase.Ticket{
			ID: id, EventID: o.EventID, TicketTypeID: sh.types[0].ID, TypeNumber: sh.types[0].Number,
			OrderID: o.ID, HolderID: o.BuyerID, Token: "AT1:token-of-" + id, KeyID: "kid_0011223344556677",
			Status: purchase.TicketValid, IssuedAt: at.Add(time.Duration(i) * time.Microsecond), ValidUntil: when(30),
		}
	}
	return out
}

// storedTicket is t as a store returns it: without its token.
func storedTicket(t purchase.Ticket) purchase.Ticket {
	t.IssuedAt, t.ValidUntil, t.Token = stored(t.IssuedAt), stored(t.ValidUntil), ""
	return t
}

// wantChanges checks an event's whole change log: kinds and ticket ids in
// order, numbered from 1.
func wantChanges(t *testing.T, s purchase.Store, eventID string, want ...string) []changelog.Change {
	t.Helper()
	got, err := s.Changes(t.Context(), eventID, 0, changelog.MaxChanges)
	must(t, "Changes", err)
	var seen []string
	for i, c := range got {
		if c.Seq != int64(i+1) || c.EventID != eventID {
			t.Errorf("change %d: seq %d event %s, want seq %d event %s", i, c.Seq, c.EventID, i+1, eventID)
		}
		seen = append(seen, string(c.Kind)+" "+c.TicketID)
	}
	equal(t, "change log", seen, want)
	return got
}

func testTicketsLifecycle(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh, o := orderedShop(t, s, c, 3)
	paidAt := when(0).Add(2 * time.Minute)
	tickets := ticketsFor(sh, o, 3, paidAt)
	_, err := s.MarkPaid(ctx, o.ID, "pi_1", paidAt, tickets)
	must(t, "MarkPaid", err)

	// The store keeps every field but the token, which is signed again
	// from the fields when its holder asks (see purchase.Ticket).
	want := make([]purchase.Ticket, len(tickets))
	for i, tk := range tickets {
		want[i] = storedTicket(tk)
	}
	got, err := s.Ticket(ctx, tickets[1].ID)
	must(t, "Ticket", err)
	equal(t, "Ticket", got, want[1])
	list, err := s.TicketsOfHolder(ctx, o.BuyerID, 10)
	must(t, "TicketsOfHolder", err)
	equal(t, "TicketsOfHolder", list, want)
	list, err = s.TicketsOfHolder(ctx, o.BuyerID, 2)
	must(t, "TicketsOfHolder limit 2", err)
	equal(t, "TicketsOfHolder limit 2", list, want[:2])
	list, err = s.TicketsOfOrder(ctx, o.ID)
	must(t, "TicketsOfOrder", err)
	equal(t, "TicketsOfOrder", list, want)
	changes := wantChanges(t, s, o.EventID, "issue "+tickets[0].ID, "issue "+tickets[1].ID, "issue "+tickets[2].ID)
	equal(t, "issue change", changes[0], changelog.Change{EventID: o.EventID, Seq: 1, Kind: changelog.KindIssue,
		TicketID: tickets[0].ID, TypeNumber: sh.types[0].Number, At: stored(paidAt)})

	// Paying again issues nothing new.
	_, err = s.MarkPaid(ctx, o.ID, "pi_1", paidAt.Add(time.Minute), ticketsFor(sh, o, 3, paidAt))
	must(t, "MarkPaid again", err)
	list, err = s.TicketsOfOrder(ctx, o.ID)
	must(t, "TicketsOfOrder after paying again", err)
	equal(t, "tickets after paying again", len(list), 3)

	// Transfer: only the holder may; the old ticket is revoked and points
	// at the new one.
	newHolder := "usr_000000000000000000000b77"
	next := ticketsFor(sh, o, 1, when(0).Add(time.Hour))[0]
	next.HolderID = newHolder
	next.Replaces, next.Lineage = tickets[0].ID, tickets[0].ID
	_, err = s.Transfer(ctx, tickets[0].ID, newHolder, next, when(0).Add(time.Hour))
	is(t, "Transfer by someone else", err, purchase.ErrNotFound)
	bad := next
	bad.TicketTypeID = "tt_000000000000000000000404"
	_, err = s.Transfer(ctx, tickets[0].ID, o.BuyerID, bad, when(0).Add(time.Hour))
	is(t, "Transfer to another type", err, purchase.ErrInvalid)
	bad = next
	bad.Lineage = ""
	_, err = s.Transfer(ctx, tickets[0].ID, o.BuyerID, bad, when(0).Add(time.Hour))
	is(t, "Transfer outside the lineage", err, purchase.ErrInvalid)
	moved, err := s.Transfer(ctx, tickets[0].ID, o.BuyerID, next, when(0).Add(time.Hour))
	must(t, "Transfer", err)
	next = storedTicket(next)
	equal(t, "transferred ticket", moved, next)
	old, err := s.Ticket(ctx, tickets[0].ID)
	must(t, "Ticket after transfer", err)
	if old.Status != purchase.TicketRevoked || old.RevokeReason != purchase.RevokedTransferred || old.ReplacedBy != next.ID ||
		!old.RevokedAt.Equal(stored(when(0).Add(time.Hour))) {
		t.Errorf("old ticket after transfer: %+v", old)
	}
	_, err = s.Transfer(ctx, tickets[0].ID, o.BuyerID, ticketsFor(sh, o, 1, when(0))[0], when(0).Add(time.Hour))
	is(t, "Transfer of a revoked ticket", err, purchase.ErrState)
	mine, err := s.TicketsOfHolder(ctx, newHolder, 10)
	must(t, "TicketsOfHolder of the recipient", err)
	equal(t, "recipient's tickets", mine, []purchase.Ticket{next})

	// A refund revokes every valid ticket of the order, the transferred
	// one included, once.
	refundedAt := when(1)
	_, err = s.Refund(ctx, o.ID, refundedAt)
	must(t, "Refund", err)
	_, err = s.Refund(ctx, o.ID, refundedAt.Add(time.Hour))
	must(t, "Refund again", err)
	changes = wantChanges(t, s, o.EventID,
		"issue "+tickets[0].ID, "issue "+tickets[1].ID, "issue "+tickets[2].ID,
		"revoke "+tickets[0].ID, "issue "+next.ID,
		"revoke "+tickets[1].ID, "revoke "+tickets[2].ID, "revoke "+next.ID)
	if r := changes[5]; r.Reason != purchase.RevokedRefunded || !r.At.Equal(stored(refundedAt)) {
		t.Errorf("refund's revoke entry: %+v", r)
	}
	if r := changes[3]; r.Reason != purchase.RevokedTransferred {
		t.Errorf("transfer's revoke entry: %+v", r)
	}
	list, err = s.TicketsOfOrder(ctx, o.ID)
	must(t, "TicketsOfOrder after refund", err)
	for _, tk := range list {
		if tk.Status != purchase.TicketRevoked {
			t.Errorf("ticket %s after refund: %s", tk.ID, tk.Status)
		}
		// The transferred ticket keeps its reason; the refund wrote the
		// others' (several tickets in one statement on PostgreSQL).
		if tk.ID != tickets[0].ID && (tk.RevokeReason != purchase.RevokedRefunded || !tk.RevokedAt.Equal(stored(refundedAt)) || tk.ReplacedBy != "") {
			t.Errorf("ticket %s after refund: reason %q at %v replaced by %q", tk.ID, tk.RevokeReason, tk.RevokedAt, tk.ReplacedBy)
		}
	}

	// Paging the log, and its limits.
	page, err := s.Changes(ctx, o.EventID, 6, 2)
	must(t, "Changes after 6", err)
	if len(page) != 2 || page[0].Seq != 7 || page[1].Seq != 8 {
		t.Errorf("Changes(after 6, limit 2) = %+v", page)
	}
	page, err = s.Changes(ctx, o.EventID, 8, 10)
	must(t, "Changes at the end", err)
	equal(t, "Changes past the end", len(page), 0)
	page, err = s.Changes(ctx, "ev_0000000000000404", 0, 10)
	must(t, "Changes of an unknown event", err)
	equal(t, "Changes of an unknown event", len(page), 0)
	_, err = s.Changes(ctx, o.EventID, 0, 0)
	is(t, "Changes limit 0", err, purchase.ErrInvalid)
	head, err := s.LastSeq(ctx, o.EventID)
	must(t, "LastSeq", err)
	equal(t, "LastSeq", head, int64(8))
	head, err = s.LastSeq(ctx, "ev_0000000000000404")
	must(t, "LastSeq of an unknown event", err)
	equal(t, "LastSeq of an unknown event", head, int64(0))
	_, err = s.Ticket(ctx, "tk_000000000000000000000404")
	is(t, "unknown ticket", err, purchase.ErrNotFound)
}

// A ticket id taken makes the whole payment fail: the order stays
// pending and no ticket or log entry of it is stored.
func testTicketsAtomic(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh, o := orderedShop(t, s, c, 2)
	first := ticketsFor(sh, o, 2, when(0))
	_, err := s.MarkPaid(ctx, o.ID, "pi_1", when(0), first)
	must(t, "MarkPaid", err)

	h2 := sh.hold(0, 2)
	reserve(t, s, h2, sh.limits(0))
	o2 := sh.order(h2)
	must(t, "CreateOrder", s.CreateOrder(ctx, o2))
	clash := ticketsFor(sh, o2, 2, when(0))
	clash[1].ID = first[0].ID
	_, err = s.MarkPaid(ctx, o2.ID, "pi_2", when(0), clash)
	is(t, "MarkPaid with a taken ticket id", err, purchase.ErrConflict)
	got, err := s.Order(ctx, o2.ID)
	must(t, "Order", err)
	equal(t, "order after the failed payment", got.Status, purchase.StatusPendingPayment)
	_, err = s.Ticket(ctx, clash[0].ID)
	is(t, "ticket of the failed payment", err, purchase.ErrNotFound)
	wantChanges(t, s, o.EventID, "issue "+first[0].ID, "issue "+first[1].ID)
}

// Orders of one event paid at once get gapless, distinct sequence numbers.
func testTicketsConcurrentLog(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 1000)
	const orders = 40
	var wg sync.WaitGroup
	errs := make(chan error, orders)
	for i := range orders {
		wg.Go(func() {
			h := sh.hold(0, 2)
			h.BuyerID = fmt.Sprintf("usr_%024d", i)
			if err := s.Reserve(ctx, h, sh.limits(0)); err != nil {
				errs <- err
				return
			}
			o := sh.order(h)
			if err := s.CreateOrder(ctx, o); err != nil {
				errs <- err
				return
			}
			_, err := s.MarkPaid(ctx, o.ID, fmt.Sprintf("pi_%d", i), when(0), ticketsFor(sh, o, 2, when(0)))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, "concurrent purchase", err)
	}
	changes, err := s.Changes(ctx, sh.event.ID, 0, changelog.MaxChanges)
	must(t, "Changes", err)
	equal(t, "log length", len(changes), 2*orders)
	seen := make(map[string]bool)
	for i, ch := range changes {
		if ch.Seq != int64(i+1) {
			t.Fatalf("entry %d has seq %d", i, ch.Seq)
		}
		if seen[ch.TicketID] {
			t.Errorf("ticket %s logged twice", ch.TicketID)
		}
		seen[ch.TicketID] = true
	}
}

// testOrdersOfEvent: an event's orders in id order, paged, whatever their
// status, and no other event's.
func testOrdersOfEvent(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 100)
	other := newShop(t, c, 100)
	var want []string
	for i := range 3 {
		h := sh.hold(0, 1)
		reserve(t, s, h, sh.limits(0))
		o := sh.order(h)
		must(t, "CreateOrder", s.CreateOrder(ctx, o))
		if i == 1 {
			_, err := s.CancelOrder(ctx, o.ID, when(0))
			must(t, "CancelOrder", err)
		}
		want = append(want, o.ID)
	}
	h := other.hold(0, 1)
	reserve(t, s, h, other.limits(0))
	must(t, "CreateOrder", s.CreateOrder(ctx, other.order(h)))
	slices.Sort(want)
	var got []string
	after := ""
	for {
		page, err := s.OrdersOfEvent(ctx, sh.event.ID, after, 2)
		must(t, "OrdersOfEvent", err)
		for _, o := range page {
			if o.EventID != sh.event.ID {
				t.Errorf("order %s of event %s listed for %s", o.ID, o.EventID, sh.event.ID)
			}
			got = append(got, o.ID)
			after = o.ID
		}
		if len(page) < 2 {
			break
		}
	}
	equal(t, "orders of the event, by id", got, want)
	_, err := s.OrdersOfEvent(ctx, sh.event.ID, "", 0)
	is(t, "OrdersOfEvent limit 0", err, purchase.ErrInvalid)
}
