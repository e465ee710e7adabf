package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/purchase"
)

// testBuyerLimit: a type's per-buyer limit counts a buyer's active holds
// and pending or paid orders together; releasing, cancelling or refunding
// gives room back; other buyers are not affected; Taken does not list
// the per-buyer counters.
func testBuyerLimit(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 100)
	l := sh.limits(0)
	tl := l.Types[sh.types[0].ID]
	tl.PerBuyerMax = 3
	l.Types[sh.types[0].ID] = tl

	first := sh.hold(0, 2)
	reserve(t, s, first, l)
	over := sh.hold(0, 2)
	is(t, "a hold over the buyer's limit", s.Reserve(ctx, over, l), purchase.ErrBuyerLimit)
	other := sh.hold(0, 3)
	other.BuyerID = "usr_000000000000000000000b99"
	reserve(t, s, other, l)
	one := sh.hold(0, 1)
	reserve(t, s, one, l) // 2 + 1 = 3: at the limit
	is(t, "a fourth ticket", s.Reserve(ctx, sh.hold(0, 1), l), purchase.ErrBuyerLimit)
	counts(t, s, sh.types[0].ID, 0, 6)

	// Ordered quantities still count; releasing a hold gives room back.
	o := sh.order(first)
	must(t, "CreateOrder", s.CreateOrder(ctx, o))
	must(t, "Release", s.Release(ctx, one.ID))
	is(t, "two more with two ordered", s.Reserve(ctx, sh.hold(0, 2), l), purchase.ErrBuyerLimit)
	reserve(t, s, sh.hold(0, 1), l)
	// Cancelling the order gives its two back.
	_, err := s.CancelOrder(ctx, o.ID, t0.Add(2*time.Minute))
	must(t, "CancelOrder", err)
	reserve(t, s, sh.hold(0, 2), l)
	taken, err := s.Taken(ctx, sh.event.ID)
	must(t, "Taken", err)
	equal(t, "Taken lists the types only", taken, map[string]int{sh.types[0].ID: 6})
	// Without a limit the counters do not matter.
	is(t, "no limit", s.Reserve(ctx, sh.hold(0, 5), sh.limits(0)), nil)
}

// testConcurrentBuyerLimit: one buyer racing 20 holds of one ticket at a
// limit of 5 gets exactly 5.
func testConcurrentBuyerLimit(t *testing.T, s purchase.Store, c catalog.Store) {
	sh := newShop(t, c, 100)
	l := sh.limits(0)
	tl := l.Types[sh.types[0].ID]
	tl.PerBuyerMax = 5
	l.Types[sh.types[0].ID] = tl
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() { errs[i] = s.Reserve(t.Context(), sh.hold(0, 1), l) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, purchase.ErrBuyerLimit):
			t.Errorf("racing hold: %v", err)
		}
	}
	if ok != 5 {
		t.Errorf("%d of 20 racing holds succeeded, want 5 (the buyer's limit)", ok)
	}
	counts(t, s, sh.types[0].ID, 0, 5)
}
