package sync_test

// Benchmarks of the acceptance figures of the sync issue, all on
// loopback:
//
//	go test ./sync/ -run '^$' -bench 'Fanout|IdleGateMemory|Enroll100k' -benchtime 1x -timeout 30m
//
// With ADMITONE_TEST_POSTGRES set (eval "$(bash .ci/postgres.sh)") each
// also runs against PostgreSQL. Sizes come from the environment:
// ADMITONE_SYNCBENCH_GATES (500), _RATE (1000 check-ins/s), _DURATION
// (5s), _WARMUP (2s), _UPLOADERS (every gate), _MAX_COUNT (50000),
// _MAX_DURATION (10s), _BATCH (1), _TICKETS (100000), _PG_POOL (pgx's
// default); -short shrinks the defaults.
//
// Targets (goals, not assertions): p99 fan-out delay under 50 ms at
// 1,000 check-ins/s with 500 gates; enrolment with 100,000 tickets under
// 2 s; under 64 KiB of server memory per idle gate.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/services"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/scanner"
	"github.com/admitone/admitone/storage/bolt"
	ticketsync "github.com/admitone/admitone/sync"
	"github.com/admitone/admitone/sync/gatebench"
)

// fanoutConfig is the size of a fan-out benchmark.
type fanoutConfig struct {
	gates, uploaders, rate int
	warmup, duration       time.Duration
	maxCount               int
	maxDuration            time.Duration
	batch                  int
}

func fanoutSizes() fanoutConfig {
	c := fanoutConfig{gates: 500, rate: 1000, warmup: 2 * time.Second, duration: 5 * time.Second, maxCount: 50_000, maxDuration: 10 * time.Second, batch: 1}
	if testing.Short() {
		c.gates, c.rate, c.warmup, c.duration, c.maxCount, c.maxDuration = 100, 500, 500*time.Millisecond, 2*time.Second, 5_000, 3*time.Second
	}
	c.gates = envInt("ADMITONE_SYNCBENCH_GATES", c.gates)
	c.rate = envInt("ADMITONE_SYNCBENCH_RATE", c.rate)
	c.warmup = envDuration("ADMITONE_SYNCBENCH_WARMUP", c.warmup)
	c.duration = envDuration("ADMITONE_SYNCBENCH_DURATION", c.duration)
	c.uploaders = min(envInt("ADMITONE_SYNCBENCH_UPLOADERS", c.gates), c.gates)
	c.maxCount = envInt("ADMITONE_SYNCBENCH_MAX_COUNT", c.maxCount)
	c.maxDuration = envDuration("ADMITONE_SYNCBENCH_MAX_DURATION", c.maxDuration)
	c.batch = min(envInt("ADMITONE_SYNCBENCH_BATCH", c.batch), ticketsync.MaxBatch)
	return c
}

