package main

import (
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
)

// serveProcess is the real `syncserver serve` binary on a free loopback
// port. (The multi-process tests, which start servers and gates by the
// dozen, are in e2e.)
type serveProcess struct {
	base string // http://127.0.0.1:port
	// stop sends SIGTERM and waits for the exit, failing the test if the
	// server had exited already or exits with an error; it runs at
	// cleanup if not before.
	stop func()
}

var listeningJSON = regexp.MustCompile(`"msg":"syncserver listening","addr":"([^"]+)"`)

// startServeProcess runs `syncserver serve` on dataDir (bbolt) and waits
// until it listens. The ADMITONE_* variables of the environment reach
// it, as they would a deployed server.
func startServeProcess(t *testing.T, dataDir string) *serveProcess {
	t.Helper()
	logs := &testenv.LockedBuffer{}
	cmd := exec.Command(testenv.Program(t, "syncserver"), "serve", "--listen", "127.0.0.1:0", "--metrics-listen", "off",
		"--data-dir", dataDir, "--database", "", "--payments", "test", "--holds-per-minute", "0", "--log-json", "--log-level", "info")
	cmd.Stdout, cmd.Stderr = logs, logs
	// If the test binary dies (a -timeout panic skips cleanups), the
	// server dies with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start syncserver: %v", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	isExited := func() bool {
		select {
		case <-exited:
			return true
		default:
			return false
		}
	}
	p := &serveProcess{}
	p.stop = sync.OnceFunc(func() {
		if isExited() {
			t.Errorf("syncserver exited before it was stopped: %v\n%s", waitErr, logs)
			return
		}
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
			if waitErr != nil {
				t.Errorf("syncserver after SIGTERM: %v\n%s", waitErr, logs)
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("syncserver still ran 30 s after SIGTERM; killed\n%s", logs)
		}
	})
	t.Cleanup(p.stop)
	var m []string
	testenv.Poll(2*time.Minute, 10*time.Millisecond, func() bool {
		m = listeningJSON.FindStringSubmatch(logs.String())
		return m != nil || isExited()
	})
	switch {
	case m != nil:
		p.base = "http://" + m[1]
	case isExited():
		t.Fatalf("syncserver exited before it listened: %v\n%s", waitErr, logs)
	default:
		t.Fatalf("syncserver did not listen within 2 minutes\n%s", logs)
	}
	return p
}
