package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/purchase"
)

// raceTimeout bounds each request of a race: a request that does not end
// within it counts as a failure (a lock that is never released, a pool
// that starves).
const raceTimeout = 60 * time.Second

// buyers creates n signed-in accounts straight through the account store:
// one precomputed password hash (argon2id per account would take minutes)
// and a session token each, whose secret is the bearer.
func (h *harness) buyers(t *testing.T, n int) []*user {
	t.Helper()
	hash := account.HashPassword(testPassword)
	now := h.clock.Now().UTC().Truncate(time.Microsecond)
	users := make([]*user, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range users {
		var b [32]byte
		rand.Read(b[:])
		u := &user{ID: id.New("usr"), Email: h.email("buyer"), Token: account.SessionPrefix + base64.RawURLEncoding.EncodeToString(b[:])}
		users[i] = u
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx := t.Context()
			if err := h.acctStore.CreateUser(ctx, account.User{ID: u.ID, Email: u.Email, Name: "Buyer", PasswordHash: hash, CreatedAt: now}); err != nil {
				errs <- fmt.Errorf("CreateUser %s: %w", u.Email, err)
				return
			}
			if err := h.acctStore.CreateToken(ctx, account.Token{Hash: account.HashSecret(u.Token), UserID: u.ID,
				Kind: account.TokenSession, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}); err != nil {
				errs <- fmt.Errorf("CreateToken %s: %w", u.Email, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// The tokens work as the API sees them.
	h.do(t, "GET", "/v1/orders/ord_000000000000000000000000", users[0].Token, nil).want(t, http.StatusNotFound)
	return users
}

// raceResult is one racer's answer.
type raceResult struct {
	status int
	body   []byte
	err    error
}

// race sends n requests at once, request i as users[i] with body(i), each
// bounded by raceTimeout, over a client whose pool holds them all.
func (h *harness) race(t *testing.T, method, path string, users []*user, body func(i int) any) []raceResult {
	t.Helper()
	return h.racePaths(t, method, func(int) string { return path }, users, body)
}

// racePaths is race with a path per racer.
func (h *harness) racePaths(t *testing.T, method string, path func(i int) string, users []*user, body func(i int) any) []raceResult {
	t.Helper()
	tr := &http.Transport{MaxIdleConns: len(users), MaxIdleConnsPerHost: len(users), IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	results := make([]raceResult, len(users))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, u := range users {
		j, err := json.Marshal(body(i))
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), raceTimeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, method, h.srv.URL+path(i), bytes.NewReader(j))
			if err != nil {
				results[i].err = err
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+u.Token)
			<-start
			res, err := client.Do(req)
			if err != nil {
				results[i].err = err
				return
			}
			defer res.Body.Close()
			results[i].status = res.StatusCode
			results[i].body, results[i].err = io.ReadAll(res.Body)
		})
	}
	close(start)
	wg.Wait()
	return results
}

// holdJSON and orderJSON are the API's hold and order as a client reads
// them.
type holdJSON struct {
	ID        string          `json:"id"`
	BuyerID   string          `json:"buyer_id"`
	EventID   string          `json:"event_id"`
	Lines     []purchase.Line `json:"lines"`
	Status    string          `json:"status"`
	ExpiresAt time.Time       `json:"expires_at"`
}

type orderJSON struct {
	ID      string `json:"id"`
	HoldID  string `json:"hold_id"`
	BuyerID string `json:"buyer_id"`
	EventID string `json:"event_id"`
	Lines   []struct {
		TicketTypeID string        `json:"ticket_type_id"`
		Quantity     int           `json:"quantity"`
		UnitPrice    catalog.Money `json:"unit_price"`
	} `json:"lines"`
	Total     catalog.Money `json:"total"`
	Status    string        `json:"status"`
	ExpiresAt time.Time     `json:"expires_at"`
}

// tally checks that every racer got wantOK×okStatus and the rest 409
// sold_out, with no transport error, timeout or 5xx; it returns the
// indexes of the winners.
func tally(t *testing.T, results []raceResult, okStatus, wantOK int) []int {
	t.Helper()
	var winners []int
	soldOut, other := 0, map[string]int{}
	for i, r := range results {
		switch {
		case r.err != nil:
			other["error: "+r.err.Error()]++
		case r.status == okStatus:
			winners = append(winners, i)
		case r.status == http.StatusConflict:
			e := response{status: r.status, header: http.Header{"Content-Type": {"application/json"}}, body: r.body}.apiErr(t)
			if e.Code == "sold_out" {
				soldOut++
			} else {
				other[fmt.Sprintf("409 %s: %s", e.Code, e.Message)]++
			}
		default:
			other[fmt.Sprintf("%d %s", r.status, bytes.TrimSpace(r.body))]++
		}
	}
	if len(winners) != wantOK || soldOut != len(results)-wantOK || len(other) > 0 {
		t.Fatalf("%d racers: %d × %d and %d × 409 sold_out, want %d and %d; other answers: %v",
			len(results), len(winners), okStatus, soldOut, wantOK, len(results)-wantOK, other)
	}
	return winners
}

// TestOversellHTTP races buyers for the last tickets through the real
// server and storage: exactly the capacity is held, then ordered, and the
// store's counters, the holds and the orders agree.
func TestOversellHTTP(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		org := h.newUser(t, "organizer")
		o := h.createOrg(t, org, "Race Org", false)
		v := h.createVenue(t, org, o.ID, venueBody("Race Hall", "Berlin", "DE", 52.52, 13.40))
		starts := h.clock.Now().Add(30 * 24 * time.Hour)
		begin := time.Now()
		buyers := h.buyers(t, 500)
		t.Logf("%s: 500 buyers created in %v", backend, time.Since(begin).Round(time.Millisecond))

		t.Run("one ticket type", func(t *testing.T) {
			ev := h.createEvent(t, org, o.ID, eventBody(v.ID, "Race Night", "music", starts))
			tt := h.createTicketType(t, org, ev.ID, map[string]any{"name": "Standing", "kind": "admission",
				"price": map[string]any{"amount": 2500, "currency": "EUR"}, "capacity": 100, "per_order_max": 1})
			h.publish(t, org, ev.ID)
			ctx := t.Context()

			begin := time.Now()
			results := h.race(t, "POST", "/v1/holds", buyers, func(int) any {
				return map[string]any{"event_id": ev.ID, "lines": []map[string]any{{"ticket_type_id": tt.ID, "quantity": 1}}}
			})
			t.Logf("%s: %d hold requests in %v", backend, len(results), time.Since(begin).Round(time.Millisecond))
			winners := tally(t, results, http.StatusCreated, 100)

			holds := map[string]holdJSON{} // by buyer id
			for _, i := range winners {
				var hj holdJSON
				if err := json.Unmarshal(results[i].body, &hj); err != nil {
					t.Fatalf("hold %s: %v", results[i].body, err)
				}
				if hj.ID == "" || hj.BuyerID != buyers[i].ID || hj.EventID != ev.ID || hj.Status != "active" ||
					len(hj.Lines) != 1 || hj.Lines[0] != (purchase.Line{TicketTypeID: tt.ID, Quantity: 1}) || !hj.ExpiresAt.After(h.clock.Now()) {
					t.Fatalf("buyer %s got hold %s", buyers[i].ID, results[i].body)
				}
				holds[hj.BuyerID] = hj
			}
			if len(holds) != 100 {
				t.Fatalf("%d distinct buyers hold tickets, want 100", len(holds))
			}
			wantCounts(t, h, tt.ID, 0, 100)
			a, err := h.catalog.Availability(ctx, ev.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.TicketTypes) != 1 || a.TicketTypes[0].Remaining != 0 {
				t.Errorf("availability after the race: %+v, want 0 remaining", a.TicketTypes)
			}
			// A latecomer is refused too.
			late := h.do(t, "POST", "/v1/holds", buyers[winners[0]].Token,
				map[string]any{"event_id": ev.ID, "lines": []map[string]any{{"ticket_type_id": tt.ID, "quantity": 1}}})
			if late.status != http.StatusConflict || late.apiErr(t).Code != "sold_out" {
				t.Errorf("hold after the sell-out: %d %s, want 409 sold_out", late.status, late.short())
			}

			// Every winner checks out, all at once.
			winBuyers := make([]*user, len(winners))
			for k, i := range winners {
				winBuyers[k] = buyers[i]
			}
			orders := h.race(t, "POST", "/v1/orders", winBuyers, func(k int) any {
				return map[string]any{"hold_id": holds[winBuyers[k].ID].ID}
			})
			for k, r := range orders {
				if r.err != nil || r.status != http.StatusCreated {
					t.Fatalf("buyer %s: POST /v1/orders: %d %s %v", winBuyers[k].ID, r.status, r.body, r.err)
				}
			}
			wantCounts(t, h, tt.ID, 100, 0)
			sold := 0
			for k, r := range orders {
				var oj orderJSON
				if err := json.Unmarshal(r.body, &oj); err != nil {
					t.Fatalf("order %s: %v", r.body, err)
				}
				b := winBuyers[k]
				hold := holds[b.ID]
				if oj.BuyerID != b.ID || oj.HoldID != hold.ID || oj.EventID != ev.ID || oj.Status != string(purchase.StatusPendingPayment) ||
					len(oj.Lines) != 1 || oj.Lines[0].TicketTypeID != tt.ID || oj.Lines[0].Quantity != 1 ||
					oj.Lines[0].UnitPrice != (catalog.Money{Amount: 2500, Currency: "EUR"}) ||
					oj.Total != (catalog.Money{Amount: 2500, Currency: "EUR"}) || !oj.ExpiresAt.After(h.clock.Now()) {
					t.Fatalf("buyer %s got order %s", b.ID, r.body)
				}
				// The store agrees with the answers.
				so, err := h.purStore.Order(ctx, oj.ID)
				if err != nil || so.BuyerID != b.ID || so.HoldID != hold.ID || !so.Counts() {
					t.Fatalf("stored order %s: %+v, %v", oj.ID, so, err)
				}
				sh, err := h.purStore.Hold(ctx, hold.ID)
				if err != nil || sh.Status != purchase.HoldOrdered || sh.OrderID != oj.ID {
					t.Fatalf("stored hold %s: %+v, %v; want ordered as %s", hold.ID, sh, err, oj.ID)
				}
				for _, l := range so.Lines {
					sold += l.Quantity
				}
				if k == 0 {
					got := decodeAs[orderJSON](t, h.do(t, "GET", "/v1/orders/"+oj.ID, b.Token, nil), http.StatusOK)
					if got.ID != oj.ID || got.Total != oj.Total {
						t.Errorf("GET /v1/orders/%s: %+v, want %+v", oj.ID, got, oj)
					}
				}
			}
			if sold != 100 {
				t.Errorf("orders hold %d tickets, want 100", sold)
			}
			taken, err := h.purStore.Taken(ctx, ev.ID)
			if err != nil || taken[tt.ID] != 100 {
				t.Errorf("Taken(%s) = %v, %v; want %s: 100", ev.ID, taken, err, tt.ID)
			}

			// Every winner pays, all at once; each gets one signed ticket,
			// and the tickets, the orders and the change log agree.
			orderIDs := make([]string, len(orders))
			for k, r := range orders {
				var oj orderJSON
				json.Unmarshal(r.body, &oj)
				orderIDs[k] = oj.ID
			}
			paid := h.racePaths(t, "POST", func(k int) string { return "/v1/orders/" + orderIDs[k] + "/pay" }, winBuyers,
				func(int) any { return map[string]any{"test_card": payment.TestCardSucceeds} })
			tickets := map[string]bool{}
			for k, r := range paid {
				if r.err != nil || r.status != http.StatusOK {
					t.Fatalf("buyer %s: pay: %d %s %v", winBuyers[k].ID, r.status, r.body, r.err)
				}
				var ov orderViewJSON
				if err := json.Unmarshal(r.body, &ov); err != nil {
					t.Fatal(err)
				}
				if ov.Order.Status != string(purchase.StatusPaid) || len(ov.Tickets) != 1 {
					t.Fatalf("buyer %s: pay answered %s", winBuyers[k].ID, r.body)
				}
				tk := ov.Tickets[0]
				if tk.HolderID != winBuyers[k].ID || tk.OrderID != orderIDs[k] || tk.TicketType.ID != tt.ID || tickets[tk.ID] {
					t.Fatalf("buyer %s: ticket %+v", winBuyers[k].ID, tk)
				}
				h.verifyToken(t, tk, ev.ID)
				tickets[tk.ID] = true
			}
			wantCounts(t, h, tt.ID, 100, 0)
			log, err := h.purStore.Changes(ctx, ev.ID, 0, changelog.MaxChanges)
			if err != nil || len(log) != 100 {
				t.Fatalf("change log: %d entries, %v; want 100", len(log), err)
			}
			for _, c := range log {
				if c.Kind != changelog.KindIssue || !tickets[c.TicketID] {
					t.Errorf("change %+v is not the issue of a ticket the buyers got", c)
				}
				delete(tickets, c.TicketID)
			}
		})

		t.Run("shared event capacity", func(t *testing.T) {
			ev := h.createEvent(t, org, o.ID, eventBody(v.ID, "Shared Floor", "music", starts.Add(24*time.Hour)))
			var tts []catalog.TicketType
			for _, name := range []string{"Early", "Regular", "Late"} {
				tts = append(tts, h.createTicketType(t, org, ev.ID, map[string]any{"name": name, "kind": "admission",
					"price": map[string]any{"amount": 3000, "currency": "EUR"}, "capacity": 100, "per_order_max": 1}))
			}
			h.publish(t, org, ev.ID)
			// The hook is set before any request of the race is sent.
			h.purchase.EventCapacity = func(_ context.Context, eventID string) (int, error) {
				if eventID == ev.ID {
					return 60, nil
				}
				return 0, nil
			}
			t.Cleanup(func() { h.purchase.EventCapacity = nil })

			racers := buyers[:300]
			results := h.race(t, "POST", "/v1/holds", racers, func(i int) any {
				return map[string]any{"event_id": ev.ID, "lines": []map[string]any{{"ticket_type_id": tts[i%3].ID, "quantity": 1}}}
			})
			winners := tally(t, results, http.StatusCreated, 60)
			perType := map[string]int{}
			holdIDs := make([]string, len(winners))
			winBuyers := make([]*user, len(winners))
			for k, i := range winners {
				var hj holdJSON
				if err := json.Unmarshal(results[i].body, &hj); err != nil || hj.BuyerID != racers[i].ID || len(hj.Lines) != 1 {
					t.Fatalf("hold %s: %v", results[i].body, err)
				}
				perType[hj.Lines[0].TicketTypeID]++
				holdIDs[k], winBuyers[k] = hj.ID, racers[i]
			}
			held := 0
			for _, tt := range tts {
				sold, h1, err := h.purStore.Counts(t.Context(), tt.ID)
				if err != nil {
					t.Fatal(err)
				}
				if sold != 0 || h1 != perType[tt.ID] {
					t.Errorf("Counts(%s) = (%d sold, %d held), want (0, %d) as the answers say", tt.Name, sold, h1, perType[tt.ID])
				}
				held += h1
			}
			if held != 60 {
				t.Errorf("%d held across the shared types, want 60", held)
			}

			// The winners check out and pay at once: the issued tickets,
			// the orders and the counters agree, type by type.
			orders := h.race(t, "POST", "/v1/orders", winBuyers, func(k int) any { return map[string]any{"hold_id": holdIDs[k]} })
			orderIDs := make([]string, len(orders))
			for k, r := range orders {
				var oj orderJSON
				if r.err != nil || r.status != http.StatusCreated || json.Unmarshal(r.body, &oj) != nil {
					t.Fatalf("buyer %s: POST /v1/orders: %d %s %v", winBuyers[k].ID, r.status, r.body, r.err)
				}
				orderIDs[k] = oj.ID
			}
			paid := h.racePaths(t, "POST", func(k int) string { return "/v1/orders/" + orderIDs[k] + "/pay" }, winBuyers,
				func(int) any { return map[string]any{"test_card": payment.TestCardSucceeds} })
			ticketsPerType := map[string]int{}
			for k, r := range paid {
				var ov orderViewJSON
				if r.err != nil || r.status != http.StatusOK || json.Unmarshal(r.body, &ov) != nil || len(ov.Tickets) != 1 {
					t.Fatalf("buyer %s: pay: %d %s %v", winBuyers[k].ID, r.status, r.body, r.err)
				}
				ticketsPerType[ov.Tickets[0].TicketType.ID]++
			}
			for _, tt := range tts {
				sold, held, err := h.purStore.Counts(t.Context(), tt.ID)
				if err != nil || sold != perType[tt.ID] || held != 0 || ticketsPerType[tt.ID] != sold {
					t.Errorf("%s: %d sold, %d held, %d tickets issued, %d holds won (%v)", tt.Name, sold, held, ticketsPerType[tt.ID], perType[tt.ID], err)
				}
			}
			log, err := h.purStore.Changes(t.Context(), ev.ID, 0, changelog.MaxChanges)
			if err != nil || len(log) != 60 {
				t.Errorf("change log of the shared event: %d entries, %v; want 60", len(log), err)
			}
		})
	})
}

// wantCounts checks a ticket type's store counters.
func wantCounts(t *testing.T, h *harness, ticketTypeID string, wantSold, wantHeld int) {
	t.Helper()
	sold, held, err := h.purStore.Counts(t.Context(), ticketTypeID)
	if err != nil {
		t.Fatal(err)
	}
	if sold != wantSold || held != wantHeld {
		t.Fatalf("Counts(%s) = (%d sold, %d held), want (%d, %d)", ticketTypeID, sold, held, wantSold, wantHeld)
	}
}
