package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/purchase"
)

// RunPurchase runs the purchase.Store conformance subtests. open returns a
// new, empty store for each subtest, as a purchase.Store and a
// catalog.Store over the same data: holds refer to catalog events.
func RunPurchase(t *testing.T, open func(t *testing.T) (purchase.Store, catalog.Store)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s purchase.Store, c catalog.Store)
	}{
		{"Reserve/RoundTrip", testReserveRoundTrip},
		{"Reserve/SoldOut", testReserveSoldOut},
		{"Reserve/PerOrderLimit", testReservePerOrderLimit},
		{"Reserve/Invalid", testReserveInvalid},
		{"Reserve/EventCapacity", testReserveEventCapacity},
		{"Reserve/SweepsExpired", testReserveSweepsExpired},
		{"Release", testRelease},
		{"ExpireHolds", testExpireHolds},
		{"Order/Lifecycle", testOrderLifecycle},
		{"Order/Errors", testOrderErrors},
		{"Order/Cancel", testOrderCancel},
		{"ExpireHolds/PaidOrderKept", testExpirePaidOrderKept},
		{"Idempotency", testIdempotency},
		{"Idempotency/WithHold", testIdempotencyWithHold},
		{"Idempotency/WithOrder", testIdempotencyWithOrder},
		{"Concurrent/IdempotentReserve", testConcurrentIdempotentReserve},
		{"Taken", testTaken},
		{"Concurrent/Reserve", testConcurrentReserve},
		{"Concurrent/EventCapacity", testConcurrentEventCapacity},
		{"Concurrent/ReserveRelease", testConcurrentReserveRelease},
		{"BuyerLimit", testBuyerLimit},
		{"Concurrent/BuyerLimit", testConcurrentBuyerLimit},
		{"HoldLimit", testHoldLimit},
		{"Concurrent/HoldLimit", testConcurrentHoldLimit},
		{"OrdersOfEvent", testOrdersOfEvent},
		{"Tickets/Lifecycle", testTicketsLifecycle},
		{"Tickets/SetValidity", testSetValidity},
		{"Tickets/Atomic", testTicketsAtomic},
		{"Tickets/ConcurrentLog", testTicketsConcurrentLog},
		{"Links", testLinks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, c := open(t)
			tt.fn(t, s, c)
		})
	}
}

// t0 is the suite's "now": holds are created at it unless a test says
// otherwise.
var t0 = stored(when(0))

// shop is an event with ticket types of the given capacities, all
// admission and so all sharing the event's capacity.
type shop struct {
	event catalog.Event
	types []catalog.TicketType
}

func newShop(t *testing.T, c catalog.Store, capacities ...int) shop {
	t.Helper()
	f := setup(t, c)
	sh := shop{event: f.event}
	for i, n := range capacities {
		tt := newTicketType(f.event.ID)
		tt.Name = fmt.Sprintf("Type %d", i+1)
		tt.Capacity = n
		tt.PerOrderMax = 6
		stored, err := c.CreateTicketType(t.Context(), tt)
		must(t, "CreateTicketType", err)
		sh.types = append(sh.types, stored)
	}
	return sh
}

// limits are the shop's limits with the given event capacity.
func (sh shop) limits(eventCapacity int) purchase.Limits {
	l := purchase.Limits{Types: make(map[string]purchase.TypeLimit), EventCapacity: eventCapacity}
	for _, tt := range sh.types {
		l.Types[tt.ID] = purchase.TypeLimit{Capacity: tt.Capacity, PerOrderMax: tt.PerOrderMax, Shared: tt.Kind != catalog.KindMerchandise}
	}
	return l
}

// hold makes a hold of quantities of the shop's types (index, quantity
// pairs), created at t0 and expiring ten minutes later.
func (sh shop) hold(pairs ...int) purchase.Hold {
	h := purchase.Hold{
		ID:        id.NewOrdered("hld"),
		BuyerID:   "usr_000000000000000000000b01",
		EventID:   sh.event.ID,
		CreatedAt: t0,
		ExpiresAt: t0.Add(10 * time.Minute),
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		h.Lines = append(h.Lines, purchase.Line{TicketTypeID: sh.types[pairs[i]].ID, Quantity: pairs[i+1]})
	}
	return h
}

// order makes the order of a hold, created a minute after t0, with a
// payment deadline fifteen minutes after that.
func (sh shop) order(h purchase.Hold) purchase.Order {
	o := purchase.Order{
		ID:        id.NewOrdered("ord"),
		HoldID:    h.ID,
		BuyerID:   h.BuyerID,
		EventID:   h.EventID,
		Status:    purchase.StatusPendingPayment,
		CreatedAt: t0.Add(time.Minute),
		ExpiresAt: t0.Add(16 * time.Minute),
	}
	for _, l := range h.Lines {
		price := catalog.Money{Amount: 4_950, Currency: "EUR"}
		o.Lines = append(o.Lines, purchase.OrderLine{TicketTypeID: l.TicketTypeID, Quantity: l.Quantity, UnitPrice: price})
		o.Total.Currency = "EUR"
		o.Total.Amount += price.Amount * int64(l.Quantity)
	}
	return o
}

// counts fails the test unless a ticket type's counters are as wanted.
func counts(t *testing.T, s purchase.Store, ticketTypeID string, wantSold, wantHeld int) {
	t.Helper()
	sold, held, err := s.Counts(t.Context(), ticketTypeID)
	must(t, "Counts", err)
	if sold != wantSold || held != wantHeld {
		t.Errorf("Counts(%s) = sold %d, held %d; want sold %d, held %d", ticketTypeID, sold, held, wantSold, wantHeld)
	}
}

