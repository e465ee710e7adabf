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
	if ok := raceHolds(t, s, l, purchase.ErrBuyerLimit, func(int) purchase.Hold { return sh.hold(0, 1) }); ok != 5 {
		t.Errorf("%d of 20 racing holds succeeded, want 5 (the buyer's limit)", ok)
	}
	counts(t, s, sh.types[0].ID, 0, 5)
}

// testHoldLimit: the event's MaxHeldPerBuyer caps what one buyer has of
// its admission types in active holds, all types together, and a type's
// MaxHeldPerBuyer caps that type. Orders do not count: checking out,
// releasing and expiry give the room back. Merchandise and other buyers
// are not counted.
func testHoldLimit(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 100, 100, 100)
	merch := newTicketType(sh.event.ID)
	merch.Name, merch.Kind, merch.Capacity, merch.PerOrderMax = "Shirt", catalog.KindMerchandise, 100, 6
	merch, err := c.CreateTicketType(ctx, merch)
	must(t, "CreateTicketType", err)
	sh.types = append(sh.types, merch) // index 3
	l := sh.limits(0)
	l.MaxHeldPerBuyer = 5
	tl := l.Types[sh.types[2].ID]
	tl.MaxHeldPerBuyer = 2
	l.Types[sh.types[2].ID] = tl

	first := sh.hold(0, 3)
	reserve(t, s, first, l)
	is(t, "3 + 3 over the event's 5", s.Reserve(ctx, sh.hold(1, 3), l), purchase.ErrHoldLimit)
	is(t, "3 + 2 + 1 in one hold", s.Reserve(ctx, sh.hold(1, 2, 2, 1), l), purchase.ErrHoldLimit)
	second := sh.hold(1, 2, 3, 6) // 3 + 2 = 5 admissions; the shirts do not count
	reserve(t, s, second, l)
	is(t, "a sixth ticket", s.Reserve(ctx, sh.hold(2, 1), l), purchase.ErrHoldLimit)
	other := sh.hold(0, 5)
	other.BuyerID = "usr_000000000000000000000b99"
	reserve(t, s, other, l)
	counts(t, s, sh.types[0].ID, 0, 8)

	// Checking out gives held room back: 3 ordered, 2 held, then 4.
	must(t, "CreateOrder", s.CreateOrder(ctx, sh.order(first)))
	is(t, "the type's own cap of 2", s.Reserve(ctx, sh.hold(2, 3), l), purchase.ErrHoldLimit)
	third := sh.hold(2, 2)
	reserve(t, s, third, l)
	is(t, "4 held and 2 more", s.Reserve(ctx, sh.hold(0, 2), l), purchase.ErrHoldLimit)
	// Releasing gives it back.
	must(t, "Release", s.Release(ctx, second.ID))
	reserve(t, s, sh.hold(0, 3), l)
	is(t, "5 held after the release", s.Reserve(ctx, sh.hold(1, 1), l), purchase.ErrHoldLimit)
	// Expired holds do not count: a reservation after every expiry
	// releases them and fits.
	late := sh.hold(0, 5)
	late.CreatedAt, late.ExpiresAt = t0.Add(20*time.Minute), t0.Add(30*time.Minute)
	reserve(t, s, late, l)
	// Everything else was due by then (the order's payment deadline too).
	counts(t, s, sh.types[0].ID, 0, 5)
	counts(t, s, sh.types[2].ID, 0, 0)
	// Without a cap the counters do not matter.
	is(t, "no cap", s.Reserve(ctx, sh.hold(0, 6), sh.limits(0)), nil)
}

// testConcurrentHoldLimit: one buyer racing 20 holds of one ticket, over
// two types, at an event cap of 5 gets exactly 5 held.
func testConcurrentHoldLimit(t *testing.T, s purchase.Store, c catalog.Store) {
	sh := newShop(t, c, 100, 100)
	l := sh.limits(0)
	l.MaxHeldPerBuyer = 5
	if ok := raceHolds(t, s, l, purchase.ErrHoldLimit, func(i int) purchase.Hold { return sh.hold(i%2, 1) }); ok != 5 {
		t.Errorf("%d of 20 racing holds succeeded, want 5 (the buyer's cap)", ok)
	}
	sold0, held0, err := s.Counts(t.Context(), sh.types[0].ID)
	must(t, "Counts", err)
	sold1, held1, err := s.Counts(t.Context(), sh.types[1].ID)
	must(t, "Counts", err)
	if sold0+sold1 != 0 || held0+held1 != 5 {
		t.Errorf("counts after the race: sold %d+%d held %d+%d, want 5 held in all", sold0, sold1, held0, held1)
	}
}

// raceHolds reserves 20 holds at once (hold(i) makes the i-th) and
// returns how many were stored; any refusal other than refused fails t.
func raceHolds(t *testing.T, s purchase.Store, l purchase.Limits, refused error, hold func(i int) purchase.Hold) int {
	t.Helper()
	return raceHoldsN(t, s, l, refused, 20, hold)
}

// raceHoldsN is raceHolds with n racers.
func raceHoldsN(t *testing.T, s purchase.Store, l purchase.Limits, refused error, n int, hold func(i int) purchase.Hold) int {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range errs {
		wg.Go(func() { errs[i] = s.Reserve(t.Context(), hold(i), l) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, refused):
			t.Errorf("racing hold: %v", err)
		}
	}
	return ok
}
