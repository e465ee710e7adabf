package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Numbering the change log after commit. See doc.go, "The change log":
// writers insert their entries unnumbered (seq NULL, pos from the
// change_pos sequence) and commit without touching change_seq; a
// numbering round then gives every committed unnumbered entry of the
// event the next seqs, in pos order, under the event's change_seq row
// lock, which only rounds take.

// numberBatch bounds the entries one round numbers; a round that hits
// it runs again at once.
const numberBatch = 10_000

// sweepEvery is how often a DB numbers what no round numbered: entries
// of a writer that crashed (or lost its connection) after its commit and
// before its round.
const sweepEvery = 2 * time.Second

// numberTimeout bounds one round.
const numberTimeout = 30 * time.Second

// numbering coalesces the rounds of one DB: per event, at most one round
// runs at a time, and every caller that arrives while one runs waits for
// the next, which starts after the running one ends and so sees the
// caller's committed entries. A burst of N writers of one event costs
// about two rounds, not N.
type numbering struct {
	mu     sync.Mutex
	events map[string]*eventRounds
}

type eventRounds struct {
	running bool
	next    *round // the round the next caller joins; nil if none is queued
}

type round struct {
	done chan struct{}
	err  error
}

// numberChanges returns once every entry of eventID committed before the
// call is numbered (by this call's round or an earlier one, in any
// process). Its error leaves the entries unnumbered but stored: the
// sweep numbers them later.
func (s *DB) numberChanges(ctx context.Context, eventID string) error {
	n := &s.numbering
	n.mu.Lock()
	if n.events == nil {
		n.events = make(map[string]*eventRounds)
	}
	e := n.events[eventID]
	if e == nil {
		e = &eventRounds{}
		n.events[eventID] = e
	}
	if e.next == nil {
		e.next = &round{done: make(chan struct{})}
	}
	r := e.next
	if !e.running {
		e.running, e.next = true, nil
		go s.runRounds(eventID, e, r)
	}
	n.mu.Unlock()
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runRounds runs r, then every round queued meanwhile, until none is.
func (s *DB) runRounds(eventID string, e *eventRounds, r *round) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), numberTimeout)
		r.err = s.numberAll(ctx, eventID)
		cancel()
		close(r.done)
		s.numbering.mu.Lock()
		if e.next == nil {
			e.running = false
			delete(s.numbering.events, eventID)
			s.numbering.mu.Unlock()
			return
		}
		r, e.next = e.next, nil
		s.numbering.mu.Unlock()
	}
}

// numberAll runs numbering transactions until the event has no
// committed unnumbered entry left.
func (s *DB) numberAll(ctx context.Context, eventID string) error {
	for {
		n, err := s.numberOnce(ctx, eventID)
		if err != nil {
			return fmt.Errorf("number changes of %s: %w", eventID, err)
		}
		if n < numberBatch {
			return nil
		}
	}
}

// numberOnce is one numbering transaction, sent as one batch (an
// implicit transaction: one round trip). Its statements run one after
// another, and under READ COMMITTED each takes its snapshot when it
// starts, so the numbering statement sees every entry committed before
// the lock was granted:
//
//  1. take the event's change_seq row lock (creating the row);
//  2. number up to numberBatch unnumbered entries in pos order after
//     the event's last seq;
//  3. move last to the highest seq, and only if it moved, NOTIFY the
//     event's listeners (delivered at commit).
func (s *DB) numberOnce(ctx context.Context, eventID string) (int, error) {
	var b pgx.Batch
	b.Queue(`INSERT INTO change_seq (event_id, last) VALUES ($1, 0)
		ON CONFLICT (event_id) DO UPDATE SET last = change_seq.last`, eventID)
	var n int
	b.Queue(`WITH p AS (
			SELECT ctid AS row, row_number() OVER (ORDER BY pos) AS n FROM changes
			WHERE event_id = $1 AND seq IS NULL ORDER BY pos LIMIT $2),
		h AS (SELECT last FROM change_seq WHERE event_id = $1),
		u AS (UPDATE changes SET seq = h.last + p.n FROM p, h WHERE changes.ctid = p.row RETURNING 1)
		SELECT count(*) FROM u`, eventID, numberBatch).QueryRow(func(row pgx.Row) error { return row.Scan(&n) })
	b.Queue(`WITH m AS (SELECT max(seq) AS top FROM changes WHERE event_id = $1),
		moved AS (UPDATE change_seq SET last = m.top FROM m WHERE change_seq.event_id = $1 AND m.top > change_seq.last RETURNING 1)
		SELECT pg_notify('`+changesChannel+`', $1) FROM moved`, eventID)
	if err := s.pool.SendBatch(ctx, &b).Close(); err != nil {
		return 0, unavailable(err)
	}
	return n, nil
}

// sweep numbers, at once and then every sweepEvery until ctx ends, the entries of every
// event that has committed unnumbered ones (see sweepEvery).
func (s *DB) sweep(ctx context.Context) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		s.numberPending(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// numberPending numbers the committed unnumbered entries of every event.
func (s *DB) numberPending(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT event_id FROM changes WHERE seq IS NULL`)
	if err != nil {
		return err
	}
	events, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, ev := range events {
		if err := s.numberChanges(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// numberAfterCommit numbers eventID's entries after a writer's commit.
// The writer's change is stored either way: on an error its entries wait
// for the next round or the sweep, so the writer still succeeds.
func (s *DB) numberAfterCommit(ctx context.Context, eventID string) {
	_ = s.numberChanges(ctx, eventID)
}

// numberThenAnswer numbers the entries of events (repeats allowed) and
// then calls answer, on a goroutine counted by wg: a group commit's
// committer starts its next group's transaction meanwhile.
func (s *DB) numberThenAnswer(wg *sync.WaitGroup, events []string, answer func()) {
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), numberTimeout)
		defer cancel()
		for _, ev := range slices.Compact(slices.Sorted(slices.Values(events))) {
			s.numberAfterCommit(ctx, ev)
		}
		answer()
	})
}
