package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// checkFiguresWhenDone makes t, when it ends, check that the figures
// event_figures keeps for every event of the schema at dsn are what
// counting the records gives (the recount is the migration's own
// backfill query), then fold every event's rows and check again: the
// triggers missed no write and counted none twice, whatever the test
// did, and folding changes no figure.
func checkFiguresWhenDone(t *testing.T, dsn string) {
	t.Helper()
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, err := Open(ctx, dsn)
		if err != nil {
			t.Fatalf("reopening to check the figures: %v", err)
		}
		defer db.Close()
		diff := figuresDiff(ctx, t, db)
		if diff != "" {
			t.Fatalf("event_figures differ from the records (figure: kept, counted):\n%s", diff)
		}
		rows, err := db.pool.Query(ctx, `SELECT DISTINCT event_id FROM event_figures`)
		if err != nil {
			t.Fatal(err)
		}
		var events []string
		for rows.Next() {
			var e string
			if err := rows.Scan(&e); err != nil {
				t.Fatal(err)
			}
			events = append(events, e)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if err := db.foldFigures(ctx, e); err != nil {
				t.Fatalf("folding the figures of %s: %v", e, err)
			}
		}
		if diff := figuresDiff(ctx, t, db); diff != "" {
			t.Fatalf("after folding, event_figures differ from the records (figure: kept, counted):\n%s", diff)
		}
		var dups int
		if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM event_figures
			GROUP BY event_id, figure, part, minute HAVING count(*) > 1) AS d`).Scan(&dups); err != nil {
			t.Fatal(err)
		}
		if dups != 0 {
			t.Errorf("after folding, %d figures still have more than one row", dups)
		}
	})
}

// figuresDiff lists the figures whose kept sum differs from the recount.
func figuresDiff(ctx context.Context, t *testing.T, db *DB) string {
	t.Helper()
	var parts []string
	for _, tab := range []string{"orders", "tickets", "sync_checkins", "ticket_inside", "conflicts"} {
		var q string
		if err := db.pool.QueryRow(ctx, `SELECT event_figures_of($1, $1, false)`, tab).Scan(&q); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, q)
	}
	rows, err := db.pool.Query(ctx, fmt.Sprintf(`
		WITH counted AS (SELECT event_id, figure, part, coalesce(minute, '-infinity') AS minute, sum(n) AS n
				FROM (%s) AS c GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0),
			kept AS (SELECT event_id, figure, part, coalesce(minute, '-infinity') AS minute, sum(n) AS n
				FROM event_figures GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0)
		SELECT event_id || ' ' || figure || ' ' || part || ' ' || minute::text, coalesce(k.n, 0), coalesce(c.n, 0)
		FROM kept AS k FULL JOIN counted AS c USING (event_id, figure, part, minute)
		WHERE k.n IS DISTINCT FROM c.n ORDER BY 1`, strings.Join(parts, " UNION ALL ")))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for rows.Next() {
		var key string
		var kept, counted int64
		if err := rows.Scan(&key, &kept, &counted); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "  %s: %d, %d\n", key, kept, counted)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
