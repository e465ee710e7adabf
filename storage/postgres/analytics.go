package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/admitone/admitone/analytics"
)

var _ analytics.Store = (*DB)(nil)

// EventCounts implements analytics.Store: it sums the event's rows of
// event_figures (see "An event's figures" in doc.go), kept by triggers
// in the transactions that change the records, in one statement. Afterwards
// it folds the event's rows when they have piled up (foldFigures).
func (s *DB) EventCounts(ctx context.Context, eventID string, noShows bool) (analytics.Counts, error) {
	c := analytics.NewCounts()
	rows, err := s.readFigures(ctx, eventID, &c)
	if err != nil {
		return analytics.Counts{}, fmt.Errorf("figures of event %s: %w", eventID, err)
	}
	if !noShows {
		c.NeverEntered = 0
	}
	if rows > foldAbove && rows > 2*figureKeys(c) {
		// A fold that fails leaves the rows as they were; the next
		// read tries again.
		_ = s.foldFigures(ctx, eventID)
	}
	return c, nil
}

// lockClassFigures is the first key of the advisory lock a fold holds
// ("ADMF"); the second is the event id's hash.
const lockClassFigures = 0x41444d46

// foldAbove is how many figure rows an event may have before a read
// folds them: below it, summing them costs less than a millisecond.
const foldAbove = 1000

// figureKeys is how many figure rows c would fold into, about.
func figureKeys(c analytics.Counts) int {
	return 2*len(c.Tickets) + 2*len(c.Revenue) + 2*len(c.Sales) + len(c.EntryMinutes) + 4
}

// readFigures sums the event's rows of event_figures into c, in one
// statement (so of one moment), and returns how many rows it read.
func (s *DB) readFigures(ctx context.Context, eventID string, c *analytics.Counts) (int, error) {
	rows, err := s.pool.Query(ctx, `SELECT figure, part, minute, sum(n)::bigint, count(*) FROM event_figures
		WHERE event_id = $1 GROUP BY 1, 2, 3`, eventID)
	if err != nil {
		return 0, fmt.Errorf("figures: %w", err)
	}
	var figure, part string
	var minute pgtype.Timestamptz
	var n int64
	var read, k int
	_, err = pgx.ForEachRow(rows, []any{&figure, &part, &minute, &n, &k}, func() error {
		read += k
		if n == 0 {
			return nil
		}
		return c.Set(analytics.Figure(figure), part, minute.Time.UTC(), n)
	})
	if err != nil {
		return 0, fmt.Errorf("figures: %w", err)
	}
	return read, nil
}

// foldFigures replaces the event's figure rows by one per figure (none
// for a figure back at zero), in one transaction: the rows it deletes
// are the rows it sums, and rows that writers commit meanwhile are left
// as they are, so no delta is lost or counted twice; readers see the
// rows before or after, whose sums are the same. Two folds of one event
// at once would only waste work, so a second one gives way.
func (s *DB) foldFigures(ctx context.Context, eventID string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var mine bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1, hashtext($2))`, int32(lockClassFigures), eventID).Scan(&mine); err != nil || !mine {
			return err
		}
		_, err := tx.Exec(ctx, `WITH d AS (DELETE FROM event_figures WHERE event_id = $1 RETURNING figure, part, minute, n)
			INSERT INTO event_figures (event_id, figure, part, minute, n)
			SELECT $1, figure, part, minute, sum(n) FROM d GROUP BY figure, part, minute HAVING sum(n) <> 0`, eventID)
		return err
	})
}
