package sync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/admitone/admitone/scanner"
	"github.com/admitone/admitone/storage/bolt"
	"github.com/admitone/admitone/storage/postgres"
	"github.com/admitone/admitone/storage/postgres/pgtest"
	ticketsync "github.com/admitone/admitone/sync"
)

// eachStore runs fn as the subtests "bolt" and "postgres" (pgtest: the
// latter skips on a laptop without ADMITONE_TEST_POSTGRES and fails under
// CI=true).
func eachStore(t *testing.T, fn func(t *testing.T, db benchStore)) {
	t.Run("bolt", func(t *testing.T) {
		db, err := bolt.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		fn(t, db)
	})
	t.Run("postgres", func(t *testing.T) {
		db, err := postgres.Open(context.Background(), pgtest.FreshSchema(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		fn(t, db)
	})
}

// offsetClock is the real clock moved by a settable offset: the hub's
// clock, which a test moves forward without waiting.
type offsetClock struct{ offset atomic.Int64 }

func (c *offsetClock) now() time.Time            { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *offsetClock) advance(d time.Duration)   { c.offset.Add(int64(d)) }
func (c *offsetClock) since(t time.Time) float64 { return c.now().Sub(t).Seconds() }

// mortalHealth is a HealthStore that stops writing once dead: the
// record a server process leaves behind when it dies (no disconnect).
type mortalHealth struct {
	ticketsync.HealthStore
	dead atomic.Bool
}

func (m *mortalHealth) UpdateGates(ctx context.Context, updates []ticketsync.GateUpdate) ([]ticketsync.GateHealth, error) {
	if m.dead.Load() {
		return make([]ticketsync.GateHealth, len(updates)), nil
	}
	return m.HealthStore.UpdateGates(ctx, updates)
}

// TestGateHealth: a gate connecting through the real hub shows online
// with a last-seen and the clock skew injected into its clock; its
// refusals count once across a reconnect of the same boot and add with
// a new boot; with the doors open it is flagged quiet after QuietAfter
// without a scan (OnGateQuiet called once); when its server process
// dies it shows offline after OfflineAfter, and when it disconnects it
// shows offline at once. A gate that sends no status frames (an older
// scannerd) stays connected and shows online. Both backends.
func TestGateHealth(t *testing.T) {
	eachStore(t, func(t *testing.T, db benchStore) {
		w := newWorldOn(t, db)
		clock := &offsetClock{}
		health := &mortalHealth{HealthStore: db.(ticketsync.HealthStore)}
		var quietMu gosync.Mutex
		var quietCalls []ticketsync.GateState
		w.hub.Now, w.hub.Health = clock.now, health
		w.hub.PingInterval, w.hub.OfflineAfter, w.hub.QuietAfter = 20*time.Millisecond, time.Minute, 10*time.Minute
		doorsOpen := time.Now().Add(-time.Hour)
		w.hub.Doors = func(context.Context, string) (time.Time, time.Time, error) {
			return doorsOpen, doorsOpen.Add(6 * time.Hour), nil
		}
		w.hub.OnGateQuiet = func(g ticketsync.GateState) {
			quietMu.Lock()
			defer quietMu.Unlock()
			quietCalls = append(quietCalls, g)
		}
		token := w.ticket(t)

		const skew = 90 * time.Second // the gate's clock runs ahead
		north := w.enroll(t, "north")
		north.engine.Counts = scanner.NewCounters()
		north.client.Now = func() time.Time { return time.Now().Add(skew) }
		var counts atomic.Pointer[scanner.Counters]
		counts.Store(north.engine.Counts)
		north.client.Report = func() ticketsync.GateReport {
			n, _ := north.store.OutboxLen()
			return counts.Load().Report(n, "scannerd test")
		}
		old := w.enroll(t, "old") // no Report: a gate from before status frames
		north.start(t)
		old.start(t)

		state := func(g *gate) ticketsync.GateStatus {
			t.Helper()
			states, err := w.hub.GateStates(context.Background(), w.eventID)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range states {
				if s.ID == g.id {
					return s.Health
				}
			}
			t.Fatalf("gate %s not listed", g.id)
			return ticketsync.GateStatus{}
		}
		waitFor := func(what string, g *gate, cond func(ticketsync.GateStatus) bool) ticketsync.GateStatus {
			t.Helper()
			var st ticketsync.GateStatus
			if !eventually(20*time.Second, func() bool { st = state(g); return cond(st) }) {
				b, _ := json.Marshal(st)
				t.Fatalf("%s: gate health is %s", what, b)
			}
			return st
		}

		st := waitFor("online with a report", north, func(s ticketsync.GateStatus) bool {
			return s.Online && !s.ReportedAt.IsZero() && s.ClockSkewMS != nil
		})
		if got := time.Duration(*st.ClockSkewMS) * time.Millisecond; got < skew-5*time.Second || got > skew+5*time.Second {
			t.Errorf("clock skew %v, want about %v", got, skew)
		}
		if st.LastSeen.IsZero() || clock.since(st.LastSeen) > 30 || st.Version != "scannerd test" || st.Boot != north.engine.Counts.Boot {
			t.Errorf("online gate: last seen %v, version %q, boot %q", st.LastSeen, st.Version, st.Boot)
		}
		if s := waitFor("the old gate online", old, func(s ticketsync.GateStatus) bool { return s.Online }); !s.ReportedAt.IsZero() || s.Version != "" {
			t.Errorf("a gate sending no status has a report: %+v", s)
		}

		// Three scans: one admitted, two refused.
		for _, code := range []string{token, token, "not a ticket"} {
			north.scan(t, code, false)
		}
		north.scan(t, token, true) // a dry run counts nowhere
		want := ticketsync.GateCounts{Scans: 3, Admits: 1, Refusals: map[string]int64{"already_used": 1, "malformed": 1}}
		st = waitFor("three scans counted", north, func(s ticketsync.GateStatus) bool {
			return s.Scans == 3 && s.Outbox == 0 && !s.LastSync.IsZero()
		})
		equal(t, "counts", st.GateCounts, want)
		if !eventually(10*time.Second, func() bool { r := north.client.Status().LastReport; return r != nil && r.Scans == 3 }) {
			t.Errorf("the gate's own status shows its last report as %+v", north.client.Status().LastReport)
		}
		if st.ScansPerMinute != 3/ticketsync.RateWindow.Minutes() || st.Quiet {
			t.Errorf("after three scans: %v scans a minute, quiet %v", st.ScansPerMinute, st.Quiet)
		}

		// A reconnect of the same boot repeats its counts: nothing adds.
		north.halt()
		waitFor("offline once disconnected", north, func(s ticketsync.GateStatus) bool { return !s.Online })
		before := st.ReportedAt
		north.start(t)
		st = waitFor("reported again", north, func(s ticketsync.GateStatus) bool { return s.Online && s.ReportedAt.After(before) })
		equal(t, "counts after a reconnect", st.GateCounts, want)

		// A new boot counts from zero, added to the totals.
		north.halt()
		counts.Store(scanner.NewCounters())
		north.engine.Counts = counts.Load()
		north.scan(t, "still not a ticket", false)
		north.start(t)
		st = waitFor("the new boot's scan counted", north, func(s ticketsync.GateStatus) bool { return s.Scans == 4 })
		equal(t, "counts after a new boot", st.GateCounts, ticketsync.GateCounts{Scans: 4, Admits: 1,
			Refusals: map[string]int64{"already_used": 1, "malformed": 2}})
		refusals, err := db.(ticketsync.HealthStore).RefusalsByReason(context.Background(), w.eventID)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "RefusalsByReason", refusals, map[string]int64{"already_used": 1, "malformed": 2})

		// Doors open, no scan for QuietAfter: quiet, reported once.
		clock.advance(11 * time.Minute)
		st = waitFor("quiet without scans", north, func(s ticketsync.GateStatus) bool { return s.Online && s.Quiet })
		equal(t, "quiet reason", st.QuietReason, ticketsync.QuietNoScans)
		for range 2 {
			if _, err := w.hub.CheckQuiet(context.Background(), w.eventID); err != nil {
				t.Fatal(err)
			}
		}
		quietMu.Lock()
		calls := map[string]int{}
		for _, g := range quietCalls {
			calls[g.ID]++
		}
		quietMu.Unlock()
		if calls[north.id] != 1 {
			t.Errorf("OnGateQuiet called %d times for the quiet gate, want 1", calls[north.id])
		}

		// The server process dies: no disconnect is recorded, and the gate
		// shows offline once OfflineAfter passed without word from it.
		health.dead.Store(true)
		st = state(north)
		if !st.Online {
			t.Fatalf("gate offline before the timeout: %+v", st)
		}
		clock.advance(w.hub.OfflineAfter + time.Second)
		st = state(north)
		if st.Online || !st.Quiet || st.QuietReason != ticketsync.QuietOffline {
			t.Errorf("after the server died and %v passed: online %v, quiet %v (%s)", w.hub.OfflineAfter, st.Online, st.Quiet, st.QuietReason)
		}
	})
}

// TestStatusOldServer: a gate with a Report talking to a server whose
// welcome says version 1 (before status frames) sends none, and keeps
// its connection: such a server closes the connection on a frame type
// it does not know.
func TestStatusOldServer(t *testing.T) {
	got := make(chan string, 16)
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(rw, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		if _, _, err := ws.ReadMessage(); err != nil { // hello
			return
		}
		ws.WriteJSON(ticketsync.Frame{Type: ticketsync.TypeWelcome, Version: 1, ServerTime: time.Now().UTC(), GateID: "gat_x", EventID: "ev_x"})
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var f ticketsync.Frame
			json.Unmarshal(b, &f)
			got <- f.Type
		}
	}))
	defer srv.Close()
	w := newWorld(t) // for a gate store only
	g := w.enroll(t, "north")
	g.client.Server = srv.URL
	g.client.StatusInterval = time.Millisecond
	reports := atomic.Int32{}
	g.client.Report = func() ticketsync.GateReport {
		reports.Add(1)
		return ticketsync.GateReport{Boot: "b"}
	}
	g.start(t)
	if !eventually(10*time.Second, func() bool { return g.client.Status().ServerVersion == 1 }) {
		t.Fatalf("never connected: %+v", g.client.Status())
	}
	// Two poll ticks of the client's loop, each a chance to send.
	time.Sleep(2500 * time.Millisecond)
	g.halt()
	close(got)
	for typ := range got {
		if strings.EqualFold(typ, ticketsync.TypeStatus) {
			t.Fatal("the gate sent a status frame to a version 1 server")
		}
	}
	if n := reports.Load(); n != 0 {
		t.Errorf("Report called %d times for a version 1 server", n)
	}
	if g.client.Status().Reconnects != 0 {
		t.Errorf("the gate reconnected %d times", g.client.Status().Reconnects)
	}
}

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// TestWatchQuiet: a gate never heard from during doors-open is quiet
// (offline), and WatchQuiet hands it to OnGateQuiet once however many
// checks find it.
func TestWatchQuiet(t *testing.T) {
	w := newWorld(t)
	g := w.enroll(t, "north")
	w.hub.Doors = func(context.Context, string) (time.Time, time.Time, error) {
		return time.Now().Add(-time.Hour), time.Now().Add(time.Hour), nil
	}
	quiet := make(chan ticketsync.GateState, 8)
	w.hub.OnGateQuiet = func(s ticketsync.GateState) { quiet <- s }
	checks := make(chan struct{}, 64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.hub.WatchQuiet(ctx, time.Millisecond, func(context.Context) ([]string, error) {
			select {
			case checks <- struct{}{}:
			default:
			}
			return []string{w.eventID}, nil
		})
	}()
	got := <-quiet
	for drained := false; !drained; {
		select {
		case <-checks:
		default:
			drained = true
		}
	}
	for range 3 { // at least two more checks find it quiet again
		<-checks
	}
	cancel()
	<-done
	if got.ID != g.id || got.Health.QuietReason != ticketsync.QuietOffline {
		t.Errorf("OnGateQuiet got %s (%s), want %s offline", got.ID, got.Health.QuietReason, g.id)
	}
	if n := len(quiet); n != 0 {
		t.Errorf("OnGateQuiet called %d more times for a gate that stayed quiet", n)
	}
}

