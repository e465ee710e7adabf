package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/scanner/hook"
)

// TestOnVerdictNeverHoldsUpTheLane shows structurally that a slow
// --on-verdict command does not delay a verdict: the hook for the first
// scan blocks until the test releases it, and the test releases it only
// after the lane has given every later verdict.
func TestOnVerdictNeverHoldsUpTheLane(t *testing.T) {
	g := newTestGate(t, 5)
	dir := t.TempDir()
	script := filepath.Join(dir, "relay.sh")
	os.WriteFile(script, []byte(`touch "$1/started"
while [ ! -e "$1/release" ]; do sleep 0.02; done
echo "$ADMITONE_TICKET_ID $ADMITONE_VERDICT $ADMITONE_ADMIT" >> "$1/ran"
`), 0o600)
	wedge, typing := io.Pipe()
	defer typing.Close()
	o := &runOptions{sources: []string{"lines:-"}, listen: "127.0.0.1:0", repeat: time.Second,
		onVerdict: hook.Config{Command: fmt.Sprintf("sh %s %s", script, dir), Timeout: time.Minute}}
	_, out, stop := startDaemon(t, g, wedge, o)
	defer stop(true)

	exists := func(name string) bool { _, err := os.Stat(filepath.Join(dir, name)); return err == nil }
	fmt.Fprintln(typing, g.tokens[0].Text())
	if _, ok := testenv.Poll(20*time.Second, 10*time.Millisecond, func() bool { return exists("started") }); !ok {
		t.Fatalf("the hook did not start for the first verdict; output:\n%s", out)
	}
	// The first verdict's command is now blocked. Four more scans, and the
	// same ticket again.
	for _, tok := range g.tokens[1:] {
		fmt.Fprintln(typing, tok.Text())
	}
	fmt.Fprintln(typing, g.tokens[0].Text())
	verdictLines := func() int { return strings.Count(out.String(), "\n") }
	if _, ok := testenv.Poll(20*time.Second, 10*time.Millisecond, func() bool { return verdictLines() == 6 }); !ok {
		t.Fatalf("the lane gave %d of 6 verdicts while the hook was blocked:\n%s", verdictLines(), out)
	}
	if exists("ran") || !exists("started") {
		t.Fatal("the hook was not blocked while the verdicts arrived; the test proves nothing")
	}
	want := ""
	for i, r := range decodeResults(t, out.String()) {
		admit := map[bool]string{true: "1", false: "0"}[r.Verdict.Admits()]
		want += fmt.Sprintf("%s %s %s\n", r.TicketID, r.Verdict, admit)
		if wantV := map[bool]string{true: "already_used", false: "accepted"}[i == 5]; string(r.Verdict) != wantV {
			t.Errorf("verdict %d: %s, want %s", i, r.Verdict, wantV)
		}
	}

	// Released, the hook runs once for each verdict, in order.
	os.WriteFile(filepath.Join(dir, "release"), nil, 0o600)
	ran := func() string { b, _ := os.ReadFile(filepath.Join(dir, "ran")); return string(b) }
	if _, ok := testenv.Poll(20*time.Second, 10*time.Millisecond, func() bool { return ran() == want }); !ok {
		t.Fatalf("hook runs:\n%s\nwant:\n%s", ran(), want)
	}
}

func TestOnVerdictFlagsChecked(t *testing.T) {
	g := newTestGate(t, 1)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--on-verdict", "admitone-no-such-relay --pulse"}, "--on-verdict: exec: \"admitone-no-such-relay\""},
		{[]string{"--on-verdict", "gpioset 'GPIO17=1"}, "unterminated '"},
		{[]string{"--on-verdict", "true", "--on-verdict-jobs", "99"}, "--on-verdict-jobs 99"},
	} {
		args := append([]string{"run", "--data-dir", g.dir, "--listen", "", "--source", "lines:-", "--exit-when-done"}, tt.args...)
		out, err := runCLIErr("", args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("scannerd %s: %v (%s), want an error containing %q", strings.Join(tt.args, " "), err, out, tt.want)
		}
	}
	// A command that exists starts the gate; with no verdicts it never runs.
	args := []string{"run", "--data-dir", g.dir, "--listen", "", "--source", "lines:-", "--exit-when-done", "--on-verdict", "false"}
	if out, err := runCLIErr("", args...); err != nil {
		t.Errorf("scannerd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
