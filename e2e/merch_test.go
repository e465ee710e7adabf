package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// pickupAnswer is a merch desk's answer to a scanned order code.
type pickupAnswer struct {
	HandedOut []pickupItem `json:"handed_out"`
	Earlier   []pickupItem `json:"earlier"`
}

type pickupItem struct {
	Name     string    `json:"name"`
	Quantity int       `json:"quantity"`
	GateID   string    `json:"gate_id"`
	GateName string    `json:"gate_name"`
	At       time.Time `json:"at"`
}

// merchType adds a merchandise ticket type to the event and returns its
// id.
func (e *event) merchType(t *testing.T, name string) string {
	t.Helper()
	var tt struct {
		ID string `json:"id"`
	}
	call(t, "POST", e.base+"/v1/events/"+e.id+"/ticket-types", e.organizer, map[string]any{"name": name, "kind": "merchandise",
		"price": map[string]any{"amount": 1500, "currency": "EUR"}, "capacity": 100, "per_order_max": 5}, http.StatusCreated, &tt)
	return tt.ID
}

// buyLines has the buyer hold, order and pay lines; it returns the
// order's id and how many tickets it issued.
func (e *event) buyLines(t *testing.T, lines ...map[string]any) (orderID string, tickets int) {
	t.Helper()
	var hold, ord struct {
		ID string `json:"id"`
	}
	call(t, "POST", e.base+"/v1/holds", e.buyer, map[string]any{"event_id": e.id, "lines": lines}, http.StatusCreated, &hold)
	call(t, "POST", e.base+"/v1/orders", e.buyer, map[string]any{"hold_id": hold.ID}, http.StatusCreated, &ord)
	var paid struct {
		Tickets []ticket `json:"tickets"`
	}
	call(t, "POST", e.base+"/v1/orders/"+ord.ID+"/pay", e.buyer, map[string]any{"test_card": "4242424242424242"}, http.StatusOK, &paid)
	return ord.ID, len(paid.Tickets)
}

// pickupCode is the buyer's code of an order, for a merch desk.
func (e *event) pickupCode(t *testing.T, orderID string) string {
	t.Helper()
	var c struct {
		Code string `json:"code"`
	}
	call(t, "GET", e.base+"/v1/orders/"+orderID+"/pickup", e.buyer, nil, http.StatusOK, &c)
	return c.Code
}

// merchDesk creates a merch desk of the event, enrols scannerd as it and
// starts it.
func (e *event) merchDesk(t *testing.T, name string) *gate {
	t.Helper()
	var g struct {
		Gate struct {
			ID      string `json:"id"`
			Purpose string `json:"purpose"`
		} `json:"gate"`
		Code string `json:"enrolment_code"`
	}
	call(t, "POST", e.base+"/v1/events/"+e.id+"/gates", e.organizer, map[string]any{"name": name, "purpose": "merch_pickup"}, http.StatusCreated, &g)
	if g.Gate.Purpose != "merch_pickup" {
		t.Fatalf("desk %s created with purpose %q", name, g.Gate.Purpose)
	}
	d := enroll(t, name, g.Gate.ID, e.base, g.Code)
	d.start(t)
	return d
}