func reserve(t *testing.T, s purchase.Store, h purchase.Hold, l purchase.Limits) {
	t.Helper()
	must(t, "Reserve "+h.ID, s.Reserve(t.Context(), h, l))
}

// gone fails the test unless the hold does not exist.
func gone(t *testing.T, s purchase.Store, holdID string) {
	t.Helper()
	_, err := s.Hold(t.Context(), holdID)
	is(t, "Hold of a refused reservation", err, purchase.ErrNotFound)
}

func holdStatus(t *testing.T, s purchase.Store, holdID string, want purchase.HoldStatus) purchase.Hold {
	t.Helper()
	h, err := s.Hold(t.Context(), holdID)
	must(t, "Hold", err)
	if h.Status != want {
		t.Errorf("hold %s is %s, want %s", holdID, h.Status, want)
	}
	return h
}

func testReserveRoundTrip(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 10, 20)
	h := sh.hold(0, 2, 1, 5)
	h.CreatedAt, h.ExpiresAt = when(0), when(0).Add(10*time.Minute) // not UTC, with nanoseconds
	h.Status, h.OrderID = purchase.HoldOrdered, "ord_ignored"       // the store decides
	reserve(t, s, h, sh.limits(0))

	want := h
	want.Status, want.OrderID = purchase.HoldActive, ""
	want.CreatedAt, want.ExpiresAt = stored(h.CreatedAt), stored(h.ExpiresAt)
	got, err := s.Hold(ctx, h.ID)
	must(t, "Hold", err)
	equal(t, "Hold", got, want)
	counts(t, s, sh.types[0].ID, 0, 2)
	counts(t, s, sh.types[1].ID, 0, 5)
	taken, err := s.Taken(ctx, sh.event.ID)
	must(t, "Taken", err)
	equal(t, "Taken", taken, map[string]int{sh.types[0].ID: 2, sh.types[1].ID: 5})

	_, err = s.Hold(ctx, id.New("hld"))
	is(t, "Hold of an unknown id", err, purchase.ErrNotFound)
}

func testReserveSoldOut(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 5, 2)
	reserve(t, s, sh.hold(0, 3, 1, 1), sh.limits(0))

	// The first line fits, the second does not: nothing of either is
	// taken.
	h := sh.hold(0, 2, 1, 2)
	err := s.Reserve(ctx, h, sh.limits(0))
	is(t, "Reserve past capacity", err, purchase.ErrSoldOut)
	if err != nil && !strings.Contains(err.Error(), sh.types[1].ID) {
		t.Errorf("sold-out error %q does not name ticket type %s", err, sh.types[1].ID)
	}
	gone(t, s, h.ID)
	counts(t, s, sh.types[0].ID, 0, 3)
	counts(t, s, sh.types[1].ID, 0, 1)

	// Exactly what is left fits.
	reserve(t, s, sh.hold(0, 2, 1, 1), sh.limits(0))
	counts(t, s, sh.types[0].ID, 0, 5)
	counts(t, s, sh.types[1].ID, 0, 2)
	h = sh.hold(0, 1)
	is(t, "Reserve of a full type", s.Reserve(ctx, h, sh.limits(0)), purchase.ErrSoldOut)
	gone(t, s, h.ID)
}

func testReservePerOrderLimit(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 100)
	l := sh.limits(0)
	tl := l.Types[sh.types[0].ID]
	tl.PerOrderMax = 4
	l.Types[sh.types[0].ID] = tl

	h := sh.hold(0, 5)
	is(t, "Reserve over the per-order maximum", s.Reserve(ctx, h, l), purchase.ErrInvalid)
	gone(t, s, h.ID)
	counts(t, s, sh.types[0].ID, 0, 0)
	reserve(t, s, sh.hold(0, 4), l)
	counts(t, s, sh.types[0].ID, 0, 4)
}

func testReserveInvalid(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 100, 100)
	tests := []struct {
		name   string
		change func(h *purchase.Hold, l *purchase.Limits)
		want   error
	}{
		{"no lines", func(h *purchase.Hold, _ *purchase.Limits) { h.Lines = nil }, purchase.ErrInvalid},
		{"too many lines", func(h *purchase.Hold, _ *purchase.Limits) {
			for range purchase.MaxLines {
				h.Lines = append(h.Lines, h.Lines[0])
			}
		}, purchase.ErrInvalid},
		{"type twice", func(h *purchase.Hold, _ *purchase.Limits) { h.Lines = append(h.Lines, h.Lines[0]) }, purchase.ErrInvalid},
		{"zero quantity", func(h *purchase.Hold, _ *purchase.Limits) { h.Lines[0].Quantity = 0 }, purchase.ErrInvalid},
		{"negative quantity", func(h *purchase.Hold, _ *purchase.Limits) { h.Lines[0].Quantity = -3 }, purchase.ErrInvalid},
		{"type without limits", func(_ *purchase.Hold, l *purchase.Limits) { delete(l.Types, sh.types[0].ID) }, purchase.ErrInvalid},
		{"no id", func(h *purchase.Hold, _ *purchase.Limits) { h.ID = "" }, purchase.ErrInvalid},
		{"no buyer", func(h *purchase.Hold, _ *purchase.Limits) { h.BuyerID = "" }, purchase.ErrInvalid},
		{"expires at creation", func(h *purchase.Hold, _ *purchase.Limits) { h.ExpiresAt = h.CreatedAt }, purchase.ErrInvalid},
		{"unknown event", func(h *purchase.Hold, _ *purchase.Limits) { h.EventID = "ev_00000000000000ff" }, purchase.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, l := sh.hold(0, 1, 1, 1), sh.limits(0)
			tt.change(&h, &l)
			is(t, "Reserve", s.Reserve(ctx, h, l), tt.want)
			if h.ID != "" {
				gone(t, s, h.ID)
			}
		})
	}
	counts(t, s, sh.types[0].ID, 0, 0)
	counts(t, s, sh.types[1].ID, 0, 0)

	h := sh.hold(0, 1)
	reserve(t, s, h, sh.limits(0))
	dup := sh.hold(1, 2)
	dup.ID = h.ID
	is(t, "Reserve of a taken id", s.Reserve(ctx, dup, sh.limits(0)), purchase.ErrConflict)
	counts(t, s, sh.types[0].ID, 0, 1)
	counts(t, s, sh.types[1].ID, 0, 0)
}

