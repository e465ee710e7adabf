//go:build linux

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.etcd.io/bbolt"

	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/storage"
	"github.com/admitone/admitone/storage/bolt"
	"github.com/admitone/admitone/storage/postgres/pgtest"
)

// TestFlashSale is the flash-sale benchmark of the purchase API. It is a
// benchmark, not a test, and runs only when asked:
//
//	ADMITONE_FLASHSALE=1      50,000 tickets of one type, 500 buyers, 10 s baselines
//	ADMITONE_FLASHSALE=short  2,000 tickets, 100 buyers, 3 s baselines
//
// ADMITONE_FLASHSALE_TICKETS, _BUYERS and _PGBENCH_SECONDS (the length of
// both baselines) override the sizes; ADMITONE_FLASHSALE_STEPS (default
// hold,order,pay) may stop each purchase after hold or order;
// ADMITONE_FLASHSALE_OUT names a file that receives the results table.
//
// For each backend, bbolt always and PostgreSQL at ADMITONE_TEST_POSTGRES
// (in a fresh schema; required when CI=true), it first measures the rate of
// one durable transaction per purchase on the same storage: pgbench with
// 64 clients decrementing one row, or 64 goroutines each running one bbolt
// Update per decrement. Then it runs the real syncserver binary: an
// organizer publishes an event with one admission type of the capacity,
// and the buyers sign up and log in over HTTP, each from a loopback
// address of its own (127.2.x.y), because logins are limited to 20 a
// minute per address. The server is restarted, so that its peak RSS
// (VmHWM) is the sale's and not the argon2id hashing's, each buyer opens
// its keep-alive connection, and all start at once: each loops hold ->
// order -> pay until a hold answers 409 sold_out.
//
// It asserts behaviour only, never a timing: nothing oversold, no 5xx,
// timeout or other unexpected answer, every buyer ending on sold_out, and,
// read from the store after the server stopped, sold equal to the capacity
// with nothing held. With the pay step, the event's change log holds one
// issued ticket per ticket sold, and each buyer's GET /v1/tickets one
// valid ticket per purchase answered.
func TestFlashSale(t *testing.T) {
	cfg := flashConfigFromEnv(t)
	testenv.Program(t, "syncserver") // built before the baselines run
	startedAt := time.Now().UTC()
	loadStart := loadAverage()
	var results []flashResult
	var pgVersion string
	t.Run("bolt", func(t *testing.T) {
		base := boltBaseline(t, 64, cfg.baseline)
		t.Logf("baseline: %s: %.0f tx/s", base.what, base.tps)
		r := runFlashSale(t, "", cfg)
		r.backend, r.baseline = "bbolt", base
		results = append(results, r)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.DSN(t)
		base := pgbenchBaseline(t, dsn, cfg.baseline)
		pgVersion = base.version
		t.Logf("baseline: %s: %.0f tx/s (%s)", base.what, base.tps, base.detail)
		r := runFlashSale(t, pgtest.FreshSchema(t), cfg)
		r.backend, r.baseline = "PostgreSQL", base
		results = append(results, r)
	})
	if len(results) == 0 {
		return
	}
	report := flashReport(cfg, results, startedAt, loadStart, loadAverage(), pgVersion)
	t.Log("\n" + report)
	if out := os.Getenv("ADMITONE_FLASHSALE_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(report), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// flashConfig is the size of the sale.
type flashConfig struct {
	mode     string // the value of ADMITONE_FLASHSALE
	tickets  int
	buyers   int
	baseline time.Duration // pgbench -T, and the bbolt baseline's length
	steps    []string      // a prefix of flashSteps
}

var flashSteps = []string{"hold", "order", "pay"}

// flashEnvs are the variables that shape a run, for the command line in
// the report.
var flashEnvs = []string{"ADMITONE_FLASHSALE", "ADMITONE_FLASHSALE_TICKETS", "ADMITONE_FLASHSALE_BUYERS",
	"ADMITONE_FLASHSALE_PGBENCH_SECONDS", "ADMITONE_FLASHSALE_STEPS", "ADMITONE_FLASHSALE_OUT"}

func flashConfigFromEnv(t *testing.T) flashConfig {
	t.Helper()
	c := flashConfig{tickets: 50_000, buyers: 500, baseline: 10 * time.Second, steps: flashSteps}
	switch c.mode = os.Getenv("ADMITONE_FLASHSALE"); c.mode {
	case "", "0":
		t.Skip("a benchmark, not a test: set ADMITONE_FLASHSALE=1 (50,000 tickets, 500 buyers) or ADMITONE_FLASHSALE=short (2,000, 100)")
	case "short":
		c.tickets, c.buyers, c.baseline = 2_000, 100, 3*time.Second
	case "1":
	default:
		t.Fatalf("ADMITONE_FLASHSALE=%q: want 1 (full size) or short", c.mode)
	}
	for _, v := range []struct {
		name string
		dst  *int
		max  int
	}{
		{"ADMITONE_FLASHSALE_TICKETS", &c.tickets, 10_000_000},
		// One loopback address per buyer, 127.2.0.1 to 127.2.255.255.
		{"ADMITONE_FLASHSALE_BUYERS", &c.buyers, 1<<16 - 1},
	} {
		if s := os.Getenv(v.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > v.max {
				t.Fatalf("%s=%q: want a whole number from 1 to %d", v.name, s, v.max)
			}
			*v.dst = n
		}
	}
	if s := os.Getenv("ADMITONE_FLASHSALE_PGBENCH_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("ADMITONE_FLASHSALE_PGBENCH_SECONDS=%q: want whole seconds, at least 1", s)
		}
		c.baseline = time.Duration(n) * time.Second
	}
	if s := os.Getenv("ADMITONE_FLASHSALE_STEPS"); s != "" {
		steps := strings.Split(s, ",")
		if len(steps) > len(flashSteps) || !slices.Equal(steps, flashSteps[:len(steps)]) {
			t.Fatalf("ADMITONE_FLASHSALE_STEPS=%q: want hold, hold,order or hold,order,pay", s)
		}
		c.steps = steps
	}
	return c
}

// flashResult is one backend's sale.
type flashResult struct {
	backend   string
	baseline  flashBaseline
	setup     time.Duration // buyers' sign-up and login
	setupRSS  int64         // KiB, peak of the server process that did the setup
	wall      time.Duration // from the start to the last buyer's sold_out
	purchases int           // sequences completed through the last step
	requests  int           // answered requests of the sale, sold_out included
	soldOut   int           // buyers whose last answer was 409 sold_out
	failures  map[string]int
	purchase  flashLatencies   // the whole sequence
	steps     []flashLatencies // per step
	saleRSS   int64            // KiB, peak of the server process that ran the sale
	// CPU time of the server and of this process (the buyers) in the
	// sale, and the share of the machine's CPU time that was busy.
	serverCPU, clientCPU time.Duration
	machineBusy          float64
	// On PostgreSQL: the database's CPU time in the sale (every postgres
	// process), and pg_stat_activity sampled through it.
	databaseCPU time.Duration
	waits       *pgtest.WaitReport
	// boltFile is the size of the bbolt file after the sale, which the
	// server maps into memory (0 on PostgreSQL).
	boltFile int64
	// What the store holds after the sale, and (-1: not counted) the
	// issue entries of the event's change log.
	storeSold, storeHeld, issued int
	// apiRemaining is what GET /v1/events/{id} says is left, or -1 when
	// it shows no availability.
	apiRemaining int
	// apiTickets is the valid tickets of the event in the buyers' GET
	// /v1/tickets, or -1 when not counted (no pay step).
	apiTickets int
}

// flashBaseline is the rate of one durable transaction per purchase on the
// same storage, measured in the same run.
type flashBaseline struct {
	what    string
	tps     float64
	detail  string
	version string // PostgreSQL's server_version
}

// runFlashSale sets up and runs the sale against the syncserver binary,
// on bbolt (database "") or PostgreSQL.
func runFlashSale(t *testing.T, database string, cfg flashConfig) flashResult {
	ctx := t.Context()
	dataDir := t.TempDir()
	r := flashResult{failures: map[string]int{}, storeSold: -1, storeHeld: -1, issued: -1, apiRemaining: -1, apiTickets: -1}

	srv := startSaleServer(t, dataDir, database)
	organizer := &flashClient{client: loopbackClient(nil)}
	eventID, typeID := flashEvent(t, organizer, srv.url, cfg.tickets)
	begin := time.Now()
	buyers := signUpBuyers(t, srv.url, cfg.buyers)
	r.setup = time.Since(begin)
	r.setupRSS = mustVmHWM(t, srv.cmd.Process.Pid)
	t.Logf("%d buyers signed up and logged in over HTTP in %v (peak RSS of that server: %.1f MiB)",
		cfg.buyers, r.setup.Round(time.Millisecond), float64(r.setupRSS)/1024)
	srv.stopClean(t, 30*time.Second)

	srv = startSaleServer(t, dataDir, database)
	var wg sync.WaitGroup
	var warmErrs atomic.Int64
	for _, b := range buyers {
		b.client.CloseIdleConnections()
		wg.Go(func() {
			if st, _, err := b.send(ctx, "GET", srv.url+"/livez", nil); err != nil || st != http.StatusOK {
				warmErrs.Add(1)
			}
		})
	}
	wg.Wait()
	if n := warmErrs.Load(); n > 0 {
		t.Fatalf("%d buyers could not reach /livez before the sale", n)
	}

	runs := make([]buyerRun, len(buyers))
	start := make(chan struct{})
	for i, b := range buyers {
		wg.Go(func() {
			<-start
			runs[i] = b.buy(ctx, srv.url, eventID, typeID, len(cfg.steps), 0)
		})
	}
	var sampler *pgtest.WaitSampler
	var dbCPU time.Duration
	if database != "" {
		var err error
		if sampler, err = pgtest.SampleWaits(database, 10*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if dbCPU, err = pgtest.ServerCPU(); err != nil {
			t.Fatal(err)
		}
	}
	serverCPU, selfCPU, machine := procCPU(t, srv.cmd.Process.Pid), ownCPU(t), machineCPU(t)
	begin = time.Now()
	close(start)
	wg.Wait()
	r.wall = time.Since(begin)
	if sampler != nil {
		rep, err := sampler.Stop()
		if err != nil {
			t.Fatal(err)
		}
		r.waits = &rep
		after, err := pgtest.ServerCPU()
		if err != nil {
			t.Fatal(err)
		}
		r.databaseCPU = after - dbCPU
		// Per purchase it is in the summary: the purchases are counted
		// below.
		t.Logf("PostgreSQL in the sale: CPU %.1f s; %s", r.databaseCPU.Seconds(), rep)
	}
	r.serverCPU = procCPU(t, srv.cmd.Process.Pid) - serverCPU
	r.clientCPU = ownCPU(t) - selfCPU
	r.machineBusy = machineCPU(t).busySince(machine)
	r.saleRSS = mustVmHWM(t, srv.cmd.Process.Pid)

	r.steps = make([]flashLatencies, len(cfg.steps))
	examples := map[string]string{}
	for _, run := range runs {
		r.purchases += run.purchases
		r.requests += run.requests
		r.purchase = append(r.purchase, run.purchase...)
		for i := range r.steps {
			r.steps[i] = append(r.steps[i], run.steps[i]...)
		}
		if run.soldOut {
			r.soldOut++
		}
		if run.failure != "" {
			r.failures[run.failure]++
			if _, ok := examples[run.failure]; !ok {
				examples[run.failure] = run.detail
			}
		}
	}
	r.purchase.sort()
	for _, s := range r.steps {
		s.sort()
	}
	t.Logf("sale: %d purchases in %v, %.0f purchases/s, %.0f requests/s; purchase p50 %s p99 %s; %d sold_out answers; peak RSS %.1f MiB; CPU: server %.1f s, buyers %.1f s, machine %.0f%% busy",
		r.purchases, r.wall.Round(time.Millisecond), float64(r.purchases)/r.wall.Seconds(), float64(r.requests)/r.wall.Seconds(),
		msText(r.purchase.pct(0.50)), msText(r.purchase.pct(0.99)), r.soldOut, float64(r.saleRSS)/1024,
		r.serverCPU.Seconds(), r.clientCPU.Seconds(), 100*r.machineBusy)

	// What the API shows after the sale.
	var page struct {
		Availability *struct {
			TicketTypes []struct {
				TicketTypeID string `json:"ticket_type_id"`
				Remaining    int    `json:"remaining"`
			} `json:"ticket_types"`
		} `json:"availability"`
	}
	buyers[0].mustJSON(t, "GET", srv.url+"/v1/events/"+eventID, nil, http.StatusOK, &page)
	if page.Availability != nil {
		for _, tt := range page.Availability.TicketTypes {
			if tt.TicketTypeID == typeID {
				r.apiRemaining = tt.Remaining
			}
		}
	} else {
		t.Logf("GET /v1/events/%s shows no availability; the store's counters are checked instead", eventID)
	}
	if len(cfg.steps) == 3 {
		r.apiTickets = countTickets(t, buyers, runs, srv.url, eventID)
	}
	srv.stopClean(t, 30*time.Second)

	if database == "" {
		if fi, err := os.Stat(filepath.Join(dataDir, bolt.File)); err == nil {
			r.boltFile = fi.Size()
		}
	}

	// What the store holds, read after the server stopped.
	b, err := storage.Open(ctx, database, dataDir)
	if err != nil {
		t.Fatalf("reopen storage after the sale: %v", err)
	}
	defer b.Close()
	if r.storeSold, r.storeHeld, err = b.Purchases.Counts(ctx, typeID); err != nil {
		t.Fatalf("Counts: %v", err)
	}
	if len(cfg.steps) == 3 {
		if r.issued, err = issuedTickets(ctx, b, eventID); err != nil {
			t.Fatalf("Changes: %v", err)
		}
	}

	// Behaviour, never timing.
	for f, n := range r.failures {
		t.Errorf("%d buyers stopped on an unexpected answer %s; the first: %s", n, f, examples[f])
	}
	if r.soldOut != len(buyers) {
		t.Errorf("%d of %d buyers ended on 409 sold_out", r.soldOut, len(buyers))
	}
	if r.purchases > cfg.tickets {
		t.Errorf("OVERSOLD: %d purchases completed for %d tickets", r.purchases, cfg.tickets)
	} else if r.purchases != cfg.tickets {
		t.Errorf("%d purchases completed, want all %d tickets sold", r.purchases, cfg.tickets)
	}
	wantSold, wantHeld := cfg.tickets, 0
	if len(cfg.steps) == 1 {
		wantSold, wantHeld = 0, cfg.tickets
	}
	if r.storeSold != wantSold || r.storeHeld != wantHeld {
		t.Errorf("store after the sale: %d sold, %d held; want %d and %d", r.storeSold, r.storeHeld, wantSold, wantHeld)
	}
	if r.issued >= 0 && r.issued != cfg.tickets {
		t.Errorf("the event's change log issued %d tickets, want %d", r.issued, cfg.tickets)
	}
	if r.apiTickets >= 0 && r.apiTickets != cfg.tickets {
		t.Errorf("the buyers' GET /v1/tickets list %d valid tickets of the event, want %d", r.apiTickets, cfg.tickets)
	}
	if r.apiRemaining > 0 {
		t.Errorf("GET /v1/events/%s: %d remaining after the sell-out, want 0", eventID, r.apiRemaining)
	}
	return r
}

// issuedTickets counts the issue entries of the event's change log in
// the store.
func issuedTickets(ctx context.Context, b *storage.Backend, eventID string) (int, error) {
	n := 0
	for after := int64(0); ; {
		changes, err := b.Purchases.Changes(ctx, eventID, after, changelog.MaxChanges)
		if err != nil {
			return 0, err
		}
		for _, c := range changes {
			if c.Kind == changelog.KindIssue {
				n++
			}
			after = c.Seq
		}
		if len(changes) < changelog.MaxChanges {
			return n, nil
		}
	}
}

// countTickets has every buyer list their tickets (GET /v1/tickets) and
// returns the valid ones of the event (-1 when a list was cut short),
// failing the test for a buyer whose list does not hold one ticket per
// purchase answered.
func countTickets(t *testing.T, buyers []*flashClient, runs []buyerRun, base, eventID string) int {
	t.Helper()
	var total atomic.Int64
	errs := make(chan error, len(buyers))
	var wg sync.WaitGroup
	for i, b := range buyers {
		wg.Go(func() {
			status, body, err := b.send(t.Context(), "GET", base+"/v1/tickets", nil)
			var list struct {
				Tickets []struct {
					Event struct {
						ID string `json:"id"`
					} `json:"event"`
					Status string `json:"status"`
				} `json:"tickets"`
			}
			if err != nil || status != http.StatusOK || json.Unmarshal(body, &list) != nil {
				errs <- fmt.Errorf("buyer %d: GET /v1/tickets: %d %.300s %v", i, status, body, err)
				return
			}
			n := 0
			for _, tk := range list.Tickets {
				if tk.Event.ID == eventID && tk.Status == string(purchase.TicketValid) {
					n++
				}
			}
			total.Add(int64(n))
			// The list is cut at MaxTicketsListed.
			if want := min(runs[i].purchases, purchase.MaxTicketsListed); n != want {
				errs <- fmt.Errorf("buyer %d: GET /v1/tickets lists %d valid tickets, but %d purchases were answered", i, n, runs[i].purchases)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, r := range runs {
		if r.purchases > purchase.MaxTicketsListed {
			t.Logf("a buyer bought more than the %d tickets GET /v1/tickets lists: the lists were checked, not summed", purchase.MaxTicketsListed)
			return -1
		}
	}
	return int(total.Load())
}

// --- the sale

// buyerRun is what one buyer did in the sale.
type buyerRun struct {
	purchases int
	requests  int
	purchase  flashLatencies
	steps     [3]flashLatencies
	soldOut   bool
	// failure classes the first unexpected answer ("pay: 404
	// not_found"), after which the buyer stops; detail is its body.
	failure, detail string
}

// buy runs hold -> order -> pay (the first steps of them) until a hold is
// refused as sold out, an answer is unexpected or, when most is above 0,
// most purchases are made.
func (b *flashClient) buy(ctx context.Context, base, eventID, typeID string, steps, most int) buyerRun {
	var r buyerRun
	hold := map[string]any{"event_id": eventID, "lines": []map[string]any{{"ticket_type_id": typeID, "quantity": 1}}}
	if b.admission != "" {
		hold["admission_token"] = b.admission
	}
	holdBody, _ := json.Marshal(hold)
	payBody := []byte(`{"test_card":"4242424242424242"}`)
	// step sends one request and records it; ok is false after a failure.
	step := func(i int, name, path string, body []byte, want int, out any) bool {
		begin := time.Now()
		status, resp, err := b.send(ctx, "POST", base+path, body)
		if err == nil {
			r.requests++
		}
		if err == nil && i == 0 && status == http.StatusConflict && apiErrorCode(resp) == "sold_out" {
			r.soldOut = true
			return false
		}
		if r.failure, r.detail = unexpectedAnswer(name, status, want, resp, err); r.failure != "" {
			return false
		}
		if err := json.Unmarshal(resp, out); err != nil {
			r.failure, r.detail = name+": unreadable answer", string(resp)
			return false
		}
		r.steps[i] = append(r.steps[i], time.Since(begin))
		return true
	}
	for most <= 0 || r.purchases < most {
		begin := time.Now()
		var hold, order idJSON
		if !step(0, "hold", "/v1/holds", holdBody, http.StatusCreated, &hold) {
			return r
		}
		if steps > 1 {
			orderBody, _ := json.Marshal(map[string]string{"hold_id": hold.ID})
			if !step(1, "order", "/v1/orders", orderBody, http.StatusCreated, &order) {
				return r
			}
		}
		if steps > 2 {
			var paid struct {
				Order struct {
					ID     string `json:"id"`
					Status string `json:"status"`
				} `json:"order"`
				Tickets []struct {
					ID      string `json:"id"`
					OrderID string `json:"order_id"`
				} `json:"tickets"`
			}
			if !step(2, "pay", "/v1/orders/"+order.ID+"/pay", payBody, http.StatusOK, &paid) {
				return r
			}
			if paid.Order.ID != order.ID || paid.Order.Status != "paid" || len(paid.Tickets) != 1 || paid.Tickets[0].OrderID != order.ID {
				r.failure, r.detail = "pay: 200 without the paid order and its one ticket", fmt.Sprintf("%+v", paid)
				return r
			}
		}
		r.purchases++
		r.purchase = append(r.purchase, time.Since(begin))
	}
	return r
}

// unexpectedAnswer classes an answer that is not want ("hold: timeout",
// "pay: 404 not_found") and returns its detail; both are empty for want.
func unexpectedAnswer(step string, status, want int, body []byte, err error) (class, detail string) {
	var ne net.Error
	switch {
	case err != nil && (errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()):
		return step + ": timeout", err.Error()
	case err != nil:
		return step + ": transport error", err.Error()
	case status != want:
		return fmt.Sprintf("%s: %d %s", step, status, apiErrorCode(body)), string(body)
	}
	return "", ""
}

// apiErrorCode is the code of an API error body, {"error":{"code":...}},
// or "" for anything else.
func apiErrorCode(body []byte) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.Error.Code
}

// --- clients

// flashRequestTimeout bounds every request: one that takes longer counts
// as a failure (a lock never released, a pool that starves).
const flashRequestTimeout = 60 * time.Second

// idJSON reads the id of an API answer.
type idJSON struct {
	ID string `json:"id"`
}

// flashClient is an organizer or a buyer: an HTTP client of its own and
// a session.
type flashClient struct {
	client *http.Client
	token  string
	// admission, when set, goes with every hold (a waiting room's
	// admission token).
	admission string
}

// loopbackClient connects from local, a loopback address (nil: the
// kernel's choice, 127.0.0.1).
func loopbackClient(local net.IP) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if local != nil {
		d.LocalAddr = &net.TCPAddr{IP: local}
	}
	return &http.Client{Timeout: flashRequestTimeout,
		Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 2, IdleConnTimeout: 2 * time.Minute}}
}

// send makes one request with a JSON body (nil: none); err is a transport
// failure or a timeout.
func (c *flashClient) send(ctx context.Context, method, url string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// mustJSON sends body as JSON, wants status and decodes the answer into
// out (if set).
func (c *flashClient) mustJSON(t *testing.T, method, url string, body any, want int, out any) {
	t.Helper()
	var j []byte
	if body != nil {
		var err error
		if j, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	status, b, err := c.send(t.Context(), method, url, j)
	wantAnswer(t, method, url, status, b, err, want, out)
}

// login logs c in as email and keeps the session.
func (c *flashClient) login(t *testing.T, base, email string) {
	t.Helper()
	var l struct {
		Token string `json:"token"`
	}
	c.mustJSON(t, "POST", base+"/v1/auth/login", map[string]any{"email": email, "password": password}, http.StatusOK, &l)
	c.token = l.Token
}

// flashEvent has an organizer sign up and publish an event with one
// admission ticket type of capacity tickets, at most one a hold.
func flashEvent(t *testing.T, org *flashClient, base string, tickets int) (eventID, typeID string) {
	t.Helper()
	const email = "flash-organizer@example.com"
	if org.token == "" { // a second event of the same organizer needs no account
		org.mustJSON(t, "POST", base+"/v1/auth/signup", map[string]any{"email": email, "password": password}, http.StatusCreated, nil)
		org.login(t, base, email)
	}
	var o, v, ev, tt idJSON
	org.mustJSON(t, "POST", base+"/v1/orgs", map[string]any{"name": "Flash Sale Promotions"}, http.StatusCreated, &o)
	org.mustJSON(t, "POST", base+"/v1/orgs/"+o.ID+"/venues", map[string]any{"name": "Arena", "city": "Berlin",
		"country": "DE", "lat": 52.51, "lon": 13.44}, http.StatusCreated, &v)
	starts := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	org.mustJSON(t, "POST", base+"/v1/orgs/"+o.ID+"/events", map[string]any{"venue_id": v.ID, "title": "Flash Sale Night",
		"category": "music", "time_zone": "Europe/Berlin", "starts_at": starts.Format(time.RFC3339),
		"ends_at": starts.Add(4 * time.Hour).Format(time.RFC3339)}, http.StatusCreated, &ev)
	org.mustJSON(t, "POST", base+"/v1/events/"+ev.ID+"/ticket-types", map[string]any{"name": "Admission", "kind": "admission",
		"price": map[string]any{"amount": 2500, "currency": "EUR"}, "capacity": tickets, "per_order_max": 1}, http.StatusCreated, &tt)
	org.mustJSON(t, "POST", base+"/v1/events/"+ev.ID+"/publish", nil, http.StatusOK, nil)
	return ev.ID, tt.ID
}

// signUpBuyers signs n buyers up and logs them in over HTTP, each from a
// loopback address of its own: 127.2.0.1, 127.2.0.2, ... Logins are
// limited per address (20 a minute), as 500 people at 500 addresses would
// be. The server hashes passwords one per CPU at a time and answers 503
// busy to a request that found no slot within a second; a buyer tries that
// again after its Retry-After, as a client should.
func signUpBuyers(t *testing.T, base string, n int) []*flashClient {
	t.Helper()
	buyers := make([]*flashClient, n)
	errs := make(chan error, n)
	work := make(chan int)
	var wg sync.WaitGroup
	for range 4 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range work {
				k := i + 1
				b := &flashClient{client: loopbackClient(net.IPv4(127, 2, byte(k>>8), byte(k)))}
				send := func(path string, body []byte) (int, []byte, error) {
					for range 10 {
						st, resp, err := b.send(t.Context(), "POST", base+path, body)
						if err != nil || st != http.StatusServiceUnavailable {
							return st, resp, err
						}
						time.Sleep(time.Second) // the busy answer's Retry-After
					}
					return 0, nil, fmt.Errorf("%s: busy 10 times", path)
				}
				email := fmt.Sprintf("buyer-%d@example.com", i)
				body, _ := json.Marshal(map[string]any{"email": email, "password": password, "name": "Buyer"})
				if st, resp, err := send("/v1/auth/signup", body); err != nil || st != http.StatusCreated {
					errs <- fmt.Errorf("sign up %s: %d %s %v", email, st, resp, err)
					continue
				}
				body, _ = json.Marshal(map[string]any{"email": email, "password": password})
				st, resp, err := send("/v1/auth/login", body)
				var l struct {
					Token string `json:"token"`
				}
				if err != nil || st != http.StatusOK || json.Unmarshal(resp, &l) != nil || l.Token == "" {
					errs <- fmt.Errorf("log in %s: %d %s %v", email, st, resp, err)
					continue
				}
				b.token = l.Token
				buyers[i] = b
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	t.Cleanup(func() {
		for _, b := range buyers {
			if b != nil {
				b.client.CloseIdleConnections()
			}
		}
	})
	for err := range errs {
		t.Fatal(err)
	}
	return buyers
}

// --- the server process

// mustVmHWM reads a running process's peak resident set size in KiB.
// (A child's rusage ru_maxrss is useless here: Linux carries the forked
// test process's RSS across exec into it.)
func mustVmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("/proc/%d/status: VmHWM %q", pid, rest)
			}
			return kib
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// userHZ is the unit of the CPU times in /proc: fixed at 100 a second in
// Linux's ABI.
const userHZ = 100

// procCPU is a process's user and system CPU time so far.
func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: state is the first, utime the 12th, stime the 13th.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("/proc/%d/stat: %s", pid, b)
	}
	return time.Duration(utime+stime) * time.Second / userHZ
}

// ownCPU is this process's user and system CPU time so far.
func ownCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuTicks are the machine's CPU times from /proc/stat.
type cpuTicks struct{ busy, total int64 }

func machineCPU(t *testing.T) cpuTicks {
	t.Helper()
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var c cpuTicks
	for i, v := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("/proc/stat: %q", line)
		}
		c.total += n
		if i != 3 && i != 4 { // idle, iowait
			c.busy += n
		}
	}
	return c
}

// busySince is the busy share of the CPU time since before.
func (c cpuTicks) busySince(before cpuTicks) float64 {
	if c.total == before.total {
		return 0
	}
	return float64(c.busy-before.busy) / float64(c.total-before.total)
}

// --- baselines: one durable transaction per purchase

// boltBaseline measures how many bbolt transactions a second commit when
// each purchase is its own db.Update (one fsync) decrementing one counter,
// from workers goroutines for d, in a file beside the server's.
func boltBaseline(t *testing.T, workers int, d time.Duration) flashBaseline {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "counter.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bucket, key := []byte("flash"), []byte("remaining")
	const initial = 1 << 40
	get := func(tx *bbolt.Tx) uint64 { return binary.BigEndian.Uint64(tx.Bucket(bucket).Get(key)) }
	put := func(tx *bbolt.Tx, v uint64) error {
		return tx.Bucket(bucket).Put(key, binary.BigEndian.AppendUint64(nil, v))
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		if _, err := tx.CreateBucket(bucket); err != nil {
			return err
		}
		return put(tx, initial)
	}); err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	errs := make(chan error, workers)
	begin := time.Now()
	stop := begin.Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for time.Now().Before(stop) {
				if err := db.Update(func(tx *bbolt.Tx) error { return put(tx, get(tx)-1) }); err != nil {
					errs <- err
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	close(errs)
	for err := range errs {
		t.Fatalf("bbolt baseline: %v", err)
	}
	var left uint64
	db.View(func(tx *bbolt.Tx) error { left = get(tx); return nil })
	if done := int64(initial - left); done != n.Load() {
		t.Errorf("bbolt baseline: the counter fell by %d, but %d updates committed", done, n.Load())
	}
	return flashBaseline{what: fmt.Sprintf("bbolt, %d goroutines, one db.Update (fsync) per decrement of one counter, %d s", workers, int(d.Seconds())),
		tps: float64(n.Load()) / elapsed.Seconds()}
}

// pgbenchBaseline runs pgbench on the server at dsn: 64 clients on 2
// threads for d, each transaction one UPDATE decrementing the same row.
// Every commit waits for the previous holder of the row lock to commit,
// so this is the rate of one transaction per purchase on one hot row.
// (The column is "remaining": LEFT is a reserved word in SQL.)
func pgbenchBaseline(t *testing.T, dsn string, d time.Duration) flashBaseline {
	t.Helper()
	bin := findPgbench()
	if bin == "" {
		msg := "no pgbench in /usr/lib/postgresql/*/bin or PATH (Debian: it comes with the postgresql-NN package .ci/postgres.sh installs)"
		if testenv.CI() {
			t.Fatal(msg)
		}
		t.Log(msg)
		return flashBaseline{what: "pgbench not found"}
	}
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var rnd [8]byte
	rand.Read(rnd[:])
	schema := "flashsale_" + hex.EncodeToString(rnd[:])
	const initial = int64(1) << 40
	for _, q := range []string{
		"CREATE SCHEMA " + schema,
		"CREATE TABLE " + schema + ".flash_counter (id int PRIMARY KEY, remaining bigint NOT NULL)",
		fmt.Sprintf("INSERT INTO %s.flash_counter VALUES (1, %d)", schema, initial),
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	var version, fsync, syncCommit string
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit')").
		Scan(&version, &fsync, &syncCommit); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "decrement.sql")
	if err := os.WriteFile(script, []byte("UPDATE flash_counter SET remaining = remaining - 1 WHERE id = 1;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secs := strconv.Itoa(int(d.Seconds()))
	cmd := exec.CommandContext(ctx, bin, "-n", "-f", script, "-c", "64", "-j", "2", "-T", secs, dsn)
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c search_path="+schema)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pgbench: %v\n%s", err, out)
	}
	field := func(re string) string {
		m := regexp.MustCompile(re).FindSubmatch(out)
		if m == nil {
			t.Fatalf("pgbench output lacks %q:\n%s", re, out)
		}
		return string(m[1])
	}
	tps, err := strconv.ParseFloat(field(`tps = ([0-9.]+) \(without initial connection time\)`), 64)
	if err != nil {
		t.Fatal(err)
	}
	processed, _ := strconv.ParseInt(field(`number of transactions actually processed: (\d+)`), 10, 64)
	if failed := field(`number of failed transactions: (\d+)`); failed != "0" {
		t.Errorf("pgbench: %s failed transactions:\n%s", failed, out)
	}
	var left int64
	if err := conn.QueryRow(ctx, "SELECT remaining FROM "+schema+".flash_counter WHERE id = 1").Scan(&left); err != nil {
		t.Fatal(err)
	}
	if initial-left != processed {
		t.Errorf("pgbench processed %d transactions, but the row fell by %d", processed, initial-left)
	}
	return flashBaseline{
		what:    "pgbench -n -c 64 -j 2 -T " + secs + ", one UPDATE flash_counter SET remaining = remaining - 1 WHERE id = 1 per transaction",
		tps:     tps,
		detail:  fmt.Sprintf("PostgreSQL %s, fsync=%s, synchronous_commit=%s; pgbench latency average %s ms", version, fsync, syncCommit, field(`latency average = ([0-9.]+) ms`)),
		version: version,
	}
}

// findPgbench returns the pgbench of the newest PostgreSQL under
// /usr/lib/postgresql, as .ci/postgres.sh picks its server, else the one
// in PATH, else "".
func findPgbench() string {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench")
	major := func(p string) int {
		n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(p))))
		return n
	}
	slices.SortFunc(found, func(a, b string) int { return major(a) - major(b) })
	if len(found) > 0 {
		return found[len(found)-1]
	}
	p, _ := exec.LookPath("pgbench")
	return p
}

