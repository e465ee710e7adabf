package postgres

import (
	"context"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/admitone/admitone/storage/postgres/pgtest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/storage/storetest"
)

// openTest opens a store on a fresh schema, closed when the test ends.
//
// When the test ends, the figures the triggers kept for every event are
// checked against counting the records (checkFiguresWhenDone), so every
// store test also tests event_figures.
func openTest(t *testing.T) *DB {
	t.Helper()
	dsn := pgtest.FreshSchema(t)
	db, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	checkFiguresWhenDone(t, dsn)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestAccountStore(t *testing.T) {
	storetest.RunAccount(t, func(t *testing.T) account.Store { return openTest(t) })
}

func TestCatalogStore(t *testing.T) {
	storetest.RunCatalog(t, func(t *testing.T) catalog.Store { return openTest(t) })
}

// appliedVersions reads schema_migrations.
func appliedVersions(t *testing.T, pool *pgxpool.Pool) []int32 {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	return versions
}

func TestMigrateIdempotent(t *testing.T) {
	t.Parallel()
	dsn := pgtest.FreshSchema(t)
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	first, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if err := first.CreateOrg(t.Context(), catalog.Organization{ID: "org_000000000000000000000001", Name: "Kept"}); err != nil {
		t.Fatal(err)
	}
	second, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer second.Close()
	if o, err := second.Org(t.Context(), "org_000000000000000000000001"); err != nil || o.Name != "Kept" {
		t.Errorf("Org after second Open = %+v, %v", o, err)
	}
	applied, err := Migrate(t.Context(), second.pool.Pool)
	if err != nil || len(applied) != 0 {
		t.Errorf("Migrate on a current schema applied %v, %v; want nothing", applied, err)
	}
	if got := appliedVersions(t, second.pool.Pool); len(got) != len(all) {
		t.Errorf("schema_migrations holds %v, want %d versions", got, len(all))
	}
}

func TestMigrateConcurrentOpen(t *testing.T) {
	t.Parallel()
	dsn := pgtest.FreshSchema(t)
	const n = 4
	dbs := make([]*DB, n)
	errs := make([]error, n)
	var wg gosync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = Open(t.Context(), dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		defer dbs[i].Close()
	}
	if t.Failed() {
		return
	}
	all, _ := migrations()
	if got := appliedVersions(t, dbs[0].pool.Pool); len(got) != len(all) {
		t.Errorf("schema_migrations holds %v after concurrent Opens, want %d versions", got, len(all))
	}
	if err := dbs[n-1].Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestMigrations(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.version != i+1 {
			t.Errorf("migration %s has number %d, want %d: numbers run 1, 2, 3 with no gaps", m.name, m.version, i+1)
		}
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// Port 1 on loopback: nothing listens there.
	db, err := Open(ctx, "postgres://admitone:secret-password@127.0.0.1:1/none?sslmode=disable&connect_timeout=5")
	if err == nil {
		db.Close()
		t.Fatal("Open of an unreachable server succeeded")
	}
	if strings.Contains(err.Error(), "secret-password") {
		t.Errorf("error shows the password: %v", err)
	}
}
