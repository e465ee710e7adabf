package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/storage/postgres/pgtest"
	"github.com/admitone/admitone/waitroom"
)

// queueShow makes a published event with one ticket type of 100.
func queueShow(t *testing.T, h *harness, org *user, title string) (catalog.Event, catalog.TicketType) {
	t.Helper()
	o := h.createOrg(t, org, title+" Org", false)
	v := h.createVenue(t, org, o.ID, venueBody("Arena", "Köln", "DE", 50.94, 6.96))
	ev := h.createEvent(t, org, o.ID, eventBody(v.ID, title, "music", h.clock.Now().Add(60*24*time.Hour)))
	tt := h.createTicketType(t, org, ev.ID, ticketTypeBody("Standing", 0, "EUR"))
	return h.publish(t, org, ev.ID), tt
}

func holdBody(eventID, typeID, token string) map[string]any {
	b := map[string]any{"event_id": eventID, "lines": []map[string]any{{"ticket_type_id": typeID, "quantity": 1}}}
	if token != "" {
		b["admission_token"] = token
	}
	return b
}

// holdWithHeader asks for a hold with the admission token in the
// AdmitOne-Admission header.
func (h *harness) holdWithHeader(t *testing.T, u *user, eventID, typeID, token string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", h.srv.URL+"/v1/holds",
		strings.NewReader(fmt.Sprintf(`{"event_id":%q,"lines":[{"ticket_type_id":%q,"quantity":1}]}`, eventID, typeID)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+u.Token)
	req.Header.Set("AdmitOne-Admission", token)
	return h.send(t, req)
}

// wantRefused checks a refusal's status and code, and that it shows no
// token.
func wantRefused(t *testing.T, what string, res response, status int, code, token string) {
	t.Helper()
	if res.status != status {
		t.Errorf("%s: status %d, want %d; body %s", what, res.status, status, res.short())
		return
	}
	if e := res.apiErr(t); e.Code != code {
		t.Errorf("%s: code %q (%s), want %s", what, e.Code, e.Message, code)
	}
	if token != "" && strings.Contains(string(res.body), token) {
		t.Errorf("%s: the answer shows the token", what)
	}
}

