package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/scanner"
)

// buildScannerd returns the real scannerd binary for process tests,
// built once per test binary.
func buildScannerd(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the real binary; skipped with -short")
	}
	return testenv.Program(t, "scannerd")
}

// TestCrashLosesNoAcceptedCheckin streams scans into a real `scannerd run`
// through its keyboard-wedge source, SIGKILLs it mid-stream, restarts it,
// and checks that every scan it had answered "accepted" was recorded and
// is now refused as already_used.
func TestCrashLosesNoAcceptedCheckin(t *testing.T) {
	bin := buildScannerd(t)
	g := newTestGate(t, 400)

	cmd := exec.Command(bin, "run", "--data-dir", g.dir, "--source", "lines:-", "--listen", "")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})

	// Feed every ticket; read verdicts as they come; kill after 150.
	go func() {
		for _, tk := range g.tokens {
			if _, err := io.WriteString(stdin, tk.Text()+"\n"); err != nil {
				return // the process is gone
			}
		}
	}()
	accepted := map[string]bool{}
	lines := bufio.NewScanner(stdout)
	lines.Buffer(nil, 1<<20)
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for lines.Scan() {
		var r scanner.Result
		if err := json.Unmarshal(lines.Bytes(), &r); err != nil {
			t.Fatalf("verdict line is not JSON: %q", lines.Text())
		}
		if r.Verdict != scanner.Accepted {
			t.Fatalf("fresh ticket %s got %s: %s", r.TicketID, r.Verdict, r.Reason)
		}
		accepted[r.TicketID] = true
		if len(accepted) == 150 {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
			break
		}
	}
	cmd.Wait()
	if len(accepted) < 150 {
		t.Fatalf("only %d verdicts before the process ended", len(accepted))
	}

	// Restart the real program on the same data dir and rescan everything.
	var input strings.Builder
	for _, tk := range g.tokens {
		input.WriteString(tk.Text() + "\n")
	}
	re := exec.Command(bin, "scan", "--data-dir", g.dir, "-")
	re.Stdin = strings.NewReader(input.String())
	out, err := re.Output()
	if err != nil {
		t.Fatalf("scan after restart: %v", err)
	}
	again := 0
	recordedBeyond := 0
	for _, r := range decodeResults(t, string(out)) {
		switch {
		case accepted[r.TicketID]:
			if r.Verdict != scanner.AlreadyUsed {
				t.Errorf("ticket %s was answered accepted before the crash but now gets %s: the check-in was lost", r.TicketID, r.Verdict)
			}
			again++
		case r.Verdict == scanner.AlreadyUsed:
			recordedBeyond++ // committed but killed before its verdict was read: fine
		case r.Verdict != scanner.Accepted:
			t.Errorf("ticket %s: %s (%s)", r.TicketID, r.Verdict, r.Reason)
		}
	}
	if again != len(accepted) {
		t.Fatalf("rescanned %d of the %d accepted tickets", again, len(accepted))
	}
	t.Logf("%d accepted before SIGKILL, all recorded; %d more were committed but unanswered", len(accepted), recordedBeyond)
}
