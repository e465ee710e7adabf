package e2e

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
)

// TestMain removes the programs testenv.Program built for the tests.
func TestMain(m *testing.M) { testenv.Main(m) }

// needBinaries skips the test in -short mode, where nothing is built.
func needBinaries(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
}

// childEnv is the environment of every process a test starts: this one's
// without ADMITONE_* variables, which would fill the programs' flags
// (ADMITONE_DATABASE would move a bolt server onto PostgreSQL).
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ADMITONE_") {
			env = append(env, kv)
		}
	}
	return env
}

// proc is a running program.
type proc struct {
	name string
	cmd  *exec.Cmd
	logs *testenv.LockedBuffer // its standard output and error
	done chan struct{}         // closed when the process has exited
	err  error                 // Wait's answer, once done
	// killed is set by kill: its exit was wanted.
	killed bool
}

// startProc starts a program whose output goes to the returned proc's
// logs. Cleanup stops it (SIGTERM, then SIGKILL after 10 s) and prints its
// log if the test failed.
func startProc(t *testing.T, name, path string, args ...string) *proc {
	t.Helper()
	return startProcEnv(t, name, path, childEnv(), args...)
}

// startProcEnv is startProc with the environment given.
func startProcEnv(t *testing.T, name, path string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, logs: &testenv.LockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(path, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	setDeathSignal(p.cmd)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("--- %s (%s) log:\n%s", name, redact(args), p.logs)
		}
	})
	return p
}

// redact joins args with URL passwords (a --database DSN) masked.
func redact(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if u, err := url.Parse(a); err == nil && u.User != nil {
			out[i] = u.Redacted()
		}
	}
	return strings.Join(out, " ")
}

// count is how many times s occurs in the process's log.
func (p *proc) count(s string) int {
	return strings.Count(p.logs.String(), s)
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the process with SIGTERM, as systemd would, and waits; a
// process that does not stop in 10 s is killed and the test fails.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if !p.exited() {
		p.terminate(t, 10*time.Second)
	}
}

// stopClean is stop for a process that must run until stopped and then
// exit cleanly: it fails the test if the process exited before (unless
// kill ended it) or exits with an error, and allows it grace after
// SIGTERM.
func (p *proc) stopClean(t *testing.T, grace time.Duration) {
	t.Helper()
	if p.exited() {
		if !p.killed {
			t.Errorf("%s exited before it was stopped: %v\n%s", p.name, p.err, p.logs)
		}
		return
	}
	if p.terminate(t, grace) && p.err != nil {
		t.Errorf("%s after SIGTERM: %v\n%s", p.name, p.err, p.logs)
	}
}

// terminate sends SIGTERM and waits up to grace; a process still running
// then is killed, the test fails, and terminate returns false.
func (p *proc) terminate(t *testing.T, grace time.Duration) bool {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return true
	case <-time.After(grace):
		p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s did not stop within %v of SIGTERM; killed", p.name, grace)
		return false
	}
}

// kill ends the process with SIGKILL: no clean shutdown, as in a crash or
// a power cut.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if p.exited() {
		return
	}
	p.killed = true
	p.cmd.Process.Kill()
	<-p.done
}

// waitLog waits for a log line matching re and returns its first
// submatch (or the whole match). It fails the test if the process exits
// first or the wait exceeds timeout.
func (p *proc) waitLog(t *testing.T, re *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	var m []string
	testenv.Poll(timeout, 10*time.Millisecond, func() bool {
		m = re.FindStringSubmatch(p.logs.String())
		return m != nil || p.exited()
	})
	switch {
	case m != nil:
		return m[len(m)-1]
	case p.exited():
		t.Fatalf("%s exited (%v) before logging %q:\n%s", p.name, p.err, re, p.logs)
	default:
		t.Fatalf("%s did not log %q within %v:\n%s", p.name, re, timeout, p.logs)
	}
	return ""
}

// waitCount waits until s occurs at least n times in the log, for up to
// timeout, and reports whether it did.
func (p *proc) waitCount(s string, n int, timeout time.Duration) bool {
	_, ok := testenv.Poll(timeout, 10*time.Millisecond, func() bool { return p.count(s) >= n || p.exited() })
	return ok && p.count(s) >= n
}

// --- syncserver

// server is a running `syncserver serve`.
type server struct {
	*proc
	dataDir, database string
	extra             []string // flags beyond the usual, kept for a restart
	addr              string   // host:port it listens on
	url               string   // http://host:port
}

var listeningServer = regexp.MustCompile(`msg="syncserver listening" addr=(\S+)`)

// startServer runs `syncserver serve` on listen (127.0.0.1:0 for a free
// port) with its data in dataDir and, if database is set, PostgreSQL, and
// waits until it listens; extra adds flags (--hold-ttl).
func startServer(t *testing.T, dataDir, database, listen string, extra ...string) *server {
	t.Helper()
	s := launchServer(t, dataDir, database, listen, extra...)
	s.waitListening(t)
	return s
}

