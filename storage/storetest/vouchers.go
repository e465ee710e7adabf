package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/voucher"
)

// RunVouchers runs the voucher.Store conformance subtests, and the
// purchase.Store subtests of redeeming codes. open returns a new, empty
// store for each subtest, as the three interfaces over the same data.
func RunVouchers(t *testing.T, open func(t *testing.T) (voucher.Store, purchase.Store, catalog.Store)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, v voucher.Store, s purchase.Store, c catalog.Store)
	}{
		{"Codes/RoundTrip", testCodesRoundTrip},
		{"HiddenType", testHiddenType},
		{"Redeem/Uses", testRedeemUses},
		{"Redeem/Concurrent", testRedeemConcurrent},
		{"DeleteEvent", testCodesDeletedWithEvent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, s, c := open(t)
			tt.fn(t, v, s, c)
		})
	}
}

func newCode(eventID, text string, kind voucher.Kind) voucher.Code {
	return voucher.Code{
		ID: id.New("vch"), EventID: eventID, Code: text, Kind: kind, TicketTypeIDs: []string{},
		MaxUses: 5, CreatedAt: t0,
	}
}

// testCodesRoundTrip: a code is stored and found by id and by its
// lookup (of its own event only), listed in creation order, unique per
// event by text; disabling it twice keeps the first time.
func testCodesRoundTrip(t *testing.T, v voucher.Store, _ purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 10)
	other := newShop(t, c, 10)
	a := newCode(sh.event.ID, "VIP-2026", voucher.KindAccess)
	a.TicketTypeIDs = []string{sh.types[0].ID}
	a.ValidFrom, a.ValidUntil = t0.Add(-time.Hour), t0.Add(time.Hour)
	b := newCode(sh.event.ID, "SAVE10", voucher.KindDiscount)
	b.PercentOff, b.CreatedAt = 10, t0.Add(time.Second)
	for _, code := range []voucher.Code{b, a} {
		must(t, "CreateCode", v.CreateCode(ctx, code))
	}
	dup := newCode(sh.event.ID, "VIP-2026", voucher.KindDiscount)
	is(t, "a second code with the same text", v.CreateCode(ctx, dup), voucher.ErrExists)
	elsewhere := newCode(other.event.ID, "VIP-2026", voucher.KindDiscount)
	elsewhere.AmountOff = 100
	must(t, "the same text for another event", v.CreateCode(ctx, elsewhere))
	is(t, "a code of no event", v.CreateCode(ctx, newCode("ev_00000000000000ff", "NOPE", voucher.KindAccess)), voucher.ErrNotFound)

	got, err := v.Code(ctx, a.ID)
	must(t, "Code", err)
	equal(t, "Code", got, a)
	got, err = v.CodeByLookup(ctx, sh.event.ID, voucher.Lookup(sh.event.ID, "VIP-2026"))
	must(t, "CodeByLookup", err)
	equal(t, "CodeByLookup", got, a)
	_, err = v.CodeByLookup(ctx, other.event.ID, voucher.Lookup(sh.event.ID, "VIP-2026"))
	is(t, "another event's lookup", err, voucher.ErrNotFound)
	_, err = v.CodeByLookup(ctx, sh.event.ID, voucher.Lookup(sh.event.ID, "VIP-2027"))
	is(t, "an unknown code", err, voucher.ErrNotFound)
	_, err = v.Code(ctx, id.New("vch"))
	is(t, "an unknown id", err, voucher.ErrNotFound)

	list, err := v.CodesOfEvent(ctx, sh.event.ID)
	must(t, "CodesOfEvent", err)
	equal(t, "CodesOfEvent", list, []voucher.Code{a, b})
	none, err := v.CodesOfEvent(ctx, "ev_00000000000000ff")
	must(t, "CodesOfEvent of no event", err)
	equal(t, "CodesOfEvent of no event", len(none), 0)

	off, err := v.DisableCode(ctx, b.ID, t0.Add(time.Minute))
	must(t, "DisableCode", err)
	again, err := v.DisableCode(ctx, b.ID, t0.Add(time.Hour))
	must(t, "DisableCode again", err)
	equal(t, "disabled at", again.DisabledAt, t0.Add(time.Minute))
	equal(t, "DisableCode returns the code", off, again)
	_, err = v.DisableCode(ctx, id.New("vch"), t0)
	is(t, "DisableCode of an unknown id", err, voucher.ErrNotFound)
}

