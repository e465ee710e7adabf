package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/purchase"
)

// TestPriceTimesQuantityOverflow: 2^62 × 4 wraps an int64 to 0, and an
// order of total 0 is paid without a provider. Such a price is refused
// when the ticket type is made, and a type stored with one before that
// bound existed (written to the store directly here) is refused at
// checkout: nothing is ordered, nothing issued.
func TestPriceTimesQuantityOverflow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		ctx := t.Context()
		org := h.newUser(t, "organizer")
		o := h.createOrg(t, org, "Wrap Org", false)
		v := h.createVenue(t, org, o.ID, venueBody("Wrap Hall", "Berlin", "DE", 52.52, 13.40))
		ev := h.createEvent(t, org, o.ID, eventBody(v.ID, "Wrap Night", "music", h.clock.Now().Add(30*24*time.Hour)))

		const wraps = 1 << 62 // × 4 = 2^64, which is 0 in an int64
		res := h.do(t, "POST", "/v1/events/"+ev.ID+"/ticket-types", org.Token, ticketTypeBody("Wrap", wraps, "EUR"))
		if res.status != http.StatusUnprocessableEntity || res.apiErr(t).Field != "price" {
			t.Fatalf("a ticket type priced %d: %d %s, want 422 naming price", int64(wraps), res.status, res.short())
		}
		res = h.do(t, "POST", "/v1/events/"+ev.ID+"/ticket-types", org.Token, ticketTypeBody("Dear", catalog.MaxPrice+1, "EUR"))
		if res.status != http.StatusUnprocessableEntity || res.apiErr(t).Field != "price" {
			t.Fatalf("a ticket type priced MaxPrice+1: %d %s, want 422 naming price", res.status, res.short())
		}
		h.createTicketType(t, org, ev.ID, ticketTypeBody("Dearest allowed", catalog.MaxPrice, "EUR"))

		tt, err := h.catStore.CreateTicketType(ctx, catalog.TicketType{ID: id.New("tt"), EventID: ev.ID, Name: "Wrap",
			Kind: catalog.KindAdmission, Price: catalog.Money{Amount: wraps, Currency: "EUR"}, Capacity: 100, PerOrderMax: 10,
			CreatedAt: h.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		h.publish(t, org, ev.ID)
		buyer := h.newUser(t, "buyer")
		hold := decodeAs[holdJSON](t, h.do(t, "POST", "/v1/holds", buyer.Token, map[string]any{"event_id": ev.ID,
			"lines": []map[string]any{{"ticket_type_id": tt.ID, "quantity": 4}}}), http.StatusCreated)
		res = h.do(t, "POST", "/v1/orders", buyer.Token, map[string]any{"hold_id": hold.ID})
		if res.status == http.StatusCreated {
			var ord orderJSON
			res.decode(t, &ord)
			paid := h.do(t, "POST", "/v1/orders/"+ord.ID+"/pay", buyer.Token, map[string]any{})
			t.Fatalf("an order of 4 × %d was created with total %+v; paying it answered %d %s", int64(wraps), ord.Total, paid.status, paid.short())
		}
		if e := res.apiErr(t); res.status != http.StatusUnprocessableEntity || e.Code != "invalid" {
			t.Fatalf("checkout of 4 × %d: %d %+v, want 422 invalid", int64(wraps), res.status, e)
		}
		if h, err := h.purStore.Hold(ctx, hold.ID); err != nil || h.Status != purchase.HoldActive {
			t.Errorf("the hold after the refused checkout: %+v, %v; want it still active", h, err)
		}
		if sold, held, err := h.purStore.Counts(ctx, tt.ID); err != nil || sold != 0 || held != 4 {
			t.Errorf("counts of %s: sold %d held %d (%v), want 0 sold 4 held", tt.ID, sold, held, err)
		}
		if tickets, err := h.purchase.Tickets(ctx, buyer.ID); err != nil || len(tickets) != 0 {
			t.Errorf("the buyer has %d tickets (%v) after the refused checkout, want none", len(tickets), err)
		}
	})
}

