package httpapi

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/purchase"
)

// orderViewJSON is a pay or refund answer as a client reads it.
type orderViewJSON struct {
	Order   orderJSON    `json:"order"`
	Tickets []ticketJSON `json:"tickets"`
	Payment *struct {
		Provider     string `json:"provider"`
		IntentID     string `json:"intent_id"`
		Status       string `json:"status"`
		ClientSecret string `json:"client_secret"`
	} `json:"payment"`
}

// verifyToken checks that a ticket's token verifies with the keys the
// server gives gates for the event, and names the ticket.
func (h *harness) verifyToken(t *testing.T, tk ticketJSON, eventID string) {
	t.Helper()
	entries, err := h.vault.KeyringEntries(t.Context(), eventID)
	if err != nil {
		t.Fatal(err)
	}
	var ring ticketcrypto.Keyring
	for _, e := range entries {
		if err := ring.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	sc, err := ring.Verify(tk.Token, h.clock.Now())
	if err != nil {
		t.Fatalf("ticket %s: token does not verify: %v", tk.ID, err)
	}
	if sc.Ticket.String() != tk.ID || sc.Event.String() != eventID || sc.TypeNumber != tk.TicketType.Number || sc.Rotating() != tk.Rotating {
		t.Fatalf("ticket %s: token names ticket %s event %s type %d rotating %v", tk.ID, sc.Ticket, sc.Event, sc.TypeNumber, sc.Rotating())
	}
}

// shopFixture is a published event with an admission type and a
// merchandise type, and a buyer.
type shopFixture struct {
	org, buyer *user
	event      catalog.Event
	admission  catalog.TicketType
	merch      catalog.TicketType
}

func (h *harness) shopFixture(t *testing.T, starts time.Time) shopFixture {
	t.Helper()
	var f shopFixture
	f.org = h.newUser(t, "organizer")
	o := h.createOrg(t, f.org, "Pay Org "+strconv.Itoa(int(h.emails.Load())), false)
	v := h.createVenue(t, f.org, o.ID, venueBody("Pay Hall", "Berlin", "DE", 52.52, 13.40))
	f.event = h.createEvent(t, f.org, o.ID, eventBody(v.ID, "Pay Night", "music", starts))
	f.admission = h.createTicketType(t, f.org, f.event.ID, ticketTypeBody("Standing", 2500, "EUR"))
	f.merch = h.createTicketType(t, f.org, f.event.ID, map[string]any{"name": "Tote bag", "kind": "merchandise",
		"price": map[string]any{"amount": 1500, "currency": "EUR"}, "capacity": 50, "per_order_max": 5})
	h.publish(t, f.org, f.event.ID)
	f.buyer = h.newUser(t, "buyer")
	return f
}

// order holds and checks out tickets and bags for u.
func (h *harness) order(t *testing.T, f shopFixture, u *user, tickets, bags int) orderJSON {
	t.Helper()
	lines := []map[string]any{{"ticket_type_id": f.admission.ID, "quantity": tickets}}
	if bags > 0 {
		lines = append(lines, map[string]any{"ticket_type_id": f.merch.ID, "quantity": bags})
	}
	hj := decodeAs[holdJSON](t, h.do(t, "POST", "/v1/holds", u.Token, map[string]any{"event_id": f.event.ID, "lines": lines}), http.StatusCreated)
	return decodeAs[orderJSON](t, h.do(t, "POST", "/v1/orders", u.Token, map[string]any{"hold_id": hj.ID}), http.StatusCreated)
}

func (h *harness) pay(t *testing.T, u *user, orderID string, body map[string]any, status int) orderViewJSON {
	t.Helper()
	return decodeAs[orderViewJSON](t, h.do(t, "POST", "/v1/orders/"+orderID+"/pay", u.Token, body), status)
}

// TestPayRefundTransfer follows orders through the test payment provider
// on both backends: paying issues one verifiable ticket per admission
// unit (none for merchandise), a declined card and a card needing
// authentication behave as at Stripe, refunds revoke tickets into the
// event's change log, and a transfer re-signs the ticket.
func TestPayRefundTransfer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		f := h.shopFixture(t, h.clock.Now().Add(30*24*time.Hour))
		ctx := t.Context()

		// Paid with the good card: 2 tickets, the bag gets none.
		o := h.order(t, f, f.buyer, 2, 1)
		if o.Total.Amount != 2*2500+1500 {
			t.Fatalf("order total %+v", o.Total)
		}
		paid := h.pay(t, f.buyer, o.ID, map[string]any{"test_card": payment.TestCardSucceeds}, http.StatusOK)
		if paid.Order.Status != "paid" || len(paid.Tickets) != 2 || paid.Payment == nil || paid.Payment.Provider != "test" || paid.Payment.Status != "succeeded" {
			t.Fatalf("pay answered %+v", paid)
		}
		for _, tk := range paid.Tickets {
			if tk.TicketType.ID != f.admission.ID || tk.HolderID != f.buyer.ID || tk.Status != purchase.TicketValid || tk.Event.ID != f.event.ID {
				t.Errorf("ticket %+v", tk)
			}
			h.verifyToken(t, tk, f.event.ID)
		}
		// Paying again answers the paid order and issues nothing more.
		again := h.pay(t, f.buyer, o.ID, map[string]any{}, http.StatusOK)
		if again.Order.Status != "paid" || len(again.Tickets) != 2 || again.Tickets[0].ID != paid.Tickets[0].ID {
			t.Errorf("paying a paid order answered %+v", again)
		}
		wantCounts(t, h, f.admission.ID, 2, 0)

		// Someone else cannot pay, see or refund it.
		other := h.newUser(t, "other")
		h.do(t, "POST", "/v1/orders/"+o.ID+"/pay", other.Token, map[string]any{}).want(t, http.StatusNotFound)
		h.do(t, "POST", "/v1/orders/"+o.ID+"/refund", other.Token, map[string]any{}).want(t, http.StatusNotFound)

		// Declined, then paid.
		o2 := h.order(t, f, f.buyer, 1, 0)
		res := h.do(t, "POST", "/v1/orders/"+o2.ID+"/pay", f.buyer.Token, map[string]any{"test_card": payment.TestCardDeclined})
		if res.status != http.StatusPaymentRequired || res.apiErr(t).Code != "card_declined" {
			t.Fatalf("declined card: %d %s", res.status, res.short())
		}
		if so, _ := h.purStore.Order(ctx, o2.ID); so.Status != purchase.StatusPendingPayment {
			t.Fatalf("order after a declined card is %s", so.Status)
		}
		h.pay(t, f.buyer, o2.ID, map[string]any{"test_card": payment.TestCardSucceeds}, http.StatusOK)

		// Authentication required: 202 until it is passed.
		o3 := h.order(t, f, f.buyer, 1, 0)
		pending := h.pay(t, f.buyer, o3.ID, map[string]any{"test_card": payment.TestCardRequiresAction}, http.StatusAccepted)
		if pending.Order.Status != "pending_payment" || pending.Payment.Status != "requires_action" || pending.Payment.ClientSecret == "" || len(pending.Tickets) != 0 {
			t.Fatalf("card needing authentication: %+v", pending)
		}
		done := h.pay(t, f.buyer, o3.ID, map[string]any{"complete_action": true}, http.StatusOK)
		if done.Order.Status != "paid" || len(done.Tickets) != 1 {
			t.Fatalf("after authentication: %+v", done)
		}

		// Transfer: the recipient gets a new token; the old one is revoked.
		friend := h.newUser(t, "friend")
		old := done.Tickets[0]
		moved := decodeAs[ticketJSON](t, h.do(t, "POST", "/v1/tickets/"+old.ID+"/transfer", f.buyer.Token, map[string]any{"to": friend.Email}), http.StatusCreated)
		if moved.ID == old.ID || moved.HolderID != friend.ID || moved.Token != "" || moved.Status != purchase.TicketValid {
			t.Fatalf("transferred ticket %+v", moved)
		}
		stored, err := h.purchase.Ticket(ctx, moved.ID, friend.ID)
		if err != nil {
			t.Fatal(err)
		}
		h.verifyToken(t, ticketJSON{ID: stored.ID, Token: stored.Token, Rotating: stored.Rotating,
			TicketType: ticketTypeJSON{Number: stored.TypeNumber}}, f.event.ID)
		if st, _ := h.purStore.Ticket(ctx, old.ID); st.Status != purchase.TicketRevoked || st.ReplacedBy != moved.ID {
			t.Errorf("old ticket after transfer: %+v", st)
		}
		// The same transfer again (a retry whose answer was lost) answers
		// what the first did; to someone else it is refused.
		retried := decodeAs[ticketJSON](t, h.do(t, "POST", "/v1/tickets/"+old.ID+"/transfer", f.buyer.Token, map[string]any{"to": friend.Email}), http.StatusCreated)
		if retried.ID != moved.ID || retried.Token != "" {
			t.Errorf("a retried transfer answered %+v, want ticket %s without its token", retried, moved.ID)
		}
		res = h.do(t, "POST", "/v1/tickets/"+old.ID+"/transfer", f.buyer.Token, map[string]any{"to": other.Email})
		if res.status != http.StatusConflict {
			t.Errorf("transferring a transferred ticket to someone else: %d %s", res.status, res.short())
		}
		res = h.do(t, "POST", "/v1/tickets/"+moved.ID+"/transfer", f.buyer.Token, map[string]any{"to": other.Email})
		if res.status != http.StatusNotFound {
			t.Errorf("transferring someone else's ticket: %d %s", res.status, res.short())
		}
		res = h.do(t, "POST", "/v1/tickets/"+moved.ID+"/transfer", friend.Token, map[string]any{"to": "nobody@example.com"})
		if res.status != http.StatusUnprocessableEntity || res.apiErr(t).Field != "to" {
			t.Errorf("transfer to an unknown email: %d %s", res.status, res.short())
		}

		// The buyer refunds the first order: its tickets are revoked and
		// the revokes follow the issues in the event's change log.
		before, _ := h.purStore.Changes(ctx, f.event.ID, 0, changelog.MaxChanges)
		ref := decodeAs[orderViewJSON](t, h.do(t, "POST", "/v1/orders/"+o.ID+"/refund", f.buyer.Token, map[string]any{}), http.StatusOK)
		if ref.Order.Status != "refunded" || len(ref.Tickets) != 2 {
			t.Fatalf("refund answered %+v", ref)
		}
		after, err := h.purStore.Changes(ctx, f.event.ID, int64(len(before)), changelog.MaxChanges)
		if err != nil || len(after) != 2 {
			t.Fatalf("change log after the refund: %+v, %v", after, err)
		}
		for i, c := range after {
			if c.Kind != changelog.KindRevoke || c.TicketID != paid.Tickets[i].ID || c.Reason != purchase.RevokedRefunded || c.Seq != int64(len(before)+i+1) {
				t.Errorf("change %+v, want revoke of %s", c, paid.Tickets[i].ID)
			}
		}
		for _, tk := range ref.Tickets {
			if tk.Status != purchase.TicketRevoked {
				t.Errorf("ticket %s after refund: %s", tk.ID, tk.Status)
			}
		}
		wantCounts(t, h, f.admission.ID, 2, 0) // o2 and o3 remain sold
		if rec, ok := h.payments.Record(paid.Payment.IntentID); !ok || len(rec.Refunds) != 1 {
			t.Errorf("the provider has not refunded the intent: %+v", rec)
		}
		// Refunding again changes nothing.
		h.do(t, "POST", "/v1/orders/"+o.ID+"/refund", f.buyer.Token, map[string]any{}).want(t, http.StatusOK)
		if n, _ := h.purStore.Changes(ctx, f.event.ID, 0, changelog.MaxChanges); len(n) != len(before)+2 {
			t.Errorf("a second refund logged %d more changes", len(n)-len(before)-2)
		}

		// Past the refund cutoff the buyer is refused; the organizer is
		// not. (The cutoff moves, not the clock: sessions would expire.)
		h.purchase.RefundCutoff = 31 * 24 * time.Hour
		res = h.do(t, "POST", "/v1/orders/"+o2.ID+"/refund", f.buyer.Token, map[string]any{})
		if res.status != http.StatusForbidden || res.apiErr(t).Code != "refund_closed" {
			t.Errorf("late refund by the buyer: %d %s", res.status, res.short())
		}
		ref2 := decodeAs[orderViewJSON](t, h.do(t, "POST", "/v1/orders/"+o2.ID+"/refund", f.org.Token, map[string]any{}), http.StatusOK)
		if ref2.Order.Status != "refunded" {
			t.Errorf("refund by the organizer: %+v", ref2.Order)
		}
		// A pending order cannot be refunded.
		o4 := h.order(t, f, f.buyer, 1, 0)
		res = h.do(t, "POST", "/v1/orders/"+o4.ID+"/refund", f.org.Token, map[string]any{})
		if res.status != http.StatusConflict || res.apiErr(t).Code != "wrong_state" {
			t.Errorf("refund of a pending order: %d %s", res.status, res.short())
		}
	})
}

