package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
)

// TestPurchaseHTTP checks the hold and order routes' answers to bad input
// and to each step of a hold's life, over bolt.
func TestPurchaseHTTP(t *testing.T) {
	h := newHarness(t, "bolt")
	org := h.newUser(t, "organizer")
	o := h.createOrg(t, org, "Shop Org", false)
	v := h.createVenue(t, org, o.ID, venueBody("Shop Hall", "Berlin", "DE", 52.52, 13.40))
	ev := h.createEvent(t, org, o.ID, eventBody(v.ID, "Shop Night", "music", h.clock.Now().Add(30*24*time.Hour)))
	tt := h.createTicketType(t, org, ev.ID, ticketTypeBody("Standing", 2500, "EUR"))
	h.publish(t, org, ev.ID)
	draft := h.draftWithTicketType(t, o.ID, v.ID, "Not Yet")
	buyer := h.newUser(t, "buyer")

	line := func(q any) []map[string]any { return []map[string]any{{"ticket_type_id": tt.ID, "quantity": q}} }
	hold := map[string]any{"event_id": ev.ID, "lines": line(2)}
	order := map[string]any{"hold_id": "hld_000000000000000000000000"}
	big := strings.Repeat("a", MaxBody)
	common := func(base map[string]any, unknown, bigField string) []badCase {
		return []badCase{
			{"malformed JSON", strings.TrimSuffix(with(base), "}") + `,"`, 400, "bad_json", ""},
			{"not an object", `["a"]`, 400, "bad_json", ""},
			{"empty body", "", 400, "bad_json", ""},
			{"two objects", with(base) + with(base), 400, "bad_json", ""},
			{"unknown field", with(base, unknown, "x"), 400, "bad_json", unknown},
			{"oversized body", with(base, bigField, big), 413, "too_large", ""},
		}
	}
	for _, rt := range []struct {
		path  string
		cases []badCase
	}{
		{"/v1/holds", append(common(hold, "buyer_id", "event_id"),
			badCase{"event_id missing", with(hold, "event_id", drop), 422, "invalid", "event_id"},
			badCase{"event_id of wrong type", with(hold, "event_id", 5), 400, "bad_json", "event_id"},
			badCase{"lines missing", with(hold, "lines", drop), 422, "invalid", "lines"},
			badCase{"lines of wrong type", with(hold, "lines", "two"), 400, "bad_json", "lines"},
			badCase{"quantity of wrong type", with(hold, "lines", line("2")), 400, "bad_json", "quantity"},
			badCase{"quantity zero", with(hold, "lines", line(0)), 422, "invalid", "lines[0].quantity"},
			badCase{"quantity over per_order_max", with(hold, "lines", line(11)), 422, "invalid", "lines[0].quantity"},
			badCase{"unknown line field", with(hold, "lines", []map[string]any{{"ticket_type_id": tt.ID, "quantity": 1, "seat": "A1"}}), 400, "bad_json", "seat"},
			badCase{"ticket type missing", with(hold, "lines", []map[string]any{{"quantity": 1}}), 422, "invalid", "lines[0].ticket_type_id"},
			badCase{"ticket type of another event", with(hold, "lines", []map[string]any{{"ticket_type_id": "tt_000000000000000000000000", "quantity": 1}}), 422, "invalid", "lines[0].ticket_type_id"},
			badCase{"unknown event", with(hold, "event_id", "ev_000000000000000000000000"), 404, "not_found", ""},
			badCase{"draft event", with(hold, "event_id", draft.ID), 409, "not_on_sale", ""},
		)},
		{"/v1/orders", append(common(order, "payment", "hold_id"),
			badCase{"hold_id missing", "{}", 422, "invalid", "hold_id"},
			badCase{"hold_id of wrong type", with(order, "hold_id", 1), 400, "bad_json", "hold_id"},
			badCase{"unknown hold", with(order), 404, "not_found", ""},
		)},
	} {
		for _, c := range rt.cases {
			t.Run("POST "+rt.path+"/"+c.name, func(t *testing.T) {
				checkBad(t, h.do(t, "POST", rt.path, buyer.Token, c.body), c)
			})
		}
	}
	wantCounts(t, h, tt.ID, 0, 0)

	// A hold's life: released, ordered, expired.
	newHold := func() holdJSON {
		t.Helper()
		return decodeAs[holdJSON](t, h.do(t, "POST", "/v1/holds", buyer.Token, hold), http.StatusCreated)
	}
	wantErr := func(res response, status int, code string) {
		t.Helper()
		if res.status != status || res.apiErr(t).Code != code {
			t.Errorf("status %d %s, want %d %s", res.status, res.short(), status, code)
		}
	}

	released := newHold()
	wantCounts(t, h, tt.ID, 0, 2)
	h.do(t, "DELETE", "/v1/holds/"+released.ID, buyer.Token, nil).want(t, http.StatusNoContent)
	h.do(t, "DELETE", "/v1/holds/"+released.ID, buyer.Token, nil).want(t, http.StatusNoContent)
	wantCounts(t, h, tt.ID, 0, 0)
	wantErr(h.do(t, "POST", "/v1/orders", buyer.Token, map[string]any{"hold_id": released.ID}), 409, "wrong_state")
	wantErr(h.do(t, "DELETE", "/v1/holds/hld_000000000000000000000000", buyer.Token, nil), 404, "not_found")

	ordered := newHold()
	o1 := decodeAs[orderJSON](t, h.do(t, "POST", "/v1/orders", buyer.Token, map[string]any{"hold_id": ordered.ID}), http.StatusCreated)
	if o1.Status != "pending_payment" || o1.Total != (catalog.Money{Amount: 5000, Currency: "EUR"}) ||
		len(o1.Lines) != 1 || o1.Lines[0].UnitPrice != (catalog.Money{Amount: 2500, Currency: "EUR"}) {
		t.Errorf("order %+v", o1)
	}
	wantCounts(t, h, tt.ID, 2, 0)
	wantErr(h.do(t, "POST", "/v1/orders", buyer.Token, map[string]any{"hold_id": ordered.ID}), 409, "conflict")
	wantErr(h.do(t, "DELETE", "/v1/holds/"+ordered.ID, buyer.Token, nil), 409, "wrong_state")
	wantErr(h.do(t, "GET", "/v1/orders/ord_000000000000000000000000", buyer.Token, nil), 404, "not_found")

	expired := newHold()
	h.clock.Advance(11 * time.Minute)
	wantErr(h.do(t, "POST", "/v1/orders", buyer.Token, map[string]any{"hold_id": expired.ID}), 410, "expired")
	wantCounts(t, h, tt.ID, 2, 2) // until the sweep or a reservation that needs them

	// Without a purchase service the routes say so.
	h.api.Purchase = nil
	defer func() { h.api.Purchase = h.purchase }()
	wantErr(h.do(t, "POST", "/v1/holds", buyer.Token, hold), 503, "unavailable")
}
