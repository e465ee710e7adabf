package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// admitAt records an entry of ticketID at a new gate of the event, as a
// gate's upload does.
func (h *harness) admitAt(t *testing.T, eventID, gateName, ticketID string) ticketsync.Gate {
	t.Helper()
	ctx := t.Context()
	g, _, err := h.api.Enroller.CreateGate(ctx, eventID, ticketsync.GateSpec{Name: gateName, Direction: bundle.Entry}, "usr_test")
	if err != nil {
		t.Fatal(err)
	}
	c := changelog.Checkin{ID: "ci_" + strings.Repeat("0", 24) + ticketID[len(ticketID)-8:], EventID: eventID, GateID: g.ID,
		TicketID: ticketID, TypeNumber: 1, Direction: bundle.Entry, At: h.clock.Now()}
	if _, err := h.api.Sync.Store.RecordCheckins(ctx, g, []changelog.Checkin{c}, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestTransferHoles: one ticket admits one person. A ticket someone
// entered on is neither transferred nor refunded by its buyer; after a
// transfer the sender never sees the recipient's token and cannot refund
// the recipient's ticket away; an event that locks tickets at doors
// refuses both once doors opened. On both backends.
func TestTransferHoles(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		f := h.shopFixture(t, h.clock.Now().Add(30*24*time.Hour))
		ctx := t.Context()
		friend := h.newUser(t, "friend")
		o := h.order(t, f, f.buyer, 2, 0)
		paid := h.pay(t, f.buyer, o.ID, map[string]any{"test_card": payment.TestCardSucceeds}, http.StatusOK)
		used, spare := paid.Tickets[0], paid.Tickets[1]

		// 1. Used to enter: no transfer, no refund by the buyer, nothing
		// written.
		gate := h.admitAt(t, f.event.ID, "North door", used.ID)
		head, _ := h.purStore.LastSeq(ctx, f.event.ID)
		res := h.do(t, "POST", "/v1/tickets/"+used.ID+"/transfer", f.buyer.Token, map[string]any{"to": friend.Email})
		if res.status != http.StatusConflict || res.apiErr(t).Code != "ticket_used" || !strings.Contains(res.apiErr(t).Message, gate.ID) {
			t.Fatalf("transfer of a ticket used to enter: %d %s", res.status, res.short())
		}
		res = h.do(t, "POST", "/v1/orders/"+o.ID+"/refund", f.buyer.Token, map[string]any{})
		if res.status != http.StatusConflict || res.apiErr(t).Code != "ticket_used" {
			t.Fatalf("buyer's refund of an order whose ticket was used: %d %s", res.status, res.short())
		}
		if st, _ := h.purStore.Ticket(ctx, used.ID); st.Status != purchase.TicketValid {
			t.Errorf("used ticket after the refused transfer and refund: %s", st.Status)
		}
		if so, _ := h.purStore.Order(ctx, o.ID); so.Status != purchase.StatusPaid {
			t.Errorf("order after the refused refund: %s", so.Status)
		}
		if after, _ := h.purStore.LastSeq(ctx, f.event.ID); after != head {
			t.Errorf("the refused calls logged %d changes", after-head)
		}
		if rec, _ := h.payments.Record(paid.Payment.IntentID); len(rec.Refunds) != 0 {
			t.Errorf("the refused refund returned money: %+v", rec.Refunds)
		}

		// 2. After a transfer only the recipient sees the new token, on
		// every route that returns tickets.
		moved := decodeAs[ticketJSON](t, h.do(t, "POST", "/v1/tickets/"+spare.ID+"/transfer", f.buyer.Token, map[string]any{"to": friend.Email}), http.StatusCreated)
		if moved.Token != "" || moved.Replaces != spare.ID {
			t.Fatalf("the sender's transfer answer: %+v", moved)
		}
		mine := decodeAs[ticketJSON](t, h.do(t, "GET", "/v1/tickets/"+moved.ID, friend.Token, nil), http.StatusOK)
		if mine.Token == "" {
			t.Fatal("the recipient does not see her token")
		}
		h.verifyToken(t, mine, f.event.ID)
		// 14. The store keeps no token: it is signed again for its holder.
		if row, _ := h.purStore.Ticket(ctx, moved.ID); row.Token != "" || row.ValidUntil.IsZero() {
			t.Errorf("the store keeps ticket %s with token %q, valid until %v", moved.ID, row.Token, row.ValidUntil)
		}
		again1 := decodeAs[ticketJSON](t, h.do(t, "GET", "/v1/tickets/"+moved.ID, friend.Token, nil), http.StatusOK)
		if again1.Token != mine.Token {
			t.Errorf("the token signed again differs: %s, then %s", mine.Token, again1.Token)
		}
		leaks := func(route string, tickets []ticketJSON) {
			t.Helper()
			for _, tk := range tickets {
				if tk.Token != "" && (tk.HolderID != f.buyer.ID || tk.ID == moved.ID || tk.ID == spare.ID) {
					t.Errorf("%s shows the buyer the token of ticket %s (holder %s)", route, tk.ID, tk.HolderID)
				}
			}
		}
		again := h.pay(t, f.buyer, o.ID, map[string]any{}, http.StatusOK)
		leaks("POST /v1/orders/{id}/pay", again.Tickets)
		if !slices.ContainsFunc(again.Tickets, func(tk ticketJSON) bool { return tk.ID == moved.ID && tk.HolderID == friend.ID }) {
			t.Errorf("the paid order no longer lists the transferred ticket: %+v", again.Tickets)
		}
		list := decodeAs[ticketListJSON](t, h.do(t, "GET", "/v1/tickets", f.buyer.Token, nil), http.StatusOK)
		leaks("GET /v1/tickets", list.Tickets)
		h.do(t, "GET", "/v1/tickets/"+moved.ID, f.buyer.Token, nil).want(t, http.StatusNotFound)
		h.do(t, "GET", "/v1/tickets/"+moved.ID+"/qr.png", f.buyer.Token, nil).want(t, http.StatusNotFound)

		// 3. Transfer, then refund: the transferred ticket left the
		// buyer's refundable set.
		o2 := h.order(t, f, f.buyer, 1, 0)
		paid2 := h.pay(t, f.buyer, o2.ID, map[string]any{"test_card": payment.TestCardSucceeds}, http.StatusOK)
		gift := decodeAs[ticketJSON](t, h.do(t, "POST", "/v1/tickets/"+paid2.Tickets[0].ID+"/transfer", f.buyer.Token, map[string]any{"to": friend.Email}), http.StatusCreated)
		res = h.do(t, "POST", "/v1/orders/"+o2.ID+"/refund", f.buyer.Token, map[string]any{})
		if res.status != http.StatusConflict || res.apiErr(t).Code != "ticket_transferred" {
			t.Fatalf("buyer's refund after a transfer: %d %s", res.status, res.short())
		}
		if st, _ := h.purStore.Ticket(ctx, gift.ID); st.Status != purchase.TicketValid {
			t.Errorf("the recipient's ticket after the refused refund: %s", st.Status)
		}
		if rec, _ := h.payments.Record(paid2.Payment.IntentID); len(rec.Refunds) != 0 {
			t.Errorf("the refused refund returned money: %+v", rec.Refunds)
		}
		// The organizer's refund (the show is off) still goes through, and
		// the organizer sees no token.
		ref := decodeAs[orderViewJSON](t, h.do(t, "POST", "/v1/orders/"+o2.ID+"/refund", f.org.Token, map[string]any{}), http.StatusOK)
		for _, tk := range ref.Tickets {
			if tk.Token != "" {
				t.Errorf("the organizer's refund answer shows the token of %s", tk.ID)
			}
		}

		// Locked at doors: once doors opened, no transfer or buyer refund.
		o3 := h.order(t, f, f.buyer, 1, 0)
		paid3 := h.pay(t, f.buyer, o3.ID, map[string]any{"test_card": payment.TestCardSucceeds}, http.StatusOK)
		h.do(t, "PATCH", "/v1/events/"+f.event.ID, f.org.Token, map[string]any{
			"lock_tickets_at_doors": true, "doors_at": h.clock.Now().Add(-time.Minute).Format(time.RFC3339)}).want(t, http.StatusOK)
		res = h.do(t, "POST", "/v1/tickets/"+paid3.Tickets[0].ID+"/transfer", f.buyer.Token, map[string]any{"to": friend.Email})
		if res.status != http.StatusForbidden || res.apiErr(t).Code != "tickets_locked" {
			t.Fatalf("transfer after doors of a locking event: %d %s", res.status, res.short())
		}
		res = h.do(t, "POST", "/v1/orders/"+o3.ID+"/refund", f.buyer.Token, map[string]any{})
		if res.status != http.StatusForbidden || res.apiErr(t).Code != "tickets_locked" {
			t.Fatalf("buyer's refund after doors of a locking event: %d %s", res.status, res.short())
		}
	})
}
