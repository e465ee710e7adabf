package storage

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/admitone/admitone/storage/postgres/pgtest"

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
	b, err := Open(t.Context(), pgtest.FreshSchema(t), "")
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
