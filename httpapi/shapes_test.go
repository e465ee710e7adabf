package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestEmptyListsAndSyncHandshake checks answers the OpenAPI document
// promises: an empty list is [] (a new buyer's tickets, an event's images,
// tags and ticket types, an enrolment's check-ins), and GET /v1/sync
// without a websocket handshake answers in the API's error shape.
func TestEmptyListsAndSyncHandshake(t *testing.T) {
	h := newHarness(t, "bolt")
	wantJSON := func(t *testing.T, r response, fragments ...string) {
		t.Helper()
		for _, f := range fragments {
			if !bytes.Contains(r.body, []byte(f)) {
				t.Errorf("answer lacks %s: %s", f, r.short())
			}
		}
		if bytes.Contains(r.body, []byte("null")) {
			t.Errorf("answer has a null: %s", r.short())
		}
	}
	buyer := h.newUser(t, "buyer")
	wantJSON(t, h.do(t, "GET", "/v1/tickets", buyer.Token, nil).want(t, http.StatusOK), `"tickets":[]`)

	org := h.newUser(t, "organizer")
	o := h.createOrg(t, org, "Empty Lists", false)
	v := h.createVenue(t, org, o.ID, venueBody("Hall", "Berlin", "DE", 52.5, 13.4))
	body := eventBody(v.ID, "Bare Event", "music", h.clock.Now().Add(30*24*time.Hour).Truncate(time.Second))
	delete(body, "tags")
	e := h.createEvent(t, org, o.ID, body)
	wantJSON(t, h.do(t, "GET", "/v1/events/"+e.ID, org.Token, nil).want(t, http.StatusOK),
		`"images":[]`, `"tags":[]`, `"ticket_types":[]`)

	h.createTicketType(t, org, e.ID, ticketTypeBody("Standing", 0, "EUR"))
	h.publish(t, org, e.ID)
	var gate struct {
		Code string `json:"enrolment_code"`
	}
	h.do(t, "POST", "/v1/events/"+e.ID+"/gates", org.Token, map[string]any{"name": "North", "direction": "entry"}).
		want(t, http.StatusCreated).decode(t, &gate)
	enroll := h.do(t, "POST", "/v1/gates/enroll", "", map[string]any{"code": gate.Code}).want(t, http.StatusOK)
	if !bytes.Contains(enroll.body, []byte(`"checkins":[]`)) {
		t.Errorf("enrolment of a gate of an event without check-ins lacks \"checkins\":[]: %s", enroll.short())
	}
	var cred struct {
		Credential string `json:"credential"`
	}
	enroll.decode(t, &cred)

	sync := func(header map[string]string) response {
		req, err := http.NewRequestWithContext(t.Context(), "GET", h.srv.URL+"/v1/sync", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+cred.Credential)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		return h.send(t, req)
	}
	r := sync(nil).want(t, http.StatusUpgradeRequired)
	if e := r.apiErr(t); e.Code != "upgrade_required" || !strings.Contains(e.Message, "websocket") {
		t.Errorf("GET /v1/sync without an upgrade: %+v", e)
	}
	if r.header.Get("Upgrade") != "websocket" {
		t.Errorf("426 without Upgrade: websocket: %v", r.header)
	}
	r = sync(map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "8"}).want(t, http.StatusUpgradeRequired)
	if e := r.apiErr(t); e.Code != "upgrade_required" || r.header.Get("Sec-WebSocket-Version") != "13" {
		t.Errorf("GET /v1/sync with version 8: %+v, header %v", e, r.header)
	}
	r = sync(map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "short"}).
		want(t, http.StatusBadRequest)
	if e := r.apiErr(t); e.Code != "bad_handshake" {
		t.Errorf("GET /v1/sync with a bad key: %+v", e)
	}
	// Without a credential the answer is still 401, as before.
	h.do(t, "GET", "/v1/sync", "", nil).want(t, http.StatusUnauthorized).apiErr(t)
}

// TestEmptyLists checks writeJSON's conversion of nil slices, which copies
// rather than changes what it is given.
func TestEmptyLists(t *testing.T) {
	type Inner struct {
		Names []string `json:"names"`
		Skip  []string `json:"skip,omitempty"`
		Raw   []byte   `json:"raw"`
	}
	type outer struct {
		Inner
		At    time.Time         `json:"at"`
		Items []Inner           `json:"items"`
		Ptr   *Inner            `json:"ptr"`
		Map   map[string]any    `json:"map"`
		Nil   map[string]string `json:"nil"`
		Arr   [1]Inner          `json:"arr"`
		Hide  []string          `json:"-"`
	}
	in := outer{At: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), Items: []Inner{{Names: []string{"a"}}, {}}, Ptr: &Inner{},
		Map: map[string]any{"tickets": []int(nil), "n": 1}}
	before, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(emptyLists(in))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"names":[],"raw":null,"at":"2030-01-02T03:04:05Z","items":[{"names":["a"],"raw":null},{"names":[],"raw":null}],"ptr":{"names":[],"raw":null},` +
		`"map":{"n":1,"tickets":[]},"nil":null,"arr":[{"names":[],"raw":null}]}`
	if string(got) != want {
		t.Errorf("emptyLists:\n got %s\nwant %s", got, want)
	}
	after, _ := json.Marshal(in)
	if !bytes.Equal(before, after) {
		t.Errorf("emptyLists changed its argument:\n%s\n%s", before, after)
	}
	for _, v := range []any{nil, 1, "s", []int{1}, &in} {
		if r := emptyLists(v); v != nil && reflect.TypeOf(r) != reflect.TypeOf(v) {
			t.Errorf("emptyLists(%T) is a %T", v, r)
		}
	}
}