func testReserveEventCapacity(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 8, 8, 8)
	merch := newTicketType(sh.event.ID)
	merch.Kind, merch.Name, merch.Capacity = catalog.KindMerchandise, "T-shirt", 50
	merch, err := c.CreateTicketType(ctx, merch)
	must(t, "CreateTicketType", err)
	sh.types = append(sh.types, merch)
	l := sh.limits(10)

	reserve(t, s, sh.hold(0, 4, 3, 6), l) // merchandise does not share
	reserve(t, s, sh.hold(1, 4), l)
	h := sh.hold(2, 3)
	err = s.Reserve(ctx, h, l)
	is(t, "Reserve past the event capacity", err, purchase.ErrSoldOut)
	if err != nil && !strings.Contains(err.Error(), sh.event.ID) {
		t.Errorf("sold-out error %q does not name event %s", err, sh.event.ID)
	}
	gone(t, s, h.ID)
	reserve(t, s, sh.hold(2, 2, 3, 6), l)
	counts(t, s, sh.types[2].ID, 0, 2)
	counts(t, s, merch.ID, 0, 12)

	// Without an event capacity only each type's own counts.
	reserve(t, s, sh.hold(2, 3), sh.limits(0))
	counts(t, s, sh.types[2].ID, 0, 5)
}

func testReserveSweepsExpired(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 3, 5)
	old := sh.hold(0, 3, 1, 2)
	old.ExpiresAt = t0.Add(time.Minute)
	reserve(t, s, old, sh.limits(0))

	early := sh.hold(0, 1)
	early.CreatedAt, early.ExpiresAt = t0.Add(30*time.Second), t0.Add(time.Hour)
	is(t, "Reserve while the old hold is active", s.Reserve(ctx, early, sh.limits(0)), purchase.ErrSoldOut)
	holdStatus(t, s, old.ID, purchase.HoldActive)

	late := sh.hold(0, 2)
	late.CreatedAt, late.ExpiresAt = t0.Add(2*time.Minute), t0.Add(time.Hour)
	reserve(t, s, late, sh.limits(0))
	holdStatus(t, s, old.ID, purchase.HoldExpired)
	counts(t, s, sh.types[0].ID, 0, 2)
	// The expired hold's other line came back too.
	counts(t, s, sh.types[1].ID, 0, 0)
	n, err := s.ExpireHolds(ctx, t0.Add(2*time.Minute))
	must(t, "ExpireHolds", err)
	equal(t, "ended after the reservation's sweep", n, 0)
}

func testRelease(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 10, 10)
	h := sh.hold(0, 3, 1, 4)
	l := sh.limits(10)
	reserve(t, s, h, l)
	is(t, "Reserve past the event capacity", s.Reserve(ctx, sh.hold(0, 4), l), purchase.ErrSoldOut)
	must(t, "Release", s.Release(ctx, h.ID))
	holdStatus(t, s, h.ID, purchase.HoldReleased)
	counts(t, s, sh.types[0].ID, 0, 0)
	counts(t, s, sh.types[1].ID, 0, 0)
	must(t, "Release again", s.Release(ctx, h.ID))
	counts(t, s, sh.types[0].ID, 0, 0)
	// The event capacity came back too.
	reserve(t, s, sh.hold(0, 6, 1, 4), l)

	is(t, "Release of an unknown hold", s.Release(ctx, id.New("hld")), purchase.ErrNotFound)
	// A released hold never expires later.
	n, err := s.ExpireHolds(ctx, t0.Add(time.Hour))
	must(t, "ExpireHolds", err)
	equal(t, "holds expired", n, 1)
	holdStatus(t, s, h.ID, purchase.HoldReleased)
}

func testExpireHolds(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 10)
	a, b := sh.hold(0, 2), sh.hold(0, 3)
	b.ExpiresAt = t0.Add(20 * time.Minute)
	reserve(t, s, a, sh.limits(0))
	reserve(t, s, b, sh.limits(0))

	n, err := s.ExpireHolds(ctx, t0.Add(5*time.Minute))
	must(t, "ExpireHolds before any expiry", err)
	equal(t, "holds expired at +5m", n, 0)
	counts(t, s, sh.types[0].ID, 0, 5)

	n, err = s.ExpireHolds(ctx, a.ExpiresAt) // due at exactly its expiry
	must(t, "ExpireHolds", err)
	equal(t, "holds expired at +10m", n, 1)
	holdStatus(t, s, a.ID, purchase.HoldExpired)
	holdStatus(t, s, b.ID, purchase.HoldActive)
	counts(t, s, sh.types[0].ID, 0, 3)
	is(t, "CreateOrder of an expired hold", s.CreateOrder(ctx, sh.order(a)), purchase.ErrExpired)
	must(t, "Release of an expired hold", s.Release(ctx, a.ID))

	n, err = s.ExpireHolds(ctx, t0.Add(time.Hour))
	must(t, "ExpireHolds", err)
	equal(t, "holds expired at +1h", n, 1)
	n, err = s.ExpireHolds(ctx, t0.Add(time.Hour))
	must(t, "ExpireHolds again", err)
	equal(t, "holds expired again", n, 0)
	counts(t, s, sh.types[0].ID, 0, 0)
}

