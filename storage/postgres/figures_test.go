package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/sync/gatebench"
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

// TestFigureTriggersFindTicketsByKey checks how the ticket_inside
// triggers find a lineage's tickets (never_entered) when the planner
// knows nothing of the tickets table yet: a fresh database, or an event
// sold out since the last ANALYZE. They must look tickets up by id or by
// lineage (tickets_pkey, tickets_lineage), never scan an event's tickets
// by status (tickets_event): that plan read every valid ticket of the
// event for each lineage an upload group moved, and a group of 300
// check-ins at an event of 57,000 tickets took 12 s instead of
// milliseconds (BenchmarkFanout with real tickets).
func TestFigureTriggersFindTicketsByKey(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	// No ANALYZE may run during the test: the planner must see what a
	// fresh table shows it.
	if _, err := db.pool.Exec(ctx, `ALTER TABLE tickets SET (autovacuum_enabled = false)`); err != nil {
		t.Fatal(err)
	}
	ev := gatebench.Event(t, db)
	_, tickets := gatebench.IssueTickets(t, db, db, ev, 20_000)
	// A stand-in for a trigger's transition table, of the same columns.
	if _, err := db.pool.Exec(ctx, `CREATE TABLE moved AS SELECT event_id, ticket_id, entered_checkin_id, checkin_id FROM ticket_inside WITH NO DATA`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(ctx, `INSERT INTO moved SELECT $1, t, 'ci_1', 'ci_1' FROM unnest($2::text[]) AS t`, ev, tickets[:300]); err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"INSERT", "UPDATE", "DELETE"} {
		var stmt string
		if err := db.pool.QueryRow(ctx, `SELECT event_figures_statement('ticket_inside', $1)`, op).Scan(&stmt); err != nil {
			t.Fatal(err)
		}
		// The statement reads new_rows and old_rows; EXPLAIN it on moved.
		stmt = strings.NewReplacer("new_rows", "moved", "old_rows", "moved").Replace(stmt)
		var plan []map[string]any
		if err := db.pool.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+stmt).Scan(&plan); err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		scans := relationScans(plan[0]["Plan"].(map[string]any), "tickets", nil)
		if len(scans) == 0 && op != "UPDATE" {
			// INSERT and DELETE read the tickets (UPDATE too, though its
			// EXCEPT ALL of one table with itself may let the planner skip it).
			t.Errorf("%s: the plan reads no tickets; the check is out of date", op)
		}
		for _, s := range scans {
			if s != "tickets_pkey" && s != "tickets_lineage" {
				t.Errorf("%s: the plan reads tickets through %s, want tickets_pkey or tickets_lineage", op, s)
			}
		}
	}
}

// relationScans lists how each scan of table in an EXPLAIN (FORMAT
// JSON) plan reads it: the index's name (a bitmap scan's indexes'
// names), or the node type.
func relationScans(node map[string]any, table string, out []string) []string {
	if node["Relation Name"] == table {
		switch {
		case node["Index Name"] != nil:
			out = append(out, node["Index Name"].(string))
		case node["Node Type"] == "Bitmap Heap Scan":
			out = append(out, indexNames(node, nil)...)
		default:
			out = append(out, fmt.Sprint(node["Node Type"]))
		}
	}
	for _, c := range planChildren(node) {
		out = relationScans(c, table, out)
	}
	return out
}

// indexNames lists the indexes a plan node and its children name.
func indexNames(node map[string]any, out []string) []string {
	if name, ok := node["Index Name"].(string); ok {
		out = append(out, name)
	}
	for _, c := range planChildren(node) {
		out = indexNames(c, out)
	}
	return out
}

