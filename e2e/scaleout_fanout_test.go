//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/storage"
	"github.com/admitone/admitone/storage/postgres/pgtest"
	"github.com/admitone/admitone/sync/gatebench"
)

// fanoutScale is the size of TestScaleOutFanout.
type fanoutScale struct {
	servers                  int // 1 to servers processes, one run each
	gates, rate              int // gates connected, check-ins a second over all
	warmup, seconds          int // unmeasured, then measured, at the rate
	uploaders                int // gates that upload (the first ones)
	checkinsWarm, checkinsIn int
}

// fanoutScaleFromEnv: a short run by default (1 and 2 processes, 20
// gates, 100 check-ins/s for 2 s), the benchmark's with
// ADMITONE_SCALEOUT_BENCH set (1 to 3 processes, 150 gates, 300/s for
// 10 s after 2 s of warm-up); ADMITONE_SCALEOUT_SERVERS, _GATES, _RATE,
// _WARMUP and _SECONDS set each.
func fanoutScaleFromEnv(t *testing.T) fanoutScale {
	c := fanoutScale{servers: 2, gates: 20, rate: 100, warmup: 1, seconds: 2}
	if os.Getenv("ADMITONE_SCALEOUT_BENCH") != "" {
		c = fanoutScale{servers: 3, gates: 150, rate: 300, warmup: 2, seconds: 10}
	}
	c.servers = envInt(t, "ADMITONE_SCALEOUT_SERVERS", c.servers)
	c.gates = envInt(t, "ADMITONE_SCALEOUT_GATES", c.gates)
	c.rate = envInt(t, "ADMITONE_SCALEOUT_RATE", c.rate)
	c.warmup = envInt(t, "ADMITONE_SCALEOUT_WARMUP", c.warmup)
	c.seconds = envInt(t, "ADMITONE_SCALEOUT_SECONDS", c.seconds)
	if c.gates < 2 || c.servers > 10 || c.gates > 2000 || c.rate > 5000 || c.warmup+c.seconds > 120 {
		t.Fatalf("ADMITONE_SCALEOUT_*: %+v is out of bounds (2-2,000 gates, 1-10 servers, at most 5,000/s for 120 s)", c)
	}
	// Every gate uploads: a check-in every gates/rate seconds each (two
	// a second at 150 gates and 300/s, as at an event's doors).
	c.uploaders = c.gates
	c.checkinsWarm, c.checkinsIn = c.rate*c.warmup, c.rate*c.seconds
	return c
}

// TestScaleOutFanout is issue 15's gate sync fan-out through nginx: gates
// of one event connect through nginx (docs/operations.md's
// configuration, round robin) to 1, 2, ... syncserver processes on one
// PostgreSQL, a fresh database each time, and upload check-ins at a paced
// rate; every check-in must reach every other gate. Spread over n
// processes, (n-1)/n of the deliveries cross processes: the server that
// took the upload appends to the change log, PostgreSQL's NOTIFY wakes
// the others (storage.Backend.Notifier), each reads the new entries and
// pushes them to its gates.
//
// The gates are gatebench's protocol-level websocket clients in this
// process (as sync's BenchmarkFanout); the event, its tickets and the
// gates' credentials are written straight into the database (enrolment
// is not what it measures). The delay is from a check-in entering its
// gate's outbox to the changes frame carrying it read at another gate.
//
// It asserts behaviour only: the gates spread over every process, every
// check-in acked and delivered to every other gate, no gate
// disconnected. Timings and CPU are logged, as a Markdown table. The
// short default runs in CI; ADMITONE_SCALEOUT_BENCH=1 is the benchmark
// (BENCHMARKS.md). Needs nginx and PostgreSQL, as TestScaleOutBehindNginx.
func TestScaleOutFanout(t *testing.T) {
	needBinaries(t)
	nginxBin := nginxPath(t)
	cfg := fanoutScaleFromEnv(t)
	load := loadAverage()
	var rows []string
	for n := 1; n <= cfg.servers; n++ {
		t.Run(fmt.Sprintf("servers=%d", n), func(t *testing.T) {
			rows = append(rows, scaleOutFanout(t, nginxBin, n, cfg))
		})
	}
	t.Logf("gate sync fan-out through nginx, %d gates, %d check-ins/s for %d s after %d s of warm-up, load average %s at the start, %s at the end:\n"+
		"| servers | gates per server | check-ins/s offered | ingest (acked/s) | delay p50 | p99 | max | across processes: share, p99 | lost | servers' CPU | nginx CPU | PostgreSQL CPU | machine busy |\n"+
		"|---|---|---|---|---|---|---|---|---|---|---|---|---|\n%s",
		cfg.gates, cfg.rate, cfg.seconds, cfg.warmup, load, loadAverage(), strings.Join(rows, "\n"))
}

