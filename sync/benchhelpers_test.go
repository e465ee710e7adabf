package sync_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/storage/bolt"
	"github.com/admitone/admitone/storage/postgres"
	"github.com/admitone/admitone/storage/postgres/pgtest"
	ticketsync "github.com/admitone/admitone/sync"
	"github.com/admitone/admitone/vault"
)

// benchStore is what a syncserver's backend is: both bolt.DB and
// postgres.DB.
type benchStore interface {
	account.Store
	ticketsync.Store
	purchase.Store
	catalog.Store
	vault.SecretStore
	Close() error
}

var (
	_ benchStore = (*bolt.DB)(nil)
	_ benchStore = (*postgres.DB)(nil)
)

// eachBackend runs fn as the sub-benchmarks "bolt" and "postgres"; the
// latter needs ADMITONE_TEST_POSTGRES (pgtest: skipped on a laptop
// without it, failed under CI=true) and gets a fresh schema.
func eachBackend(b *testing.B, fn func(b *testing.B, db benchStore)) {
	b.Run("bolt", func(b *testing.B) {
		db, err := bolt.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		fn(b, db)
	})
	b.Run("postgres", func(b *testing.B) {
		dsn := pgtest.FreshSchema(b)
		if n := envInt("ADMITONE_SYNCBENCH_PG_POOL", 0); n > 0 {
			// pgxpool's own setting; its default is max(4, CPUs).
			dsn += "&pool_max_conns=" + strconv.Itoa(n)
		}
		db, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		fn(b, db)
	})
}

// benchEvent creates an organization, a venue and an event and returns
// the event's id.
func benchEvent(tb testing.TB, db catalog.Store) string {
	tb.Helper()
	ctx := context.Background()
	cat := &catalog.Service{Store: db}
	org, err := cat.CreateOrg(ctx, catalog.Organization{Name: "Bench Org"})
	if err != nil {
		tb.Fatal(err)
	}
	venue, err := cat.CreateVenue(ctx, catalog.Venue{OrgID: org.ID, Name: "Bench Arena", City: "Berlin", Country: "DE"})
	if err != nil {
		tb.Fatal(err)
	}
	starts := time.Now().Add(time.Hour).Truncate(time.Second)
	ev, err := cat.CreateEvent(ctx, catalog.Event{OrgID: org.ID, VenueID: venue.ID, Title: "Bench Night", Category: "music",
		TimeZone: "Europe/Berlin", StartsAt: starts, EndsAt: starts.Add(3 * time.Hour)})
	if err != nil {
		tb.Fatal(err)
	}
	return ev.ID
}

// benchCredential is gate i's device credential in a run tagged seed.
func benchCredential(seed string, i int) string {
	return fmt.Sprintf("%sbench_%s_%d", ticketsync.CredentialPrefix, seed, i)
}

// benchGates stores n enrolled gates of the event straight through the
// Store (an enrolment seals a bundle per gate, which a fan-out benchmark
// does not measure) and returns their ids; gate i's credential is
// benchCredential(seed, i).
func benchGates(tb testing.TB, db ticketsync.Store, eventID, seed string, n int) []string {
	tb.Helper()
	ids := make([]string, n)
	now := time.Now().UTC().Truncate(time.Microsecond)
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		ids[i] = id.New("gat")
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			errs <- db.CreateGate(context.Background(), ticketsync.Gate{
				ID: ids[i], EventID: eventID, Name: fmt.Sprintf("gate %d", i), Direction: bundle.Entry,
				CredentialHash: ticketsync.HashSecret(benchCredential(seed, i)), CreatedBy: "usr_bench",
				CreatedAt: now, EnrolledAt: now,
			})
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			tb.Fatal(err)
		}
	}
	return ids
}