// TestWaitingRoom: an organizer turns an event's waiting room on;
// buyers join in order, one place per account, see their position and
// wait, and are admitted at the rate in arrival order; a hold needs the
// buyer's own admission token (in the body or the header), which stops
// working when it expires; joining again is a new place at the end;
// the room turned off lets holds through again.
func TestWaitingRoom(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		t.Parallel()
		h := newHarness(t, backend)
		h.purchase.MaxHeldPerBuyer, h.purchase.HoldsPerMinute = -1, -1
		org := h.newUser(t, "organizer")
		ev, tt := queueShow(t, h, org, "Reunion Tour")
		a, b, c, d := h.newUser(t, "a"), h.newUser(t, "b"), h.newUser(t, "c"), h.newUser(t, "d")
		room := "/v1/events/" + ev.ID + "/waiting-room"
		queue := "/v1/events/" + ev.ID + "/queue"
		held := func() int {
			t.Helper()
			_, n, err := h.purStore.Counts(t.Context(), tt.ID)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		// No room: holds as ever, and no queue.
		h.do(t, "POST", "/v1/holds", a.Token, holdBody(ev.ID, tt.ID, "")).want(t, http.StatusCreated)
		wantRefused(t, "joining without a room", h.do(t, "POST", queue, a.Token, nil), http.StatusConflict, "no_waiting_room", "")
		v := decodeAs[waitroom.View](t, h.do(t, "GET", room, org.Token, nil), http.StatusOK)
		if v.Enabled || v.AdmissionTTLSeconds != 600 {
			t.Errorf("a room never set: %+v, want off with 600 s", v)
		}

		// Bad settings change nothing.
		for _, body := range []map[string]any{
			{"enabled": true, "admit_per_minute": 0},
			{"enabled": true, "admit_per_minute": 60, "admission_ttl_seconds": 10},
			{"enabled": true, "admit_per_minute": 60, "opens_at": "tomorrow"},
			{"enabled": true, "admit_per_minute": 60, "rate": 5},
		} {
			if res := h.do(t, "PUT", room, org.Token, body); res.status != http.StatusBadRequest && res.status != http.StatusUnprocessableEntity {
				t.Errorf("PUT %v: status %d, want 400 or 422; %s", body, res.status, res.short())
			}
		}
		if v := decodeAs[waitroom.View](t, h.do(t, "GET", room, org.Token, nil), http.StatusOK); v.Enabled {
			t.Errorf("refused settings turned the room on: %+v", v)
		}

		v = decodeAs[waitroom.View](t, h.do(t, "PUT", room, org.Token,
			map[string]any{"enabled": true, "admit_per_minute": 60, "admission_ttl_seconds": 120}), http.StatusOK)
		if !v.Enabled || v.AdmitPerMinute != 60 || v.AdmissionTTLSeconds != 120 {
			t.Errorf("PUT: %+v", v)
		}

		// Holds now need an admission.
		before := held()
		wantRefused(t, "a hold without admission", h.do(t, "POST", "/v1/holds", a.Token, holdBody(ev.ID, tt.ID, "")),
			http.StatusForbidden, "admission_required", "")

		// Joining: in arrival order, once per account.
		for i, u := range []*user{a, b, c} {
			st := decodeAs[waitroom.Status](t, h.do(t, "POST", queue, u.Token, nil), http.StatusOK)
			if st.Status != waitroom.StatusWaiting || st.Number != int64(i+1) || st.Position != int64(i+1) || st.Ahead != int64(i) ||
				st.EstimatedWaitSeconds != int64(i+1) || st.AdmissionToken != "" {
				t.Errorf("join %d: %+v", i+1, st)
			}
		}
		if st := decodeAs[waitroom.Status](t, h.do(t, "POST", queue, a.Token, nil), http.StatusOK); st.Number != 1 {
			t.Errorf("joining again: number %d, want 1", st.Number)
		}
		wantRefused(t, "a poll without a place", h.do(t, "GET", queue, d.Token, nil), http.StatusNotFound, "not_in_queue", "")
		h.do(t, "PUT", room, a.Token, map[string]any{"enabled": false, "admit_per_minute": 60}).want(t, http.StatusNotFound)
		wantRefused(t, "a hold while waiting", h.do(t, "POST", "/v1/holds", a.Token, holdBody(ev.ID, tt.ID, waitroom.TokenPrefix+strings.Repeat("A", 43))),
			http.StatusForbidden, "admission_required", "")

		// A second on: a is admitted, b is next.
		h.clock.Advance(time.Second)
		st := decodeAs[waitroom.Status](t, h.do(t, "GET", queue, a.Token, nil), http.StatusOK)
		if st.Status != waitroom.StatusAdmitted || st.AdmissionToken == "" || !st.ExpiresAt.Equal(h.clock.Now().Add(2*time.Minute)) {
			t.Fatalf("a after a second: %+v", st)
		}
		token := st.AdmissionToken
		if bs := decodeAs[waitroom.Status](t, h.do(t, "GET", queue, b.Token, nil), http.StatusOK); bs.Status != waitroom.StatusWaiting ||
			bs.Position != 1 || bs.AdmissionToken != "" {
			t.Errorf("b after a second: %+v", bs)
		}
		wantRefused(t, "b with a's token", h.do(t, "POST", "/v1/holds", b.Token, holdBody(ev.ID, tt.ID, token)),
			http.StatusForbidden, "admission_required", token)
		other, otherType := queueShow(t, h, org, "Other Show")
		h.do(t, "PUT", "/v1/events/"+other.ID+"/waiting-room", org.Token, map[string]any{"enabled": true, "admit_per_minute": 60}).want(t, http.StatusOK)
		wantRefused(t, "a's token for another event", h.do(t, "POST", "/v1/holds", a.Token, holdBody(other.ID, otherType.ID, token)),
			http.StatusForbidden, "admission_required", token)
		if n := held(); n != before {
			t.Errorf("refused holds held %d tickets", n-before)
		}
		h.do(t, "POST", "/v1/holds", a.Token, holdBody(ev.ID, tt.ID, token)).want(t, http.StatusCreated)
		h.holdWithHeader(t, a, ev.ID, tt.ID, token).want(t, http.StatusCreated)

		// Expired: the token holds no more; joining again is a new place.
		h.clock.Advance(2 * time.Minute)
		before = held()
		wantRefused(t, "an expired admission", h.do(t, "POST", "/v1/holds", a.Token, holdBody(ev.ID, tt.ID, token)),
			http.StatusForbidden, "admission_expired", token)
		if n := held(); n != before {
			t.Errorf("the expired admission held %d tickets", n-before)
		}
		if st := decodeAs[waitroom.Status](t, h.do(t, "GET", queue, a.Token, nil), http.StatusOK); st.Status != waitroom.StatusExpired || st.AdmissionToken != "" {
			t.Errorf("a after expiry: %+v", st)
		}
		// d joins an empty line and is admitted at once (the room's
		// burst); a, joining again, is behind d.
		if st := decodeAs[waitroom.Status](t, h.do(t, "POST", queue, d.Token, nil), http.StatusOK); st.Number != 4 || st.Status != waitroom.StatusAdmitted {
			t.Errorf("d joining an empty line: %+v, want number 4, admitted", st)
		}
		if st := decodeAs[waitroom.Status](t, h.do(t, "POST", queue, a.Token, nil), http.StatusOK); st.Number != 5 || st.Status != waitroom.StatusWaiting ||
			st.Position != 1 || st.EstimatedWaitSeconds != 1 {
			t.Errorf("a joining again after expiry: %+v, want number 5, waiting, next", st)
		}

		// The organizer sees the queue; off, holds need nothing.
		v = decodeAs[waitroom.View](t, h.do(t, "GET", room, org.Token, nil), http.StatusOK)
		if v.Joined != 5 || v.Admitted != 4 || v.Waiting != 1 {
			t.Errorf("the organizer's view: %+v, want 5 joined, 4 admitted, 1 waiting", v)
		}
		h.do(t, "PUT", room, org.Token, map[string]any{"enabled": false, "admit_per_minute": 60}).want(t, http.StatusOK)
		h.do(t, "POST", "/v1/holds", a.Token, holdBody(ev.ID, tt.ID, "")).want(t, http.StatusCreated)
	})
}

