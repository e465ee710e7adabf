package desk_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestOrdersAttendeesExports: an organizer finds an order by its buyer's
// email or part of it, refunds it from the list (it is refunded, and the
// list by status shows it so), sees the remaining holders on the
// attendee list and downloads the orders as CSV; staff see the lists
// without refund buttons.
func TestOrdersAttendeesExports(t *testing.T) {
	r := newRig(t)
	a := r.org("Alpha", "alpha@example.com")
	ada := r.buy(r.account("ada@example.com"), a, 1)
	bob := r.buy(r.account("bob.builder@example.com"), a, 2)
	b := r.browser()
	b.login("alpha@example.com")
	orders := "/desk/events/" + a.event + "/orders"

	status, page, _ := b.do("GET", orders, nil)
	if status != http.StatusOK || !strings.Contains(page, ada) || !strings.Contains(page, bob) {
		t.Fatalf("orders page: %d, want both orders listed\n%s", status, page)
	}
	_, page, _ = b.do("GET", orders+"?"+url.Values{"q": {"ada@example.com"}}.Encode(), nil)
	if !strings.Contains(page, ada) || strings.Contains(page, bob) {
		t.Errorf("search by email lists the wrong orders:\n%s", page)
	}
	_, page, _ = b.do("GET", orders+"?"+url.Values{"q": {"builder"}}.Encode(), nil)
	if strings.Contains(page, ada) || !strings.Contains(page, bob) {
		t.Errorf("search by part of an email lists the wrong orders:\n%s", page)
	}
	if status, _, _ := b.do("GET", orders+"?status=lost", nil); status != http.StatusUnprocessableEntity {
		t.Errorf("search by an unknown status: %d, want 422", status)
	}
	if status, _, _ := b.do("GET", orders+"?cursor=nonsense", nil); status != http.StatusUnprocessableEntity {
		t.Errorf("a broken cursor: %d, want 422", status)
	}

	// Refund from the list: back to the list, saying so.
	status, _, h := b.do("POST", "/desk/events/"+a.event+"/refund", url.Values{"csrf": {b.csrf}, "order_id": {ada}, "back": {"orders"}})
	if status != http.StatusSeeOther || h.Get("Location") != orders+"?refunded="+ada {
		t.Fatalf("refund from the list: %d to %q", status, h.Get("Location"))
	}
	_, page, _ = b.do("GET", h.Get("Location"), nil)
	if !strings.Contains(page, "Order "+ada+" refunded") {
		t.Errorf("the list does not say the refund was done:\n%s", page)
	}
	_, page, _ = b.do("GET", orders+"?status=refunded", nil)
	if !strings.Contains(page, ada) || strings.Contains(page, bob) {
		t.Errorf("refunded orders: want only %s\n%s", ada, page)
	}

	_, page, _ = b.do("GET", "/desk/events/"+a.event+"/attendees", nil)
	if n := strings.Count(page, "<tr data-ticket="); n != 2 || !strings.Contains(page, "bob.builder@example.com") ||
		strings.Contains(page, "ada@example.com") || !strings.Contains(page, "not yet") {
		t.Errorf("attendees: %d rows, want bob's 2 tickets, not checked in yet\n%s", n, page)
	}

	status, body, h := b.do("GET", "/desk/events/"+a.event+"/exports/orders.csv", nil)
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
		t.Fatalf("orders.csv: %d %q", status, h.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, row := range rows[1:] {
		got[row[0]] = row[1]
	}
	if len(rows) != 3 || rows[0][0] != "order_id" || got[ada] != "refunded" || got[bob] != "paid" {
		t.Errorf("orders.csv: %v, want a header, %s refunded and %s paid", rows, ada, bob)
	}
	if status, _, _ := b.do("GET", "/desk/events/"+a.event+"/exports/secrets.csv", nil); status != http.StatusNotFound {
		t.Errorf("an unknown export: %d, want 404", status)
	}

	// Staff read the lists, without refunding.
	r.account("staff@example.com")
	if status, _, _ := b.do("POST", "/desk/orgs/"+a.id+"/members", url.Values{"csrf": {b.csrf}, "email": {"staff@example.com"}, "role": {"staff"}}); status != http.StatusSeeOther {
		t.Fatalf("adding a staff member: %d", status)
	}
	staff := r.browser()
	staff.login("staff@example.com")
	status, page, _ = staff.do("GET", orders, nil)
	if status != http.StatusOK || !strings.Contains(page, bob) || strings.Contains(page, "refund-order") {
		t.Errorf("staff's order list: %d, want the orders without refund buttons\n%s", status, page)
	}
}
