package hook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/admitone/admitone/internal/logging"
	"github.com/admitone/admitone/scanner"
	"github.com/admitone/admitone/scanner/source"
)

// Defaults for Config.
const (
	DefaultTimeout = 3 * time.Second
	DefaultBuffer  = 64
	DefaultJobs    = 1
	// MaxJobs bounds Config.Jobs: each job is a process on a small computer.
	MaxJobs = 16
	// outputKept is how much of a command's output is kept for the log.
	outputKept = 1024
	// pipeGrace is how long, after a command exits or is killed, its
	// output pipes may stay open (held by something it started).
	pipeGrace = time.Second
)

// Config says what to run for each verdict.
type Config struct {
	// Command is the command line, split like a cmd: source's.
	Command string
	// Timeout is how long one run may take before its process group is
	// killed; zero means DefaultTimeout.
	Timeout time.Duration
	// Buffer is how many verdicts may wait for a free job; zero means
	// DefaultBuffer. Verdicts beyond it are dropped.
	Buffer int
	// Jobs is how many commands may run at once; zero means DefaultJobs.
	Jobs int
	// Log receives a line per failed, killed or dropped run (and, at
	// debug level, per run). Nil discards.
	Log *slog.Logger
}

// Hook runs a command for each verdict of a scanner.Feed. Create it with
// New, then Start it; Close it when the lanes have stopped.
type Hook struct {
	argv    []string
	timeout time.Duration
	buffer  int
	jobs    int
	log     *slog.Logger

	runs    *prometheus.CounterVec
	dropped prometheus.Counter

	// ctx ends when Close gives up waiting: runs in flight are killed and
	// verdicts still buffered are dropped.
	ctx    context.Context
	abort  context.CancelFunc
	sub    *scanner.Subscription
	done   chan struct{}
	closed gosync.Once
	// abortedDrops counts the buffered verdicts Close dropped.
	abortedDrops atomic.Uint64
}

// New checks c and returns a Hook that is not yet watching anything.
func New(c Config) (*Hook, error) {
	argv, err := source.SplitArgs(c.Command)
	if err != nil {
		return nil, fmt.Errorf("--on-verdict: %w", err)
	}
	if _, err := exec.LookPath(argv[0]); err != nil {
		return nil, fmt.Errorf("--on-verdict: %w", err)
	}
	h := &Hook{argv: argv, timeout: c.Timeout, buffer: c.Buffer, jobs: c.Jobs, log: logging.OrDiscard(c.Log),
		done: make(chan struct{})}
	switch {
	case h.timeout < 0:
		return nil, fmt.Errorf("--on-verdict-timeout %v: want a positive duration", h.timeout)
	case h.timeout == 0:
		h.timeout = DefaultTimeout
	}
	if h.buffer <= 0 {
		h.buffer = DefaultBuffer
	}
	switch {
	case h.jobs < 0 || h.jobs > MaxJobs:
		return nil, fmt.Errorf("--on-verdict-jobs %d: want 1 to %d", h.jobs, MaxJobs)
	case h.jobs == 0:
		h.jobs = DefaultJobs
	}
	h.ctx, h.abort = context.WithCancel(context.Background())
	h.runs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "scannerd_hook_runs_total", Help: "--on-verdict command runs, by outcome (ok, failed, timeout, aborted).",
	}, []string{"outcome"})
	for _, o := range []string{outcomeOK, outcomeFailed, outcomeTimeout, outcomeAborted} {
		h.runs.WithLabelValues(o)
	}
	h.dropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "scannerd_hook_dropped_total", Help: "Verdicts whose --on-verdict command never ran because the hook's buffer was full.",
	})
	return h, nil
}

// Run outcomes, the values of scannerd_hook_runs_total's label.
const (
	outcomeOK      = "ok"
	outcomeFailed  = "failed"
	outcomeTimeout = "timeout"
	outcomeAborted = "aborted" // killed by Close
)

// Collectors returns the hook's metrics, for a Prometheus registry.
func (h *Hook) Collectors() []prometheus.Collector {
	return []prometheus.Collector{h.runs, h.dropped}
}

