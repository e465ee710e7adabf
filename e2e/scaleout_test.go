//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/storage"
	"github.com/admitone/admitone/storage/postgres/pgtest"
)

// Sizes of TestScaleOutBehindNginx: issue 15's figures.
const (
	scaleServers = 3
	scaleBuyers  = 500
	scaleTickets = 100
)

// TestScaleOutBehindNginx is the scale-out test: Debian's nginx,
// configured as docs/operations.md shows, balances three syncserver
// processes on one PostgreSQL database (round robin), which trust it
// (--trusted-proxies 127.0.0.1) to name the client in X-Forwarded-For.
//
//   - Two scannerd gates enrol and sync through nginx and land on
//     different processes (asserted from the servers' logs); a ticket
//     admitted at either is refused as already_used at the other within
//     one second, the product's promise: the delay is measured, logged
//     and asserted.
//   - Failed logins from one client address get 429 while the account's
//     owner, at another address behind the same nginx, still logs in.
//   - 500 buyers, each at a loopback address of its own, sign up and log
//     in through nginx (over the per-address limits if the servers saw
//     only nginx), then race for 100 tickets, each buying at most one:
//     exactly 100 win, the other 400 get 409 sold_out, and the store
//     holds 100 sold, none held, 100 issued.
//
// Needs nginx (Debian package nginx, which .ci/run installs; on PATH or
// at /usr/sbin/nginx) and PostgreSQL (ADMITONE_TEST_POSTGRES): without
// them it is skipped on a laptop and fails under CI=true. Linux only: the
// clients dial from 127.x.y.z source addresses, which Linux routes to lo.
func TestScaleOutBehindNginx(t *testing.T) {
	needBinaries(t)
	nginxBin := nginxPath(t)
	dsn := pgtest.FreshSchema(t)
	servers := startServers(t, dsn, scaleServers, "--trusted-proxies", "127.0.0.1")
	nx := startNginx(t, nginxBin, servers)
	t.Logf("nginx %s in front of %s", nx.url, serverAddrs(servers))

	t.Run("gates", func(t *testing.T) { scaleGates(t, nx, servers) })
	t.Run("login limits", func(t *testing.T) { scaleLoginLimits(t, nx) })
	t.Run("sale", func(t *testing.T) { scaleSale(t, nx, dsn) })
}

// scaleGates: two gates connect through nginx to different servers, and
// a check-in at either is refused at the other within one second.
func scaleGates(t *testing.T, nx *nginx, servers []*server) {
	ev := setupEvent(t, nx.url, 10) // every request through nginx
	a := newGate(t, ev, nx.url, "A")
	b := newGate(t, ev, nx.url, "B")
	// nginx's round robin (one worker process) sends each new request to
	// the next server, and a gate's only request is its websocket: A's
	// and B's, started one after the other, go to different servers.
	a.start(t)
	a.waitConnected(t, 1, 30*time.Second)
	sa := gateServer(t, servers, a)
	b.start(t)
	b.waitConnected(t, 1, 30*time.Second)
	sb := gateServer(t, servers, b)
	if sa == sb {
		t.Fatalf("both gates connected to %s through nginx, want different servers", sa.name)
	}
	t.Logf("through nginx, gate A syncs with %s (%s) and gate B with %s (%s)", sa.name, sa.addr, sb.name, sb.addr)

	tickets := ev.tickets()
	for _, c := range []struct {
		at, other *gate
		tk        ticket
	}{{a, b, tickets[0]}, {b, a, tickets[1]}} {
		begin := time.Now()
		c.at.admit(t, c.tk)
		waitVerdict(t, c.other, c.tk.Token, "already_used")
		took := time.Since(begin)
		t.Logf("gate %s refused a ticket %v after gate %s began admitting it (scan, upload to one server, NOTIFY, push from another)",
			c.other.name, took.Round(time.Millisecond), c.at.name)
		if took > time.Second {
			t.Errorf("gate %s refused the ticket %v after gate %s admitted it, want within 1 s", c.other.name, took.Round(time.Millisecond), c.at.name)
		}
	}
	waitOutboxEmpty(t, a, 10*time.Second)
	waitOutboxEmpty(t, b, 10*time.Second)
}