// testHiddenType: a ticket type's Hidden is stored.
func testHiddenType(t *testing.T, _ voucher.Store, _ purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 10)
	tt := newTicketType(sh.event.ID)
	tt.Hidden = true
	_, err := c.CreateTicketType(ctx, tt)
	must(t, "CreateTicketType", err)
	types, err := c.TicketTypes(ctx, sh.event.ID)
	must(t, "TicketTypes", err)
	equal(t, "hidden of the types", []bool{types[0].Hidden, types[1].Hidden}, []bool{false, true})
}

// codeCounts fails the test unless a code's use counter is as wanted.
func codeCounts(t *testing.T, s purchase.Store, codeID string, wantSold, wantHeld int) {
	t.Helper()
	counts(t, s, purchase.CodeKey(codeID), wantSold, wantHeld)
}

// withCode is h redeeming uses of the code.
func withCode(h purchase.Hold, codeID string, uses int) purchase.Hold {
	h.Code = &purchase.CodeUse{ID: codeID, Kind: voucher.KindDiscount, PercentOff: 10, Uses: uses}
	return h
}

// testRedeemUses: a hold takes its code's uses next to the capacity and
// is refused when too few are left; a release, an expiry and a
// cancellation give them back; a paid order keeps them and so does its
// refund. The code and discount are stored with holds and orders, and
// Taken leaves the code's counter out.
func testRedeemUses(t *testing.T, v voucher.Store, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 100)
	code := newCode(sh.event.ID, "SAVE10", voucher.KindDiscount)
	code.PercentOff = 10
	must(t, "CreateCode", v.CreateCode(ctx, code))
	l := sh.limits(0)
	l.CodeMaxUses = 5

	first := withCode(sh.hold(0, 3), code.ID, 3)
	reserve(t, s, first, l)
	got := holdStatus(t, s, first.ID, purchase.HoldActive)
	equal(t, "the hold's code", got.Code, first.Code)
	is(t, "three more uses of five", s.Reserve(ctx, withCode(sh.hold(0, 3), code.ID, 3), l), purchase.ErrCodeUsedUp)
	counts(t, s, sh.types[0].ID, 0, 3)
	codeCounts(t, s, code.ID, 0, 3)

	must(t, "Release", s.Release(ctx, first.ID))
	codeCounts(t, s, code.ID, 0, 0)

	second := withCode(sh.hold(0, 4), code.ID, 4)
	reserve(t, s, second, l)
	o := sh.order(second)
	o.Code = second.Code
	o.Discount = catalog.Money{Amount: 4 * 495, Currency: "EUR"}
	o.Total.Amount -= o.Discount.Amount
	wrong := sh.order(second)
	is(t, "an order without its hold's code", s.CreateOrder(ctx, wrong), purchase.ErrInvalid)
	must(t, "CreateOrder", s.CreateOrder(ctx, o))
	stored, err := s.Order(ctx, o.ID)
	must(t, "Order", err)
	equal(t, "the order's code", stored.Code, o.Code)
	equal(t, "the order's discount", stored.Discount, o.Discount)
	equal(t, "the order's total", stored.Total, o.Total)
	codeCounts(t, s, code.ID, 4, 0)

	// An order left unpaid past its deadline gives its uses back.
	_, err = s.ExpireHolds(ctx, o.ExpiresAt)
	must(t, "ExpireHolds", err)
	codeCounts(t, s, code.ID, 0, 0)

	third := withCode(sh.hold(0, 5), code.ID, 5)
	third.CreatedAt, third.ExpiresAt = o.ExpiresAt, o.ExpiresAt.Add(10*time.Minute)
	reserve(t, s, third, l)
	o3 := sh.order(third)
	o3.Code = third.Code
	o3.CreatedAt, o3.ExpiresAt = third.CreatedAt.Add(time.Minute), third.ExpiresAt.Add(time.Hour)
	must(t, "CreateOrder", s.CreateOrder(ctx, o3))
	_, err = s.MarkPaid(ctx, o3.ID, "pi_1", o3.CreatedAt, nil)
	must(t, "MarkPaid", err)
	_, err = s.Refund(ctx, o3.ID, o3.CreatedAt.Add(time.Minute))
	must(t, "Refund", err)
	codeCounts(t, s, code.ID, 5, 0)
	counts(t, s, sh.types[0].ID, 0, 0)
	late := withCode(sh.hold(0, 1), code.ID, 1)
	late.CreatedAt, late.ExpiresAt = o3.CreatedAt, o3.ExpiresAt
	is(t, "a use after a refund of all five", s.Reserve(ctx, late, l), purchase.ErrCodeUsedUp)

	// An expired hold's uses go back, found by the reservation that
	// needs them.
	l.CodeMaxUses = 7
	h1 := withCode(sh.hold(0, 2), code.ID, 2)
	h1.CreatedAt, h1.ExpiresAt = o3.CreatedAt, o3.CreatedAt.Add(time.Minute)
	reserve(t, s, h1, l)
	h2 := withCode(sh.hold(0, 2), code.ID, 2)
	h2.CreatedAt, h2.ExpiresAt = h1.ExpiresAt, h1.ExpiresAt.Add(10*time.Minute)
	reserve(t, s, h2, l)
	holdStatus(t, s, h1.ID, purchase.HoldExpired)
	codeCounts(t, s, code.ID, 5, 2)

	taken, err := s.Taken(ctx, sh.event.ID)
	must(t, "Taken", err)
	equal(t, "Taken lists the types only", taken, map[string]int{sh.types[0].ID: 2})
}