func testOrderLifecycle(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 10, 10)
	h := sh.hold(0, 2, 1, 1)
	reserve(t, s, h, sh.limits(0))
	o := sh.order(h)
	o.CreatedAt, o.ExpiresAt = when(0).Add(time.Minute), when(0).Add(16*time.Minute) // not UTC
	o.Status, o.PaymentIntentID = purchase.StatusPaid, "pi_ignored"                  // the store decides
	must(t, "CreateOrder", s.CreateOrder(ctx, o))

	want := o
	want.Status, want.PaymentIntentID = purchase.StatusPendingPayment, ""
	want.CreatedAt, want.ExpiresAt = stored(o.CreatedAt), stored(o.ExpiresAt)
	got, err := s.Order(ctx, o.ID)
	must(t, "Order", err)
	equal(t, "Order", got, want)
	hh := holdStatus(t, s, h.ID, purchase.HoldOrdered)
	equal(t, "hold's order id", hh.OrderID, o.ID)
	counts(t, s, sh.types[0].ID, 2, 0)
	counts(t, s, sh.types[1].ID, 1, 0)
	taken, err := s.Taken(ctx, sh.event.ID)
	must(t, "Taken", err)
	equal(t, "Taken after the order", taken, map[string]int{sh.types[0].ID: 2, sh.types[1].ID: 1})

	again := sh.order(h)
	is(t, "second CreateOrder of one hold", s.CreateOrder(ctx, again), purchase.ErrConflict)
	_, err = s.Order(ctx, again.ID)
	is(t, "Order of the refused second order", err, purchase.ErrNotFound)
	is(t, "Release of an ordered hold", s.Release(ctx, h.ID), purchase.ErrState)

	paidAt := when(0).Add(2 * time.Minute)
	paid, err := s.MarkPaid(ctx, o.ID, "pi_1", paidAt, nil)
	must(t, "MarkPaid", err)
	want.Status, want.PaymentIntentID, want.PaidAt = purchase.StatusPaid, "pi_1", stored(paidAt)
	equal(t, "MarkPaid", paid, want)
	paid, err = s.MarkPaid(ctx, o.ID, "pi_1", paidAt.Add(time.Minute), nil)
	must(t, "MarkPaid again", err)
	equal(t, "MarkPaid again (idempotent)", paid, want)
	_, err = s.MarkPaid(ctx, o.ID, "pi_2", paidAt, nil)
	is(t, "MarkPaid with another intent", err, purchase.ErrConflict)
	got, err = s.Order(ctx, o.ID)
	must(t, "Order", err)
	equal(t, "Order after MarkPaid", got, want)
	counts(t, s, sh.types[0].ID, 2, 0)

	_, err = s.CancelOrder(ctx, o.ID, paidAt)
	is(t, "CancelOrder of a paid order", err, purchase.ErrState)
	refundedAt := when(1)
	refunded, err := s.Refund(ctx, o.ID, refundedAt)
	must(t, "Refund", err)
	want.Status, want.RefundedAt = purchase.StatusRefunded, stored(refundedAt)
	equal(t, "Refund", refunded, want)
	counts(t, s, sh.types[0].ID, 0, 0)
	counts(t, s, sh.types[1].ID, 0, 0)
	refunded, err = s.Refund(ctx, o.ID, refundedAt.Add(time.Hour))
	must(t, "Refund again", err)
	equal(t, "Refund again (idempotent)", refunded, want)
	counts(t, s, sh.types[0].ID, 0, 0)
	_, err = s.MarkPaid(ctx, o.ID, "pi_1", refundedAt, nil)
	is(t, "MarkPaid of a refunded order", err, purchase.ErrState)

	for _, fn := range []func() error{
		func() error {
			_, err := s.MarkPaid(ctx, "ord_000000000000000000000404", "pi_1", paidAt, nil)
			return err
		},
		func() error { _, err := s.Refund(ctx, "ord_000000000000000000000404", paidAt); return err },
		func() error { _, err := s.CancelOrder(ctx, "ord_000000000000000000000404", paidAt); return err },
		func() error { _, err := s.Order(ctx, "ord_000000000000000000000404"); return err },
	} {
		is(t, "an unknown order", fn(), purchase.ErrNotFound)
	}
}

