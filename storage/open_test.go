package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/storage/bolt"
)

func TestOpenBolt(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(t.Context(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if b.Kind != "bolt" {
		t.Errorf("Kind = %q, want bolt", b.Kind)
	}
	if err := b.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if _, err := b.Accounts.UserByID(t.Context(), "usr_000000000000000000000000"); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("UserByID on an empty store: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, bolt.File)); err != nil {
		t.Errorf("store file: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Ping(t.Context()); err == nil {
		t.Error("Ping after Close succeeded")
	}
}

func TestOpenRefusesOtherDatabases(t *testing.T) {
	for _, dsn := range []string{
		"mysql://root:hunter2@localhost/db",
		"host=localhost password=hunter2",
		"sqlite:///var/lib/admitone.db",
		"admin:hunter2@db.example.com://x",
	} {
		b, err := Open(t.Context(), dsn, t.TempDir())
		if err == nil {
			b.Close()
			t.Errorf("Open(%q) succeeded", dsn)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) error shows the password: %v", dsn, err)
		}
	}
}

func TestOpenPostgres(t *testing.T) {
	dsn := os.Getenv("ADMITONE_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("ADMITONE_TEST_POSTGRES is not set")
		}
		t.Skip("ADMITONE_TEST_POSTGRES is not set")
	}
	b, err := Open(t.Context(), freshSchema(t, dsn), "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Kind != "postgres" {
		t.Errorf("Kind = %q, want postgres", b.Kind)
	}
	if err := b.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// freshSchema creates a schema dropped when the test ends and returns dsn
// (a URL) with that schema as its search_path.
func freshSchema(t *testing.T, dsn string) string {
	t.Helper()
	var b [8]byte
	rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	exec := func(sql string) error {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(context.Background(), sql)
		return err
	}
	if err := exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Error(err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
