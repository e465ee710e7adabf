package postgres

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/storage/postgres/pgtest"
	"github.com/admitone/admitone/storage/storetest"
)

// The second process of TestLogRace: the test binary run again with
// these variables set runs TestLogRaceWriterProcess only.
const (
	envRaceDSN     = "ADMITONE_LOGRACE_DSN"
	envRaceFixture = "ADMITONE_LOGRACE_FIXTURE"
)

// TestLogRace: 8 writers in two processes (4 here, 4 in a second
// process of this test binary, each with its own pool and numbering) on
// one schema, plus a writer whose transaction stays open for a second
// while the others commit and one whose transaction aborts, while 20
// readers resume from random cursors (storetest.RunLogRace).
func TestLogRace(t *testing.T) {
	t.Parallel()
	dsn := pgtest.FreshSchema(t)
	db, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	storetest.RunLogRace(t, storetest.LogRace{
		Catalog: db, Purchase: db, Sync: db, Writers: 4,
		Beside: func(ctx context.Context, f storetest.LogFixture) ([]storetest.LogEntry, error) {
			type result struct {
				es  []storetest.LogEntry
				err error
			}
			other, slow, abort := make(chan result, 1), make(chan result, 1), make(chan result, 1)
			go func() { es, err := runWriterProcess(ctx, dsn, f); other <- result{es, err} }()
			go func() { es, err := db.heldOpenWriter(ctx, f.EventID, time.Second); slow <- result{es, err} }()
			go func() { abort <- result{nil, db.abortingWriter(ctx, f.EventID)} }()
			var out []storetest.LogEntry
			var errs []error
			for _, ch := range []chan result{other, slow, abort} {
				r := <-ch
				out = append(out, r.es...)
				errs = append(errs, r.err)
			}
			return out, errors.Join(errs...)
		},
	})
}

// runWriterProcess runs 4 LogWriters in another process and returns the
// entries it reports.
func runWriterProcess(ctx context.Context, dsn string, f storetest.LogFixture) ([]storetest.LogEntry, error) {
	fixture, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestLogRaceWriterProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envRaceDSN+"="+dsn, envRaceFixture+"="+string(fixture))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var out []storetest.LogEntry
	sc := bufio.NewScanner(outPipe)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "ENTRY "); ok {
			var e storetest.LogEntry
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				return out, fmt.Errorf("writer process said %q: %v", line, err)
			}
			out = append(out, e)
		}
	}
	if err := cmd.Wait(); err != nil {
		return out, fmt.Errorf("writer process: %v\n%s", err, stderr.String())
	}
	return out, nil
}

// TestLogRaceWriterProcess is the second process of TestLogRace; run
// alone, without its variables, it has nothing to do and says so.
func TestLogRaceWriterProcess(t *testing.T) {
	dsn := os.Getenv(envRaceDSN)
	if dsn == "" {
		t.Log("the second process of TestLogRace: nothing to do without " + envRaceDSN)
		return
	}
	var f storetest.LogFixture
	if err := json.Unmarshal([]byte(os.Getenv(envRaceFixture)), &f); err != nil {
		t.Fatal(err)
	}
	db, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	results := make(chan []storetest.LogEntry, 4)
	errs := make(chan error, 4)
	for w := range 4 {
		go func() {
			es, err := storetest.LogWriter(t.Context(), db, db, f, fmt.Sprintf("p%d", w), storetest.LogWriterRounds)
			results <- es
			errs <- err
		}()
	}
	for range 4 {
		for _, e := range <-results {
			b, _ := json.Marshal(e)
			fmt.Println("ENTRY " + string(b))
		}
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// heldOpenWriter appends two validity entries in a transaction that
// stays open for hold after its insert, while the others commit, then
// commits and numbers them.
func (s *DB) heldOpenWriter(ctx context.Context, eventID string, hold time.Duration) ([]storetest.LogEntry, error) {
	cs := []changelog.Change{changelog.ValidityChange(eventID, time.Now()), changelog.ValidityChange(eventID, time.Now())}
	cs[0].TicketID, cs[1].TicketID = "held-"+id.New("tkt"), "held-"+id.New("tkt")
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var b pgx.Batch
		if err := queueChanges(&b, cs); err != nil {
			return err
		}
		if err := sendBatch(ctx, tx, &b); err != nil {
			return err
		}
		select {
		case <-time.After(hold):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	if err != nil {
		return nil, fmt.Errorf("held-open writer: %w", err)
	}
	s.numberAfterCommit(ctx, eventID)
	return []storetest.LogEntry{{Kind: changelog.KindValidity, TicketID: cs[0].TicketID}, {Kind: changelog.KindValidity, TicketID: cs[1].TicketID}}, nil
}

// abortingWriter appends an entry and rolls back after a moment: it must
// never be read.
func (s *DB) abortingWriter(ctx context.Context, eventID string) error {
	c := changelog.ValidityChange(eventID, time.Now())
	c.TicketID = "aborted-" + id.New("tkt")
	errAbort := errors.New("abort on purpose")
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var b pgx.Batch
		if err := queueChanges(&b, []changelog.Change{c}); err != nil {
			return err
		}
		if err := sendBatch(ctx, tx, &b); err != nil {
			return err
		}
		time.Sleep(300 * time.Millisecond)
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		return fmt.Errorf("aborting writer: %v", err)
	}
	s.numberAfterCommit(ctx, eventID)
	return nil
}
