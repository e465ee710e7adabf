//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/storage"
	"github.com/admitone/admitone/storage/postgres/pgtest"
)

// TestCrashIdempotency kills the real syncserver (SIGKILL) while about
// crashInFlight holds and orders, each with an Idempotency-Key, are in
// flight, restarts it and retries every request of the round with its
// key, on bbolt and on PostgreSQL. A request that was answered gets the
// same answer again, byte for byte; one that was not gets a 201 (its
// first attempt's hold or order if that committed, a fresh one if not).
// After the last round the store, read with the server stopped, holds
// exactly the orders and active holds the buyers were told of: none is
// orphaned (made, and its quantities taken, with nobody told), and the
// counters agree.
//
// It is short by default (crashRounds kills); ADMITONE_CRASH_ROUNDS and
// ADMITONE_CRASH_ANSWERS (answers per round before the kill) make it
// bigger.
func TestCrashIdempotency(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes: skipped with -short")
	}
	rounds, answers := crashEnv(t, "ADMITONE_CRASH_ROUNDS", crashRounds), crashEnv(t, "ADMITONE_CRASH_ANSWERS", crashAnswers)
	testenv.Program(t, "syncserver")
	t.Run("bolt", func(t *testing.T) { runCrashIdempotency(t, "", rounds, answers) })
	t.Run("postgres", func(t *testing.T) { runCrashIdempotency(t, pgtest.FreshSchema(t), rounds, answers) })
}

// The default size: about crashInFlight requests in flight at each kill,
// from crashBuyers buyers (each with crashInFlight/crashBuyers at once).
const (
	crashRounds   = 2
	crashAnswers  = 150
	crashBuyers   = 20
	crashInFlight = 100
)

func crashEnv(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1_000_000 {
		t.Fatalf("%s=%q: want a whole number from 1 to 1000000", name, s)
	}
	return n
}

// keyedRequest is one POST with an Idempotency-Key and what its first
// attempt was answered (status 0: nothing, the server died).
type keyedRequest struct {
	buyer  *flashClient
	path   string
	key    string
	body   []byte
	status int
	answer []byte
}

// crashLedger is what the buyers were told: every hold and order answered
// with 201, first time or on a retry.
type crashLedger struct {
	mu     sync.Mutex
	holds  map[string]bool // hold id -> ordered (an order of it was answered)
	orders map[string]bool
}