// gateServer returns the one server that logged the gate's connection.
func gateServer(t *testing.T, servers []*server, g *gate) *server {
	t.Helper()
	// The hub's line: msg="sync: gate connected" ... gate=ID ...
	connected := func(s *server) int {
		n := 0
		for line := range strings.Lines(s.logs.String()) {
			if strings.Contains(line, `msg="sync: gate connected"`) && strings.Contains(line, " gate="+g.id+" ") {
				n++
			}
		}
		return n
	}
	var on []*server
	testenv.Poll(10*time.Second, 10*time.Millisecond, func() bool {
		on = on[:0]
		for _, s := range servers {
			if connected(s) > 0 {
				on = append(on, s)
			}
		}
		return len(on) > 0
	})
	if len(on) != 1 || connected(on[0]) != 1 {
		t.Fatalf("gate %s connected %d times, to %d servers; want once, to one", g.name, g.connects(), len(on))
	}
	return on[0]
}

// scaleLoginLimits: nginx appends each client's address to
// X-Forwarded-For, so the servers limit failed logins per client, not
// per nginx. The limits are counted in each server's memory (account's
// caveats), and round robin spreads one address's failures over the
// three: the attacker fails until every server refuses it (429 from
// each, one after the other). Were the servers counting nginx's
// address, the owner's login right after would be refused too.
func scaleLoginLimits(t *testing.T, nx *nginx) {
	const email = "limited@example.com"
	account(t, nx.url, email) // from 127.0.0.1
	attacker := &flashClient{client: loopbackClient(net.IPv4(127, 4, 0, 1))}
	owner := &flashClient{client: loopbackClient(net.IPv4(127, 4, 0, 2))}
	defer attacker.client.CloseIdleConnections()
	defer owner.client.CloseIdleConnections()
	wrong, _ := json.Marshal(map[string]any{"email": email, "password": "not the password"})

	// Per server: five free failures, then a wait that doubles (from
	// 1 s) with each further one, and 20 logins a minute per address:
	// within 60 attempts every server refuses.
	const attempts = 60
	failed, limited, inARow := 0, 0, 0
	for i := 1; i <= attempts && inARow < len(nx.servers); i++ {
		status, body, err := attacker.send(t.Context(), "POST", nx.url+"/v1/auth/login", wrong)
		switch {
		case err != nil:
			t.Fatalf("failed login %d from 127.4.0.1: %v", i, err)
		case status == http.StatusUnauthorized:
			failed++
			inARow = 0
		case status == http.StatusTooManyRequests && apiErrorCode(body) == "rate_limited":
			limited++
			inARow++
		case status == http.StatusServiceUnavailable: // every password hashing slot busy
			time.Sleep(time.Second)
		default:
			t.Fatalf("failed login %d from 127.4.0.1: %d %s, want 401 or 429 rate_limited", i, status, body)
		}
	}
	if inARow < len(nx.servers) {
		t.Fatalf("%d logins with a wrong password from 127.4.0.1 through nginx: %d refused as wrong, %d rate-limited (429), never %d in a row",
			attempts, failed, limited, len(nx.servers))
	}
	t.Logf("logins with a wrong password from 127.4.0.1 through nginx: %d refused as wrong (401), then %d rate-limited (429) in a row, one from each server",
		failed, inARow)
	owner.login(t, nx.url, email)
	if owner.token == "" {
		t.Fatal("the owner's login from 127.4.0.2 through nginx answered no token")
	}
	t.Logf("the account's owner at 127.4.0.2 logged in through the same nginx right after: the servers limit 127.4.0.1, not nginx's 127.0.0.1")
}