// Start subscribes to feed and runs the command for every verdict it
// publishes until Close. Call it once.
func (h *Hook) Start(feed *scanner.Feed) {
	h.sub = feed.Subscribe(h.buffer)
	go h.loop()
}

// Close stops watching the feed. Verdicts already buffered still get
// their runs, for at most one more Timeout; then what still runs is
// killed and what is left is dropped. Close returns when no command of
// the hook is running. It is safe to call twice, and without Start.
func (h *Hook) Close() {
	h.closed.Do(func() {
		if h.sub == nil {
			return
		}
		h.sub.Close()
		t := time.NewTimer(h.timeout)
		defer t.Stop()
		select {
		case <-h.done:
		case <-t.C:
			h.abort()
			<-h.done
		}
	})
	h.abort()
}

// Dropped is how many verdicts the hook dropped because its buffer was
// full (or, at Close, because it gave up).
func (h *Hook) Dropped() uint64 {
	if h.sub == nil {
		return 0
	}
	return h.sub.Dropped() + h.abortedDrops.Load()
}

func (h *Hook) loop() {
	defer close(h.done)
	jobs := make(chan struct{}, h.jobs)
	var running gosync.WaitGroup
	defer running.Wait()
	var reported uint64
	for r := range h.sub.C {
		reported = h.reportDrops(reported)
		select {
		case jobs <- struct{}{}:
			if h.ctx.Err() == nil {
				running.Go(func() {
					defer func() { <-jobs }()
					h.run(r)
				})
				continue
			}
			<-jobs
		case <-h.ctx.Done():
		}
		h.abortedDrops.Add(1)
		h.dropped.Inc()
	}
	h.reportDrops(reported)
	if n := h.abortedDrops.Load(); n > 0 {
		h.log.Warn("--on-verdict: gave up at shutdown; verdicts dropped", "dropped", n)
	}
}

// reportDrops logs and counts the verdicts the feed dropped since the
// last report and returns the new total.
func (h *Hook) reportDrops(reported uint64) uint64 {
	n := h.sub.Dropped()
	if n > reported {
		h.dropped.Add(float64(n - reported))
		h.log.Warn("--on-verdict: command busy, verdicts dropped (their command did not run)",
			"dropped", n-reported, "dropped_total", n, "buffer", h.buffer, "jobs", h.jobs)
	}
	return n
}

// run runs the command once for r and logs how it went.
func (h *Hook) run(r scanner.Result) {
	ctx, cancel := context.WithTimeout(h.ctx, h.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.argv[0], h.argv[1:]...)
	cmd.Env = append(inherited(), Env(r)...)
	out := &head{max: outputKept}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = pipeGrace
	setGroup(cmd)
	cmd.Cancel = func() error { return killGroup(cmd) }
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	attrs := []any{"verdict", string(r.Verdict), "ticket_id", r.TicketID, "took", took.Round(time.Millisecond)}
	if cmd.Process != nil {
		attrs = append(attrs, "pid", cmd.Process.Pid)
	}
	var outcome string
	switch {
	case err == nil:
		outcome = outcomeOK
		h.log.Debug("--on-verdict: ran", append(attrs, "output", out.String())...)
	case h.ctx.Err() != nil:
		outcome = outcomeAborted
		h.log.Warn("--on-verdict: killed at shutdown", append(attrs, "output", out.String())...)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		outcome = outcomeTimeout
		h.log.Warn("--on-verdict: timed out; killed its process group",
			append(attrs, "timeout", h.timeout, "output", out.String())...)
	default:
		outcome = outcomeFailed
		h.log.Warn("--on-verdict: failed", append(attrs, "err", err, "output", out.String())...)
	}
	h.runs.WithLabelValues(outcome).Inc()
}

// head keeps the first max bytes written to it.
type head struct {
	mu  gosync.Mutex
	max int
	buf []byte
	cut bool
}

func (w *head) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	if room := w.max - len(w.buf); room < len(p) {
		p, w.cut = p[:max(room, 0)], true
	}
	w.buf = append(w.buf, p...)
	return n, nil
}

func (w *head) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := strings.TrimSpace(strings.ToValidUTF8(string(w.buf), ""))
	if w.cut {
		s += "..."
	}
	return s
}