// testRedeemConcurrent: a code with 5 uses raced by 15 buyers, each
// holding one ticket, is redeemed exactly 5 times, and the type's
// counters agree.
func testRedeemConcurrent(t *testing.T, v voucher.Store, s purchase.Store, c catalog.Store) {
	const uses = 5
	sh := newShop(t, c, 100)
	code := newCode(sh.event.ID, "GUESTS", voucher.KindAccess)
	code.TicketTypeIDs, code.MaxUses = []string{sh.types[0].ID}, uses
	must(t, "CreateCode", v.CreateCode(t.Context(), code))
	l := sh.limits(0)
	l.CodeMaxUses = uses
	ok := raceHoldsN(t, s, l, purchase.ErrCodeUsedUp, 3*uses, func(i int) purchase.Hold {
		h := withCode(sh.hold(0, 1), code.ID, 1)
		h.Code.Kind, h.Code.PercentOff = voucher.KindAccess, 0
		h.BuyerID = fmt.Sprintf("usr_%024x", i+1)
		return h
	})
	if ok != uses {
		t.Errorf("%d of %d racing holds redeemed the code, want %d (its uses)", ok, 3*uses, uses)
	}
	codeCounts(t, s, code.ID, 0, uses)
	counts(t, s, sh.types[0].ID, 0, uses)
}

// testCodesDeletedWithEvent: deleting an event nothing was held of (a
// draft) takes its codes with it, on both backends, and leaves another
// event's code of the same text alone.
func testCodesDeletedWithEvent(t *testing.T, v voucher.Store, _ purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 10)
	other := newShop(t, c, 10)
	mine := newCode(sh.event.ID, "GUESTS", voucher.KindAccess)
	theirs := newCode(other.event.ID, "GUESTS", voucher.KindAccess)
	must(t, "CreateCode", v.CreateCode(ctx, mine))
	must(t, "CreateCode", v.CreateCode(ctx, theirs))
	must(t, "DeleteEvent with a code", c.DeleteEvent(ctx, sh.event.ID, func(catalog.Event) error { return nil }))
	_, err := v.Code(ctx, mine.ID)
	is(t, "the deleted event's code", err, voucher.ErrNotFound)
	_, err = v.CodeByLookup(ctx, sh.event.ID, voucher.Lookup(sh.event.ID, "GUESTS"))
	is(t, "the deleted event's code by lookup", err, voucher.ErrNotFound)
	got, err := v.Code(ctx, theirs.ID)
	must(t, "the other event's code", err)
	equal(t, "the other event's code", got, theirs)
}