// note records a 201 answer to a hold or an order.
func (l *crashLedger) note(path string, answer []byte) error {
	var v struct {
		ID     string `json:"id"`
		HoldID string `json:"hold_id"`
	}
	if err := json.Unmarshal(answer, &v); err != nil || v.ID == "" {
		return fmt.Errorf("POST %s: 201 without an id: %s", path, answer)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if path == "/v1/holds" {
		if _, ok := l.holds[v.ID]; !ok {
			l.holds[v.ID] = false
		}
		return nil
	}
	l.orders[v.ID] = true
	l.holds[v.HoldID] = true
	return nil
}

func runCrashIdempotency(t *testing.T, database string, rounds, answers int) {
	ctx := t.Context()
	dataDir := t.TempDir()
	srv := startSaleServer(t, dataDir, database)
	organizer := &flashClient{client: loopbackClient(nil)}
	// Room for every purchase: a refusal for sold out is not what is
	// tested.
	eventID, typeID := flashEvent(t, organizer, srv.url, 1_000_000)
	buyers := signUpBuyers(t, srv.url, crashBuyers)
	ledger := &crashLedger{holds: map[string]bool{}, orders: map[string]bool{}}

	inFlight, retried, replayed := 0, 0, 0
	for round := range rounds {
		var sent []*keyedRequest
		var mu sync.Mutex
		var done atomic.Int64
		var wg sync.WaitGroup
		killed := make(chan struct{})
		var once sync.Once
		for w := range crashInFlight {
			b := buyers[w%len(buyers)]
			wg.Go(func() {
				for i := 0; ; i++ {
					hold := &keyedRequest{buyer: b, path: "/v1/holds", key: fmt.Sprintf("hold-%d-%d-%d", round, w, i)}
					hold.body, _ = json.Marshal(map[string]any{"event_id": eventID,
						"lines": []map[string]any{{"ticket_type_id": typeID, "quantity": 1}}})
					order := &keyedRequest{buyer: b, path: "/v1/orders", key: fmt.Sprintf("order-%d-%d-%d", round, w, i)}
					for _, r := range []*keyedRequest{hold, order} {
						if r == order {
							var h idJSON
							if json.Unmarshal(hold.answer, &h) != nil {
								return
							}
							r.body, _ = json.Marshal(map[string]string{"hold_id": h.ID})
						}
						mu.Lock()
						sent = append(sent, r)
						mu.Unlock()
						status, answer, _, err := keyedPost(ctx, r.buyer, srv.url, r.path, r.key, r.body)
						if err != nil {
							return // the server was killed
						}
						r.status, r.answer = status, answer
						if status != http.StatusCreated {
							return
						}
						if done.Add(1) == int64(answers) {
							once.Do(func() { srv.kill(t); close(killed) })
						}
					}
				}
			})
		}
		ended := make(chan struct{})
		go func() { wg.Wait(); close(ended) }()
		select {
		case <-killed:
		case <-ended: // every buyer stopped on an answer other than 201
		case <-time.After(2 * time.Minute):
			srv.kill(t)
		}
		<-ended
		select {
		case <-killed:
		default:
			for _, r := range sent {
				if r.status != 0 && r.status != http.StatusCreated {
					t.Errorf("POST %s (key %s): %d %s", r.path, r.key, r.status, r.answer)
					break
				}
			}
			t.Fatalf("round %d: the buyers stopped after %d answers, before the kill at %d", round, done.Load(), answers)
		}

		// Restart, and retry every request of the round with its key.
		srv = startSaleServer(t, dataDir, database)
		for _, b := range buyers {
			b.client.CloseIdleConnections()
		}
		work := make(chan *keyedRequest)
		errs := make(chan error, len(sent))
		var replays atomic.Int64
		for range crashInFlight {
			wg.Go(func() {
				for r := range work {
					if r.status != 0 && r.status != http.StatusCreated {
						errs <- fmt.Errorf("POST %s (key %s) before the kill: %d %s", r.path, r.key, r.status, r.answer)
						continue
					}
					status, answer, wasReplayed, err := keyedPost(ctx, r.buyer, srv.url, r.path, r.key, r.body)
					switch {
					case err != nil:
						errs <- fmt.Errorf("retry of POST %s (key %s): %v", r.path, r.key, err)
						continue
					case status != http.StatusCreated:
						errs <- fmt.Errorf("retry of POST %s (key %s, first answered %d): %d %s", r.path, r.key, r.status, status, answer)
						continue
					case r.status != 0 && !bytes.Equal(bytes.TrimSpace(answer), bytes.TrimSpace(r.answer)):
						errs <- fmt.Errorf("retry of POST %s (key %s) answered otherwise:\n first %s\n retry %s", r.path, r.key, r.answer, answer)
						continue
					case r.status != 0 && !wasReplayed:
						errs <- fmt.Errorf("retry of POST %s (key %s) ran again instead of replaying", r.path, r.key)
					}
					if wasReplayed {
						replays.Add(1)
					}
					if err := ledger.note(r.path, answer); err != nil {
						errs <- err
					}
				}
			})
		}
		lost := 0
		for _, r := range sent {
			if r.status == 0 {
				lost++
			}
			work <- r
		}
		close(work)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if t.Failed() {
			t.FailNow()
		}
		inFlight += lost
		retried += len(sent)
		replayed += int(replays.Load())
		t.Logf("round %d: killed after %d answers with %d requests in flight; %d retried, %d replayed", round, answers, lost, len(sent), replays.Load())
	}
	srv.stopClean(t, 30*time.Second)

	// What the store holds, read after the server stopped.
	b, err := storage.Open(ctx, database, dataDir)
	if err != nil {
		t.Fatalf("reopen storage: %v", err)
	}
	defer b.Close()
	sold, held, err := b.Purchases.Counts(ctx, typeID)
	if err != nil {
		t.Fatal(err)
	}
	var stored []string
	for after := ""; ; {
		page, err := b.Purchases.OrdersOfEvent(ctx, eventID, after, purchase.MaxOrdersPage)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page {
			stored = append(stored, o.ID)
			after = o.ID
		}
		if len(page) < purchase.MaxOrdersPage {
			break
		}
	}
	told := slices.Sorted(func(yield func(string) bool) {
		for id := range ledger.orders {
			if !yield(id) {
				return
			}
		}
	})
	active := 0
	for _, ordered := range ledger.holds {
		if !ordered {
			active++
		}
	}
	t.Logf("%d rounds: %d requests in flight at the kills, %d retried (%d replayed); store: %d sold, %d held; buyers told of %d orders and %d active holds",
		rounds, inFlight, retried, replayed, sold, held, len(told), active)
	if !slices.Equal(stored, told) {
		t.Errorf("the store has %d orders, the buyers were told of %d: orphaned orders %v", len(stored), len(told), orphans(stored, told))
	}
	if sold != len(told) || held != active {
		t.Errorf("counters: %d sold, %d held; the buyers hold %d orders and %d active holds (%d holds orphaned)",
			sold, held, len(told), active, held-active)
	}
}

// orphans are the ids in stored that are not in told, at most ten.
func orphans(stored, told []string) []string {
	var out []string
	for _, id := range stored {
		if _, ok := slices.BinarySearch(told, id); !ok && len(out) < 10 {
			out = append(out, id)
		}
	}
	return out
}

// keyedPost sends a POST with a JSON body and an Idempotency-Key as the
// buyer; replayed is the answer's Idempotent-Replayed header.
func keyedPost(ctx context.Context, c *flashClient, base, path, key string, body []byte) (status int, answer []byte, replayed bool, err error) {
	req, err := http.NewRequestWithContext(ctx, "POST", base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Idempotency-Key", key)
	res, err := c.client.Do(req)
	if err != nil {
		return 0, nil, false, err
	}
	defer res.Body.Close()
	answer, err = io.ReadAll(res.Body)
	return res.StatusCode, answer, res.Header.Get("Idempotent-Replayed") == "true", err
}