// BenchmarkFanout connects 500 gates of one event to a hub over a real
// store and measures, from a check-in entering a gate's outbox to the
// changes frame carrying it being read at every other gate:
//
//   - paced: 1,000 check-ins/s spread round-robin over the uploading
//     gates (all of them: two a second each, as at an event's doors) for
//     5 s, after 2 s of the same unmeasured; p50/p90/p99/max of the
//     delay over every (check-in, other gate) pair. A pair not delivered
//     within 30 s after the last check-in counts as infinitely late.
//     cpu_cores is this process's CPU time (hub and gates) over the
//     wall time.
//   - max: every uploading gate keeps a backlog and uploads as fast as
//     acks come back (one upload in flight per gate, as the Client does),
//     for at most 50,000 check-ins or 10 s; ingest is check-ins acked per
//     second, fanout check-ins per second until the last of them reached
//     every other gate.
//
// The gates are protocol-level websocket clients in this process
// (gatebench.Gate); each uploads check-ins of distinct tickets, all
// entries. The tickets are issued before the gates connect, one per
// check-in of the warm-up, one paced run and the max run, and the hub
// checks every upload against them, as syncserver's does.
func BenchmarkFanout(b *testing.B) {
	cfg := fanoutSizes()
	eachBackend(b, func(b *testing.B, db benchStore, settle func(*testing.B)) {
		ctx := context.Background()
		ev := gatebench.Event(b, db)
		t0 := time.Now()
		warm := cfg
		warm.duration = cfg.warmup
		perRun := cfg.paced()
		_, tickets := gatebench.IssueTickets(b, db, db, ev, warm.paced()+perRun+cfg.maxCount)
		b.Logf("%d tickets issued in %v", len(tickets), time.Since(t0).Round(time.Millisecond))
		take := func(n int) []string {
			if n > len(tickets) {
				b.Fatalf("%d check-ins need as many unused tickets, %d are left: run the paced benchmark once (-benchtime 1x)", n, len(tickets))
			}
			t := tickets[:n:n]
			tickets = tickets[n:]
			return t
		}
		seed := gatebench.Seed()
		gatebench.CreateGates(b, db, ev, seed, cfg.gates)
		settle(b)
		hub, srv := fanoutServer(b, db)
		head, err := db.LastSeq(ctx, ev)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		gates := gatebench.Connect(b, srv.URL, seed, cfg.gates, head)
		for hub.Connected() < cfg.gates {
			time.Sleep(10 * time.Millisecond)
		}
		b.Logf("%d gates connected in %v", cfg.gates, time.Since(start).Round(time.Millisecond))
		// A warm-up at the paced rate, not measured: the first seconds
		// of a fresh store (PostgreSQL's plans and statistics of new
		// tables, the pool's prepared statements) are not the event's.
		p := warm.pace()
		p.Tickets = take(warm.paced())
		gatebench.Paced(gates, p)

		b.Run(fmt.Sprintf("paced/gates=%d/uploaders=%d/rate=%d", cfg.gates, cfg.uploaders, cfg.rate), func(b *testing.B) {
			var all []int32
			var lost, made int64
			var pacing time.Duration
			cpu0, wall0 := processCPU(), time.Now()
			obs := observeDB(b, db)
			for range b.N {
				p := cfg.pace()
				p.Tickets = take(perRun)
				res := gatebench.Paced(gates, p)
				all = append(all, res.Delays...)
				lost += res.Lost
				made += int64(res.Made)
				pacing += res.Pacing
			}
			obs.report(b)
			reportDelays(b, all, lost)
			b.ReportMetric(float64(made)/pacing.Seconds(), "checkins/s")
			b.ReportMetric((processCPU()-cpu0).Seconds()/time.Since(wall0).Seconds(), "cpu_cores")
			b.ReportMetric(0, "ns/op")
		})
		b.Run(fmt.Sprintf("max/gates=%d/uploaders=%d/batch=%d", cfg.gates, cfg.uploaders, cfg.batch), func(b *testing.B) {
			var acked, sent int64
			var ackSpan, fanSpan time.Duration
			obs := observeDB(b, db)
			for range b.N {
				res := maxRun(b, gates, cfg, take(cfg.maxCount), func() int64 {
					head, err := db.LastSeq(ctx, ev)
					if err != nil {
						b.Fatal(err)
					}
					return head
				})
				acked += res.acked
				sent += res.sent
				ackSpan += res.ackSpan
				fanSpan += res.fanSpan
			}
			obs.report(b)
			b.ReportMetric(float64(acked)/ackSpan.Seconds(), "ingest_checkins/s")
			b.ReportMetric(float64(sent)/fanSpan.Seconds(), "fanout_checkins/s")
			b.ReportMetric(0, "ns/op")
		})
		for _, g := range gates {
			select {
			case <-g.Closed:
				b.Errorf("gate %d was disconnected: %v", g.N, g.Err)
			default:
			}
		}
	})
}

func reportDelays(b *testing.B, all []int32, lost int64) {
	slices.Sort(all)
	at := func(p float64) float64 { return gatebench.Percentile(all, lost, p) }
	b.ReportMetric(at(50), "p50_ms")
	b.ReportMetric(at(90), "p90_ms")
	b.ReportMetric(at(99), "p99_ms")
	b.ReportMetric(at(100), "max_ms")
	b.ReportMetric(float64(lost), "lost_pairs")
	b.Logf("%d (check-in, gate) pairs: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms; %d lost",
		int64(len(all))+lost, at(50), at(90), at(99), at(99.9), at(100), lost)
}