// countingHealth records the size of every UpdateGates call.
type countingHealth struct {
	ticketsync.HealthStore
	mu    gosync.Mutex
	sizes []int
}

func (c *countingHealth) UpdateGates(ctx context.Context, updates []ticketsync.GateUpdate) ([]ticketsync.GateHealth, error) {
	c.mu.Lock()
	c.sizes = append(c.sizes, len(updates))
	c.mu.Unlock()
	return c.HealthStore.UpdateGates(ctx, updates)
}

func (c *countingHealth) calls() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sizes)
}

// TestKeeperTouchesGatesTogether: while gates stay connected, their
// health is saved by the hub's keeper, every connection's in one
// UpdateGates a round, not one transaction per connection at each ping;
// each gate's last seen moves forward with the rounds; and the keeper
// stops when the last gate leaves.
func TestKeeperTouchesGatesTogether(t *testing.T) {
	w := newWorld(t)
	health := &countingHealth{HealthStore: w.db.(ticketsync.HealthStore)}
	w.hub.Health = health
	w.hub.PingInterval = 30 * time.Millisecond
	const n = 4
	gates := make([]*gate, n)
	for i := range gates {
		gates[i] = w.enroll(t, fmt.Sprintf("gate %d", i))
		gates[i].start(t)
	}
	if !eventually(5*time.Second, func() bool { return w.hub.Connected() == n }) {
		t.Fatalf("%d of %d gates connected", w.hub.Connected(), n)
	}
	// The hellos came in the status batches, as they fell; the keeper's
	// rounds after all connected carry all n.
	if !eventually(5*time.Second, func() bool {
		return slices.ContainsFunc(health.calls(), func(size int) bool { return size == n })
	}) {
		t.Fatalf("no UpdateGates call of all %d gates; calls' sizes: %v", n, health.calls())
	}
	lastSeen := func() map[string]time.Time {
		t.Helper()
		hs, err := w.db.(ticketsync.HealthStore).GateHealthOfEvent(context.Background(), w.eventID)
		if err != nil {
			t.Fatal(err)
		}
		seen := make(map[string]time.Time)
		for id, h := range hs {
			seen[id] = h.LastSeen
		}
		return seen
	}
	from := len(health.calls())
	before := lastSeen()
	if !eventually(5*time.Second, func() bool {
		after := lastSeen()
		for _, g := range gates {
			if !after[g.id].After(before[g.id]) {
				return false
			}
		}
		return true
	}) {
		t.Errorf("last seen did not move forward for every gate: before %v, after %v", before, lastSeen())
	}
	for _, size := range health.calls()[from:] {
		if size != n {
			t.Errorf("a UpdateGates call of %d gates while all %d stayed connected; want only the keeper's rounds of all", size, n)
		}
	}
	for _, g := range gates {
		g.halt()
	}
	if !eventually(5*time.Second, func() bool { return w.hub.Connected() == 0 }) {
		t.Fatalf("%d gates still connected", w.hub.Connected())
	}
	// Once idle, the keeper stops: no more rounds.
	time.Sleep(100 * time.Millisecond)
	idle := len(health.calls())
	time.Sleep(150 * time.Millisecond)
	if got := len(health.calls()); got != idle {
		t.Errorf("%d UpdateGates calls after the last gate left", got-idle)
	}
}

