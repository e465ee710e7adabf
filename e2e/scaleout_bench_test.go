//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/storage"
	"github.com/admitone/admitone/storage/postgres/pgtest"
)

// TestScaleOutThroughput is issue 15's scale-out figure: the flash sale
// through nginx in front of 1, 2 and 3 syncserver processes on one
// PostgreSQL, each time on a fresh database: purchases per second, the
// purchase's p50 and p99, the servers' CPU per purchase (all processes
// together) and the database's, so it shows what more processes (and
// cores) would spread and what they would not. It runs only when
// ADMITONE_SCALEOUT_BENCH is set (ADMITONE_SCALEOUT_TICKETS, default
// 10,000; ADMITONE_SCALEOUT_BUYERS, default 500). It asserts behaviour
// only: every ticket sold once, every buyer ends on sold_out, nothing
// unexpected.
func TestScaleOutThroughput(t *testing.T) {
	if os.Getenv("ADMITONE_SCALEOUT_BENCH") == "" {
		t.Skip("a benchmark: set ADMITONE_SCALEOUT_BENCH=1 (BENCHMARKS.md)")
	}
	needBinaries(t)
	nginxBin := nginxPath(t)
	tickets, buyers := envInt(t, "ADMITONE_SCALEOUT_TICKETS", 10000), envInt(t, "ADMITONE_SCALEOUT_BUYERS", 500)
	var rows []string
	for n := 1; n <= 3; n++ {
		t.Run(fmt.Sprintf("servers=%d", n), func(t *testing.T) {
			rows = append(rows, scaleOutSale(t, nginxBin, n, tickets, buyers))
		})
	}
	t.Logf("flash sale through nginx, %s tickets, %d buyers, load average %s at the end:\n| servers | purchases/s | purchase p50 | p99 | servers' CPU a purchase | PostgreSQL CPU a purchase | machine busy |\n|---|---|---|---|---|---|---|\n%s",
		withCommas(tickets), buyers, loadAverage(), strings.Join(rows, "\n"))
}

// scaleOutSale sells tickets to buyers through nginx in front of n
// servers and returns the result as a table row.
func scaleOutSale(t *testing.T, nginxBin string, n, tickets, nbuyers int) string {
	dsn := pgtest.FreshSchema(t)
	servers := startServers(t, dsn, n, "--trusted-proxies", "127.0.0.1")
	nx := startNginx(t, nginxBin, servers)
	organizer := &flashClient{client: loopbackClient(nil)}
	eventID, typeID := flashEvent(t, organizer, nx.url, tickets)
	buyers := signUpBuyers(t, nx.url, nbuyers)

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for _, b := range buyers {
		b.client.CloseIdleConnections()
		wg.Go(func() { b.send(ctx, "GET", nx.url+"/livez", nil) })
	}
	wg.Wait()

	runs := make([]buyerRun, len(buyers))
	start := make(chan struct{})
	for i, b := range buyers {
		wg.Go(func() {
			<-start
			runs[i] = b.buy(ctx, nx.url, eventID, typeID, 3, 0)
		})
	}
	cpu := startCPU(t, servers)
	begin := time.Now()
	close(start)
	wg.Wait()
	wall := time.Since(begin)
	used := cpu.stop(t)
	serverCPU, dbCPU, busy := used.servers, used.db, used.busy

	var lat flashLatencies
	purchases, soldOut := 0, 0
	for _, r := range runs {
		purchases += r.purchases
		lat = append(lat, r.purchase...)
		if r.soldOut {
			soldOut++
		}
		if r.failure != "" {
			t.Errorf("a buyer stopped on %s: %s", r.failure, r.detail)
		}
	}
	lat.sort()
	if purchases != tickets || soldOut != len(buyers) {
		t.Errorf("%d purchases and %d sold_out buyers, want %d and %d", purchases, soldOut, tickets, len(buyers))
	}
	b, err := storage.Open(ctx, dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	sold, held, err := b.Purchases.Counts(ctx, typeID)
	if err != nil || sold != tickets || held != 0 {
		t.Errorf("the database holds %d sold, %d held (%v), want %d and 0", sold, held, err, tickets)
	}
	ms := func(d time.Duration) string {
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)/float64(max(1, purchases)))
	}
	row := fmt.Sprintf("| %d | **%.0f** | %s | %s | %s | %s | %.0f%% |", n, float64(purchases)/wall.Seconds(),
		msText(lat.pct(0.50)), msText(lat.pct(0.99)), ms(serverCPU), ms(dbCPU), 100*busy)
	t.Log(row)
	return row
}

// envInt reads a positive count from the environment, or def.
func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive count", name, v)
	}
	return n
}

// scaleCPU is what a scale-out benchmark measures of a run: the CPU time
// the servers' processes (together), nginx's and PostgreSQL's
// (pgtest.ServerCPU: every postgres process of the server) used, and the
// machine's busy share, from startCPU to stop.
type scaleCPU struct {
	servers, nginx, db time.Duration
	busy               float64

	procs   []*proc
	nx      *proc // nil: not measured
	machine cpuTicks
}

// startCPU starts measuring the servers' CPU (and nginx's, if nx is
// given) and PostgreSQL's.
func startCPU(t *testing.T, servers []*server, nx ...*nginx) *scaleCPU {
	t.Helper()
	c := &scaleCPU{}
	for _, s := range servers {
		c.procs = append(c.procs, s.proc)
	}
	if len(nx) > 0 {
		c.nx = nx[0].proc
	}
	c.servers, c.nginx, c.db = c.read(t)
	c.machine = machineCPU(t)
	return c
}

func (c *scaleCPU) read(t *testing.T) (servers, nginx, db time.Duration) {
	t.Helper()
	for _, p := range c.procs {
		servers += procCPU(t, p.cmd.Process.Pid)
	}
	if c.nx != nil {
		nginx = procCPU(t, c.nx.cmd.Process.Pid)
	}
	db, err := pgtest.ServerCPU()
	if err != nil {
		t.Fatal(err)
	}
	return servers, nginx, db
}

// stop returns what was used since startCPU.
func (c *scaleCPU) stop(t *testing.T) scaleCPU {
	t.Helper()
	servers, nginx, db := c.read(t)
	return scaleCPU{servers: servers - c.servers, nginx: nginx - c.nginx, db: db - c.db, busy: machineCPU(t).busySince(c.machine)}
}
