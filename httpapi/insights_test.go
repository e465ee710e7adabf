package httpapi

import (
	"math"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/admitone/admitone/analytics"
)

// TestOrgInsights checks GET /v1/orgs/{org}/insights on both backends
// against two events of one organization with known answers: four paid
// orders of three buyers (one buying for both events, one refunded),
// cities given at checkout, and lead times of 30 days and 10 days.
func TestOrgInsights(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		a := h.shopFixture(t, h.clock.Now().Add(30*24*time.Hour+time.Hour))
		path := "/v1/orgs/" + a.event.OrgID + "/insights"

		empty := decodeAs[analytics.OrgInsights](t, h.do(t, "GET", path, a.org.Token, nil), http.StatusOK)
		if empty.Events != 1 || empty.Orders != 0 || empty.LeadTime.MedianHours != nil || len(empty.LeadTime.Distribution) != 4 {
			t.Errorf("insights without sales: %+v", empty)
		}

		b := a
		v := h.createVenue(t, a.org, a.event.OrgID, venueBody("Second Hall", "Berlin", "DE", 52.5, 13.4))
		b.event = h.createEvent(t, a.org, a.event.OrgID, eventBody(v.ID, "Second Night", "music", h.clock.Now().Add(10*24*time.Hour)))
		b.admission = h.createTicketType(t, a.org, b.event.ID, ticketTypeBody("Standing", 3000, "EUR"))
		b.merch = h.createTicketType(t, a.org, b.event.ID, map[string]any{"name": "Tote bag", "kind": "merchandise",
			"price": map[string]any{"amount": 1500, "currency": "EUR"}, "capacity": 50, "per_order_max": 5})
		h.publish(t, a.org, b.event.ID)

		buy := func(f shopFixture, u *user, tickets, bags int, city string) string {
			t.Helper()
			lines := []map[string]any{{"ticket_type_id": f.admission.ID, "quantity": tickets}}
			if bags > 0 {
				lines = append(lines, map[string]any{"ticket_type_id": f.merch.ID, "quantity": bags})
			}
			hj := decodeAs[holdJSON](t, h.do(t, "POST", "/v1/holds", u.Token, map[string]any{"event_id": f.event.ID, "lines": lines}), http.StatusCreated)
			o := decodeAs[orderJSON](t, h.do(t, "POST", "/v1/orders", u.Token, map[string]any{"hold_id": hj.ID, "buyer_city": city}), http.StatusCreated)
			h.pay(t, u, o.ID, map[string]any{"test_card": "4242424242424242"}, http.StatusOK)
			return o.ID
		}
		b1, b2, b3 := a.buyer, h.newUser(t, "buyer2"), h.newUser(t, "buyer3")
		buy(a, b1, 1, 0, "Berlin")
		buy(b, b1, 2, 0, " Berlin")
		gone := buy(a, b2, 1, 1, "Lyon")
		h.do(t, "POST", "/v1/orders/"+gone+"/refund", b2.Token, map[string]any{}).want(t, http.StatusOK)
		buy(b, b3, 1, 2, "")

		got := decodeAs[analytics.OrgInsights](t, h.do(t, "GET", path, a.org.Token, nil), http.StatusOK)
		paid := h.clock.Now().Truncate(time.Microsecond)
		median := (a.event.StartsAt.Sub(paid) + b.event.StartsAt.Sub(paid)).Hours() / 2
		if got.LeadTime.MedianHours == nil || math.Abs(*got.LeadTime.MedianHours-median) > 1e-6 {
			t.Errorf("median lead time %v hours, want %v", got.LeadTime.MedianHours, median)
		}
		got.LeadTime.MedianHours, got.AsOf = nil, time.Time{}
		want := analytics.OrgInsights{
			OrgID: a.event.OrgID, Events: 2, Orders: 4, Refunded: 1, RefundRate: 0.25, Buyers: 3, RepeatBuyers: 1,
			LeadTime: analytics.LeadTime{Distribution: []analytics.LeadTimeBand{
				{Label: "under_1_day"}, {Label: "1_to_7_days"}, {Label: "7_to_30_days", Orders: 2}, {Label: "30_days_or_more", Orders: 2}}},
			TypeMix: []analytics.TypeShare{{Name: "Standing", Kind: "admission", Units: 4, Share: 4.0 / 6},
				{Name: "Tote bag", Kind: "merchandise", Units: 2, Share: 2.0 / 6}},
			Cities: []analytics.CityBuyers{{City: "", Buyers: 1}, {City: "Berlin", Buyers: 1}, {City: "Lyon", Buyers: 1}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("insights:\n got %+v\nwant %+v", got, want)
		}
		h.do(t, "GET", "/v1/orgs/org_000000000000000000000000/insights", a.org.Token, nil).want(t, http.StatusNotFound)
	})
}
