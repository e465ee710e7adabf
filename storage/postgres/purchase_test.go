package postgres

import (
	"context"
	"testing"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/storage/postgres/pgtest"
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

// oneTx is the store with Reserve in a transaction of its own per call,
// so that the suite vouches for the baseline the benchmarks compare with.
type oneTx struct{ *DB }

func (s oneTx) Reserve(ctx context.Context, h purchase.Hold, l purchase.Limits) error {
	return s.reserveOneTx(ctx, h, l)
}

func TestPurchaseStoreOneTxPerCall(t *testing.T) {
	storetest.RunPurchase(t, func(t *testing.T) (purchase.Store, catalog.Store) {
		db := openTest(t)
		return oneTx{db}, db
	})
}

// BenchmarkReserveParallel measures Reserve as the server runs it:
// concurrent buyers share transactions through the group commit.
func BenchmarkReserveParallel(b *testing.B) {
	db := openBench(b)
	storetest.BenchReserve(b, db, db.Reserve)
}

// BenchmarkReserveOneTxPerCall is the naive baseline: the same
// statements, in one transaction (and one commit) per reservation.
func BenchmarkReserveOneTxPerCall(b *testing.B) {
	db := openBench(b)
	storetest.BenchReserve(b, db, db.reserveOneTx)
}

// openBench opens a store on a fresh schema for a benchmark.
func openBench(b *testing.B) *DB {
	b.Helper()
	db, err := Open(b.Context(), pgtest.FreshSchema(b))
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