// TestWaitingRoomTwoProcesses: two servers on one PostgreSQL database
// (two storage.Open of one schema, two service graphs) share one
// queue: buyers joining through either at once get the numbers 1..N
// once each, admissions given through either follow the rate in arrival
// order and nobody is admitted twice, and a token one server gave holds
// at the other.
func TestWaitingRoomTwoProcesses(t *testing.T) {
	pgtest.DSN(t)
	h1 := newHarness(t, "postgres")
	h2 := h1.secondServer(t)
	for _, h := range []*harness{h1, h2} {
		h.purchase.MaxHeldPerBuyer, h.purchase.HoldsPerMinute = -1, -1
	}
	org := h1.newUser(t, "organizer")
	ev, tt := queueShow(t, h1, org, "Stadium Night")
	room := "/v1/events/" + ev.ID + "/waiting-room"
	set := decodeAs[waitroom.View](t, h2.do(t, "PUT", room, org.Token, map[string]any{"enabled": true, "admit_per_minute": 120}), http.StatusOK)
	queue := "/v1/events/" + ev.ID + "/queue"
	const n = 12
	buyers := make([]*user, n)
	for i := range buyers {
		buyers[i] = h1.newUser(t, fmt.Sprintf("buyer%d", i))
	}
	server := func(i int) *harness { return []*harness{h1, h2}[i%2] }

	numbers := make([]int64, n)
	var wg sync.WaitGroup
	for i, u := range buyers {
		wg.Go(func() {
			st := decodeAs[waitroom.Status](t, server(i).do(t, "POST", queue, u.Token, nil), http.StatusOK)
			numbers[i] = st.Number
		})
	}
	wg.Wait()
	byNumber := make(map[int64]int) // number -> buyer
	for i, num := range numbers {
		if num < 1 || num > n {
			t.Errorf("buyer %d has number %d, not in 1..%d", i, num, n)
		}
		if j, dup := byNumber[num]; dup {
			t.Errorf("buyers %d and %d both have number %d", j, i, num)
		}
		byNumber[num] = i
	}

	admittedAt := make(map[int]time.Time)
	tokens := make([]string, n)
	for step := 1; step <= 4; step++ {
		h1.clock.Advance(time.Second) // 2 a second
		statuses := make([]waitroom.Status, n)
		for i, u := range buyers {
			wg.Go(func() {
				statuses[i] = decodeAs[waitroom.Status](t, server(i+step).do(t, "GET", queue, u.Token, nil), http.StatusOK)
			})
		}
		wg.Wait()
		admitted := 0
		for i, st := range statuses {
			if st.Status != waitroom.StatusAdmitted {
				continue
			}
			admitted++
			if st.Number > int64(2*step) {
				t.Errorf("after %d s, number %d is admitted: not in arrival order", step, st.Number)
			}
			if at, ok := admittedAt[i]; ok && !at.Equal(st.AdmittedAt) {
				t.Errorf("buyer %d admitted at %v, then again at %v", i, at, st.AdmittedAt)
			}
			admittedAt[i] = st.AdmittedAt
			tokens[i] = st.AdmissionToken
		}
		if admitted != 2*step {
			t.Errorf("after %d s: %d admitted, want %d", step, admitted, 2*step)
		}
	}
	// Polls through both read the room and stamp places: the room's
	// record was last written by the organizer.
	if v := decodeAs[waitroom.View](t, h1.do(t, "GET", room, org.Token, nil), http.StatusOK); !v.UpdatedAt.Equal(set.UpdatedAt) || v.Admitted != 8 || v.Waiting != n-8 {
		t.Errorf("the room after the polls: %+v, want updated at %v (by the organizer only), 8 admitted", v, set.UpdatedAt)
	}
	// The first admitted holds at the server that did not give its token.
	first := byNumber[1]
	server(first+1).do(t, "POST", "/v1/holds", buyers[first].Token, holdBody(ev.ID, tt.ID, tokens[first])).want(t, http.StatusCreated)
	last := byNumber[n]
	wantRefused(t, "the last in line", server(last).do(t, "POST", "/v1/holds", buyers[last].Token, holdBody(ev.ID, tt.ID, "")),
		http.StatusForbidden, "admission_required", "")
}