// paced is how many check-ins a paced run of cfg makes.
func (c fanoutConfig) paced() int { return int(float64(c.rate) * c.duration.Seconds()) }

// pace is cfg's paced run.
func (c fanoutConfig) pace() gatebench.Pace {
	return gatebench.Pace{Rate: c.rate, Uploaders: c.uploaders, Duration: c.duration}
}

type maxResult struct {
	acked, sent      int64
	ackSpan, fanSpan time.Duration
}

// maxRun uploads as fast as the hub acknowledges, at most cfg.maxCount
// check-ins or for cfg.maxDuration, and waits for every other gate to
// receive them: every gate has them once it got the log's head.
func maxRun(b *testing.B, gates []*gatebench.Gate, cfg fanoutConfig, tickets []string, head func() int64) maxResult {
	r := gatebench.NewRun(cfg.maxCount, false)
	r.Tickets = tickets
	for _, g := range gates {
		g.SetRun(r)
	}
	stop := make(chan struct{})
	done := make(chan struct{}, cfg.uploaders)
	for u, g := range gates[:cfg.uploaders] {
		go func() {
			g.Upload(r, cfg.batch, stop)
			done <- struct{}{}
		}()
		go func() {
			for k := u; k < cfg.maxCount; k += cfg.uploaders {
				r.Sender[k].Store(g.N)
				select {
				case g.Outbox <- k:
				case <-stop:
					return
				}
			}
		}()
	}
	gatebench.WaitFor(cfg.maxDuration, func() bool { return r.Acked.Load() >= int64(cfg.maxCount) })
	close(stop)
	for range cfg.uploaders {
		<-done
	}
	ackSpan := time.Duration(r.LastAck.Load())
	sent := r.Sent.Load()
	if n := r.Unacked.Load(); n > 0 {
		b.Logf("max: %d check-ins were never acked (%v after the run stopped)", n, gatebench.LastAckWait)
	}
	last := head()
	behind := func() (n int) {
		for _, g := range gates {
			if g.Seq.Load() < last {
				n++
			}
		}
		return n
	}
	if !gatebench.WaitFor(60*time.Second, func() bool { return behind() == 0 }) {
		b.Errorf("%d gates did not get the log's head %d 60 s after the last upload", behind(), last)
	}
	var fanSpan int64
	for _, g := range gates {
		fanSpan = max(fanSpan, g.SeqAt.Load())
	}
	res := maxResult{acked: r.Acked.Load(), sent: sent, ackSpan: ackSpan, fanSpan: time.Duration(fanSpan)}
	b.Logf("max: %d check-ins acked in %v (%.0f/s); every gate had them after %v (%.0f/s)",
		res.acked, res.ackSpan.Round(time.Millisecond), float64(res.acked)/res.ackSpan.Seconds(),
		res.fanSpan.Round(time.Millisecond), float64(res.sent)/res.fanSpan.Seconds())
	return res
}

