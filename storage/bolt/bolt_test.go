package bolt

import (
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/storage/storetest"
)

// openTest opens a store in a temporary directory and, when the test ends,
// checks the file's consistency before closing it.
func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		err := db.db.View(func(tx *bbolt.Tx) error {
			for err := range tx.Check() {
				return err
			}
			return nil
		})
		if err != nil {
			t.Errorf("consistency check: %v", err)
		}
		checkFigures(t, db)
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func TestAccountStore(t *testing.T) {
	storetest.RunAccount(t, func(t *testing.T) account.Store { return openTest(t) })
}

func TestCatalogStore(t *testing.T) {
	storetest.RunCatalog(t, func(t *testing.T) catalog.Store { return openTest(t) })
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	u := account.User{ID: "usr_000000000000000000000001", Email: "Kept@example.com", PasswordHash: "x", Admin: true}
	if err := db.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(t.Context()); err == nil {
		t.Error("Ping of a closed store succeeded")
	}

	db, err = Open(dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	if err := db.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	got, err := db.UserByEmail(t.Context(), "kept@EXAMPLE.com")
	if err != nil || got.ID != u.ID {
		t.Errorf("UserByEmail after reopen = %+v, %v", got, err)
	}
	if n, err := db.CountAdmins(t.Context()); n != 1 || err != nil {
		t.Errorf("CountAdmins after reopen = %d, %v; want 1", n, err)
	}
}

func TestOpenNewerLayout(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = db.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyVersion, []byte{0, 0, 0, schemaVersion + 1})
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if db, err := Open(dir); err == nil {
		db.Close()
		t.Fatal("Open of a file with a newer layout succeeded")
	}
}

func TestOpenLocked(t *testing.T) {
	dir := t.TempDir()
	openTestIn(t, dir)
	if other, err := Open(dir); err == nil {
		other.Close()
		t.Fatal("second Open of the same directory succeeded")
	}
}

func openTestIn(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestLogRace: 8 writers and 20 readers on one event's change log
// (storetest.RunLogRace). bbolt has one writer at a time, so there is no
// transaction held open beside the others to try here.
func TestLogRace(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	storetest.RunLogRace(t, storetest.LogRace{Catalog: db, Purchase: db, Sync: db, Writers: 8})
}
