package bolt

import (
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/storage/storetest"
)

// runAnalytics runs storetest.RunAnalytics on stores in a temporary
// directory; before, if not nil, changes the first store before it is
// closed and opened again.
func runAnalytics(t *testing.T, before func(t *testing.T, db *DB)) {
	storetest.RunAnalytics(t, func(t *testing.T) (storetest.Stores, func(t *testing.T) storetest.Stores) {
		dir := t.TempDir()
		db, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		reopen := func(t *testing.T) storetest.Stores {
			checkFigures(t, db)
			if before != nil {
				before(t, db)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			again := openTestIn(t, dir)
			t.Cleanup(func() { checkFigures(t, again) })
			return storetest.Stores{Sync: again, Purchase: again, Catalog: again}
		}
		return storetest.Stores{Sync: db, Purchase: db, Catalog: db}, reopen
	})
}

func TestAnalyticsStore(t *testing.T) { runAnalytics(t, nil) }

// TestAnalyticsIndexesBuilt: a file written before the analytics indexes
// (here: one whose index buckets are dropped) gets them built when it is
// opened, with the same figures.
func TestAnalyticsIndexesBuilt(t *testing.T) {
	runAnalytics(t, func(t *testing.T, db *DB) {
		err := db.db.Update(func(tx *bbolt.Tx) error {
			for _, b := range [][]byte{bucketEventOrders, bucketEventTickets, bucketEventEntries} {
				if err := tx.DeleteBucket(b); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