// processCPU is the user and system CPU time this process used so far
// (the hub's and, in the fan-out benchmark, the gates'; a PostgreSQL
// server's is its own), from /proc: 0 elsewhere.
func processCPU() time.Duration {
	raw, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// After the command's name in parentheses: state is field 3, utime
	// and stime fields 14 and 15, in USER_HZ (100 on Linux).
	_, rest, _ := strings.Cut(string(raw), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	user, _ := strconv.ParseInt(f[11], 10, 64)
	sys, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(user+sys) * 10 * time.Millisecond
}

// childEnv makes the test binary a hub process for
// BenchmarkIdleGateMemory: "seed:gates".
const childEnv = "ADMITONE_SYNCBENCH_CHILD"

// childURL prefixes the line on which the hub process names its URL.
const childURL = "ADMITONE_SYNCBENCH_URL="

// serverMem is what the hub process reports of itself, after garbage
// collection and returning freed memory to the OS.
type serverMem struct {
	HeapInuse  uint64 `json:"heap_inuse"`
	HeapAlloc  uint64 `json:"heap_alloc"`
	StackInuse uint64 `json:"stack_inuse"`
	RSS        uint64 `json:"rss"` // VmRSS, bytes
	Goroutines int    `json:"goroutines"`
	Connected  int    `json:"connected"`
}

// TestBenchServerChild is not a test: BenchmarkIdleGateMemory runs the
// test binary again with childEnv set, and this serves the hub in that
// process, so that its memory holds the server's side of the gates
// only.
func TestBenchServerChild(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		t.Skip("the hub process of BenchmarkIdleGateMemory")
	}
	seed, count, _ := strings.Cut(spec, ":")
	n, err := strconv.Atoi(count)
	if err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	gatebench.CreateGates(t, db, gatebench.Event(t, db), seed, n)
	hub := &ticketsync.Hub{Store: db, Changes: db, Logger: slog.New(slog.DiscardHandler)}
	mux := http.NewServeMux()
	mux.Handle("GET /v1/sync", benchHub(hub))
	mux.HandleFunc("GET /bench/mem", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") != "" {
			runtime.GC()
			debug.FreeOSMemory()
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		json.NewEncoder(w).Encode(serverMem{HeapInuse: ms.HeapInuse, HeapAlloc: ms.HeapAlloc, StackInuse: ms.StackInuse,
			RSS: vmRSS(), Goroutines: runtime.NumGoroutine(), Connected: hub.Connected()})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	fmt.Printf("\n%shttp://%s\n", childURL, ln.Addr())
	io.Copy(io.Discard, os.Stdin) // until the benchmark ends or dies
	hub.Shutdown()
	srv.Close()
}

// vmRSS reads this process's resident set size from /proc (0 elsewhere).
func vmRSS() uint64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkIdleGateMemory measures the server's memory per connected,
// idle gate. The hub runs in a child process (the test binary again, see
// TestBenchServerChild) over bolt, so the gates' client side, which
// lives in this process, is not counted. The child reports its Go heap
// in use, goroutine stacks and VmRSS after a GC, before and after the
// gates connected; the difference divided by the gates is the cost of
// one. The store's part does not grow with connected gates, so bolt
// stands for both backends.
func BenchmarkIdleGateMemory(b *testing.B) {
	for _, n := range []int{500, 1000} {
		b.Run(fmt.Sprintf("gates=%d", n), func(b *testing.B) {
			seed := gatebench.Seed()
			base := startChild(b, seed, n)
			var perGate, perGateLive, perGateRSS float64
			for range b.N {
				before := childMem(b, base, true)
				gates := gatebench.Connect(b, base, seed, n, 0)
				if !gatebench.WaitFor(30*time.Second, func() bool { return childMem(b, base, false).Connected == n }) {
					b.Fatalf("the hub has %d of %d gates", childMem(b, base, false).Connected, n)
				}
				time.Sleep(500 * time.Millisecond) // let the connections' first frames settle
				after := childMem(b, base, true)
				perGate += (float64(after.HeapInuse+after.StackInuse) - float64(before.HeapInuse+before.StackInuse)) / float64(n)
				perGateLive += (float64(after.HeapAlloc+after.StackInuse) - float64(before.HeapAlloc+before.StackInuse)) / float64(n)
				perGateRSS += (float64(after.RSS) - float64(before.RSS)) / float64(n)
				b.Logf("%d idle gates: heap in use %+.1f MiB, live heap %+.1f MiB, stacks %+.1f MiB, RSS %+.1f MiB, goroutines %+d",
					n, mib(after.HeapInuse, before.HeapInuse), mib(after.HeapAlloc, before.HeapAlloc),
					mib(after.StackInuse, before.StackInuse), mib(after.RSS, before.RSS), after.Goroutines-before.Goroutines)
				for _, g := range gates {
					g.WS.Close()
				}
				gatebench.WaitFor(30*time.Second, func() bool { return childMem(b, base, false).Connected == 0 })
			}
			b.ReportMetric(perGate/float64(b.N)/1024, "KiB/gate")
			b.ReportMetric(perGateLive/float64(b.N)/1024, "live_KiB/gate")
			b.ReportMetric(perGateRSS/float64(b.N)/1024, "rss_KiB/gate")
			b.ReportMetric(0, "ns/op")
		})
	}
}

func mib(after, before uint64) float64 { return (float64(after) - float64(before)) / (1 << 20) }

// startChild starts the hub process with n gates and returns its base
// URL; it ends with the benchmark.
func startChild(b *testing.B, seed string, n int) string {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestBenchServerChild$", "-test.count=1", "-test.timeout=0")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s:%d", childEnv, seed, n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), childURL); ok {
				found <- u
			}
		}
	}()
	select {
	case u := <-found:
		return u
	case <-time.After(2 * time.Minute):
		b.Fatal("the hub process did not start")
		return ""
	}
}

