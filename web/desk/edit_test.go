package desk_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestEditTicketTypesAndVenues: an organizer renames a ticket type and
// raises its capacity after sales, is refused a price change and a
// deletion while tickets are sold (in words, nothing changed), ends its
// sale, and edits a venue; another organization's venue is 404 to them.
func TestEditTicketTypesAndVenues(t *testing.T) {
	r := newRig(t)
	a := r.org("Alpha", "alpha@example.com")
	beta := r.org("Beta", "beta@example.com")
	r.buy(r.account("ada@example.com"), a, 2)
	b := r.browser()
	b.login("alpha@example.com")
	typePath := "/desk/events/" + a.event + "/ticket-types/" + a.typeID
	edit := func(fields url.Values) (int, string) {
		t.Helper()
		fields.Set("csrf", b.csrf)
		status, body, _ := b.do("POST", typePath+"/edit", fields)
		return status, body
	}

	if status, body := edit(url.Values{"name": {"Standing (front)"}, "price": {"25.00"}, "currency": {"EUR"}, "capacity": {"150"}, "per_order_max": {"6"}}); status != http.StatusSeeOther {
		t.Fatalf("rename and raise capacity after sales: %d\n%s", status, body)
	}
	_, page, _ := b.do("GET", "/desk/events/"+a.event, nil)
	if !strings.Contains(page, "Standing (front)") || !strings.Contains(page, "<td>150</td>") {
		t.Errorf("the event page does not show the edited type")
	}
	status, body := edit(url.Values{"name": {"Standing (front)"}, "price": {"30.00"}, "currency": {"EUR"}, "capacity": {"150"}, "per_order_max": {"6"}})
	if status != http.StatusConflict && status != http.StatusUnprocessableEntity || !strings.Contains(body, "role=\"alert\"") {
		t.Errorf("a price change after sales: %d, want a refusal in words on the page", status)
	}
	if status, _ := edit(url.Values{"name": {"X"}, "price": {"25.00"}, "currency": {"EUR"}, "capacity": {"1"}, "per_order_max": {"6"}}); status != http.StatusUnprocessableEntity && status != http.StatusConflict {
		t.Errorf("a capacity below the 2 sold: %d, want a refusal", status)
	}
	if status, _, _ := b.do("POST", typePath+"/delete", url.Values{"csrf": {b.csrf}}); status != http.StatusConflict && status != http.StatusUnprocessableEntity {
		t.Errorf("deleting a type with sales: %d, want a refusal", status)
	}
	_, page, _ = b.do("GET", "/desk/events/"+a.event, nil)
	if !strings.Contains(page, "25.00 EUR") || !strings.Contains(page, "<td>150</td>") || !strings.Contains(page, "Standing (front)") {
		t.Errorf("refused changes changed the type")
	}
	if status, _, _ := b.do("POST", typePath+"/close", url.Values{"csrf": {b.csrf}}); status != http.StatusSeeOther {
		t.Errorf("ending the sale: %d", status)
	}
	_, page, _ = b.do("GET", "/desk/events/"+a.event, nil)
	if !strings.Contains(page, `<td class="sale">until `) {
		t.Errorf("the ended sale is not shown")
	}

	status, _, h := b.do("POST", "/desk/orgs/"+a.id+"/venues/"+a.venue+"/edit", url.Values{"csrf": {b.csrf}, "name": {"Alpha Arena"},
		"address": {"Hauptstr. 1"}, "city": {"Hamburg"}, "country": {"de"}, "lat": {"53.55"}, "lon": {"9.99"}})
	if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/desk/orgs/"+a.id) {
		t.Fatalf("editing a venue: %d to %q", status, h.Get("Location"))
	}
	_, page, _ = b.do("GET", "/desk/orgs/"+a.id, nil)
	if !strings.Contains(page, "Alpha Arena, Hamburg") {
		t.Errorf("the org page does not show the edited venue")
	}
	if status, _, _ := b.do("POST", "/desk/orgs/"+a.id+"/venues/"+beta.venue+"/edit", url.Values{"csrf": {b.csrf}, "name": {"Taken"}, "country": {"DE"}}); status != http.StatusNotFound {
		t.Errorf("editing another organization's venue under one's own: %d, want 404", status)
	}
}