// TestStatusReportsSavedTogether: gates' status frames are saved in
// batches, several gates' reports in one UpdateGates, and each gate's
// report reaches the store.
func TestStatusReportsSavedTogether(t *testing.T) {
	w := newWorld(t)
	health := &countingHealth{HealthStore: w.db.(ticketsync.HealthStore)}
	w.hub.Health = health
	const n = 4
	gates := make([]*gate, n)
	for i := range gates {
		gates[i] = w.enroll(t, fmt.Sprintf("gate %d", i))
		gates[i].client.Report = func() ticketsync.GateReport {
			return ticketsync.GateReport{Boot: fmt.Sprintf("boot%d", i), Version: "scannerd test", Scans: int64(i + 1), Admits: int64(i + 1)}
		}
		// Reports keep coming while connected, so however the four
		// connections spread in time, their reports meet in a flush.
		gates[i].client.StatusInterval = 200 * time.Millisecond
	}
	for _, g := range gates {
		g.start(t)
	}
	saved := func() map[string]ticketsync.GateHealth {
		t.Helper()
		hs, err := w.db.(ticketsync.HealthStore).GateHealthOfEvent(context.Background(), w.eventID)
		if err != nil {
			t.Fatal(err)
		}
		return hs
	}
	if !eventually(5*time.Second, func() bool {
		hs := saved()
		for i, g := range gates {
			if hs[g.id].Totals.Scans != int64(i+1) || hs[g.id].Report.Version != "scannerd test" {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("not every gate's report was saved: %+v", saved())
	}
	if !eventually(5*time.Second, func() bool {
		return slices.ContainsFunc(health.calls(), func(size int) bool { return size >= 2 })
	}) {
		t.Errorf("every UpdateGates call held one gate (sizes %v); want the reports saved together", health.calls())
	}
}