func childMem(b *testing.B, base string, gc bool) serverMem {
	b.Helper()
	u := base + "/bench/mem"
	if gc {
		u += "?gc=1"
	}
	res, err := http.Get(u)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var m serverMem
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkEnroll100k measures a new gate's enrolment into an event
// whose log holds 100,000 issued tickets (100 paid orders of 1,000) and
// 1,000 revocations (one of them refunded): server is Enroller.Enroll
// (consume the code, replay the log, sign the bundle and seal it under
// the code), wire the Enrolment's JSON encoding and decoding (what the
// HTTP answer costs both ends, minus the network), gate scanner.Store's
// Enroll (open and verify the bundle, import it in one fsynced
// transaction). Everything else of an iteration is untimed.
func BenchmarkEnroll100k(b *testing.B) {
	n := envInt("ADMITONE_SYNCBENCH_TICKETS", 100_000)
	if testing.Short() {
		n = envInt("ADMITONE_SYNCBENCH_TICKETS", 10_000)
	}
	eachBackend(b, func(b *testing.B, db benchStore, _ func(*testing.B)) {
		ctx := context.Background()
		ev := gatebench.Event(b, db)
		start := time.Now()
		issued, revoked := issueBenchTickets(b, db, ev, n)
		b.Logf("%d tickets issued, %d revoked in %v", issued, revoked, time.Since(start).Round(time.Millisecond))
		var seal ticketcrypto.SealKey
		rand.Read(seal[:])
		// The vault and enroller are syncserver's (services.New).
		svc := services.New(services.Config{SealKey: &seal,
			Stores: services.Stores{Accounts: db, Catalog: db, Purchases: db, Secrets: db, Sync: db}})
		vault, enr := svc.Vault, svc.Enroller
		// The tickets were signed by the vault's key: make it.
		if _, err := vault.SignTicket(ctx, purchase.TicketToSign{EventID: ev, TypeNumber: 1}); err != nil {
			b.Fatal(err)
		}
		// A sub-benchmark, so that the tickets are issued once however
		// often the framework runs the loop.
		b.Run(fmt.Sprintf("tickets=%d", issued), func(b *testing.B) {
			var server, wire, gate time.Duration
			var size int
			for i := range b.N {
				b.StopTimer()
				_, code, err := enr.CreateGate(ctx, ev, ticketsync.GateSpec{Name: fmt.Sprintf("new gate %d", i), Direction: bundle.Entry}, "usr_bench")
				if err != nil {
					b.Fatal(err)
				}
				s, err := scanner.OpenStore(b.TempDir(), scanner.StoreOptions{})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				t0 := time.Now()
				e, err := enr.Enroll(ctx, code, ticketsync.EnrollOptions{})
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				raw, err := json.Marshal(e)
				if err != nil {
					b.Fatal(err)
				}
				var got ticketsync.Enrollment
				if err := json.Unmarshal(raw, &got); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				info, err := s.Enroll(got, "http://127.0.0.1:1", code, time.Now())
				if err != nil {
					b.Fatal(err)
				}
				t3 := time.Now()
				b.StopTimer()
				server, wire, gate = server+t1.Sub(t0), wire+t2.Sub(t1), gate+t3.Sub(t2)
				size = len(raw)
				if info.Tickets != issued || info.Revocations != revoked {
					b.Fatalf("the gate has %d tickets and %d revocations, want %d and %d", info.Tickets, info.Revocations, issued, revoked)
				}
				s.Close()
				b.StartTimer()
			}
			per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 / float64(b.N) }
			b.ReportMetric(per(server), "server_ms")
			b.ReportMetric(per(wire), "wire_ms")
			b.ReportMetric(per(gate), "gate_ms")
			b.ReportMetric(per(server+wire+gate), "total_ms")
			b.ReportMetric(float64(size)/(1<<20), "answer_MiB")
		})
	})
}