// TestAfterTheEvent is acceptance point 6 with real processes: a
// syncserver, two scannerd merch desks and a scannerd door. Merchandise
// bought alone and with a ticket is handed out at desk 1 and refused at
// desk 2 with desk 1's name; with the server gone a desk says a pickup
// needs it. Feedback: the buyer, whose ticket the door admitted and
// uploaded, rates the event once; an account that never checked in is
// refused.
func TestAfterTheEvent(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	srv := startServer(t, t.TempDir(), "", "127.0.0.1:0")
	ev := setupEvent(t, srv.url, 2)
	bag := ev.merchType(t, "Tote bag")
	alone, n := ev.buyLines(t, map[string]any{"ticket_type_id": bag, "quantity": 2})
	if n != 0 {
		t.Fatalf("merchandise alone issued %d tickets, want none", n)
	}
	withTicket, n := ev.buyLines(t, map[string]any{"ticket_type_id": ev.typeID, "quantity": 1}, map[string]any{"ticket_type_id": bag, "quantity": 1})
	if n != 1 {
		t.Fatalf("a ticket and a bag issued %d tickets, want 1", n)
	}
	code := func(orderID string) string { return ev.pickupCode(t, orderID) }
	d1, d2 := ev.merchDesk(t, "Desk 1"), ev.merchDesk(t, "Desk 2")
	door := newGate(t, ev, srv.url, "Door")
	door.start(t)
	for _, g := range []*gate{d1, d2} {
		var st struct {
			Purpose string `json:"purpose"`
		}
		call(t, "GET", g.api+"/v1/status", "", nil, http.StatusOK, &st)
		if st.Purpose != "merch_pickup" {
			t.Errorf("desk %s's status says purpose %q, want merch_pickup", g.name, st.Purpose)
		}
	}
	pickup := func(g *gate, code string) pickupAnswer {
		var a pickupAnswer
		call(t, "POST", g.api+"/v1/pickup", "", map[string]any{"code": code}, http.StatusOK, &a)
		return a
	}

	for _, o := range []struct {
		id   string
		want int
	}{{alone, 2}, {withTicket, 1}} {
		c := code(o.id)
		first := pickup(d1, c)
		if len(first.HandedOut) != 1 || first.HandedOut[0].Name != "Tote bag" || first.HandedOut[0].Quantity != o.want || len(first.Earlier) != 0 {
			t.Fatalf("order %s at desk 1: %+v, want %d tote bags handed out", o.id, first, o.want)
		}
		second := pickup(d2, c)
		if len(second.HandedOut) != 0 || len(second.Earlier) != 1 || second.Earlier[0].GateName != "Desk 1" || second.Earlier[0].GateID != d1.id {
			t.Fatalf("order %s again at desk 2: %+v, want nothing handed out and desk 1 named", o.id, second)
		}
		t.Logf("order %s: desk 2 refused %d tote bags, picked up at %s at %s", o.id, second.Earlier[0].Quantity,
			second.Earlier[0].GateName, second.Earlier[0].At.Format(time.RFC3339))
	}
	status, body, err := send("POST", door.api+"/v1/pickup", "", map[string]any{"code": code(alone)})
	if err != nil || status != http.StatusNotFound || !strings.Contains(string(body), "not_pickup_desk") {
		t.Errorf("a door asked for a pickup: %d %s %v, want 404 not_pickup_desk", status, body, err)
	}

	// Feedback: only after a check-in, once.
	path := srv.url + "/v1/events/" + ev.id + "/feedback"
	call(t, "POST", path, ev.buyer, map[string]any{"rating": 5}, http.StatusForbidden, nil)
	absent := account(t, srv.url, "absent@example.com")
	door.admit(t, ev.orders[0].Tickets[0])
	waitOutboxEmpty(t, door, 10*time.Second)
	call(t, "POST", path, ev.buyer, map[string]any{"rating": 5, "comment": "Great sound"}, http.StatusCreated, nil)
	call(t, "POST", path, ev.buyer, map[string]any{"rating": 1}, http.StatusConflict, nil)
	call(t, "POST", path, absent, map[string]any{"rating": 1}, http.StatusForbidden, nil)
	var sum struct {
		Count        int     `json:"count"`
		Average      float64 `json:"average"`
		Distribution []int   `json:"distribution"`
	}
	call(t, "GET", path, ev.organizer, nil, http.StatusOK, &sum)
	if sum.Count != 1 || sum.Average != 5 || len(sum.Distribution) != 5 || sum.Distribution[4] != 1 {
		t.Errorf("feedback summary %+v, want one 5", sum)
	}

	// Without the server a desk hands out nothing and says why.
	c := code(withTicket)
	srv.stop(t)
	status, body, err = send("POST", d2.api+"/v1/pickup", "", map[string]any{"code": c})
	if err != nil || status != http.StatusServiceUnavailable || !strings.Contains(string(body), "offline: pickup needs the server") {
		t.Errorf("pickup with the server stopped: %d %s %v, want 503 offline: pickup needs the server", status, body, err)
	}
}