// --- figures

// flashLatencies are durations, sorted before pct is used.
type flashLatencies []time.Duration

func (l flashLatencies) sort() { slices.Sort(l) }

// pct is the nearest-rank percentile q (0 < q <= 1) of sorted l.
func (l flashLatencies) pct(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	i := int(float64(len(l))*q+0.999999) - 1
	return l[min(max(i, 0), len(l)-1)]
}

func msText(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// withCommas formats n with commas: 50,000.
func withCommas(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + withCommas(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// flashReport is the results as Markdown for BENCHMARKS.md.
func flashReport(cfg flashConfig, results []flashResult, at time.Time, loadStart, loadEnd, pgVersion string) string {
	var w strings.Builder
	var env []string
	for _, k := range flashEnvs {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	fmt.Fprintf(&w, "Flash sale, %s UTC: %s tickets of one admission type, %s buyers over HTTP on loopback, each purchase %s;\n",
		at.Format("2006-01-02 15:04"), withCommas(cfg.tickets), withCommas(cfg.buyers), strings.Join(cfg.steps, " -> "))
	fmt.Fprintf(&w, "%d CPUs, load average %s at the start and %s at the end; %s", runtime.NumCPU(), loadStart, loadEnd, runtime.Version())
	if pgVersion != "" {
		fmt.Fprintf(&w, ", PostgreSQL %s", pgVersion)
	}
	fmt.Fprintf(&w, ". Load generator, server and database share the machine.\n\n")
	fmt.Fprintf(&w, "```sh\neval \"$(bash .ci/postgres.sh)\"   # ADMITONE_TEST_POSTGRES; without it only bbolt runs\n")
	fmt.Fprintf(&w, "%s go test ./e2e/ -run '^TestFlashSale$' -v -timeout 60m\n```\n\n", strings.Join(env, " "))

	fmt.Fprintf(&w, "| backend | purchases/s | purchase p50 | purchase p99 | oversold | sold (store) | sold_out answers | failed | server peak RSS | one tx per purchase, same run | ratio |\n")
	fmt.Fprintf(&w, "|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		rate := float64(r.purchases) / r.wall.Seconds()
		ratio := "-"
		if r.baseline.tps > 0 {
			ratio = fmt.Sprintf("**%.1fx**", rate/r.baseline.tps)
		}
		failed := 0
		for _, n := range r.failures {
			failed += n
		}
		fmt.Fprintf(&w, "| %s | **%s** | %s | %s | %d | %s of %s | %s | %d | %.1f MiB | %s tx/s | %s |\n",
			r.backend, withCommas(int(rate+0.5)), msText(r.purchase.pct(0.50)), msText(r.purchase.pct(0.99)), max(0, r.purchases-cfg.tickets),
			withCommas(r.storeSold), withCommas(cfg.tickets), withCommas(r.soldOut), failed, float64(r.saleRSS)/1024,
			withCommas(int(r.baseline.tps+0.5)), ratio)
	}
	fmt.Fprintf(&w, "\n| backend | step | answers | p50 | p99 | max |\n|---|---|---|---|---|---|\n")
	for _, r := range results {
		for i, s := range r.steps {
			var top time.Duration
			if len(s) > 0 {
				top = s[len(s)-1]
			}
			fmt.Fprintf(&w, "| %s | %s | %s | %s | %s | %s |\n", r.backend, cfg.steps[i], withCommas(len(s)), msText(s.pct(0.50)), msText(s.pct(0.99)), msText(top))
		}
	}
	fmt.Fprintf(&w, "\n")
	for _, r := range results {
		fmt.Fprintf(&w, "- %s: sale %v wall, %s requests/s; CPU in the sale: server %.1f s (%.2f ms a purchase), buyers (this test) %.1f s, machine %.0f%% busy; baseline %s",
			r.backend, r.wall.Round(time.Millisecond), withCommas(int(float64(r.requests)/r.wall.Seconds()+0.5)),
			r.serverCPU.Seconds(), float64(r.serverCPU)/float64(time.Millisecond)/float64(max(1, r.purchases)),
			r.clientCPU.Seconds(), 100*r.machineBusy, r.baseline.what)
		if r.baseline.detail != "" {
			fmt.Fprintf(&w, " (%s)", r.baseline.detail)
		}
		if r.waits != nil {
			fmt.Fprintf(&w, "; PostgreSQL CPU in the sale %.1f s (%.2f ms a purchase); %s", r.databaseCPU.Seconds(),
				float64(r.databaseCPU)/float64(time.Millisecond)/float64(max(1, r.purchases)), r.waits)
		}
		fmt.Fprintf(&w, "; setup (sign-up and login of the buyers over HTTP) %v, peak RSS of that server process %.1f MiB",
			r.setup.Round(time.Millisecond), float64(r.setupRSS)/1024)
		if r.boltFile > 0 {
			fmt.Fprintf(&w, "; the bbolt file, mapped into the server's memory, is %.1f MiB after the sale", float64(r.boltFile)/(1<<20))
		}
		if r.issued >= 0 {
			fmt.Fprintf(&w, "; %s tickets issued in the change log", withCommas(r.issued))
		}
		if r.apiTickets >= 0 {
			fmt.Fprintf(&w, ", %s valid in the buyers' GET /v1/tickets", withCommas(r.apiTickets))
		}
		fmt.Fprintf(&w, ".\n")
	}
	return w.String()
}
