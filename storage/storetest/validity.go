package storetest

import (
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/purchase"
)

// testSetValidity: moving an event brings its valid tickets to the new
// end in one logged step; revoked tickets and other events' stay as they
// were; again with the same time changes and logs nothing.
func testSetValidity(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh, o := orderedShop(t, s, c, 3)
	tickets := ticketsFor(sh, o, 3, when(0))
	_, err := s.MarkPaid(ctx, o.ID, "pi_1", when(0), tickets)
	must(t, "MarkPaid", err)
	next := ticketsFor(sh, o, 1, when(0).Add(time.Hour))[0]
	next.Replaces, next.Lineage = tickets[2].ID, tickets[2].ID
	_, err = s.Transfer(ctx, tickets[2].ID, o.BuyerID, next, when(0).Add(time.Hour))
	must(t, "Transfer", err)
	head, err := s.LastSeq(ctx, sh.event.ID)
	must(t, "LastSeq", err)

	moved := when(40).Add(6 * time.Hour)
	n, err := s.SetValidity(ctx, sh.event.ID, moved)
	must(t, "SetValidity", err)
	equal(t, "tickets changed", n, 3) // two of the order's and the transfer's; not the revoked one
	for _, id := range []string{tickets[0].ID, tickets[1].ID, next.ID} {
		got, err := s.Ticket(ctx, id)
		must(t, "Ticket", err)
		equal(t, "valid until of "+id, got.ValidUntil, stored(moved))
	}
	old, err := s.Ticket(ctx, tickets[2].ID)
	must(t, "Ticket", err)
	equal(t, "revoked ticket's validity", old.ValidUntil, stored(when(30)))
	changes, err := s.Changes(ctx, sh.event.ID, head, changelog.MaxChanges)
	must(t, "Changes", err)
	if len(changes) != 1 || changes[0].Kind != changelog.KindValidity || !changes[0].At.Equal(stored(moved)) || changes[0].TicketID != "" {
		t.Fatalf("log after SetValidity: %+v, want one validity entry at %s", changes, moved)
	}

	n, err = s.SetValidity(ctx, sh.event.ID, moved)
	must(t, "SetValidity again", err)
	equal(t, "tickets changed again", n, 0)
	again, err := s.LastSeq(ctx, sh.event.ID)
	must(t, "LastSeq", err)
	equal(t, "log head after the same SetValidity", again, head+1)
	n, err = s.SetValidity(ctx, "ev_0000000000000000", moved)
	must(t, "SetValidity of an event without tickets", err)
	equal(t, "tickets of another event changed", n, 0)
}
