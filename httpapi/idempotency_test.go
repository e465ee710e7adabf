package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestIdempotencyKey replays a hold and an order with the same key, refuses
// the key with a different body, and keeps keys apart per caller, on both
// backends (PostgreSQL answered every keyed request with 500: the scoped
// key had a NUL byte, which its text type refuses).
func TestIdempotencyKey(t *testing.T) {
	forEachBackend(t, testIdempotencyKey)
}

func testIdempotencyKey(t *testing.T, backend string) {
	h := newHarness(t, backend)
	org := h.newUser(t, "organizer")
	o := h.createOrg(t, org, "Replay Org", false)
	v := h.createVenue(t, org, o.ID, venueBody("Replay Hall", "Berlin", "DE", 52.52, 13.40))
	ev := h.createEvent(t, org, o.ID, eventBody(v.ID, "Replay Night", "music", h.clock.Now().Add(30*24*time.Hour)))
	tt := h.createTicketType(t, org, ev.ID, ticketTypeBody("Standing", 2500, "EUR"))
	h.publish(t, org, ev.ID)
	buyer, other := h.newUser(t, "buyer"), h.newUser(t, "other")

	send := func(u *user, method, path, key string, body any) response {
		t.Helper()
		var b []byte
		if body != nil {
			b, _ = json.Marshal(body)
		}
		req, _ := http.NewRequestWithContext(t.Context(), method, h.srv.URL+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+u.Token)
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		res, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(res.Body)
		return response{status: res.StatusCode, header: res.Header, body: buf.Bytes()}
	}
	hold := map[string]any{"event_id": ev.ID, "lines": []map[string]any{{"ticket_type_id": tt.ID, "quantity": 2}}}

	first := send(buyer, "POST", "/v1/holds", "k-1", hold)
	again := send(buyer, "POST", "/v1/holds", "k-1", hold)
	if first.status != http.StatusCreated || again.status != http.StatusCreated {
		t.Fatalf("hold: %d then %d", first.status, again.status)
	}
	a, b := decodeAs[holdJSON](t, first, 201), decodeAs[holdJSON](t, again, 201)
	if a.ID != b.ID || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay made a second hold: %s then %s", a.ID, b.ID)
	}
	if !bytes.Equal(bytes.TrimSpace(first.body), bytes.TrimSpace(again.body)) {
		t.Fatalf("hold replay differs from the answer:\n%s\n%s", first.body, again.body)
	}
	wantCounts(t, h, tt.ID, 0, 2)

	changed := map[string]any{"event_id": ev.ID, "lines": []map[string]any{{"ticket_type_id": tt.ID, "quantity": 3}}}
	if res := send(buyer, "POST", "/v1/holds", "k-1", changed); res.status != http.StatusUnprocessableEntity || res.apiErr(t).Code != "idempotency_conflict" {
		t.Fatalf("same key, other body: %d %s", res.status, res.short())
	}
	wantCounts(t, h, tt.ID, 0, 2)

	// Another caller's identical key is theirs alone.
	if res := send(other, "POST", "/v1/holds", "k-1", hold); res.status != http.StatusCreated || decodeAs[holdJSON](t, res, 201).ID == a.ID {
		t.Fatalf("other caller with the same key: %d %s", res.status, res.short())
	}
	wantCounts(t, h, tt.ID, 0, 4)

	// A failed request is not stored: the retry runs again.
	if res := send(buyer, "POST", "/v1/orders", "k-2", map[string]any{"hold_id": "hld_000000000000000000000000"}); res.status != http.StatusNotFound {
		t.Fatalf("order of an unknown hold: %d", res.status)
	}
	o1 := send(buyer, "POST", "/v1/orders", "k-3", map[string]any{"hold_id": a.ID})
	o2 := send(buyer, "POST", "/v1/orders", "k-3", map[string]any{"hold_id": a.ID})
	if o1.status != http.StatusCreated || o2.status != http.StatusCreated || !bytes.Equal(bytes.TrimSpace(o1.body), bytes.TrimSpace(o2.body)) {
		t.Fatalf("order replay: %d %s / %d %s", o1.status, o1.short(), o2.status, o2.short())
	}
	wantCounts(t, h, tt.ID, 2, 2)

	for _, bad := range []string{"k 1", strings.Repeat("k", MaxIdempotencyKey+1)} {
		if res := send(buyer, "POST", "/v1/holds", bad, hold); res.status != http.StatusUnprocessableEntity || res.apiErr(t).Field != "Idempotency-Key" {
			t.Fatalf("bad key %.10q: %d %s", bad, res.status, res.short())
		}
	}
	wantCounts(t, h, tt.ID, 2, 2)
}

// TestIdempotencyConcurrent sends one hold, then one order, many times at
// once with one key: one hold and one order are made, and every request
// gets their answer (before, each request ran, so holds were made that
// nobody was told of, and all but one order attempt answered 409).
func TestIdempotencyConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		org := h.newUser(t, "organizer")
		o := h.createOrg(t, org, "Race Org", false)
		v := h.createVenue(t, org, o.ID, venueBody("Race Hall", "Berlin", "DE", 52.52, 13.40))
		ev := h.createEvent(t, org, o.ID, eventBody(v.ID, "Race Night", "music", h.clock.Now().Add(30*24*time.Hour)))
		tt := h.createTicketType(t, org, ev.ID, ticketTypeBody("Standing", 2500, "EUR"))
		h.publish(t, org, ev.ID)
		buyer := h.newUser(t, "buyer")

		const n = 16
		race := func(path string, body any) []response {
			b, _ := json.Marshal(body)
			out := make([]response, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					req, _ := http.NewRequestWithContext(t.Context(), "POST", h.srv.URL+path, bytes.NewReader(b))
					req.Header.Set("Authorization", "Bearer "+buyer.Token)
					req.Header.Set("Idempotency-Key", "race-"+path)
					out[i] = h.send(t, req)
				})
			}
			wg.Wait()
			for i, res := range out {
				if res.status != http.StatusCreated || !bytes.Equal(bytes.TrimSpace(res.body), bytes.TrimSpace(out[0].body)) {
					t.Fatalf("POST %s #%d with one key: %d %s; #0: %d %s", path, i, res.status, res.short(), out[0].status, out[0].short())
				}
			}
			return out
		}
		holds := race("/v1/holds", map[string]any{"event_id": ev.ID, "lines": []map[string]any{{"ticket_type_id": tt.ID, "quantity": 1}}})
		wantCounts(t, h, tt.ID, 0, 1)
		race("/v1/orders", map[string]any{"hold_id": decodeAs[holdJSON](t, holds[0], 201).ID})
		wantCounts(t, h, tt.ID, 1, 0)
	})
}