// launchServer starts `syncserver serve` without waiting for it.
func launchServer(t *testing.T, dataDir, database, listen string, extra ...string) *server {
	t.Helper()
	needBinaries(t)
	// The test provider pays for the setup's tickets, which one account
	// buys by the hundred: the per-account hold rate limit is off.
	args := []string{"serve", "--listen", listen, "--metrics-listen", "off", "--data-dir", dataDir, "--payments", "test", "--holds-per-minute", "0"}
	if database != "" {
		args = append(args, "--database", database)
	}
	args = append(args, extra...)
	p := startProc(t, "syncserver "+filepath.Base(dataDir), testenv.Program(t, "syncserver"), args...)
	return &server{proc: p, dataDir: dataDir, database: database, extra: extra}
}

var listeningJSON = regexp.MustCompile(`"msg":"syncserver listening","addr":"([^"]+)"`)

// startSaleServer runs `syncserver serve` for the flash sale and the crash
// test on dataDir and database ("": bbolt) and waits until it listens.
// Unlike startServer's, its environment keeps the ADMITONE_* variables, as
// a deployed server's would, and it logs JSON at info.
func startSaleServer(t *testing.T, dataDir, database string) *server {
	t.Helper()
	p := startProcEnv(t, "syncserver "+filepath.Base(dataDir), testenv.Program(t, "syncserver"), os.Environ(),
		"serve", "--listen", "127.0.0.1:0", "--metrics-listen", "off", "--data-dir", dataDir, "--database", database,
		"--payments", "test", "--holds-per-minute", "0", "--log-json", "--log-level", "info")
	s := &server{proc: p, dataDir: dataDir, database: database}
	s.addr = s.waitLog(t, listeningJSON, 2*time.Minute)
	s.url = "http://" + s.addr
	return s
}

// waitListening waits until the server listens and records its address.
func (s *server) waitListening(t *testing.T) {
	t.Helper()
	addr := s.waitLog(t, listeningServer, 30*time.Second)
	if s.addr != "" && addr != s.addr {
		t.Fatalf("%s listens on %s, want %s", s.name, addr, s.addr)
	}
	s.addr, s.url = addr, "http://"+addr
}

// launch starts the server again on the same address and data, after it
// stopped or was killed, without waiting for it to listen.
func (s *server) launch(t *testing.T) *server {
	t.Helper()
	if !s.exited() {
		t.Fatalf("restart of %s while it runs", s.name)
	}
	n := launchServer(t, s.dataDir, s.database, s.addr, s.extra...)
	n.addr, n.url = s.addr, s.url
	return n
}

// --- scannerd

// gate is a scannerd data dir enrolled as a gate of the server, and the
// `scannerd run` serving it when started.
type gate struct {
	name   string
	id     string // the server's gate id
	dir    string
	server string // the URL it was enrolled at (and syncs with)
	*proc         // nil until start
	api    string // http://host:port of the local API once started
}

// enroll runs `scannerd enroll` with an enrolment code at serverURL.
func enroll(t *testing.T, name, gateID, serverURL, code string) *gate {
	t.Helper()
	needBinaries(t)
	g := &gate{name: name, id: gateID, dir: filepath.Join(t.TempDir(), "gate-"+name), server: serverURL}
	out, err := runScannerd(t, "enroll", "--data-dir", g.dir, "--server", serverURL, "--code", code)
	if err != nil {
		t.Fatalf("scannerd enroll (gate %s): %v\n%s", name, err, out)
	}
	if !strings.Contains(out, "enrolled gate "+gateID) {
		t.Fatalf("scannerd enroll printed %q, want it to name gate %s", out, gateID)
	}
	return g
}

// runScannerd runs a short scannerd command and returns its output.
func runScannerd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, testenv.Program(t, "scannerd"), args...)
	cmd.Env = childEnv()
	setDeathSignal(cmd)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var listeningGate = regexp.MustCompile(`msg="http api listening" addr=(\S+)`)

// start runs `scannerd run` for the gate with its local API on a free
// loopback port; extra adds flags (--offline).
func (g *gate) start(t *testing.T, extra ...string) {
	t.Helper()
	if g.proc != nil && !g.proc.exited() {
		t.Fatalf("gate %s started twice", g.name)
	}
	args := append([]string{"run", "--data-dir", g.dir, "--listen", "127.0.0.1:0"}, extra...)
	g.proc = startProc(t, "scannerd "+g.name, testenv.Program(t, "scannerd"), args...)
	g.api = "http://" + g.proc.waitLog(t, listeningGate, 30*time.Second)
}

// connects is how many times the gate has connected to the server so far.
func (g *gate) connects() int { return g.count(`msg="sync: connected"`) }

// waitConnected waits until the gate has connected n times in all.
func (g *gate) waitConnected(t *testing.T, n int, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if !g.waitCount(`msg="sync: connected"`, n, timeout) {
		t.Fatalf("gate %s connected %d times within %v, want %d", g.name, g.connects(), timeout, n)
	}
	return time.Since(start)
}
