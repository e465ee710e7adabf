package hook_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/scanner"
	"github.com/admitone/admitone/scanner/hook"
)

// script writes a shell script into a temporary folder and returns the
// hook command line that runs it with dir as its first argument.
func script(t *testing.T, body string) (cmdline, dir string) {
	t.Helper()
	dir = t.TempDir()
	path := filepath.Join(dir, "hook.sh")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("sh '%s' '%s'", path, dir), dir
}

// startHook starts a hook on a new feed and closes it at the end of the
// test; the hook's log goes to the returned buffer.
func startHook(t *testing.T, c hook.Config) (*hook.Hook, *scanner.Feed, *testenv.LockedBuffer) {
	t.Helper()
	logs := &testenv.LockedBuffer{}
	c.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := hook.New(c)
	if err != nil {
		t.Fatal(err)
	}
	feed := &scanner.Feed{}
	h.Start(feed)
	t.Cleanup(h.Close)
	return h, feed, logs
}

func TestHookRunsOncePerVerdictWithItsVariables(t *testing.T) {
	t.Setenv("ADMITONE_API_TOKEN", "gate-secret")
	// One line per run: every ADMITONE_ variable, tab-separated, then
	// whether PATH came through.
	cmdline, dir := script(t, `line=$(env | grep '^ADMITONE_' | sort | tr '\n' '\t')
printf '%sPATH_SET=%s\n' "$line" "${PATH:+1}" >> "$1/env.log"
`)
	h, feed, _ := startHook(t, hook.Config{Command: cmdline})
	typ := uint16(3)
	first := time.Date(2025, 6, 1, 19, 30, 0, 0, time.UTC)
	results := []scanner.Result{
		{Verdict: scanner.Accepted, Reason: "welcome", TicketID: "tkt_a", TicketType: &typ, EventID: "evt_1",
			GateID: "north", Direction: "entry", CheckinID: "chk_1", At: "2025-06-01T19:31:00Z", Source: "cam0"},
		{Verdict: scanner.AlreadyUsed, Reason: "already used at 19:30 at gate north", TicketID: "tkt_b", TicketType: &typ,
			GateID: "north", Direction: "entry", At: "2025-06-01T19:32:00Z", Source: "wedge",
			Previous: &changelog.Checkin{ID: "chk_0", TicketID: "tkt_b", GateID: "north", At: first}},
		{Verdict: scanner.Accepted, Reason: "welcome", TicketID: "tkt_c", GateID: "north", Direction: "entry",
			At: "2025-06-01T19:33:00Z", Source: "api", DryRun: true},
		{Verdict: scanner.InvalidSignature, Reason: "the signature\x00 does not match", GateID: "north", Direction: "entry",
			At: "2025-06-01T19:34:00Z", Source: "cam0"},
	}
	for _, r := range results {
		feed.Publish(r)
	}
	h.Close() // runs what is buffered, then returns

	data, err := os.ReadFile(filepath.Join(dir, "env.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != len(results) {
		t.Fatalf("hook ran %d times, want %d (once per verdict):\n%s", len(lines), len(results), data)
	}
	want := []map[string]string{
		{"VERDICT": "accepted", "ADMIT": "1", "REASON": "welcome", "TICKET_ID": "tkt_a", "TICKET_TYPE": "3",
			"EVENT_ID": "evt_1", "GATE_ID": "north", "DIRECTION": "entry", "CHECKIN_ID": "chk_1", "SOURCE": "cam0",
			"AT": "2025-06-01T19:31:00Z", "DRY_RUN": "0", "PREVIOUS_AT": "", "PREVIOUS_GATE": ""},
		{"VERDICT": "already_used", "ADMIT": "0", "TICKET_ID": "tkt_b", "TICKET_TYPE": "3", "CHECKIN_ID": "",
			"SOURCE": "wedge", "DRY_RUN": "0", "PREVIOUS_AT": "2025-06-01T19:30:00Z", "PREVIOUS_GATE": "north"},
		// A supervisor's lookup of a valid ticket must not open a relay.
		{"VERDICT": "accepted", "ADMIT": "0", "TICKET_ID": "tkt_c", "TICKET_TYPE": "", "SOURCE": "api", "DRY_RUN": "1"},
		{"VERDICT": "invalid_signature", "ADMIT": "0", "REASON": "the signature does not match", "TICKET_ID": "",
			"AT": "2025-06-01T19:34:00Z"},
	}
	// Runs happen one after another (Jobs 1), in the feed's order.
	for i, line := range lines {
		got := map[string]string{}
		for _, kv := range strings.Split(line, "\t") {
			k, v, _ := strings.Cut(kv, "=")
			got[strings.TrimPrefix(k, "ADMITONE_")] = v
		}
		for k, v := range want[i] {
			if g, ok := got[k]; !ok || g != v {
				t.Errorf("verdict %d: ADMITONE_%s = %q (set: %v), want %q", i, k, g, ok, v)
			}
		}
		if _, ok := got["API_TOKEN"]; ok {
			t.Errorf("verdict %d: the hook saw scannerd's ADMITONE_API_TOKEN", i)
		}
		if got["PATH_SET"] != "1" {
			t.Errorf("verdict %d: the hook did not inherit PATH", i)
		}
		var r scanner.Result
		if err := json.Unmarshal([]byte(got["RESULT"]), &r); err != nil || r.TicketID != results[i].TicketID || r.Verdict != results[i].Verdict {
			t.Errorf("verdict %d: ADMITONE_RESULT = %q (%v), want the verdict's JSON", i, got["RESULT"], err)
		}
	}
	if n := testutil.ToFloat64(runs(h, "ok")); n != 4 {
		t.Errorf("scannerd_hook_runs_total{outcome=ok} = %v, want 4", n)
	}
}

func TestHookKilledAtItsTimeout(t *testing.T) {
	// The "hang" verdict's command starts a child and waits for it: only
	// killing the whole process group ends both.
	cmdline, dir := script(t, `if [ "$ADMITONE_TICKET_ID" = hang ]; then
  sleep 60 &
  echo "$$ $!" > "$1/pids"
  wait
fi
echo "$ADMITONE_TICKET_ID" >> "$1/ran"
`)
	h, feed, logs := startHook(t, hook.Config{Command: cmdline, Timeout: 300 * time.Millisecond})
	feed.Publish(scanner.Result{Verdict: scanner.Accepted, TicketID: "hang"})
	feed.Publish(scanner.Result{Verdict: scanner.Accepted, TicketID: "next"})

	ran := filepath.Join(dir, "ran")
	if _, ok := testenv.Poll(20*time.Second, 20*time.Millisecond, func() bool {
		b, _ := os.ReadFile(ran)
		return string(b) == "next\n"
	}); !ok {
		b, _ := os.ReadFile(ran)
		t.Fatalf("the next verdict's command did not run after the hanging one (ran: %q); log:\n%s", b, logs)
	}
	pids, err := os.ReadFile(filepath.Join(dir, "pids"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(string(pids)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := testenv.Poll(5*time.Second, 10*time.Millisecond, func() bool { return gone(pid) }); !ok {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("process %d of the hanging hook is still running after its timeout", pid)
		}
	}
	if !strings.Contains(logs.String(), "timed out; killed its process group") {
		t.Errorf("the kill was not logged:\n%s", logs)
	}
	if got := testutil.ToFloat64(runs(h, "timeout")); got != 1 {
		t.Errorf("scannerd_hook_runs_total{outcome=timeout} = %v, want 1", got)
	}
}

// gone reports whether pid has exited (a zombie nobody reaped counts as
// gone: it runs nothing).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return os.IsNotExist(err)
	}
	// The state follows the parenthesised command name.
	i := strings.LastIndexByte(string(stat), ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

func TestHookDropsWhatItCannotBuffer(t *testing.T) {
	// Every command waits until the test creates "release".
	cmdline, dir := script(t, `while [ ! -e "$1/release" ]; do sleep 0.02; done
echo "$ADMITONE_TICKET_ID" >> "$1/ran"
`)
	const buffer, published = 2, 20
	h, feed, logs := startHook(t, hook.Config{Command: cmdline, Buffer: buffer, Timeout: time.Minute})
	for i := range published {
		feed.Publish(scanner.Result{Verdict: scanner.Accepted, TicketID: fmt.Sprint("t", i)})
	}
	if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	h.Close()

	b, _ := os.ReadFile(filepath.Join(dir, "ran"))
	ran := strings.Fields(string(b))
	dropped := h.Dropped()
	// At most one verdict runs, one waits for a job and buffer more wait
	// in the feed; the rest are dropped, none is lost uncounted.
	if uint64(len(ran))+dropped != published || len(ran) > buffer+2 || len(ran) == 0 {
		t.Errorf("%d runs and %d dropped, want %d in all with at most %d runs", len(ran), dropped, published, buffer+2)
	}
	if got := testutil.ToFloat64(droppedMetric(h)); got != float64(dropped) {
		t.Errorf("scannerd_hook_dropped_total = %v, want %d", got, dropped)
	}
	if !strings.Contains(logs.String(), "verdicts dropped") {
		t.Errorf("the drops were not logged:\n%s", logs)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    hook.Config
		want string
	}{
		{"empty", hook.Config{Command: "  "}, "empty command"},
		{"quote", hook.Config{Command: "gpioset 'oops"}, "unterminated '"},
		{"missing", hook.Config{Command: "admitone-no-such-program -x"}, "executable file not found"},
		{"timeout", hook.Config{Command: "true", Timeout: -time.Second}, "--on-verdict-timeout"},
		{"jobs", hook.Config{Command: "true", Jobs: hook.MaxJobs + 1}, "--on-verdict-jobs"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := hook.New(tt.c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%+v) = %v, want an error containing %q", tt.c, err, tt.want)
			}
		})
	}
}

func TestEnvCutsLongValues(t *testing.T) {
	long := strings.Repeat("é", 3000) // 6000 bytes
	for _, kv := range hook.Env(scanner.Result{Verdict: scanner.Malformed, Reason: long}) {
		if v, ok := strings.CutPrefix(kv, "ADMITONE_REASON="); ok {
			if len(v) > 4096 || len(v) < 4094 || !strings.HasPrefix(long, v) {
				t.Errorf("ADMITONE_REASON has %d bytes, want the first 4 KiB of the reason, whole characters", len(v))
			}
			return
		}
	}
	t.Fatal("no ADMITONE_REASON")
}

// runs is the hook's scannerd_hook_runs_total for outcome.
func runs(h *hook.Hook, outcome string) prometheus.Collector {
	return h.Collectors()[0].(*prometheus.CounterVec).WithLabelValues(outcome)
}

// droppedMetric is the hook's scannerd_hook_dropped_total.
func droppedMetric(h *hook.Hook) prometheus.Collector { return h.Collectors()[1] }
