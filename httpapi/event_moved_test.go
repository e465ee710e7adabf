package httpapi

import (
	"net/http"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/purchase"
)

// TestEventMoved: moving an event after sales takes its doors along (as
// far before the start as they were) and its tickets' validity: a sold
// ticket's token admits until the new end plus the grace, and the change
// log tells the gates, so a token issued before the move is not expired
// on the new date. On both backends.
func TestEventMoved(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		f := h.shopFixture(t, h.clock.Now().Add(30*24*time.Hour))
		ctx := t.Context()
		// Doors an hour before the start.
		doors := f.event.StartsAt.Add(-time.Hour)
		h.do(t, "PATCH", "/v1/events/"+f.event.ID, f.org.Token, map[string]any{"doors_at": doors.Format(time.RFC3339)}).want(t, http.StatusOK)
		o := h.order(t, f, f.buyer, 2, 0)
		paid := h.pay(t, f.buyer, o.ID, map[string]any{"test_card": payment.TestCardSucceeds}, http.StatusOK)
		before, _ := ticketcrypto.ParseText(paid.Tickets[0].Token)
		head, _ := h.purStore.LastSeq(ctx, f.event.ID)

		week := 7 * 24 * time.Hour
		starts, ends := f.event.StartsAt.Add(week), f.event.EndsAt.Add(week)
		moved := decodeAs[catalog.Event](t, h.do(t, "PATCH", "/v1/events/"+f.event.ID, f.org.Token, map[string]any{
			"starts_at": starts.Format(time.RFC3339), "ends_at": ends.Format(time.RFC3339)}), http.StatusOK)
		if !moved.DoorsAt.Equal(starts.Add(-time.Hour)) {
			t.Errorf("doors after the move: %s, want %s (an hour before the new start)", moved.DoorsAt, starts.Add(-time.Hour))
		}
		tk := decodeAs[ticketJSON](t, h.do(t, "GET", "/v1/tickets/"+paid.Tickets[0].ID, f.buyer.Token, nil), http.StatusOK)
		h.verifyToken(t, tk, f.event.ID)
		after, err := ticketcrypto.ParseText(tk.Token)
		if err != nil {
			t.Fatal(err)
		}
		want := ends.Add(purchase.TicketGrace)
		if r := want.Truncate(time.Minute); !r.Equal(want) {
			want = r.Add(time.Minute) // tokens round their end up to the minute
		}
		if !after.ValidUntil.Equal(want) || !before.ValidUntil.Before(after.ValidUntil) {
			t.Errorf("token valid until %s after the move (%s before), want %s", after.ValidUntil, before.ValidUntil, want)
		}
		log, err := h.purStore.Changes(ctx, f.event.ID, head, changelog.MaxChanges)
		if err != nil || len(log) != 1 || log[0].Kind != changelog.KindValidity || !log[0].At.Equal(ends.Add(purchase.TicketGrace)) {
			t.Fatalf("change log after the move: %+v, %v; want one validity entry", log, err)
		}
		// Patching the same dates again changes nothing.
		h.do(t, "PATCH", "/v1/events/"+f.event.ID, f.org.Token, map[string]any{"ends_at": ends.Format(time.RFC3339)}).want(t, http.StatusOK)
		if n, _ := h.purStore.LastSeq(ctx, f.event.ID); n != head+1 {
			t.Errorf("a patch to the same end logged %d more entries", n-head-1)
		}
	})
}
