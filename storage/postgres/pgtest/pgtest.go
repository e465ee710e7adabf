// Package pgtest gives tests a PostgreSQL database of their own: the
// server named by ADMITONE_TEST_POSTGRES (.ci/postgres.sh starts one on
// loopback and prints it) and a fresh schema per test, dropped when the
// test ends, so tests run in parallel and again without seeing each
// other's tables.
//
// Without the variable a test is skipped on a laptop and fails when CI=true:
// CI must run every test against the real server.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/internal/testenv"
)

// Env names the variable holding the test server's DSN, e.g.
// postgres://admitone:PW@127.0.0.1:55432/admitone_test?sslmode=disable.
const Env = "ADMITONE_TEST_POSTGRES"

// DSN returns the test server's DSN, or skips (fails under CI=true).
func DSN(t testing.TB) string {
	t.Helper()
	return testenv.Getenv(t, Env, `start a server with eval "$(bash .ci/postgres.sh)"`)
}

// FreshSchema creates an empty schema, dropped when the test ends, and
// returns a DSN whose search_path is that schema.
func FreshSchema(t testing.TB) string {
	t.Helper()
	base := DSN(t)
	var b [8]byte
	rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	if err := exec(base, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if err := exec(base, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	dsn, err := WithSearchPath(base, schema)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	return dsn
}

// WithSearchPath adds search_path to a URL or key=value DSN; pgx sends
// parameters it does not know to the server as settings.
func WithSearchPath(dsn, schema string) (string, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func exec(dsn, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