func testOrderErrors(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 10, 10)
	h := sh.hold(0, 2, 1, 1)
	reserve(t, s, h, sh.limits(0))
	other := newShop(t, c, 10, 10)
	tests := []struct {
		name   string
		change func(o *purchase.Order)
		want   error
	}{
		{"unknown hold", func(o *purchase.Order) { o.HoldID = id.New("hld") }, purchase.ErrNotFound},
		{"other buyer", func(o *purchase.Order) { o.BuyerID = "usr_000000000000000000000b02" }, purchase.ErrInvalid},
		// The event is the hold's; one the order names otherwise, stored
		// or not, or none, is refused and moves no counter.
		{"other event", func(o *purchase.Order) { o.EventID = other.event.ID }, purchase.ErrInvalid},
		{"unknown event", func(o *purchase.Order) { o.EventID = "ev_00000000000000ff" }, purchase.ErrInvalid},
		{"no event", func(o *purchase.Order) { o.EventID = "" }, purchase.ErrInvalid},
		{"other quantity", func(o *purchase.Order) { o.Lines[1].Quantity = 2 }, purchase.ErrInvalid},
		{"line missing", func(o *purchase.Order) { o.Lines = o.Lines[:1] }, purchase.ErrInvalid},
		{"lines swapped", func(o *purchase.Order) { o.Lines[0], o.Lines[1] = o.Lines[1], o.Lines[0] }, purchase.ErrInvalid},
		{"at expiry", func(o *purchase.Order) { o.CreatedAt, o.ExpiresAt = h.ExpiresAt, h.ExpiresAt.Add(time.Hour) }, purchase.ErrExpired},
		{"deadline not after creation", func(o *purchase.Order) { o.ExpiresAt = o.CreatedAt }, purchase.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := sh.order(h)
			tt.change(&o)
			is(t, "CreateOrder", s.CreateOrder(ctx, o), tt.want)
			_, err := s.Order(ctx, o.ID)
			is(t, "Order of a refused order", err, purchase.ErrNotFound)
		})
	}
	holdStatus(t, s, h.ID, purchase.HoldActive)
	counts(t, s, sh.types[0].ID, 0, 2)
	counts(t, s, other.types[0].ID, 0, 0)

	must(t, "Release", s.Release(ctx, h.ID))
	is(t, "CreateOrder of a released hold", s.CreateOrder(ctx, sh.order(h)), purchase.ErrState)
	counts(t, s, sh.types[0].ID, 0, 0)

	// An order id is taken once.
	h1, h2 := sh.hold(0, 1), sh.hold(0, 1)
	reserve(t, s, h1, sh.limits(0))
	reserve(t, s, h2, sh.limits(0))
	o1 := sh.order(h1)
	must(t, "CreateOrder", s.CreateOrder(ctx, o1))
	o2 := sh.order(h2)
	o2.ID = o1.ID
	is(t, "CreateOrder with a taken id", s.CreateOrder(ctx, o2), purchase.ErrConflict)
	holdStatus(t, s, h2.ID, purchase.HoldActive)
	counts(t, s, sh.types[0].ID, 1, 1)
}

func testOrderCancel(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 10)
	h := sh.hold(0, 4)
	reserve(t, s, h, sh.limits(0))
	o := sh.order(h)
	must(t, "CreateOrder", s.CreateOrder(ctx, o))
	_, err := s.Refund(ctx, o.ID, t0)
	is(t, "Refund of an unpaid order", err, purchase.ErrState)

	at := t0.Add(3 * time.Minute)
	got, err := s.CancelOrder(ctx, o.ID, at)
	must(t, "CancelOrder", err)
	equal(t, "status", got.Status, purchase.StatusCancelled)
	equal(t, "CancelledAt", got.CancelledAt, at)
	counts(t, s, sh.types[0].ID, 0, 0)
	got, err = s.CancelOrder(ctx, o.ID, at.Add(time.Minute))
	must(t, "CancelOrder again", err)
	equal(t, "CancelledAt after a second cancel", got.CancelledAt, at)
	counts(t, s, sh.types[0].ID, 0, 0)
	_, err = s.MarkPaid(ctx, o.ID, "pi_late", at, nil)
	is(t, "MarkPaid of a cancelled order", err, purchase.ErrState)
	n, err := s.ExpireHolds(ctx, t0.Add(time.Hour))
	must(t, "ExpireHolds", err)
	equal(t, "ended by ExpireHolds after the cancel", n, 0)
	counts(t, s, sh.types[0].ID, 0, 0)
}

func testExpirePaidOrderKept(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 10)
	paidHold, unpaidHold := sh.hold(0, 3), sh.hold(0, 2)
	reserve(t, s, paidHold, sh.limits(0))
	reserve(t, s, unpaidHold, sh.limits(0))
	paid, unpaid := sh.order(paidHold), sh.order(unpaidHold)
	must(t, "CreateOrder", s.CreateOrder(ctx, paid))
	must(t, "CreateOrder", s.CreateOrder(ctx, unpaid))
	_, err := s.MarkPaid(ctx, paid.ID, "pi_1", t0.Add(2*time.Minute), nil)
	must(t, "MarkPaid", err)
	counts(t, s, sh.types[0].ID, 5, 0)

	// Past the holds' expiry, before the payment deadline: nothing ends.
	n, err := s.ExpireHolds(ctx, t0.Add(12*time.Minute))
	must(t, "ExpireHolds", err)
	equal(t, "ended at +12m", n, 0)
	counts(t, s, sh.types[0].ID, 5, 0)

	// Past the payment deadline: the unpaid order is cancelled, the paid
	// one stays.
	n, err = s.ExpireHolds(ctx, t0.Add(24*time.Hour))
	must(t, "ExpireHolds", err)
	equal(t, "ended at +24h", n, 1)
	got, err := s.Order(ctx, paid.ID)
	must(t, "Order", err)
	equal(t, "paid order's status", got.Status, purchase.StatusPaid)
	got, err = s.Order(ctx, unpaid.ID)
	must(t, "Order", err)
	equal(t, "unpaid order's status", got.Status, purchase.StatusCancelled)
	equal(t, "unpaid order's CancelledAt", got.CancelledAt, t0.Add(24*time.Hour))
	counts(t, s, sh.types[0].ID, 3, 0)
	holdStatus(t, s, paidHold.ID, purchase.HoldOrdered)

	n, err = s.ExpireHolds(ctx, t0.Add(365*24*time.Hour))
	must(t, "ExpireHolds a year later", err)
	equal(t, "ended a year later", n, 0)
	counts(t, s, sh.types[0].ID, 3, 0)

	// A payment that arrives after the deadline but before the sweep
	// still counts.
	late := sh.hold(0, 1)
	reserve(t, s, late, sh.limits(0))
	lateOrder := sh.order(late)
	must(t, "CreateOrder", s.CreateOrder(ctx, lateOrder))
	_, err = s.MarkPaid(ctx, lateOrder.ID, "pi_2", t0.Add(time.Hour), nil)
	must(t, "MarkPaid past the deadline", err)
	n, err = s.ExpireHolds(ctx, t0.Add(2*time.Hour))
	must(t, "ExpireHolds", err)
	equal(t, "ended after a late payment", n, 0)
	counts(t, s, sh.types[0].ID, 4, 0)
}

