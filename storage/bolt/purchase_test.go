package bolt

import (
	"context"
	"testing"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/storage/storetest"
	"github.com/admitone/admitone/voucher"
	"github.com/admitone/admitone/waitroom"
)

func TestPurchaseStore(t *testing.T) {
	storetest.RunPurchase(t, func(t *testing.T) (purchase.Store, catalog.Store) {
		db := openTest(t)
		return db, db
	})
}

// BenchmarkReserveParallel measures Reserve as the server runs it:
// concurrent buyers share commits through bbolt's Batch.
func BenchmarkReserveParallel(b *testing.B) {
	db := openBench(b)
	storetest.BenchReserve(b, db, db.Reserve)
}

// BenchmarkReserveOneTxPerCall is the baseline: one write transaction,
// and so one fsync, per reservation.
func BenchmarkReserveOneTxPerCall(b *testing.B) {
	db := openBench(b)
	storetest.BenchReserve(b, db, func(ctx context.Context, h purchase.Hold, l purchase.Limits) error {
		return db.reserve(ctx, h, l, db.db.Update)
	})
}

func openBench(b *testing.B) *DB {
	b.Helper()
	db, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func TestVoucherStore(t *testing.T) {
	storetest.RunVouchers(t, func(t *testing.T) (voucher.Store, purchase.Store, catalog.Store) {
		db := openTest(t)
		return db, db, db
	})
}

func TestWaitroomStore(t *testing.T) {
	storetest.RunWaitroom(t, func(t *testing.T) (waitroom.Store, catalog.Store) {
		db := openTest(t)
		return db, db
	})
}
