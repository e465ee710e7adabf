package storetest

import (
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// testLineage: one ticket admits one person across transfers. A ticket
// someone entered on is not transferred (and nothing is written); a
// transfer's new ticket shares its lineage's entry state, so its entry
// and the old ticket's offline entry uploaded later are a conflict.
func testLineage(t *testing.T, s ticketsync.Store, p purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh, o := orderedShop(t, p, c, 2)
	tickets := ticketsFor(sh, o, 2, when(0))
	_, err := p.MarkPaid(ctx, o.ID, "pi_1", when(0), tickets)
	must(t, "MarkPaid", err)
	north := createGate(t, s, newGate(sh.event.ID, "North", when(0)))
	south := createGate(t, s, newGate(sh.event.ID, "South", when(0)))
	friend := "usr_000000000000000000000f01"

	// The first ticket goes in at the north gate: it cannot change hands.
	in := checkin(north, tickets[0].ID, when(0).Add(time.Hour))
	record(t, s, north, 1, in)
	e, ok, err := p.Entered(ctx, sh.event.ID, tickets[0].ID)
	must(t, "Entered", err)
	equal(t, "entered", ok, true)
	equal(t, "entry on record", e, purchase.Entry{TicketID: tickets[0].ID, CheckinID: in.ID, GateID: north.ID, At: stored(in.At)})
	_, ok, err = p.Entered(ctx, sh.event.ID, tickets[1].ID)
	must(t, "Entered", err)
	equal(t, "second ticket entered", ok, false)
	head, err := p.LastSeq(ctx, sh.event.ID)
	must(t, "LastSeq", err)
	next := ticketsFor(sh, o, 1, when(0).Add(2*time.Hour))[0]
	next.HolderID, next.Replaces, next.Lineage = friend, tickets[0].ID, tickets[0].ID
	_, err = p.Transfer(ctx, tickets[0].ID, o.BuyerID, next, when(0).Add(2*time.Hour))
	is(t, "Transfer of a ticket used to enter", err, purchase.ErrTicketUsed)
	kept, err := p.Ticket(ctx, tickets[0].ID)
	must(t, "Ticket", err)
	equal(t, "ticket after the refused transfer", kept.Status, purchase.TicketValid)
	after, err := p.LastSeq(ctx, sh.event.ID)
	must(t, "LastSeq", err)
	equal(t, "log head after the refused transfer", after, head)
	if _, err := p.Ticket(ctx, next.ID); err == nil {
		t.Errorf("the refused transfer stored ticket %s", next.ID)
	}

	// An exit does not undo the entry on record.
	exit := createGate(t, s, func() ticketsync.Gate { g := newGate(sh.event.ID, "Exit", when(0)); g.Direction = "exit"; return g }())
	record(t, s, exit, 1, checkin(exit, tickets[0].ID, when(0).Add(90*time.Minute)))
	_, err = p.Transfer(ctx, tickets[0].ID, o.BuyerID, next, when(0).Add(2*time.Hour))
	is(t, "Transfer of a ticket used to enter, after its exit", err, purchase.ErrTicketUsed)

	// The second ticket was admitted at the north gate while it was cut
	// off (the server does not know yet) and is transferred; the friend
	// goes in on the new ticket at the south gate.
	next = ticketsFor(sh, o, 1, when(0).Add(2*time.Hour))[0]
	next.HolderID, next.Replaces, next.Lineage = friend, tickets[1].ID, tickets[1].ID
	moved, err := p.Transfer(ctx, tickets[1].ID, o.BuyerID, next, when(0).Add(2*time.Hour))
	must(t, "Transfer", err)
	equal(t, "transferred ticket's lineage", [2]string{moved.Replaces, moved.Root()}, [2]string{tickets[1].ID, tickets[1].ID})
	got, err := p.Ticket(ctx, next.ID)
	must(t, "Ticket of the new holder", err)
	equal(t, "stored lineage", [2]string{got.Replaces, got.Lineage}, [2]string{tickets[1].ID, tickets[1].ID})
	changes, err := p.Changes(ctx, sh.event.ID, after, changelog.MaxChanges)
	must(t, "Changes", err)
	if n := len(changes); n < 3 || changes[n-1].Kind != changelog.KindIssue || changes[n-1].Replaces != tickets[1].ID {
		t.Fatalf("the transfer's issue entry names no replaced ticket: %+v", changes)
	}

	friendIn := checkin(south, next.ID, when(0).Add(3*time.Hour))
	res := record(t, s, south, 1, friendIn)
	equal(t, "conflicts of the friend's entry", len(res.Conflicts), 0)
	e, ok, err = p.Entered(ctx, sh.event.ID, tickets[1].ID)
	must(t, "Entered of the lineage", err)
	equal(t, "lineage entered by the new ticket", [2]any{ok, e.TicketID}, [2]any{true, next.ID})

	offline := checkin(north, tickets[1].ID, when(0).Add(90*time.Minute))
	offline.Offline = true
	res = record(t, s, north, 1, offline)
	want := []ticketsync.Conflict{{EventID: sh.event.ID, TicketID: tickets[1].ID, First: side(friendIn), Second: side(offline), DetectedAt: stored(when(0).Add(time.Hour))}}
	equal(t, "conflict across the transfer", res.Conflicts, want)
	all, err := s.Conflicts(ctx, sh.event.ID, 10)
	must(t, "Conflicts", err)
	equal(t, "stored conflicts", all, want)

	// The friend cannot pass the ticket on either: its lineage entered.
	again := ticketsFor(sh, o, 1, when(0).Add(4*time.Hour))[0]
	again.HolderID, again.Replaces, again.Lineage = "usr_000000000000000000000f02", next.ID, tickets[1].ID
	_, err = p.Transfer(ctx, next.ID, friend, again, when(0).Add(4*time.Hour))
	is(t, "Transfer of a replacement whose lineage entered", err, purchase.ErrTicketUsed)
}
