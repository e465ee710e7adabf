package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/storage/storetest"
)

// envDSN names the environment variable holding the test server's DSN,
// e.g. postgres://admitone@127.0.0.1:5432/admitone_test?sslmode=disable.
// .ci/postgres.sh starts a server and prints it.
const envDSN = "ADMITONE_TEST_POSTGRES"

// testDSN returns the test server's DSN. Without one the test fails in CI
// and is skipped elsewhere.
func testDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(envDSN)
	if dsn == "" {
		msg := envDSN + " is not set: start a server with eval \"$(bash .ci/postgres.sh)\""
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dsn
}

// freshSchema creates an empty schema, dropped when the test ends, and
// returns a DSN whose search_path is that schema: tests run in parallel
// and again without seeing each other's tables.
func freshSchema(t *testing.T) string {
	t.Helper()
	base := testDSN(t)
	var b [8]byte
	rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	admin := func(sql string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := admin("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if err := admin("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(t, base, schema)
}

// withSearchPath adds search_path to a URL or key=value DSN; pgx sends
// parameters it does not know to the server as settings.
func withSearchPath(t *testing.T, dsn, schema string) string {
	t.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("%s: %v", envDSN, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openTest opens a store on a fresh schema, closed when the test ends.
func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), freshSchema(t))
	if err != nil {
		t.Fatal(err)
	}
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
	dsn := freshSchema(t)
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
	applied, err := Migrate(t.Context(), second.pool)
	if err != nil || len(applied) != 0 {
		t.Errorf("Migrate on a current schema applied %v, %v; want nothing", applied, err)
	}
	if got := appliedVersions(t, second.pool); len(got) != len(all) {
		t.Errorf("schema_migrations holds %v, want %d versions", got, len(all))
	}
}

func TestMigrateConcurrentOpen(t *testing.T) {
	t.Parallel()
	dsn := freshSchema(t)
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
	if got := appliedVersions(t, dbs[0].pool); len(got) != len(all) {
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