// TestLatePaymentRefunded: a payment that succeeds after the order was
// cancelled (its deadline passed, its tickets back on sale) is given back,
// and no ticket is issued.
func TestLatePaymentRefunded(t *testing.T) {
	h := newHarness(t, "bolt")
	f := h.shopFixture(t, h.clock.Now().Add(30*24*time.Hour))
	o := h.order(t, f, f.buyer, 1, 0)
	pending := h.pay(t, f.buyer, o.ID, map[string]any{"test_card": payment.TestCardRequiresAction}, http.StatusAccepted)
	h.clock.Advance(purchase.DefaultPaymentTTL + time.Minute)
	if _, err := h.purchase.Expire(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.payments.CompleteAction(t.Context(), pending.Payment.IntentID); err != nil {
		t.Fatalf("CompleteAction: %v", err)
	}
	so, err := h.purStore.Order(t.Context(), o.ID)
	if err != nil || so.Status != purchase.StatusCancelled {
		t.Fatalf("order %+v, %v; want cancelled", so, err)
	}
	if tks, _ := h.purStore.TicketsOfOrder(t.Context(), o.ID); len(tks) != 0 {
		t.Errorf("%d tickets issued for a cancelled order", len(tks))
	}
	rec, ok := h.payments.Record(pending.Payment.IntentID)
	if !ok || len(rec.Refunds) != 1 || rec.Refunds[0].Refund.Amount != 2500 {
		t.Errorf("late payment not refunded: %+v", rec)
	}
}

// TestStripeFlow pays an order through Stripe's API (stripe-mock) and
// fulfils it with a signed payment_intent.succeeded webhook; webhooks
// with a bad signature, a stale timestamp or a replayed event id do
// nothing.
func TestStripeFlow(t *testing.T) {
	base := testenv.StripeMock(t)
	const secret = "whsec_test_secret_for_admitone"
	h := newHarness(t, "bolt")
	st, err := payment.NewStripe(payment.StripeConfig{SecretKey: "sk_test_123", WebhookSecret: secret, APIBase: base})
	if err != nil {
		t.Fatal(err)
	}
	h.purchase.Payments, h.api.Webhooks = st, st
	f := h.shopFixture(t, h.clock.Now().Add(30*24*time.Hour))
	o := h.order(t, f, f.buyer, 2, 0)

	started := h.pay(t, f.buyer, o.ID, map[string]any{}, http.StatusAccepted)
	if started.Payment == nil || started.Payment.Provider != "stripe" || started.Payment.IntentID == "" || started.Payment.ClientSecret == "" {
		t.Fatalf("pay with Stripe answered %+v", started)
	}
	res := h.do(t, "POST", "/v1/orders/"+o.ID+"/pay", f.buyer.Token, map[string]any{"test_card": payment.TestCardSucceeds})
	if res.status != http.StatusUnprocessableEntity || res.apiErr(t).Field != "test_card" {
		t.Errorf("test card with Stripe: %d %s", res.status, res.short())
	}

	event := func(id string) []byte {
		b, _ := json.Marshal(map[string]any{"id": id, "object": "event", "type": "payment_intent.succeeded",
			"created": h.clock.Now().Unix(), "data": map[string]any{"object": map[string]any{
				"id": started.Payment.IntentID, "object": "payment_intent", "amount": 5000, "amount_received": 5000,
				"currency": "eur", "status": "succeeded", "metadata": map[string]any{"order_id": o.ID}}}})
		return b
	}
	sign := func(payload []byte, at time.Time, key string) string {
		mac := hmac.New(sha256.New, []byte(key))
		fmt.Fprintf(mac, "%d.%s", at.Unix(), payload)
		return fmt.Sprintf("t=%d,v1=%s", at.Unix(), hex.EncodeToString(mac.Sum(nil)))
	}
	post := func(payload []byte, sig string) response {
		req, err := http.NewRequestWithContext(t.Context(), "POST", h.srv.URL+"/v1/webhooks/stripe", bytes.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(payment.StripeSignatureHeader, sig)
		return h.send(t, req)
	}
	status := func() purchase.Status {
		so, err := h.purStore.Order(t.Context(), o.ID)
		if err != nil {
			t.Fatal(err)
		}
		return so.Status
	}

	good := event("evt_good_1")
	res = post(good, sign(good, h.clock.Now(), "whsec_wrong"))
	if res.status != http.StatusBadRequest || res.apiErr(t).Code != "bad_signature" || status() != purchase.StatusPendingPayment {
		t.Errorf("bad signature: %d %s, order %s", res.status, res.short(), status())
	}
	res = post(good, sign(good, h.clock.Now().Add(-time.Hour), secret))
	if res.status != http.StatusBadRequest || res.apiErr(t).Code != "stale_webhook" || status() != purchase.StatusPendingPayment {
		t.Errorf("stale webhook: %d %s, order %s", res.status, res.short(), status())
	}
	res = post(good, sign(good, h.clock.Now(), secret))
	if res.status != http.StatusOK || status() != purchase.StatusPaid {
		t.Fatalf("good webhook: %d %s, order %s", res.status, res.short(), status())
	}
	tickets, err := h.purStore.TicketsOfOrder(t.Context(), o.ID)
	if err != nil || len(tickets) != 2 {
		t.Fatalf("tickets after the webhook: %d, %v", len(tickets), err)
	}
	res = post(good, sign(good, h.clock.Now(), secret))
	if res.status != http.StatusOK || !jsonHas(t, res.body, "duplicate") {
		t.Errorf("replayed webhook: %d %s", res.status, res.short())
	}
	if again, _ := h.purStore.TicketsOfOrder(t.Context(), o.ID); len(again) != 2 {
		t.Errorf("a replay issued tickets: %d", len(again))
	}
	view := h.pay(t, f.buyer, o.ID, map[string]any{}, http.StatusOK)
	if view.Order.Status != "paid" || len(view.Tickets) != 2 {
		t.Errorf("pay after the webhook: %+v", view)
	}
}

// jsonHas reports whether a JSON object has key set to true.
func jsonHas(t *testing.T, body []byte, key string) bool {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return m[key] == true
}

// TestBuyerLimitHTTP: a ticket type's per_buyer_max counts a buyer's
// holds and orders together; over it a hold is 409 buyer_limit, and
// another buyer is not affected. A bad per_buyer_max is refused by name.
func TestBuyerLimitHTTP(t *testing.T) {
	h := newHarness(t, "bolt")
	org := h.newUser(t, "organizer")
	o := h.createOrg(t, org, "Limit Org", false)
	v := h.createVenue(t, org, o.ID, venueBody("Limit Hall", "Berlin", "DE", 52.52, 13.40))
	ev := h.createEvent(t, org, o.ID, eventBody(v.ID, "Limit Night", "music", h.clock.Now().Add(30*24*time.Hour)))
	body := ticketTypeBody("Front row", 9000, "EUR")
	body["per_order_max"], body["per_buyer_max"] = 2, 3
	tt := h.createTicketType(t, org, ev.ID, body)
	if tt.PerBuyerMax != 3 {
		t.Fatalf("ticket type per_buyer_max %d, want 3", tt.PerBuyerMax)
	}
	bad := ticketTypeBody("Bad", 100, "EUR")
	bad["per_order_max"], bad["per_buyer_max"] = 4, 2
	res := h.do(t, "POST", "/v1/events/"+ev.ID+"/ticket-types", org.Token, bad)
	if res.status != http.StatusUnprocessableEntity || res.apiErr(t).Field != "per_buyer_max" {
		t.Errorf("per_buyer_max below per_order_max: %d %s", res.status, res.short())
	}
	h.publish(t, org, ev.ID)
	buyer, other := h.newUser(t, "buyer"), h.newUser(t, "other")
	hold := func(u *user, q int) response {
		return h.do(t, "POST", "/v1/holds", u.Token, map[string]any{"event_id": ev.ID, "lines": []map[string]any{{"ticket_type_id": tt.ID, "quantity": q}}})
	}
	first := decodeAs[holdJSON](t, hold(buyer, 2), http.StatusCreated)
	h.do(t, "POST", "/v1/orders", buyer.Token, map[string]any{"hold_id": first.ID}).want(t, http.StatusCreated)
	if res := hold(buyer, 2); res.status != http.StatusConflict || res.apiErr(t).Code != "buyer_limit" {
		t.Errorf("over the buyer's limit: %d %s", res.status, res.short())
	}
	hold(buyer, 1).want(t, http.StatusCreated)
	hold(other, 2).want(t, http.StatusCreated)
	wantCounts(t, h, tt.ID, 2, 3)
}

// TestCancelEvent: an organizer cancels an event; every paid order is
// refunded at the provider and its tickets revoked into the change log,
// the order awaiting payment is cancelled, the event is off sale, a
// payment arriving afterwards is given back, and cancelling again
// changes nothing.
func TestCancelEvent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		f := h.shopFixture(t, h.clock.Now().Add(30*24*time.Hour))
		ctx := t.Context()
		other := h.newUser(t, "other")
		paidA := h.pay(t, f.buyer, h.order(t, f, f.buyer, 2, 1).ID, map[string]any{"test_card": payment.TestCardSucceeds}, http.StatusOK)
		paidB := h.pay(t, other, h.order(t, f, other, 1, 0).ID, map[string]any{"test_card": payment.TestCardSucceeds}, http.StatusOK)
		pending := h.order(t, f, other, 1, 0)
		late := h.order(t, f, f.buyer, 1, 0)
		lateIntent := h.pay(t, f.buyer, late.ID, map[string]any{"test_card": payment.TestCardRequiresAction}, http.StatusAccepted)

		h.do(t, "POST", "/v1/events/"+f.event.ID+"/cancel", f.buyer.Token, nil).want(t, http.StatusNotFound) // not of their org
		var res struct {
			Event     catalog.Event `json:"event"`
			Refunded  int           `json:"refunded"`
			Cancelled int           `json:"cancelled"`
		}
		h.do(t, "POST", "/v1/events/"+f.event.ID+"/cancel", f.org.Token, nil).want(t, http.StatusOK).decode(t, &res)
		if res.Event.Status != catalog.StatusCancelled || res.Refunded != 2 || res.Cancelled != 2 {
			t.Fatalf("cancel answered %+v; want cancelled, 2 refunded, 2 cancelled", res)
		}
		for _, p := range []orderViewJSON{paidA, paidB} {
			so, err := h.purStore.Order(ctx, p.Order.ID)
			if err != nil || so.Status != purchase.StatusRefunded {
				t.Errorf("paid order %s after the cancellation: %s %v", p.Order.ID, so.Status, err)
			}
			if rec, ok := h.payments.Record(p.Payment.IntentID); !ok || len(rec.Refunds) != 1 {
				t.Errorf("intent of order %s not refunded: %+v", p.Order.ID, rec)
			}
		}
		for _, id := range []string{pending.ID, late.ID} {
			if so, _ := h.purStore.Order(ctx, id); so.Status != purchase.StatusCancelled {
				t.Errorf("unpaid order %s after the cancellation: %s", id, so.Status)
			}
		}
		log, err := h.purStore.Changes(ctx, f.event.ID, 0, changelog.MaxChanges)
		if err != nil {
			t.Fatal(err)
		}
		revoked := map[string]bool{}
		for _, c := range log {
			if c.Kind == changelog.KindRevoke {
				revoked[c.TicketID] = true
			}
		}
		for _, tk := range append(paidA.Tickets, paidB.Tickets...) {
			if !revoked[tk.ID] {
				t.Errorf("ticket %s not revoked in the change log", tk.ID)
			}
		}
		wantCounts(t, h, f.admission.ID, 0, 0)
		// The event is off sale; a payment that completes now is refunded
		// and issues nothing.
		res2 := h.do(t, "POST", "/v1/holds", other.Token, map[string]any{"event_id": f.event.ID,
			"lines": []map[string]any{{"ticket_type_id": f.admission.ID, "quantity": 1}}})
		if res2.status != http.StatusConflict || res2.apiErr(t).Code != "not_on_sale" {
			t.Errorf("hold after the cancellation: %d %s", res2.status, res2.short())
		}
		if _, err := h.payments.CompleteAction(ctx, lateIntent.Payment.IntentID); err != nil {
			t.Fatal(err)
		}
		if rec, _ := h.payments.Record(lateIntent.Payment.IntentID); len(rec.Refunds) != 1 {
			t.Errorf("a payment after the cancellation was kept: %+v", rec)
		}
		if tks, _ := h.purStore.TicketsOfOrder(ctx, late.ID); len(tks) != 0 {
			t.Errorf("%d tickets issued after the cancellation", len(tks))
		}
		// Again: nothing more to do.
		h.do(t, "POST", "/v1/events/"+f.event.ID+"/cancel", f.org.Token, nil).want(t, http.StatusOK).decode(t, &res)
		if res.Refunded != 0 || res.Cancelled != 0 {
			t.Errorf("second cancel did %+v", res)
		}
	})
}