func testIdempotency(t *testing.T, s purchase.Store, _ catalog.Store) {
	ctx := t.Context()
	key := "usr_000000000000000000000b01 " + id.New("idem")
	_, _, err := s.Idempotent(ctx, key)
	is(t, "Idempotent of a new key", err, purchase.ErrNotFound)

	first := []byte(`{"id":"hld_1"}`)
	existing, conflict, err := s.PutIdempotent(ctx, key, "hash-a", first)
	must(t, "PutIdempotent", err)
	if existing != nil || conflict {
		t.Errorf("PutIdempotent of a new key = %q, %v; want nil, false", existing, conflict)
	}
	hash, resp, err := s.Idempotent(ctx, key)
	must(t, "Idempotent", err)
	equal(t, "stored hash", hash, "hash-a")
	equal(t, "stored response", string(resp), string(first))

	existing, conflict, err = s.PutIdempotent(ctx, key, "hash-a", []byte(`{"id":"hld_2"}`))
	must(t, "PutIdempotent replay", err)
	if string(existing) != string(first) || conflict {
		t.Errorf("PutIdempotent replay = %q, %v; want %q, false", existing, conflict, first)
	}
	existing, conflict, err = s.PutIdempotent(ctx, key, "hash-b", []byte(`{"id":"hld_3"}`))
	must(t, "PutIdempotent with another request", err)
	if !conflict || string(existing) != string(first) {
		t.Errorf("PutIdempotent with another request = %q, %v; want %q, true", existing, conflict, first)
	}
	_, resp, err = s.Idempotent(ctx, key)
	must(t, "Idempotent", err)
	equal(t, "response after replay and conflict", string(resp), string(first))

	// Concurrent first writers: exactly one wins, the others get its
	// response.
	key = id.New("idem")
	var wins atomic.Int32
	var wg gosync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			existing, conflict, err := s.PutIdempotent(ctx, key, "h", fmt.Appendf(nil, "%d", i))
			switch {
			case err != nil:
				t.Errorf("concurrent PutIdempotent: %v", err)
			case conflict:
				t.Errorf("concurrent PutIdempotent with one hash reported a conflict")
			case existing == nil:
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	equal(t, "first writers", wins.Load(), int32(1))
}

// idemRecord is an idempotency record with a fresh key.
func idemRecord(hash, response string) *purchase.Idempotency {
	return &purchase.Idempotency{Key: "usr_000000000000000000000b01 " + id.New("idem"), RequestHash: hash, Response: []byte(response)}
}

// replayedWith fails the test unless err is *purchase.Replayed holding
// want.
func replayedWith(t *testing.T, what string, err error, want *purchase.Idempotency) {
	t.Helper()
	var r *purchase.Replayed
	if !errors.As(err, &r) {
		t.Errorf("%s: error %v, want *purchase.Replayed", what, err)
		return
	}
	is(t, what, err, purchase.ErrConflict)
	equal(t, what+": stored record", r.Stored, *want)
}

// testIdempotencyWithHold: a hold's record is stored with it, and only
// with it; its key, stored, refuses another hold before anything else.
func testIdempotencyWithHold(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 3)
	rec := idemRecord("hash-h", `{"status":201,"body":{"id":"hld_1"}}`)
	h := sh.hold(0, 2)
	h.Idempotency = rec
	reserve(t, s, h, sh.limits(0))
	hash, resp, err := s.Idempotent(ctx, rec.Key)
	must(t, "Idempotent of a hold's key", err)
	equal(t, "stored hash", hash, rec.RequestHash)
	equal(t, "stored response", string(resp), string(rec.Response))
	got, err := s.Hold(ctx, h.ID)
	must(t, "Hold", err)
	equal(t, "Hold read back has no record", got.Idempotency, (*purchase.Idempotency)(nil))

	// The same key again, for the same request or another, even one that
	// would not fit: the stored record, and nothing stored.
	for _, again := range []struct {
		what  string
		hash  string
		pairs []int
	}{{"retry", "hash-h", []int{0, 1}}, {"other request", "hash-x", []int{0, 1}}, {"would not fit", "hash-h", []int{0, 3}}} {
		h2 := sh.hold(again.pairs...)
		h2.Idempotency = &purchase.Idempotency{Key: rec.Key, RequestHash: again.hash, Response: []byte(`{"id":"hld_2"}`)}
		replayedWith(t, "Reserve with a stored key ("+again.what+")", s.Reserve(ctx, h2, sh.limits(0)), rec)
		gone(t, s, h2.ID)
	}
	counts(t, s, sh.types[0].ID, 0, 2)

	// A refused reservation stores no record: a retry runs again.
	over := sh.hold(0, 2)
	over.Idempotency = idemRecord("hash-o", `{}`)
	is(t, "Reserve past capacity", s.Reserve(ctx, over, sh.limits(0)), purchase.ErrSoldOut)
	_, _, err = s.Idempotent(ctx, over.Idempotency.Key)
	is(t, "Idempotent of a refused hold's key", err, purchase.ErrNotFound)

	// A record PutIdempotent stored counts too.
	put := idemRecord("hash-p", `{"p":1}`)
	_, _, err = s.PutIdempotent(ctx, put.Key, put.RequestHash, put.Response)
	must(t, "PutIdempotent", err)
	h3 := sh.hold(0, 1)
	h3.Idempotency = &purchase.Idempotency{Key: put.Key, RequestHash: "hash-p", Response: []byte(`{}`)}
	replayedWith(t, "Reserve with a key PutIdempotent stored", s.Reserve(ctx, h3, sh.limits(0)), put)
	gone(t, s, h3.ID)

	// Bad records are refused and store nothing.
	for _, bad := range []*purchase.Idempotency{
		{Key: "", RequestHash: "h"},
		{Key: "k " + id.New("idem"), RequestHash: ""},
		{Key: "k " + id.New("idem"), RequestHash: "h", Response: make([]byte, purchase.MaxIdempotencyResponse+1)},
	} {
		hb := sh.hold(0, 1)
		hb.Idempotency = bad
		is(t, "Reserve with a bad record", s.Reserve(ctx, hb, sh.limits(0)), purchase.ErrInvalid)
		gone(t, s, hb.ID)
	}
	counts(t, s, sh.types[0].ID, 0, 2)
}