// scaleSale: 500 buyers through nginx race for 100 tickets, one each at
// most; exactly 100 win.
func scaleSale(t *testing.T, nx *nginx, dsn string) {
	organizer := &flashClient{client: loopbackClient(nil)}
	eventID, typeID := flashEvent(t, organizer, nx.url, scaleTickets)
	begin := time.Now()
	// Each from its own address: 500 sign-ups and logins would be far
	// over the per-address limits (10 sign-ups an hour, 20 logins a
	// minute, per server) if the servers saw only nginx's address.
	buyers := signUpBuyers(t, nx.url, scaleBuyers)
	t.Logf("%d buyers, each at its own loopback address, signed up and logged in through nginx in %v",
		len(buyers), time.Since(begin).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	// Fresh keep-alive connections: nginx closes idle ones after 75 s,
	// which a POST on the way would meet as a transport error.
	var wg sync.WaitGroup
	var warm sync.Map
	for i, b := range buyers {
		b.client.CloseIdleConnections()
		wg.Go(func() {
			if st, body, err := b.send(ctx, "GET", nx.url+"/livez", nil); err != nil || st != http.StatusOK {
				warm.Store(i, fmt.Sprintf("%d %.200s %v", st, body, err))
			}
		})
	}
	wg.Wait()
	warm.Range(func(k, v any) bool {
		t.Fatalf("buyer %d could not reach /livez through nginx before the sale: %s", k, v)
		return false
	})

	runs := make([]buyerRun, len(buyers))
	start := make(chan struct{})
	for i, b := range buyers {
		wg.Go(func() {
			<-start
			runs[i] = b.buy(ctx, nx.url, eventID, typeID, 3, 1)
		})
	}
	begin = time.Now()
	close(start)
	wg.Wait()
	wall := time.Since(begin)

	winners, soldOut, purchases := 0, 0, 0
	failures := map[string]int{}
	examples := map[string]string{}
	for _, r := range runs {
		purchases += r.purchases
		if r.purchases > 0 {
			winners++
		}
		if r.soldOut {
			soldOut++
		}
		if r.failure != "" {
			failures[r.failure]++
			examples[r.failure] = r.detail
		}
	}
	t.Logf("sale through nginx: %d buyers for %d tickets: %d won, %d got sold_out, in %v",
		len(buyers), scaleTickets, winners, soldOut, wall.Round(time.Millisecond))
	for f, n := range failures {
		t.Errorf("%d buyers stopped on an unexpected answer %s; one: %s", n, f, examples[f])
	}
	if purchases > scaleTickets {
		t.Errorf("OVERSOLD: %d purchases for %d tickets", purchases, scaleTickets)
	}
	if winners != scaleTickets || soldOut != len(buyers)-scaleTickets {
		t.Errorf("%d buyers won and %d got sold_out, want %d and %d", winners, soldOut, scaleTickets, len(buyers)-scaleTickets)
	}
	if n := countTickets(t, buyers, runs, nx.url, eventID); n != scaleTickets {
		t.Errorf("the buyers' GET /v1/tickets list %d valid tickets of the event, want %d", n, scaleTickets)
	}

	// What the database holds, which all three servers share.
	b, err := storage.Open(ctx, dsn, "")
	if err != nil {
		t.Fatalf("open the database: %v", err)
	}
	defer b.Close()
	sold, held, err := b.Purchases.Counts(ctx, typeID)
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	issued, err := issuedTickets(ctx, b, eventID)
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	t.Logf("the database: %d sold, %d held, %d tickets issued in the event's change log", sold, held, issued)
	if sold != scaleTickets || held != 0 || issued != scaleTickets {
		t.Errorf("the database holds %d sold, %d held and %d issued tickets, want %d, 0 and %d",
			sold, held, issued, scaleTickets, scaleTickets)
	}
}

func serverAddrs(servers []*server) string {
	var addrs []string
	for _, s := range servers {
		addrs = append(addrs, s.addr)
	}
	return strings.Join(addrs, ", ")
}

// --- nginx

// nginx is a running nginx, one process, with its files in dir.
type nginx struct {
	*proc
	dir     string
	url     string    // http://127.0.0.1:port
	servers []*server // its upstream, in order
}

// nginxConf is docs/operations.md's configuration (keep them alike) with
// what a test needs around it: plain HTTP on a loopback port (there is no
// certificate), every file nginx writes in its own directory (the prefix,
// -p), and one process (master_process off), so that its PID is all of
// it and its round robin is one sequence. %[1]s is the upstream's server
// lines, %[2]s the address to listen on.
const nginxConf = `# TestScaleOutBehindNginx's nginx (e2e/scaleout_test.go).
master_process off;
pid nginx.pid;
lock_file nginx.lock;
error_log stderr notice;

events {
    worker_connections 4096;
}

http {
    log_format balanced '$remote_addr "$request" $status upstream=$upstream_addr xff="$proxy_add_x_forwarded_for"';
    access_log access.log balanced;
    client_body_temp_path client_body;
    proxy_temp_path proxy;
    fastcgi_temp_path fastcgi;
    uwsgi_temp_path uwsgi;
    scgi_temp_path scgi;

    upstream admitone {
%[1]s        keepalive 64;
    }

    server {
        listen %[2]s;
        client_max_body_size 2m;

        location /v1/sync {
            proxy_pass http://admitone;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 120s;
        }
        location /desk/ {
            proxy_pass http://admitone;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_buffering off;
            proxy_read_timeout 1h;
        }
        location / {
            proxy_pass http://admitone;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }
    }
}
`

// nginxPath returns nginx on PATH or else Debian's /usr/sbin/nginx,
// which is not on a user's PATH; without either the test is Missing it.
func nginxPath(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("nginx"); err != nil {
		if fi, err := os.Stat("/usr/sbin/nginx"); err == nil && fi.Mode().IsRegular() {
			return "/usr/sbin/nginx"
		}
	}
	return testenv.LookPath(t, "nginx", "nginx")
}

// startNginx writes nginxConf for servers into a temporary directory,
// runs nginx (the program at bin) on a free loopback port as this user,
// and waits until it answers /livez from a server. Cleanup stops it by
// its PID: SIGQUIT, then (startProc's) SIGTERM and SIGKILL.
func startNginx(t *testing.T, bin string, servers []*server) *nginx {
	t.Helper()
	dir := t.TempDir()
	var upstream strings.Builder
	for _, s := range servers {
		fmt.Fprintf(&upstream, "        server %s;\n", s.addr)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nginx takes it; a port taken meanwhile fails the start below
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, upstream.String(), addr), 0o600); err != nil {
		t.Fatal(err)
	}

	// Go raised this process's open-file limit for itself and gives
	// children the original soft limit back (often 1024), and nginx in
	// one process applies no worker_rlimit_nofile. 500 buyers need a
	// connection to nginx and one from nginx to a server each: setting
	// the limit again, to what it is, makes children inherit it.
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}

	nx := &nginx{dir: dir, url: "http://" + addr, servers: servers}
	nx.proc = startProc(t, "nginx", bin, "-p", dir+"/", "-c", conf, "-e", "stderr", "-g", "daemon off;")
	t.Cleanup(func() {
		// Registered after startProc's cleanup, so it runs first.
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(dir, "access.log")); err == nil {
				lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
				t.Logf("--- nginx access log, last lines of %d:\n%s", len(lines), strings.Join(lines[max(0, len(lines)-40):], "\n"))
			}
		}
		if !nx.exited() {
			nx.cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-nx.done:
			case <-time.After(10 * time.Second):
				t.Errorf("nginx did not stop within 10 s of SIGQUIT")
			}
		}
	})
	if _, ok := testenv.Poll(30*time.Second, 20*time.Millisecond, func() bool {
		if nx.exited() {
			return true
		}
		status, body, err := send("GET", nx.url+"/livez", "", nil)
		return err == nil && status == http.StatusOK && strings.HasPrefix(string(body), "ok")
	}); !ok || nx.exited() {
		t.Fatalf("nginx at %s did not pass /livez to a server within 30 s (exited: %v, %v):\n%s", addr, nx.exited(), nx.err, nx.logs)
	}
	return nx
}