// TestNoPaymentProvider: a server without a payment provider sells
// nothing that costs money. A hold or checkout of a priced ticket type is
// 503 payments_unavailable and stores nothing; free tickets are held,
// ordered and issued as before.
func TestNoPaymentProvider(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		ctx := t.Context()
		f := h.shopFixture(t, h.clock.Now().Add(30*24*time.Hour))
		free := h.createTicketType(t, f.org, f.event.ID, ticketTypeBody("Guest list", 0, "EUR"))
		// A hold made while payments were on, checked out after.
		before := decodeAs[holdJSON](t, h.do(t, "POST", "/v1/holds", f.buyer.Token, map[string]any{"event_id": f.event.ID,
			"lines": []map[string]any{{"ticket_type_id": f.admission.ID, "quantity": 1}}}), http.StatusCreated)
		h.purchase.Payments = nil

		wantUnavailable := func(t *testing.T, res response, what string) {
			t.Helper()
			if res.status != http.StatusServiceUnavailable {
				t.Fatalf("%s without a payment provider: %d %s, want 503 payments_unavailable", what, res.status, res.short())
			}
			if e := res.apiErr(t); e.Code != "payments_unavailable" || !strings.Contains(e.Message, "takes no payments") {
				t.Fatalf("%s without a payment provider: %+v, want payments_unavailable saying the server takes no payments", what, e)
			}
		}
		for _, lines := range [][]map[string]any{
			{{"ticket_type_id": f.admission.ID, "quantity": 2}},
			{{"ticket_type_id": free.ID, "quantity": 1}, {"ticket_type_id": f.merch.ID, "quantity": 1}},
		} {
			wantUnavailable(t, h.do(t, "POST", "/v1/holds", f.buyer.Token, map[string]any{"event_id": f.event.ID, "lines": lines}), "a hold of a priced type")
		}
		wantCounts(t, h, f.admission.ID, 0, 1)
		wantCounts(t, h, f.merch.ID, 0, 0)
		wantCounts(t, h, free.ID, 0, 0)

		wantUnavailable(t, h.do(t, "POST", "/v1/orders", f.buyer.Token, map[string]any{"hold_id": before.ID}), "checkout of a priced hold")
		if hd, err := h.purStore.Hold(ctx, before.ID); err != nil || hd.Status != purchase.HoldActive {
			t.Errorf("the hold after the refused checkout: %+v, %v; want it still active", hd, err)
		}
		wantCounts(t, h, f.admission.ID, 0, 1)

		// Free tickets still sell, and are issued.
		fh := decodeAs[holdJSON](t, h.do(t, "POST", "/v1/holds", f.buyer.Token, map[string]any{"event_id": f.event.ID,
			"lines": []map[string]any{{"ticket_type_id": free.ID, "quantity": 2}}}), http.StatusCreated)
		fo := decodeAs[orderJSON](t, h.do(t, "POST", "/v1/orders", f.buyer.Token, map[string]any{"hold_id": fh.ID}), http.StatusCreated)
		paid := h.pay(t, f.buyer, fo.ID, map[string]any{}, http.StatusOK)
		if paid.Order.Status != "paid" || len(paid.Tickets) != 2 {
			t.Fatalf("paying a free order without a provider: %+v", paid)
		}
	})
}