// testIdempotencyWithOrder: an order's record is stored with it; its
// key, stored, refuses another order before anything else.
func testIdempotencyWithOrder(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 5)
	h1, h2 := sh.hold(0, 2), sh.hold(0, 1)
	reserve(t, s, h1, sh.limits(0))
	reserve(t, s, h2, sh.limits(0))
	rec := idemRecord("hash-o", `{"status":201,"body":{"id":"ord_1"}}`)
	o := sh.order(h1)
	o.Idempotency = rec
	must(t, "CreateOrder with a record", s.CreateOrder(ctx, o))
	hash, resp, err := s.Idempotent(ctx, rec.Key)
	must(t, "Idempotent of an order's key", err)
	equal(t, "stored hash", hash, rec.RequestHash)
	equal(t, "stored response", string(resp), string(rec.Response))
	got, err := s.Order(ctx, o.ID)
	must(t, "Order", err)
	equal(t, "Order read back has no record", got.Idempotency, (*purchase.Idempotency)(nil))

	// A retry of the same order (its hold is ordered now) and another
	// order with the key: the record, nothing changed.
	retry := sh.order(h1)
	retry.Idempotency = &purchase.Idempotency{Key: rec.Key, RequestHash: "hash-o", Response: []byte(`{}`)}
	replayedWith(t, "CreateOrder retried", s.CreateOrder(ctx, retry), rec)
	other := sh.order(h2)
	other.Idempotency = &purchase.Idempotency{Key: rec.Key, RequestHash: "hash-y", Response: []byte(`{}`)}
	replayedWith(t, "CreateOrder of another hold with the key", s.CreateOrder(ctx, other), rec)
	for _, id := range []string{retry.ID, other.ID} {
		_, err := s.Order(ctx, id)
		is(t, "Order refused with a stored key", err, purchase.ErrNotFound)
	}
	holdStatus(t, s, h2.ID, purchase.HoldActive)
	counts(t, s, sh.types[0].ID, 2, 1)

	// A refused order stores no record.
	late := sh.order(h2)
	late.CreatedAt, late.ExpiresAt = h2.ExpiresAt, h2.ExpiresAt.Add(time.Hour)
	late.Idempotency = idemRecord("hash-l", `{}`)
	is(t, "CreateOrder of an expired hold", s.CreateOrder(ctx, late), purchase.ErrExpired)
	_, _, err = s.Idempotent(ctx, late.Idempotency.Key)
	is(t, "Idempotent of a refused order's key", err, purchase.ErrNotFound)
	counts(t, s, sh.types[0].ID, 2, 1)
}

// testConcurrentIdempotentReserve: concurrent reservations with one key
// make one hold; every other is answered with its record.
func testConcurrentIdempotentReserve(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh := newShop(t, c, 1000)
	key := "usr_000000000000000000000b01 " + id.New("idem")
	holds := make([]purchase.Hold, workers)
	errs := make([]error, workers)
	var wg gosync.WaitGroup
	for i := range workers {
		holds[i] = sh.hold(0, 1)
		holds[i].Idempotency = &purchase.Idempotency{Key: key, RequestHash: "h", Response: []byte(holds[i].ID)}
		wg.Go(func() { errs[i] = s.Reserve(ctx, holds[i], sh.limits(0)) })
	}
	wg.Wait()
	var won []int
	for i, err := range errs {
		var r *purchase.Replayed
		switch {
		case err == nil:
			won = append(won, i)
		case !errors.As(err, &r):
			t.Errorf("concurrent Reserve with one key: %v", err)
		}
	}
	if len(won) != 1 {
		t.Fatalf("%d of %d concurrent reservations with one key made a hold, want 1", len(won), workers)
	}
	winner := holds[won[0]]
	for i, err := range errs {
		var r *purchase.Replayed
		if errors.As(err, &r) && string(r.Stored.Response) != winner.ID {
			t.Errorf("reservation %d replayed %q, want the stored hold %s", i, r.Stored.Response, winner.ID)
		}
		if i != won[0] {
			gone(t, s, holds[i].ID)
		}
	}
	counts(t, s, sh.types[0].ID, 0, 1)
}

