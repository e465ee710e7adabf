package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// ServerCPU is the CPU time (user and system) of every process named
// postgres on this machine so far, including that of the backends that
// have exited (the postmaster's reaped children): the database's share
// of a benchmark, on a machine where the test server is the only
// PostgreSQL. Benchmarks subtract two readings.
func ServerCPU() (time.Duration, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return 0, err
	}
	var ticks int64
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // gone meanwhile
		}
		open, close := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || close < open || string(b[open+1:close]) != "postgres" {
			continue
		}
		// After the name: state is field 0, utime 11, stime 12, cutime
		// 13, cstime 14.
		f := strings.Fields(string(b[close+1:]))
		if len(f) < 15 {
			continue
		}
		for _, i := range []int{11, 12, 13, 14} {
			n, err := strconv.ParseInt(f[i], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %v", p, err)
			}
			ticks += n
		}
	}
	const userHZ = 100 // Linux's ABI
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// WaitReport is what WaitSampler saw.
type WaitReport struct {
	// Samples is how many times pg_stat_activity was read.
	Samples int
	// LogLockWaits counts the samples in which a backend running a
	// statement on the change log (changes, change_seq) waited on a row
	// or transaction lock (Lock:transactionid or Lock:tuple): writers
	// queued on an event's log.
	LogLockWaits int
	// Waits counts, over all samples, active backends by wait event
	// ("Lock:transactionid", "IO:WALSync", "" for on CPU ...).
	Waits map[string]int
}

// Share is the fraction of samples with a change-log lock wait.
func (r WaitReport) Share() float64 {
	if r.Samples == 0 {
		return 0
	}
	return float64(r.LogLockWaits) / float64(r.Samples)
}

func (r WaitReport) String() string {
	return fmt.Sprintf("%d samples of pg_stat_activity, %d (%.1f%%) with a change-log statement waiting on Lock:transactionid or Lock:tuple; active backends by wait: %v",
		r.Samples, r.LogLockWaits, 100*r.Share(), r.Waits)
}

// WaitSampler reads pg_stat_activity every interval on its own
// connection until Stop.
type WaitSampler struct {
	stop   context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	report WaitReport
	err    error
}

// SampleWaits starts sampling the server of dsn every interval.
func SampleWaits(dsn string, every time.Duration) (*WaitSampler, error) {
	ctx, stop := context.WithCancel(context.Background())
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		stop()
		return nil, err
	}
	w := &WaitSampler{stop: stop, done: make(chan struct{}), report: WaitReport{Waits: map[string]int{}}}
	go func() {
		defer close(w.done)
		defer conn.Close(context.Background())
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if err := w.sample(ctx, conn); err != nil && ctx.Err() == nil {
				w.mu.Lock()
				w.err = err
				w.mu.Unlock()
				return
			}
		}
	}()
	return w, nil
}

func (w *WaitSampler) sample(ctx context.Context, conn *pgx.Conn) error {
	rows, err := conn.Query(ctx, `SELECT coalesce(wait_event_type, ''), coalesce(wait_event, ''), query
		FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend'`)
	if err != nil {
		return err
	}
	var typ, event, query string
	logWait := false
	waits := map[string]int{}
	_, err = pgx.ForEachRow(rows, []any{&typ, &event, &query}, func() error {
		key := typ
		if event != "" {
			key += ":" + event
		}
		waits[key]++
		if typ == "Lock" && (event == "transactionid" || event == "tuple") &&
			(strings.Contains(query, "change_seq") || strings.Contains(query, "changes")) {
			logWait = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.report.Samples++
	if logWait {
		w.report.LogLockWaits++
	}
	for k, n := range waits {
		w.report.Waits[k] += n
	}
	return nil
}

// Stop ends sampling and returns what it saw.
func (w *WaitSampler) Stop() (WaitReport, error) {
	w.stop()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.report, w.err
}