// TestHoldHoarding: one account cannot hold an event's capacity again and
// again. By default a buyer may hold 10 admission tickets of an event at
// a time (409 hold_limit beyond), a ticket type's max_held_per_buyer caps
// it further, checking out gives the room back, and holds are limited to
// 20 a minute per account (429 rate_limited with a true Retry-After).
func TestHoldHoarding(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		f := h.shopFixture(t, h.clock.Now().Add(30*24*time.Hour))
		holdRes := func(u *user, typeID string, q int) response {
			return h.do(t, "POST", "/v1/holds", u.Token, map[string]any{"event_id": f.event.ID,
				"lines": []map[string]any{{"ticket_type_id": typeID, "quantity": q}}})
		}
		wantHoldLimit := func(t *testing.T, res response, what string) {
			t.Helper()
			if res.status != http.StatusConflict {
				t.Fatalf("%s: %d %s, want 409 hold_limit", what, res.status, res.short())
			}
			if e := res.apiErr(t); e.Code != "hold_limit" || !strings.Contains(e.Message, "at a time") {
				t.Fatalf("%s: %+v, want hold_limit saying how many one buyer may hold at a time", what, e)
			}
		}

		first := decodeAs[holdJSON](t, holdRes(f.buyer, f.admission.ID, 10), http.StatusCreated)
		wantHoldLimit(t, holdRes(f.buyer, f.admission.ID, 1), "an 11th ticket held")
		wantCounts(t, h, f.admission.ID, 0, 10)
		// Merchandise does not count; other buyers are not affected.
		decodeAs[holdJSON](t, h.do(t, "POST", "/v1/holds", f.buyer.Token, map[string]any{"event_id": f.event.ID,
			"lines": []map[string]any{{"ticket_type_id": f.merch.ID, "quantity": 5}}}), http.StatusCreated)
		other := h.newUser(t, "other")
		decodeAs[holdJSON](t, holdRes(other, f.admission.ID, 10), http.StatusCreated)
		// Checking out gives the held room back.
		decodeAs[orderJSON](t, h.do(t, "POST", "/v1/orders", f.buyer.Token, map[string]any{"hold_id": first.ID}), http.StatusCreated)
		decodeAs[holdJSON](t, holdRes(f.buyer, f.admission.ID, 10), http.StatusCreated)
		wantCounts(t, h, f.admission.ID, 10, 20)

		// A ticket type's own cap.
		capped := ticketTypeBody("Front row", 2500, "EUR")
		capped["max_held_per_buyer"], capped["per_order_max"] = 4, 3
		tt := h.createTicketType(t, f.org, f.event.ID, capped)
		if tt.MaxHeldPerBuyer != 4 {
			t.Fatalf("created %+v, want max_held_per_buyer 4", tt)
		}
		bad := ticketTypeBody("Bad cap", 2500, "EUR")
		bad["max_held_per_buyer"] = 9 // under per_order_max 10
		if res := h.do(t, "POST", "/v1/events/"+f.event.ID+"/ticket-types", f.org.Token, bad); res.status != http.StatusUnprocessableEntity || res.apiErr(t).Field != "max_held_per_buyer" {
			t.Fatalf("max_held_per_buyer under per_order_max: %d %s, want 422 naming it", res.status, res.short())
		}
		third := h.newUser(t, "third")
		decodeAs[holdJSON](t, holdRes(third, tt.ID, 3), http.StatusCreated)
		wantHoldLimit(t, holdRes(third, tt.ID, 2), "3 + 2 of a type capped at 4")
		decodeAs[holdJSON](t, holdRes(third, tt.ID, 1), http.StatusCreated)
		wantHoldLimit(t, holdRes(third, tt.ID, 1), "a 5th of a type capped at 4")
		decodeAs[holdJSON](t, holdRes(third, f.admission.ID, 6), http.StatusCreated)
		wantHoldLimit(t, holdRes(third, f.admission.ID, 1), "an 11th ticket over two types")

		// 20 holds a minute per account, then 429 until a hold's worth
		// of time (3 s) has passed.
		rapid := h.newUser(t, "rapid")
		for range 20 {
			hd := decodeAs[holdJSON](t, holdRes(rapid, f.admission.ID, 1), http.StatusCreated)
			h.do(t, "DELETE", "/v1/holds/"+hd.ID, rapid.Token, nil).want(t, http.StatusNoContent)
		}
		res := holdRes(rapid, f.admission.ID, 1)
		if res.status != http.StatusTooManyRequests || res.apiErr(t).Code != "rate_limited" {
			t.Fatalf("the 21st hold in a minute: %d %s, want 429 rate_limited", res.status, res.short())
		}
		if ra := res.header.Get("Retry-After"); ra != "3" {
			t.Fatalf("Retry-After %q, want 3 (a minute / 20)", ra)
		}
		h.clock.Advance(2 * time.Second)
		holdRes(rapid, f.admission.ID, 1).want(t, http.StatusTooManyRequests)
		h.clock.Advance(time.Second)
		decodeAs[holdJSON](t, holdRes(rapid, f.admission.ID, 1), http.StatusCreated)
		// Others are not limited by it.
		decodeAs[holdJSON](t, holdRes(h.newUser(t, "calm"), f.admission.ID, 1), http.StatusCreated)
	})
}
