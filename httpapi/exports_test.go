package httpapi

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	ticketsync "github.com/admitone/admitone/sync"
)

// TestEventExports reads an event's three CSV exports on both backends
// with encoding/csv: the header, one row per order, ticket and
// check-in with the stored values, the buyer's city from checkout, and a
// ticket type named like a formula defused with an apostrophe.
func TestEventExports(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		f := h.shopFixture(t, h.clock.Now().Add(30*24*time.Hour))
		ctx := t.Context()
		formula := h.createTicketType(t, f.org, f.event.ID, ticketTypeBody("=HYPERLINK(\"http://x\")", 1000, "EUR"))

		hj := decodeAs[holdJSON](t, h.do(t, "POST", "/v1/holds", f.buyer.Token, map[string]any{"event_id": f.event.ID,
			"lines": []map[string]any{{"ticket_type_id": f.admission.ID, "quantity": 2}, {"ticket_type_id": formula.ID, "quantity": 1}}}), http.StatusCreated)
		h.do(t, "POST", "/v1/orders", f.buyer.Token, map[string]any{"hold_id": hj.ID, "buyer_city": "=cmd"}).want(t, http.StatusUnprocessableEntity)
		o := decodeAs[orderJSON](t, h.do(t, "POST", "/v1/orders", f.buyer.Token, map[string]any{"hold_id": hj.ID, "buyer_city": "  Saint-Étienne "}), http.StatusCreated)
		paid := h.pay(t, f.buyer, o.ID, map[string]any{"test_card": "4242424242424242"}, http.StatusOK)
		if len(paid.Tickets) != 3 {
			t.Fatalf("paid order has %d tickets, want 3", len(paid.Tickets))
		}
		g, _, err := h.api.Enroller.CreateGate(ctx, f.event.ID, ticketsync.GateSpec{Name: "North", Direction: bundle.Entry}, f.org.ID)
		if err != nil {
			t.Fatal(err)
		}
		ci := changelog.Checkin{ID: fmt.Sprintf("ci_%032x", 1), EventID: f.event.ID, GateID: g.ID, TicketID: paid.Tickets[0].ID,
			TypeNumber: f.admission.Number, Direction: bundle.Entry, At: h.clock.Now(), Offline: true}
		if _, err := h.api.Sync.Store.RecordCheckins(ctx, g, []changelog.Checkin{ci}, h.clock.Now()); err != nil {
			t.Fatal(err)
		}

		read := func(name string) [][]string {
			t.Helper()
			res := h.do(t, "GET", "/v1/events/"+f.event.ID+"/exports/"+name, f.org.Token, nil).want(t, http.StatusOK)
			if ct := res.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("%s: Content-Type %q", name, ct)
			}
			rows, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll()
			if err != nil {
				t.Fatalf("%s does not parse as CSV: %v\n%s", name, err, res.body)
			}
			return rows
		}
		at := func(tm time.Time) string { return tm.UTC().Format(time.RFC3339Nano) }

		stored, err := h.purStore.Order(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		orders := read("orders.csv")
		wantOrders := [][]string{
			{"order_id", "status", "buyer_id", "buyer_city", "lines", "total", "currency", "created_at", "paid_at", "refunded_at", "cancelled_at"},
			{o.ID, "paid", f.buyer.ID, "Saint-Étienne", f.admission.ID + "x2 " + formula.ID + "x1", "6000", "EUR",
				at(stored.CreatedAt), at(stored.PaidAt), "", ""},
		}
		if !reflect.DeepEqual(orders, wantOrders) {
			t.Errorf("orders.csv:\n got %q\nwant %q", orders, wantOrders)
		}

		tickets := read("tickets.csv")
		if len(tickets) != 4 {
			t.Fatalf("tickets.csv has %d rows, want a header and 3: %q", len(tickets), tickets)
		}
		names := map[string]string{}
		for _, r := range tickets[1:] {
			if len(r) != 11 || r[1] != o.ID || r[4] != f.buyer.ID || r[5] != "valid" {
				t.Errorf("tickets.csv row %q", r)
			}
			names[r[2]] = r[3]
		}
		if want := map[string]string{f.admission.ID: "Standing", formula.ID: "'=HYPERLINK(\"http://x\")"}; !reflect.DeepEqual(names, want) {
			t.Errorf("tickets.csv ticket type names %q, want %q", names, want)
		}

		checkins := read("checkins.csv")
		wantCheckins := [][]string{
			{"checkin_id", "seq", "ticket_id", "gate_id", "direction", "at", "offline"},
			{ci.ID, checkins[len(checkins)-1][1], ci.TicketID, g.ID, "entry", at(ci.At.Truncate(time.Microsecond)), "true"},
		}
		if !reflect.DeepEqual(checkins, wantCheckins) {
			t.Errorf("checkins.csv:\n got %q\nwant %q", checkins, wantCheckins)
		}

		// Staff see the figures but not the buyers' records.
		staff := h.newUser(t, "staff")
		h.addMember(t, f.org, f.event.OrgID, staff.Email, account.RoleStaff)
		h.do(t, "GET", "/v1/events/"+f.event.ID+"/exports/orders.csv", staff.Token, nil).want(t, http.StatusForbidden)
		h.do(t, "GET", "/v1/events/ev_000000000000000000000000/exports/orders.csv", f.org.Token, nil).want(t, http.StatusNotFound)
	})
}
