package postgres

import (
	"errors"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/storage/postgres/pgtest"
	"github.com/admitone/admitone/storage/storeerr"
)

// TestUnreachableDatabaseIsUnavailable cuts the network path to a running
// PostgreSQL: every kind of call (a row, rows, a write, a transaction)
// fails with storeerr.ErrUnavailable, a missing row is still not found,
// and once the path is back the same store works again.
func TestUnreachableDatabaseIsUnavailable(t *testing.T) {
	proxy, dsn := pgtest.NewProxy(t, pgtest.FreshSchema(t))
	db, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := t.Context()
	u := account.User{ID: "usr_unavail", Email: "u@example.com", Name: "U", PasswordHash: "x", CreatedAt: storedTime(time.Now())}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	calls := map[string]func(int) error{
		"row":  func(int) error { _, err := db.UserByID(ctx, u.ID); return err },
		"rows": func(int) error { _, err := db.Memberships(ctx, u.ID); return err },
		"write": func(i int) error {
			v := u
			v.ID, v.Email = u.ID+string(rune('a'+i)), string(rune('a'+i))+u.Email
			return db.CreateUser(ctx, v)
		},
		"transaction": func(int) error {
			_, err := db.UpdateUser(ctx, u.ID, func(u *account.User) error { u.Name = "V"; return nil })
			return err
		},
		"ping": func(int) error { return db.Ping(ctx) },
	}
	proxy.Cut()
	for round := range 3 { // pooled connections die one by one: every one must say so
		for name, call := range calls {
			if err := call(round); !errors.Is(err, storeerr.ErrUnavailable) {
				t.Errorf("%s with the database unreachable: %v; want storeerr.ErrUnavailable", name, err)
			}
		}
	}
	proxy.Restore()
	for name, call := range calls {
		if err := call(5); err != nil {
			t.Errorf("%s with the database back: %v", name, err)
		}
	}
	if _, err := db.UserByID(ctx, "usr_missing"); !errors.Is(err, account.ErrNotFound) || errors.Is(err, storeerr.ErrUnavailable) {
		t.Errorf("missing user: %v; want account.ErrNotFound only", err)
	}
}