func testTaken(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	taken, err := s.Taken(ctx, "ev_00000000000000ff")
	must(t, "Taken of an unknown event", err)
	equal(t, "Taken of an unknown event", taken, map[string]int{})
	sold, held, err := s.Counts(ctx, id.New("tt"))
	must(t, "Counts of an unknown type", err)
	if sold != 0 || held != 0 {
		t.Errorf("Counts of an unknown type = %d, %d; want 0, 0", sold, held)
	}

	a, b := newShop(t, c, 10, 10), newShop(t, c, 10)
	h := a.hold(0, 1)
	reserve(t, s, h, a.limits(0))
	reserve(t, s, a.hold(1, 2), a.limits(0))
	reserve(t, s, b.hold(0, 3), b.limits(0))
	must(t, "Release", s.Release(ctx, h.ID))
	taken, err = s.Taken(ctx, a.event.ID)
	must(t, "Taken", err)
	equal(t, "Taken of the first event", taken, map[string]int{a.types[1].ID: 2})
	taken, err = s.Taken(ctx, b.event.ID)
	must(t, "Taken", err)
	equal(t, "Taken of the second event", taken, map[string]int{b.types[0].ID: 3})
}

// race starts n goroutines that each try to reserve hold(i), and returns
// how many succeeded; any error but ErrSoldOut fails the test.
func race(t *testing.T, s purchase.Store, n int, reserve func(ctx context.Context, i int) error) int {
	t.Helper()
	ctx := t.Context()
	var ok atomic.Int32
	var wg gosync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			err := reserve(ctx, i)
			switch {
			case err == nil:
				ok.Add(1)
			case !errors.Is(err, purchase.ErrSoldOut):
				t.Errorf("concurrent Reserve: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	return int(ok.Load())
}

func testConcurrentReserve(t *testing.T, s purchase.Store, c catalog.Store) {
	sh := newShop(t, c, 50)
	l := sh.limits(0)
	got := race(t, s, 200, func(ctx context.Context, _ int) error {
		return s.Reserve(ctx, sh.hold(0, 1), l)
	})
	equal(t, "reservations that succeeded", got, 50)
	counts(t, s, sh.types[0].ID, 0, 50)
	taken, err := s.Taken(t.Context(), sh.event.ID)
	must(t, "Taken", err)
	equal(t, "Taken", taken, map[string]int{sh.types[0].ID: 50})
}

func testConcurrentEventCapacity(t *testing.T, s purchase.Store, c catalog.Store) {
	sh := newShop(t, c, 100, 100, 100)
	l := sh.limits(60)
	got := race(t, s, 300, func(ctx context.Context, i int) error {
		return s.Reserve(ctx, sh.hold(i%3, 1), l)
	})
	equal(t, "reservations that succeeded", got, 60)
	taken, err := s.Taken(t.Context(), sh.event.ID)
	must(t, "Taken", err)
	total := 0
	for _, tt := range sh.types {
		_, held, err := s.Counts(t.Context(), tt.ID)
		must(t, "Counts", err)
		equal(t, "Taken agrees with Counts for "+tt.ID, taken[tt.ID], held)
		total += held
	}
	equal(t, "held over the three types", total, 60)
}

// testConcurrentReserveRelease reserves, releases and orders at once; the
// counters must end equal to what the surviving holds and orders add up
// to.
func testConcurrentReserveRelease(t *testing.T, s purchase.Store, c catalog.Store) {
	sh := newShop(t, c, 30)
	l := sh.limits(0)
	var mu gosync.Mutex
	held, sold := 0, 0
	race(t, s, 60, func(ctx context.Context, i int) error {
		h := sh.hold(0, 1+i%2)
		if err := s.Reserve(ctx, h, l); err != nil {
			return err
		}
		switch i % 3 {
		case 0:
			if err := s.Release(ctx, h.ID); err != nil {
				return err
			}
		case 1:
			if err := s.CreateOrder(ctx, sh.order(h)); err != nil {
				return err
			}
			mu.Lock()
			sold += h.Lines[0].Quantity
			mu.Unlock()
		default:
			mu.Lock()
			held += h.Lines[0].Quantity
			mu.Unlock()
		}
		return nil
	})
	counts(t, s, sh.types[0].ID, sold, held)
	if sold+held > 30 {
		t.Errorf("sold %d + held %d is more than the capacity 30", sold, held)
	}
}

// BenchReserve measures reservations per second: b.RunParallel with 64
// goroutines per CPU, each reserving one ticket at a time of one type
// whose capacity never runs out. reserve is the store's Reserve, or a
// variant to compare it with.
func BenchReserve(b *testing.B, c catalog.Store, reserve func(ctx context.Context, h purchase.Hold, l purchase.Limits) error) {
	ctx := b.Context()
	o := newOrg()
	v := newVenue(o.ID)
	e := newEvent(o.ID, v.ID)
	tt := newTicketType(e.ID)
	tt.Capacity = catalog.MaxCapacity
	for _, err := range []error{c.CreateOrg(ctx, o), c.CreateVenue(ctx, v), c.CreateEvent(ctx, e)} {
		if err != nil {
			b.Fatal(err)
		}
	}
	tt, err := c.CreateTicketType(ctx, tt)
	if err != nil {
		b.Fatal(err)
	}
	sh := shop{event: e, types: []catalog.TicketType{tt}}
	l := sh.limits(0)
	tl := l.Types[tt.ID]
	tl.Capacity = 1 << 40
	l.Types[tt.ID] = tl
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := reserve(ctx, sh.hold(0, 1), l); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reservations/s")
}
