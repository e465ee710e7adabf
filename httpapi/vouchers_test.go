package httpapi

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/voucher"
)

// typeIDs are the ids of a page's ticket types.
func typeIDs(p catalog.EventPage) []string {
	var ids []string
	for _, t := range p.TicketTypes {
		ids = append(ids, t.ID)
	}
	return ids
}

// TestVouchers: a hidden type is invisible to search (its results and
// its price filter) and to the event page without an access code, and
// shows with one; holding it needs the code; an access code with N uses
// raced by 3N buyers is redeemed exactly N times, and the type's
// counters and the code list agree; a discount code's price shows on
// the order; disabling a code stops it.
func TestVouchers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		t.Parallel()
		const uses = 4
		h := newHarness(t, backend)
		h.purchase.MaxHeldPerBuyer, h.purchase.HoldsPerMinute = -1, -1
		org := h.newUser(t, "organizer")
		o := h.createOrg(t, org, "Codes Org", false)
		v := h.createVenue(t, org, o.ID, venueBody("Club", "Leipzig", "DE", 51.34, 12.37))
		ev := h.createEvent(t, org, o.ID, eventBody(v.ID, "Guestlist Night", "music", h.clock.Now().Add(20*24*time.Hour)))
		standing := h.createTicketType(t, org, ev.ID, ticketTypeBody("Standing", 2500, "EUR"))
		guestBody := ticketTypeBody("Guest list", 500, "EUR")
		guestBody["hidden"] = true
		guest := h.createTicketType(t, org, ev.ID, guestBody)
		if !guest.Hidden {
			t.Fatalf("the guest list type came back not hidden: %+v", guest)
		}
		h.publish(t, org, ev.ID)

		// Search: the event is found, without its hidden type, and its
		// lowest price is the visible type's.
		res := h.search(t, "q=guestlist")
		if len(res.Events) != 1 || !slices.Equal(typeIDs(res.Events[0].EventPage), []string{standing.ID}) {
			t.Fatalf("search shows %+v, want the event with only %s", res.Events, standing.ID)
		}
		if got := h.search(t, "q=guestlist&price_max=1000"); got.Total != 0 {
			t.Errorf("search under 10.00 finds %v: the hidden type set the lowest price", got.ids())
		}

		// The event page: without a code no hidden type, with one (in
		// any case) the types it unlocks, with a wrong one 403.
		page := decodeAs[catalog.EventPage](t, h.do(t, "GET", "/v1/events/"+ev.ID, "", nil), http.StatusOK)
		if !slices.Equal(typeIDs(page), []string{standing.ID}) {
			t.Errorf("the event page without a code shows %v", typeIDs(page))
		}
		code := decodeAs[voucher.Code](t, h.do(t, "POST", "/v1/events/"+ev.ID+"/codes", org.Token, map[string]any{
			"code": "guests-2030", "kind": "access", "ticket_type_ids": []string{guest.ID}, "max_uses": uses}), http.StatusCreated)
		if code.Code != "GUESTS-2030" {
			t.Errorf("the code is stored as %q, want it upper case", code.Code)
		}
		page = decodeAs[catalog.EventPage](t, h.do(t, "GET", "/v1/events/"+ev.ID+"?code=Guests-2030", "", nil), http.StatusOK)
		if !slices.Equal(typeIDs(page), []string{standing.ID, guest.ID}) {
			t.Errorf("the event page with the code shows %v", typeIDs(page))
		}
		if e := h.do(t, "GET", "/v1/events/"+ev.ID+"?code=GUESTS-2031", "", nil).want(t, http.StatusForbidden).apiErr(t); e.Code != "code_not_valid" {
			t.Errorf("a wrong code: %+v", e)
		}
		page = decodeAs[catalog.EventPage](t, h.do(t, "GET", "/v1/events/"+ev.ID, org.Token, nil), http.StatusOK)
		if len(page.TicketTypes) != 2 {
			t.Errorf("the organizer sees %v, want both types", typeIDs(page))
		}

		// Holding the hidden type needs the code.
		buyers := h.buyers(t, 3*uses+1)
		guestLine := []purchase.Line{{TicketTypeID: guest.ID, Quantity: 1}}
		e := h.do(t, "POST", "/v1/holds", buyers[0].Token, map[string]any{"event_id": ev.ID, "lines": guestLine}).
			want(t, http.StatusForbidden).apiErr(t)
		if e.Code != "code_required" {
			t.Errorf("a hold of the hidden type without a code: %+v", e)
		}

		// 3N buyers race for N uses.
		results := h.race(t, "POST", "/v1/holds", buyers[:3*uses], func(int) any {
			return map[string]any{"event_id": ev.ID, "lines": guestLine, "code": "guests-2030"}
		})
		won := 0
		for _, r := range results {
			switch {
			case r.err != nil:
				t.Errorf("racing hold: %v", r.err)
			case r.status == http.StatusCreated:
				won++
			case r.status == http.StatusConflict &&
				response{status: r.status, header: http.Header{"Content-Type": {"application/json"}}, body: r.body}.apiErr(t).Code == "code_used_up":
			default:
				t.Errorf("racing hold: %d %s", r.status, r.body)
			}
		}
		if won != uses {
			t.Errorf("%d of %d buyers redeemed a code of %d uses", won, 3*uses, uses)
		}
		sold, held, err := h.purStore.Counts(t.Context(), guest.ID)
		if err != nil || sold != 0 || held != uses {
			t.Errorf("guest list counters: sold %d, held %d, %v; want held %d", sold, held, err, uses)
		}
		list := decodeAs[struct {
			Codes []voucher.Listed `json:"codes"`
		}](t, h.do(t, "GET", "/v1/events/"+ev.ID+"/codes", org.Token, nil), http.StatusOK)
		if len(list.Codes) != 1 || list.Codes[0].Used != uses || list.Codes[0].UsesLeft == nil || *list.Codes[0].UsesLeft != 0 {
			t.Errorf("the code list says %+v, want %d used and none left", list.Codes, uses)
		}

		// A discount code's price shows on the order.
		disc := decodeAs[voucher.Code](t, h.do(t, "POST", "/v1/events/"+ev.ID+"/codes", org.Token, map[string]any{
			"code": "save20", "kind": "discount", "percent_off": 20, "ticket_type_ids": []string{standing.ID}}), http.StatusCreated)
		last := buyers[3*uses]
		hold := decodeAs[purchase.Hold](t, h.do(t, "POST", "/v1/holds", last.Token, map[string]any{"event_id": ev.ID,
			"lines": []purchase.Line{{TicketTypeID: standing.ID, Quantity: 2}}, "code": "SAVE20"}), http.StatusCreated)
		if hold.Code == nil || hold.Code.ID != disc.ID || hold.Code.Uses != 2 {
			t.Errorf("the hold's code is %+v, want 2 uses of %s", hold.Code, disc.ID)
		}
		order := decodeAs[purchase.Order](t, h.do(t, "POST", "/v1/orders", last.Token, map[string]any{"hold_id": hold.ID}), http.StatusCreated)
		if order.Total.Amount != 4000 || order.Discount.Amount != 1000 {
			t.Errorf("order total %d, discount %d; want 4000 and 1000 (20%% off 2 × 25.00)", order.Total.Amount, order.Discount.Amount)
		}

		// A disabled code is refused.
		h.do(t, "POST", "/v1/events/"+ev.ID+"/codes/"+disc.ID+"/disable", org.Token, nil).want(t, http.StatusOK)
		e = h.do(t, "POST", "/v1/holds", last.Token, map[string]any{"event_id": ev.ID,
			"lines": []purchase.Line{{TicketTypeID: standing.ID, Quantity: 1}}, "code": "save20"}).want(t, http.StatusForbidden).apiErr(t)
		if e.Code != "code_not_valid" {
			t.Errorf("a hold with a disabled code: %+v", e)
		}
	})
}