func planChildren(node map[string]any) []map[string]any {
	var out []map[string]any
	children, _ := node["Plans"].([]any)
	for _, c := range children {
		if m, ok := c.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// TestFigureTriggersCountDeletes deletes rows of every table with figure
// triggers (nothing in the server does yet) and lets the figure check of
// openTest compare event_figures with a recount: a DELETE takes away
// what its rows counted.
func TestFigureTriggersCountDeletes(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	ev := gatebench.Event(t, db)
	orders, tickets := gatebench.IssueTickets(t, db, db, ev, 2*gatebench.TicketsPerOrder)
	gateIDs := gatebench.CreateGates(t, db, ev, gatebench.Seed(), 2)
	now := time.Now().UTC().Truncate(time.Microsecond)
	for n, gid := range gateIDs {
		g, err := db.Gate(ctx, gid)
		if err != nil {
			t.Fatal(err)
		}
		// Both gates admit the first ten tickets (ten conflicts), the
		// second also ten more of each order.
		var cs []changelog.Checkin
		for i, tk := range tickets {
			if i < 10 || n == 1 && (i%gatebench.TicketsPerOrder) < 20 {
				cs = append(cs, changelog.Checkin{ID: changelog.NewCheckinID(now).String(), TicketID: tk, EventID: ev, TypeNumber: 1,
					GateID: gid, Direction: bundle.Entry, At: now.Add(time.Duration(i) * time.Second)})
			}
		}
		if _, err := db.RecordCheckins(ctx, g, cs, now); err != nil {
			t.Fatal(err)
		}
	}
	for _, del := range []string{
		`DELETE FROM conflicts WHERE pos IN (SELECT pos FROM conflicts ORDER BY pos LIMIT 4)`,
		`DELETE FROM sync_checkins WHERE ticket_id IN (SELECT ticket_id FROM sync_checkins ORDER BY id LIMIT 5)`,
		`DELETE FROM ticket_inside WHERE ticket_id IN (SELECT ticket_id FROM ticket_inside ORDER BY ticket_id LIMIT 5)`,
		`DELETE FROM ticket_links WHERE ticket_id IN (SELECT id FROM tickets WHERE order_id = '` + orders[1] + `')`,
		`DELETE FROM tickets WHERE order_id = '` + orders[1] + `'`,
		`DELETE FROM orders WHERE id = '` + orders[1] + `'`,
	} {
		tag, err := db.pool.Exec(ctx, del)
		if err != nil {
			t.Fatalf("%s: %v", del, err)
		}
		if tag.RowsAffected() == 0 && !strings.Contains(del, "ticket_links") {
			t.Fatalf("%s deleted nothing", del)
		}
	}
}

// TestLineageStatementsProbeByKey checks the plans of the statements
// that lock and update lineages (lockLineagesSQL, updateLineagesSQL)
// when the connection cached a plan while ticket_inside was small and
// the table has grown since without an ANALYZE, as at the doors of a
// deployment's first event: with the cached plan they scan the whole
// table for a few keys; under customPlansSQL, which every transaction
// running them sends first, they probe the primary key.
func TestLineageStatementsProbeByKey(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	grow := func(from, to int) {
		exec(`INSERT INTO ticket_inside (event_id, ticket_id) SELECT 'evt_1', 'tk_' || g FROM generate_series($1::int, $2::int) AS g`, from, to)
	}
	exec(`ALTER TABLE ticket_inside SET (autovacuum_enabled = false)`)
	grow(1, 50)
	exec(`ANALYZE ticket_inside`)
	exec(`PREPARE lock_lineages AS ` + lockLineagesSQL)
	exec(`PREPARE update_lineages AS ` + updateLineagesSQL)
	keys := `('{evt_1,evt_1}', '{tk_7,tk_9}'`
	lock := `EXECUTE lock_lineages` + keys + `)`
	update := `EXECUTE update_lineages` + keys + `, '{t,t}', '{tk_7,tk_9}', '{ci_1,ci_2}', '{g,g}', '{2026-12-07T20:00:00Z,2026-12-07T20:00:01Z}', '{f,f}', '{f,f}', '{"",""}', '{"",""}', '{"",""}', '{NULL,NULL}')`
	// A connection's first executions, while the table is small: after
	// five, PostgreSQL caches a generic plan, priced at that size.
	for range 6 {
		exec(lock)
		exec(update)
	}
	grow(51, 20_000)
	scans := func(stmt string) []string {
		t.Helper()
		var plan []map[string]any
		if err := conn.QueryRow(ctx, `EXPLAIN (FORMAT JSON) `+stmt).Scan(&plan); err != nil {
			t.Fatalf("EXPLAIN %s: %v", stmt, err)
		}
		return relationScans(plan[0]["Plan"].(map[string]any), "ticket_inside", nil)
	}
	// The hazard, or the test proves nothing: the cached plans scan.
	for _, stmt := range []string{lock, update} {
		if got := scans(stmt); !slices.Contains(got, "Seq Scan") {
			t.Fatalf("the plan cached at 50 rows reads ticket_inside through %v, not a Seq Scan: this PostgreSQL does not show the hazard the test is for", got)
		}
	}
	exec(`BEGIN`)
	exec(customPlansSQL)
	for _, stmt := range []string{lock, update} {
		got := scans(stmt)
		if len(got) == 0 || slices.Contains(got, "Seq Scan") {
			t.Errorf("under %q, %s reads ticket_inside through %v, want its primary key", customPlansSQL, stmt, got)
		}
	}
	exec(`ROLLBACK`)
}
