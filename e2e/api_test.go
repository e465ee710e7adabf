package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// password is every test account's password.
const password = "correct horse battery"

// httpClient bounds every request a test makes.
var httpClient = &http.Client{Timeout: 15 * time.Second}

// call sends a JSON request to url and wants status; out, if set,
// receives the JSON answer.
func call(t *testing.T, method, url, token string, body any, want int, out any) {
	t.Helper()
	status, b, err := send(method, url, token, body)
	wantAnswer(t, method, url, status, b, err, want, out)
}

// wantAnswer fails the test unless the request to url was answered want
// without a transport error, and decodes the answer into out (if set).
func wantAnswer(t *testing.T, method, url string, status int, b []byte, err error, want int, out any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	if status != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, url, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, b)
		}
	}
}

// send sends a JSON request and returns the status and body.
func send(method, url, token string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// account signs up email and logs in; it returns the session token.
func account(t *testing.T, base, email string) string {
	t.Helper()
	call(t, "POST", base+"/v1/auth/signup", "", map[string]any{"email": email, "password": password, "name": "E2E"}, http.StatusCreated, nil)
	var login struct {
		Token string `json:"token"`
	}
	call(t, "POST", base+"/v1/auth/login", "", map[string]any{"email": email, "password": password}, http.StatusOK, &login)
	if login.Token == "" {
		t.Fatal("login answered no token")
	}
	return login.Token
}

// ticket is a paid ticket as its buyer gets it.
type ticket struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

// order is a paid order and its tickets.
type order struct {
	ID      string
	Tickets []ticket
}

// event is a published event on a server with an organizer and a buyer
// who bought tickets.
type event struct {
	base      string // the server's URL the setup used
	organizer string // session tokens
	buyer     string
	id        string
	typeID    string
	orders    []order
}

// setupEvent makes an organizer, an org, a venue, an event starting in a
// month with one admission ticket type (capacity 1000, at most 10 per
// order), publishes it, and has a buyer buy n tickets in orders of 10.
func setupEvent(t *testing.T, base string, n int) *event {
	t.Helper()
	start := time.Now()
	e := &event{base: base}
	e.organizer = account(t, base, "organizer@example.com")
	var org, venue, ev, tt struct {
		ID string `json:"id"`
	}
	call(t, "POST", base+"/v1/orgs", e.organizer, map[string]any{"name": "E2E Events"}, http.StatusCreated, &org)
	call(t, "POST", base+"/v1/orgs/"+org.ID+"/venues", e.organizer, map[string]any{"name": "Gate Hall", "address": "Hauptstrasse 1",
		"city": "Berlin", "country": "DE", "lat": 52.52, "lon": 13.40}, http.StatusCreated, &venue)
	starts := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	call(t, "POST", base+"/v1/orgs/"+org.ID+"/events", e.organizer, map[string]any{"venue_id": venue.ID, "title": "Gate Sync Night",
		"category": "music", "time_zone": "Europe/Berlin", "starts_at": starts.Format(time.RFC3339),
		"ends_at": starts.Add(3 * time.Hour).Format(time.RFC3339)}, http.StatusCreated, &ev)
	e.id = ev.ID
	call(t, "POST", base+"/v1/events/"+e.id+"/ticket-types", e.organizer, map[string]any{"name": "Standing", "kind": "admission",
		"price": map[string]any{"amount": 2500, "currency": "EUR"}, "capacity": 1000, "per_order_max": 10}, http.StatusCreated, &tt)
	e.typeID = tt.ID
	call(t, "POST", base+"/v1/events/"+e.id+"/publish", e.organizer, nil, http.StatusOK, nil)

	e.buyer = account(t, base, "buyer@example.com")
	for left := n; left > 0; left -= 10 {
		e.buy(t, min(left, 10))
	}
	t.Logf("setup: event %s with %d tickets in %d orders in %v", e.id, n, len(e.orders), time.Since(start).Round(time.Millisecond))
	return e
}

// buy has the buyer hold, order and pay q tickets.
func (e *event) buy(t *testing.T, q int) order {
	t.Helper()
	var hold, ord struct {
		ID string `json:"id"`
	}
	call(t, "POST", e.base+"/v1/holds", e.buyer, map[string]any{"event_id": e.id,
		"lines": []map[string]any{{"ticket_type_id": e.typeID, "quantity": q}}}, http.StatusCreated, &hold)
	call(t, "POST", e.base+"/v1/orders", e.buyer, map[string]any{"hold_id": hold.ID}, http.StatusCreated, &ord)
	var paid struct {
		Tickets []ticket `json:"tickets"`
	}
	call(t, "POST", e.base+"/v1/orders/"+ord.ID+"/pay", e.buyer, map[string]any{"test_card": "4242424242424242"}, http.StatusOK, &paid)
	if len(paid.Tickets) != q {
		t.Fatalf("order %s paid with %d tickets, want %d", ord.ID, len(paid.Tickets), q)
	}
	for _, tk := range paid.Tickets {
		if tk.ID == "" || tk.Token == "" {
			t.Fatalf("order %s: ticket %+v lacks an id or a token", ord.ID, tk)
		}
	}
	o := order{ID: ord.ID, Tickets: paid.Tickets}
	e.orders = append(e.orders, o)
	return o
}

// tickets are every ticket bought, in order.
func (e *event) tickets() []ticket {
	var ts []ticket
	for _, o := range e.orders {
		ts = append(ts, o.Tickets...)
	}
	return ts
}

// createGate creates an entry gate and returns its id and enrolment code.
func (e *event) createGate(t *testing.T, name string) (id, code string) {
	t.Helper()
	var g struct {
		Gate struct {
			ID string `json:"id"`
		} `json:"gate"`
		Code string `json:"enrolment_code"`
	}
	call(t, "POST", e.base+"/v1/events/"+e.id+"/gates", e.organizer, map[string]any{"name": name, "direction": "entry"}, http.StatusCreated, &g)
	if g.Gate.ID == "" || g.Code == "" {
		t.Fatalf("gate %s: created without an id or an enrolment code: %+v", name, g)
	}
	return g.Gate.ID, g.Code
}

// serverCheckin is a check-in in the server's log.
type serverCheckin struct {
	Seq       int64     `json:"seq"`
	CheckinID string    `json:"checkin_id"`
	GateID    string    `json:"gate_id"`
	TicketID  string    `json:"ticket_id"`
	Direction string    `json:"direction"`
	At        time.Time `json:"at"`
	Offline   bool      `json:"offline"`
}

// checkins lists every check-in the server holds for the event, paging
// through GET /v1/events/{id}/checkins, at base (a server of the event).
func (e *event) checkins(t *testing.T, base string) []serverCheckin {
	t.Helper()
	var all []serverCheckin
	after := int64(0)
	for range 1000 {
		var page struct {
			Checkins []serverCheckin `json:"checkins"`
			Next     int64           `json:"next"`
		}
		call(t, "GET", base+"/v1/events/"+e.id+"/checkins?limit=100&after="+strconv.FormatInt(after, 10), e.organizer, nil, http.StatusOK, &page)
		all = append(all, page.Checkins...)
		if len(page.Checkins) < 100 {
			return all
		}
		if page.Next <= after {
			t.Fatalf("check-ins page after %d: next %d does not move on", after, page.Next)
		}
		after = page.Next
	}
	t.Fatal("check-ins: more than 1000 pages")
	return nil
}

// conflictSide and conflict are a conflict as the server lists it.
type conflictSide struct {
	CheckinID string    `json:"checkin_id"`
	GateID    string    `json:"gate_id"`
	At        time.Time `json:"at"`
	Offline   bool      `json:"offline"`
}

type conflict struct {
	TicketID string       `json:"ticket_id"`
	First    conflictSide `json:"first"`
	Second   conflictSide `json:"second"`
}

func (e *event) conflicts(t *testing.T) []conflict {
	t.Helper()
	var res struct {
		Conflicts []conflict `json:"conflicts"`
	}
	call(t, "GET", e.base+"/v1/events/"+e.id+"/conflicts", e.organizer, nil, http.StatusOK, &res)
	return res.Conflicts
}

// --- the gate's local API

// verdict is scannerd's answer to POST /v1/scan.
type verdict struct {
	Verdict   string `json:"verdict"`
	Reason    string `json:"reason"`
	TicketID  string `json:"ticket_id"`
	GateID    string `json:"gate_id"`
	CheckinID string `json:"checkin_id"`
	Previous  *struct {
		GateID  string `json:"gate_id"`
		Offline bool   `json:"offline"`
	} `json:"previous"`
}

func (v verdict) String() string { return fmt.Sprintf("%s (%s)", v.Verdict, v.Reason) }

// scan posts a code to the gate's local API.
func (g *gate) scan(t *testing.T, code string, dryRun bool) verdict {
	t.Helper()
	var v verdict
	call(t, "POST", g.api+"/v1/scan", "", map[string]any{"code": code, "dry_run": dryRun}, http.StatusOK, &v)
	return v
}

// admit scans a ticket for real and fails the test unless it is
// accepted with a check-in id.
func (g *gate) admit(t *testing.T, tk ticket) verdict {
	t.Helper()
	v := g.scan(t, tk.Token, false)
	if v.Verdict != "accepted" || v.CheckinID == "" || v.TicketID != tk.ID {
		t.Fatalf("gate %s, ticket %s: %s for ticket %s with check-in %q, want accepted for the ticket with a check-in",
			g.name, tk.ID, v, v.TicketID, v.CheckinID)
	}
	return v
}

// gateStatus is the part of GET /v1/status the tests read.
type gateStatus struct {
	Checkins int `json:"checkins"`
	Outbox   int `json:"outbox"`
}

func (g *gate) status(t *testing.T) gateStatus {
	t.Helper()
	var st gateStatus
	call(t, "GET", g.api+"/v1/status", "", nil, http.StatusOK, &st)
	return st
}
