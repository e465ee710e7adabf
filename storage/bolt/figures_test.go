package bolt

import (
	"reflect"
	"testing"

	bbolt "go.etcd.io/bbolt"
)

// checkFigures checks that the figures kept for every event of db are
// what walking its records counts: no write path missed a change or
// counted one twice.
func checkFigures(t *testing.T, db *DB) {
	t.Helper()
	err := db.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketEvents).ForEach(func(k, _ []byte) error {
			kept, err := readFigures(tx, string(k))
			if err != nil {
				t.Errorf("event %s: reading its figures: %v", k, err)
				return nil
			}
			counted, err := walkCounts(tx, string(k))
			if err != nil {
				t.Errorf("event %s: counting its records: %v", k, err)
				return nil
			}
			if !reflect.DeepEqual(kept, counted) {
				t.Errorf("event %s: the figures kept differ from its records:\n kept    %+v\n counted %+v", k, kept, counted)
			}
			return nil
		})
	})
	if err != nil {
		t.Error(err)
	}
}

// TestFiguresBuilt: a file written before the events' figures (here: one
// whose figures bucket is dropped) gets them counted when it is opened,
// with the same figures.
func TestFiguresBuilt(t *testing.T) {
	runAnalytics(t, func(t *testing.T, db *DB) {
		err := db.db.Update(func(tx *bbolt.Tx) error { return tx.DeleteBucket(bucketEventFigures) })
		if err != nil {
			t.Fatal(err)
		}
	})
}