// issueBenchTickets issues n tickets of the event (gatebench.IssueTickets)
// and refunds the first order; it returns how many tickets a gate's
// bundle lists and how many it revokes.
func issueBenchTickets(b *testing.B, db benchStore, eventID string, n int) (issued, revoked int) {
	b.Helper()
	orders, tickets := gatebench.IssueTickets(b, db, db, eventID, n)
	if _, err := db.Refund(context.Background(), orders[0], time.Now().UTC().Truncate(time.Microsecond).Add(time.Minute)); err != nil {
		b.Fatal(err)
	}
	return len(tickets), min(gatebench.TicketsPerOrder, len(tickets))
}

// TestHubTail checks the hub's shared tail of the log (server.go), which
// BenchmarkFanout motivated: gates connected at different cursors, some
// within what the hub keeps in memory and one behind it, each get every
// entry once and in order, in changes frames whose bytes are the JSON
// encoding of the Frame they parse to, while a gate uploads more entries
// than the hub keeps.
func TestHubTail(t *testing.T) {
	w := newWorld(t)
	w.hub.Tickets = nil // the tail alone: check-ins of tickets the store never issued are recorded unchecked
	seed := gatebench.Seed()
	gatebench.CreateGates(t, w.db, w.eventID, seed, 4)
	const total = 18 * ticketsync.MaxBatch // past tailKeep, so the tail drops its oldest entries
	// follow connects gate i with cursor since and checks what it gets
	// up to seq total.
	follow := func(i int, since int64) <-chan error {
		ws, _, err := websocket.DefaultDialer.Dial(gatebench.WSURL(w.srv.URL), http.Header{"Authorization": {"Bearer " + gatebench.Credential(seed, i)}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		if err := ws.WriteJSON(ticketsync.Frame{Type: ticketsync.TypeHello, Version: ticketsync.ProtocolVersion, Since: since}); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			for next := since + 1; next <= total; {
				ws.SetReadDeadline(time.Now().Add(30 * time.Second))
				_, msg, err := ws.ReadMessage()
				if err != nil {
					done <- fmt.Errorf("gate %d at seq %d: %w", i, next, err)
					return
				}
				f, err := ticketsync.ParseFrame(msg)
				if err != nil {
					done <- fmt.Errorf("gate %d: %w", i, err)
					return
				}
				if again, _ := json.Marshal(f); f.Type == ticketsync.TypeChanges && string(again) != string(msg) {
					done <- fmt.Errorf("gate %d: changes frame\n%s\nis not the encoding of its Frame\n%s", i, msg, again)
					return
				}
				for _, ch := range f.Changes {
					if ch.Seq != next {
						done <- fmt.Errorf("gate %d: got seq %d, want %d", i, ch.Seq, next)
						return
					}
					next++
				}
			}
			done <- nil
		}()
		return done
	}

	early := follow(1, 0)
	up, err := gatebench.Dial(websocket.DefaultDialer, w.srv.URL, gatebench.Credential(seed, 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { up.WS.Close() })
	r := gatebench.NewRun(total, false)
	up.SetRun(r)
	stop := make(chan struct{})
	go up.Upload(r, ticketsync.MaxBatch, stop)
	for k := range total {
		up.Outbox <- k
	}
	if !gatebench.WaitFor(30*time.Second, func() bool { return r.Acked.Load() == total }) {
		t.Fatalf("%d of %d check-ins acked", r.Acked.Load(), total)
	}
	close(stop)
	if err := <-early; err != nil {
		t.Fatal(err)
	}
	behind, near := follow(2, 0), follow(3, total-10)
	for _, c := range []<-chan error{behind, near} {
		if err := <-c; err != nil {
			t.Error(err)
		}
	}
}