// benchHub is the hub as syncserver mounts it: GET /v1/sync, with the
// credential checked before the upgrade.
func benchHub(hub *ticketsync.Hub) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/sync", func(rw http.ResponseWriter, r *http.Request) {
		g, err := hub.Authenticate(r.Context(), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		switch {
		case errors.Is(err, ticketsync.ErrRevoked):
			http.Error(rw, "revoked", http.StatusForbidden)
		case err != nil:
			http.Error(rw, "unknown credential", http.StatusUnauthorized)
		default:
			hub.ServeGate(rw, r, g)
		}
	})
	return mux
}

// fanoutServer is a hub over db behind httptest on loopback. With
// PostgreSQL it also listens for the database's notifications and pokes
// the hub, as syncserver does.
func fanoutServer(b *testing.B, db benchStore) (*ticketsync.Hub, *httptest.Server) {
	b.Helper()
	hub := &ticketsync.Hub{Store: db, Changes: db, Logger: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(benchHub(hub))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	if n, ok := db.(ticketsync.Notifier); ok {
		go func() { defer close(done); n.Listen(ctx, hub.Poke) }()
	} else {
		close(done)
	}
	b.Cleanup(func() { cancel(); <-done; hub.Shutdown(); srv.Close() })
	return hub, srv
}

// wsURL is the sync websocket URL of an http:// base URL.
func wsURL(base string) string { return "ws" + strings.TrimPrefix(base, "http") + "/v1/sync" }

// run is one measured stretch of a fan-out benchmark: check-in k of it
// has the id ci_<tag><k as 16 hex digits>, so a gate that receives a
// changes frame finds k, and with it when and by whom the check-in was
// made, without parsing JSON.
type run struct {
	tag    string         // 16 hex digits, unique per run
	made   []atomic.Int64 // ns since base when check-in k entered its gate's outbox
	sender []atomic.Int32 // the gate that made check-in k
	base   time.Time
	record bool // keep every (check-in, gate) delay

	received atomic.Int64 // (check-in, other gate) arrivals so far
	sent     atomic.Int64 // check-ins uploaded
	acked    atomic.Int64 // check-ins acked
	unacked  atomic.Int64 // check-ins still unacked lastAckWait after the run stopped
	lastAck  atomic.Int64 // ns since base of the latest ack
}

func newRun(n int, record bool) *run {
	var b [8]byte
	rand.Read(b[:])
	return &run{tag: hex.EncodeToString(b[:]), made: make([]atomic.Int64, n), sender: make([]atomic.Int32, n), base: time.Now(), record: record}
}

func (r *run) checkinID(k int) string { return fmt.Sprintf("ci_%s%016x", r.tag, k) }

// ticketID is check-in k's ticket: every check-in is a first entry, as
// at an event's doors.
func (r *run) ticketID(k int) string { return fmt.Sprintf("tk_%s%016x", r.tag[:8], k) }

// benchGate is a gate reduced to its protocol: a websocket that said
// hello, a reader that notes when each other gate's check-in arrives,
// and, when it uploads, an outbox with at most one upload in flight
// (as ticketsync.Client: the next upload goes when the last is acked).
type benchGate struct {
	n  int32
	ws *websocket.Conn

	mu     gosync.Mutex // guards run and delays
	run    *run
	delays []int32 // µs, from check-in made to changes frame read

	seq   atomic.Int64 // the last log entry received
	seqAt atomic.Int64 // ns since the run's base when it was

	outbox chan int      // check-in numbers to upload
	acks   chan struct{} // one per ack frame
	closed chan struct{} // closed when the reader ends
	err    error         // why the reader ended
}

// connectGates dials n gates (credentials benchCredential(seed, i)),
// each saying hello with since, concurrently; it returns once every one
// got its welcome.
func connectGates(tb testing.TB, base, seed string, n int, since int64) []*benchGate {
	tb.Helper()
	gates := make([]*benchGate, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	dialer := &websocket.Dialer{HandshakeTimeout: 30 * time.Second}
	for i := range n {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			g, err := dialGate(dialer, base, benchCredential(seed, i), since)
			if g != nil {
				g.n = int32(i)
				gates[i] = g
			}
			errs <- err
		}()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	tb.Cleanup(func() {
		for _, g := range gates {
			if g != nil {
				g.ws.Close()
			}
		}
	})
	if first != nil {
		tb.Fatal(first)
	}
	return gates
}

func dialGate(d *websocket.Dialer, base, credential string, since int64) (*benchGate, error) {
	ws, _, err := d.Dial(wsURL(base), http.Header{"Authorization": {"Bearer " + credential}})
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	hello := fmt.Sprintf(`{"type":"hello","version":1,"since":%d}`, since)
	if err := ws.WriteMessage(websocket.TextMessage, []byte(hello)); err != nil {
		ws.Close()
		return nil, err
	}
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, msg, err := ws.ReadMessage()
	if err != nil || !bytes.HasPrefix(msg, []byte(`{"type":"welcome"`)) {
		ws.Close()
		return nil, fmt.Errorf("welcome: %q, %v", msg, err)
	}
	ws.SetReadDeadline(time.Time{})
	g := &benchGate{ws: ws, outbox: make(chan int, 1024),
		acks: make(chan struct{}, 16), closed: make(chan struct{})}
	go g.read()
	return g, nil
}

func (g *benchGate) setRun(r *run) {
	g.mu.Lock()
	g.run, g.delays = r, nil
	g.mu.Unlock()
	g.seqAt.Store(0)
}

var (
	prefixAck     = []byte(`{"type":"ack"`)
	prefixChanges = []byte(`{"type":"changes"`)
	fieldCheckin  = []byte(`"checkin_id":"ci_`)
	fieldSeq      = []byte(`"seq":`)
)

// read reads frames until the connection ends. It finds check-in ids by
// their field name instead of decoding the frame: the gates share the
// machine with the server, and what they spend is not the server's.
func (g *benchGate) read() {
	defer close(g.closed)
	var buf bytes.Buffer
	for {
		_, rd, err := g.ws.NextReader()
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(rd)
		}
		if err != nil {
			g.err = err
			return
		}
		now := time.Now()
		msg := buf.Bytes()
		switch {
		case bytes.HasPrefix(msg, prefixAck):
			select {
			case g.acks <- struct{}{}:
			default:
			}
		case bytes.HasPrefix(msg, prefixChanges):
			g.mu.Lock()
			g.arrived(msg, now)
			g.mu.Unlock()
		}
	}
}

func (g *benchGate) arrived(msg []byte, now time.Time) {
	r := g.run
	if r == nil {
		return
	}
	at := int64(now.Sub(r.base))
	if i := bytes.LastIndex(msg, fieldSeq); i >= 0 {
		rest := msg[i+len(fieldSeq):]
		j := bytes.IndexByte(rest, ',')
		if seq, err := strconv.ParseInt(string(rest[:max(j, 0)]), 10, 64); err == nil {
			g.seq.Store(seq)
			g.seqAt.Store(at)
		}
	}
	if !r.record {
		return // the run needs only how far each gate got
	}
	n := int64(0)
	for {
		i := bytes.Index(msg, fieldCheckin)
		if i < 0 {
			break
		}
		msg = msg[i+len(fieldCheckin):]
		if len(msg) < 32 || string(msg[:16]) != r.tag {
			continue
		}
		k, err := strconv.ParseUint(string(msg[16:32]), 16, 63)
		if err != nil || k >= uint64(len(r.made)) || r.sender[k].Load() == g.n {
			continue
		}
		n++
		g.delays = append(g.delays, int32((at-r.made[k].Load())/1e3))
	}
	r.received.Add(n)
}

// minUploadGap keeps a gate under the server's frame rate limit
// (ticketsync.RatePerSecond).
const minUploadGap = time.Second / 40

// lastAckWait is how long an uploader waits for its last ack once the
// run stopped.
const lastAckWait = 30 * time.Second

// upload sends the outbox as ticketsync.Client does: whatever is
// pending, up to batch check-ins, in one frame, then waits for the ack.
// When stop closes it sends no more and returns once the upload in
// flight is acked; it returns at once if the connection ends.
func (g *benchGate) upload(r *run, batch int, stop <-chan struct{}) {
	var pending []int
	inflight := 0 // check-ins sent and not acked
	var lastSent time.Time
	var gap <-chan time.Time
	// giveUp bounds the wait for the last ack after stop, so a lost ack
	// ends the run (counted: sent minus acked) instead of hanging it.
	var giveUp <-chan time.Time
	var sb strings.Builder
	for {
		if stop == nil && inflight == 0 {
			return
		}
		if stop != nil && inflight == 0 && len(pending) > 0 && gap == nil {
			if wait := minUploadGap - time.Since(lastSent); wait > 0 {
				gap = time.After(wait)
			} else {
				n := min(len(pending), batch, ticketsync.MaxBatch)
				sb.Reset()
				sb.WriteString(`{"type":"upload","checkins":[`)
				at := time.Now().UTC().Format(time.RFC3339Nano)
				for i, k := range pending[:n] {
					if i > 0 {
						sb.WriteByte(',')
					}
					fmt.Fprintf(&sb, `{"id":%q,"ticket_id":%q,"ticket_type":1,"direction":"entry","at":%q}`, r.checkinID(k), r.ticketID(k), at)
				}
				sb.WriteString(`]}`)
				if err := g.ws.WriteMessage(websocket.TextMessage, []byte(sb.String())); err != nil {
					return
				}
				pending = pending[n:]
				inflight, lastSent = n, time.Now()
				r.sent.Add(int64(n))
			}
		}
		select {
		case <-stop:
			stop = nil
			giveUp = time.After(lastAckWait)
		case <-giveUp:
			r.unacked.Add(int64(inflight))
			return
		case <-g.closed:
			return
		case k := <-g.outbox:
			pending = append(pending, k)
		case <-g.acks:
			r.acked.Add(int64(inflight))
			r.lastAck.Store(int64(time.Since(r.base)))
			inflight = 0
		case <-gap:
			gap = nil
		}
	}
}

// envInt reads a positive integer from the environment, or returns def.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// envDuration reads a duration (or seconds) from the environment, or
// returns def.
func envDuration(name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	return def
}

// delaysOf merges the gates' delays.
func delaysOf(gates []*benchGate) []int32 {
	var all []int32
	for _, g := range gates {
		g.mu.Lock()
		all = append(all, g.delays...)
		g.mu.Unlock()
	}
	return all
}

// dbObservation is what a benchmark on PostgreSQL watches of the
// database beside its own figures: pg_stat_activity sampled every 10 ms
// (change-log lock waits) and the CPU time of the postgres processes.
type dbObservation struct {
	sampler *pgtest.WaitSampler
	cpu     time.Duration
	start   time.Time
}

// observeDB starts watching when db is PostgreSQL, else returns nil.
func observeDB(b *testing.B, db benchStore) *dbObservation {
	if _, ok := db.(*postgres.DB); !ok {
		return nil
	}
	s, err := pgtest.SampleWaits(pgtest.DSN(b), 10*time.Millisecond)
	if err != nil {
		b.Fatal(err)
	}
	cpu, err := pgtest.ServerCPU()
	if err != nil {
		b.Fatal(err)
	}
	return &dbObservation{sampler: s, cpu: cpu, start: time.Now()}
}

// report stops watching and reports the share of samples with a
// change-log lock wait and the database's CPU in cores.
func (o *dbObservation) report(b *testing.B) {
	if o == nil {
		return
	}
	rep, err := o.sampler.Stop()
	if err != nil {
		b.Fatal(err)
	}
	cpu, err := pgtest.ServerCPU()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("PostgreSQL: %s", rep)
	b.ReportMetric(100*rep.Share(), "pct_log_lock_waits")
	b.ReportMetric((cpu-o.cpu).Seconds()/time.Since(o.start).Seconds(), "db_cpu_cores")
}
