package postgres

import (
	"testing"

	"github.com/admitone/admitone/storage/postgres/pgtest"
	"github.com/admitone/admitone/storage/storetest"
)

func TestAnalyticsStore(t *testing.T) {
	storetest.RunAnalytics(t, func(t *testing.T) (storetest.Stores, func(t *testing.T) storetest.Stores) {
		dsn := pgtest.FreshSchema(t)
		db, err := Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		checkFiguresWhenDone(t, dsn)
		t.Cleanup(func() { db.Close() })
		reopen := func(t *testing.T) storetest.Stores {
			db.Close()
			again, err := Open(t.Context(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { again.Close() })
			return storetest.Stores{Sync: again, Purchase: again, Catalog: again}
		}
		return storetest.Stores{Sync: db, Purchase: db, Catalog: db}, reopen
	})
}