// scaleOutFanout runs the fan-out through nginx in front of n servers
// and returns the result as a table row.
func scaleOutFanout(t *testing.T, nginxBin string, n int, cfg fanoutScale) string {
	dsn := pgtest.FreshSchema(t)
	servers := startServers(t, dsn, n, "--trusted-proxies", "127.0.0.1")
	nx := startNginx(t, nginxBin, servers)

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	db, err := storage.Open(ctx, dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	begin := time.Now()
	ev := gatebench.Event(t, db.Catalog)
	_, tickets := gatebench.IssueTickets(t, db.Catalog, db.Purchases, ev, cfg.checkinsWarm+cfg.checkinsIn)
	seed := gatebench.Seed()
	ids := gatebench.CreateGates(t, db.Sync, ev, seed, cfg.gates)
	head, err := db.Purchases.LastSeq(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("event %s: %d tickets issued and %d gates stored in %v", ev, len(tickets), len(ids), time.Since(begin).Round(time.Millisecond))

	begin = time.Now()
	gates := gatebench.Connect(t, nx.url, seed, cfg.gates, head)
	home, perServer := gateHomes(t, servers, ids)
	t.Logf("%d gates connected through nginx in %v; gates per server: %v", cfg.gates, time.Since(begin).Round(time.Millisecond), perServer)
	for i, c := range perServer {
		if c == 0 {
			t.Fatalf("no gate connected to %s through nginx (gates per server %v): want them spread over every process", servers[i].name, perServer)
		}
	}

	// The warm-up: a fresh database's first seconds (plans, statistics,
	// the pools' connections) are not the event's. Checked, not timed.
	warm := gatebench.Paced(gates, gatebench.Pace{Rate: cfg.rate, Uploaders: cfg.uploaders,
		Duration: time.Duration(cfg.warmup) * time.Second, Tickets: tickets[:cfg.checkinsWarm], Home: home})
	checkFanout(t, "warm-up", warm, len(gates))

	cpu, ownBefore := startCPU(t, servers, nx), ownCPU(t)
	start := time.Now()
	res := gatebench.Paced(gates, gatebench.Pace{Rate: cfg.rate, Uploaders: cfg.uploaders,
		Duration: time.Duration(cfg.seconds) * time.Second, Tickets: tickets[cfg.checkinsWarm:], Home: home})
	wall := time.Since(start)
	used, ownUsed := cpu.stop(t), ownCPU(t)-ownBefore
	checkFanout(t, "measured run", res, len(gates))
	for _, g := range gates {
		select {
		case <-g.Closed:
			t.Errorf("gate %d was disconnected: %v", g.N, g.Err)
		default:
		}
	}

	slices.Sort(res.Delays)
	slices.Sort(res.Cross)
	pct := func(d []int32, lost int64, p float64) string {
		return fmt.Sprintf("%.1f ms", gatebench.Percentile(d, lost, p))
	}
	cross := "-"
	if n > 1 {
		cross = fmt.Sprintf("%.0f%%, %s", 100*float64(len(res.Cross))/float64(max(1, len(res.Delays))), pct(res.Cross, 0, 99))
	}
	cores := func(d time.Duration) string {
		return fmt.Sprintf("%.2f cores (%.2f ms a check-in)", d.Seconds()/wall.Seconds(), float64(d)/float64(time.Millisecond)/float64(max(1, res.Made)))
	}
	t.Logf("%d servers: %d check-ins in %v, %d (check-in, other gate) deliveries, %d of them across processes; this process (the gates) used %.2f cores",
		n, res.Made, res.Pacing.Round(time.Millisecond), len(res.Delays), len(res.Cross), ownUsed.Seconds()/wall.Seconds())
	row := fmt.Sprintf("| %d | %s | %d | %.0f | %s | %s | %s | %s | %d | %s | %.2f cores | %s | %.0f%% |",
		n, perServerText(perServer), cfg.rate, float64(res.Acked)/res.AckSpan.Seconds(),
		pct(res.Delays, res.Lost, 50), pct(res.Delays, res.Lost, 99), pct(res.Delays, res.Lost, 100), cross, res.Lost,
		cores(used.servers), used.nginx.Seconds()/wall.Seconds(), cores(used.db), 100*used.busy)
	t.Log(row)
	return row
}

// checkFanout fails the test unless every check-in of a paced run was
// acked and reached every other gate.
func checkFanout(t *testing.T, what string, res gatebench.PacedResult, gates int) {
	t.Helper()
	if res.Acked != int64(res.Made) {
		t.Errorf("%s: %d of %d check-ins acked", what, res.Acked, res.Made)
	}
	if want := int64(res.Made) * int64(gates-1); res.Lost != 0 || int64(len(res.Delays)) != want {
		t.Errorf("%s: %d of %d (check-in, other gate) deliveries arrived within 30 s of the last check-in; %d lost",
			what, len(res.Delays), want, res.Lost)
	}
}

// gateHomes finds the server each gate connected to from the servers'
// logs (the hub's `msg="sync: gate connected" ... gate=ID` line): by
// gate number, and how many each server has. Each gate must have
// connected once, to one server.
func gateHomes(t *testing.T, servers []*server, ids []string) (home []int, perServer []int) {
	t.Helper()
	number := make(map[string]int, len(ids))
	for i, id := range ids {
		number[id] = i
	}
	var seen int
	testenv.Poll(10*time.Second, 20*time.Millisecond, func() bool {
		home, perServer, seen = make([]int, len(ids)), make([]int, len(servers)), 0
		for i := range home {
			home[i] = -1
		}
		for s, srv := range servers {
			for line := range strings.Lines(srv.logs.String()) {
				if !strings.Contains(line, `msg="sync: gate connected"`) {
					continue
				}
				_, rest, _ := strings.Cut(line, " gate=")
				id, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
				g, ok := number[id]
				if !ok {
					continue
				}
				if home[g] != -1 {
					t.Fatalf("gate %d (%s) connected twice (to %s and %s), want once", g, ids[g], servers[home[g]].name, srv.name)
				}
				home[g] = s
				perServer[s]++
				seen++
			}
		}
		return seen == len(ids)
	})
	if seen != len(ids) {
		t.Fatalf("the servers' logs name %d of the %d gates as connected", seen, len(ids))
	}
	return home, perServer
}

func perServerText(counts []int) string {
	s := make([]string, len(counts))
	for i, c := range counts {
		s[i] = fmt.Sprint(c)
	}
	return strings.Join(s, " / ")
}
