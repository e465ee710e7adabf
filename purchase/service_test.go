package purchase_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testclock"

	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/storage/bolt"
	"github.com/admitone/admitone/vault"
)

// t0 is the tests' "now".
var t0 = time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)

const buyer = "usr_000000000000000000000b01"

// shop is a purchase service over bolt, with one published event whose
// types are named by the fields.
type shop struct {
	svc     *purchase.Service
	catalog *catalog.Service
	store   *bolt.DB
	clock   *testclock.Clock
	event   catalog.Event
	// standing: admission, capacity 10, 4 per order, 50.00 EUR.
	// seated: admission, capacity 10, 4 per order, 80.00 EUR.
	// shirt: merchandise, capacity 100, 5 per order, 25.00 EUR.
	// early: admission whose sale ended; late: admission whose sale has
	// not begun.
	standing, seated, shirt, early, late catalog.TicketType
	// other is a published event's type of another event.
	other catalog.TicketType
	// draft is an unpublished event.
	draft catalog.Event
	// changed records the events Changed was called with.
	mu      sync.Mutex
	changed []string
}

func newShop(t *testing.T) *shop {
	t.Helper()
	ctx := context.Background()
	db, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &shop{store: db, clock: testclock.New(t0)}
	s.catalog = &catalog.Service{Store: db, Now: s.clock.Now}
	var seal ticketcrypto.SealKey
	rand.Read(seal[:])
	s.svc = &purchase.Service{
		Store:   db,
		Catalog: s.catalog,
		Now:     s.clock.Now,
		Signer:  &vault.Vault{Store: db, Seal: &seal, Now: s.clock.Now},
		// Priced tickets sell only with a payment provider.
		Payments: payment.NewTestProvider(payment.TestConfig{Now: s.clock.Now}),
		Changed: func(eventID string) {
			s.mu.Lock()
			s.changed = append(s.changed, eventID)
			s.mu.Unlock()
			s.catalog.InvalidateAvailability(eventID)
		},
	}
	s.catalog.Inventory = s.svc

	org, err := s.catalog.CreateOrg(ctx, catalog.Organization{Name: "Tempo Konzerte"})
	must(t, err)
	venue, err := s.catalog.CreateVenue(ctx, catalog.Venue{OrgID: org.ID, Name: "Columbiahalle", City: "Berlin", Country: "DE"})
	must(t, err)
	newEvent := func() catalog.Event {
		e, err := s.catalog.CreateEvent(ctx, catalog.Event{
			OrgID: org.ID, VenueID: venue.ID, Title: "Metallica", Category: "music", TimeZone: "Europe/Berlin",
			StartsAt: t0.Add(30 * 24 * time.Hour), EndsAt: t0.Add(30*24*time.Hour + 3*time.Hour),
		})
		must(t, err)
		return e
	}
	addType := func(eventID, name string, kind catalog.Kind, price int64, capacity, perOrder int, starts, ends time.Time) catalog.TicketType {
		tt, err := s.catalog.CreateTicketType(ctx, catalog.TicketType{
			EventID: eventID, Name: name, Kind: kind, Price: catalog.Money{Amount: price, Currency: "EUR"},
			Capacity: capacity, PerOrderMax: perOrder, SaleStarts: starts, SaleEnds: ends,
		})
		must(t, err)
		return tt
	}
	s.event = newEvent()
	s.standing = addType(s.event.ID, "Standing", catalog.KindAdmission, 5000, 10, 4, time.Time{}, time.Time{})
	s.seated = addType(s.event.ID, "Seated", catalog.KindAdmission, 8000, 10, 4, time.Time{}, time.Time{})
	s.shirt = addType(s.event.ID, "Tour shirt", catalog.KindMerchandise, 2500, 100, 5, time.Time{}, time.Time{})
	s.early = addType(s.event.ID, "Early bird", catalog.KindAdmission, 3000, 10, 4, t0.Add(-48*time.Hour), t0.Add(-24*time.Hour))
	s.late = addType(s.event.ID, "Last minute", catalog.KindAdmission, 9000, 10, 4, t0.Add(24*time.Hour), time.Time{})
	_, err = s.catalog.Publish(ctx, s.event.ID)
	must(t, err)

	other := newEvent()
	s.other = addType(other.ID, "Standing", catalog.KindAdmission, 5000, 10, 4, time.Time{}, time.Time{})
	_, err = s.catalog.Publish(ctx, other.ID)
	must(t, err)

	s.draft = newEvent()
	addType(s.draft.ID, "Standing", catalog.KindAdmission, 5000, 10, 4, time.Time{}, time.Time{})
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func line(tt catalog.TicketType, q int) purchase.Line {
	return purchase.Line{TicketTypeID: tt.ID, Quantity: q}
}

// remaining is what availability says is left of a type.
func (s *shop) remaining(t *testing.T, tt catalog.TicketType) int {
	t.Helper()
	a, err := s.catalog.Availability(context.Background(), tt.EventID)
	must(t, err)
	for _, ta := range a.TicketTypes {
		if ta.TicketTypeID == tt.ID {
			return ta.Remaining
		}
	}
	t.Fatalf("availability lacks ticket type %s", tt.ID)
	return 0
}

func TestCreateHoldValidation(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	many := make([]purchase.Line, purchase.MaxLines+1)
	for i := range many {
		many[i] = line(s.standing, 1)
	}
	tests := []struct {
		name    string
		buyer   string
		eventID string
		lines   []purchase.Line
		want    error
		field   string // for ErrInvalid: the FieldError's field
	}{
		{"no buyer", "", s.event.ID, []purchase.Line{line(s.standing, 1)}, purchase.ErrInvalid, "buyer_id"},
		{"no lines", buyer, s.event.ID, nil, purchase.ErrInvalid, "lines"},
		{"too many lines", buyer, s.event.ID, many, purchase.ErrInvalid, "lines"},
		{"unknown type", buyer, s.event.ID, []purchase.Line{{TicketTypeID: "tt_000000000000000000000000", Quantity: 1}}, purchase.ErrInvalid, "lines[0].ticket_type_id"},
		{"type of another event", buyer, s.event.ID, []purchase.Line{line(s.standing, 1), line(s.other, 1)}, purchase.ErrInvalid, "lines[1].ticket_type_id"},
		{"type twice", buyer, s.event.ID, []purchase.Line{line(s.standing, 1), line(s.seated, 1), line(s.standing, 1)}, purchase.ErrInvalid, "lines[2].ticket_type_id"},
		{"zero quantity", buyer, s.event.ID, []purchase.Line{line(s.standing, 0)}, purchase.ErrInvalid, "lines[0].quantity"},
		{"negative quantity", buyer, s.event.ID, []purchase.Line{line(s.standing, -1)}, purchase.ErrInvalid, "lines[0].quantity"},
		{"over per-order maximum", buyer, s.event.ID, []purchase.Line{line(s.seated, 1), line(s.standing, 5)}, purchase.ErrInvalid, "lines[1].quantity"},
		{"unknown event", buyer, "ev_00000000000000ff", []purchase.Line{line(s.standing, 1)}, purchase.ErrNotFound, ""},
		{"draft event", buyer, s.draft.ID, []purchase.Line{line(s.standing, 1)}, purchase.ErrNotOnSale, ""},
		{"sale ended", buyer, s.event.ID, []purchase.Line{line(s.standing, 1), line(s.early, 1)}, purchase.ErrNotOnSale, ""},
		{"sale not begun", buyer, s.event.ID, []purchase.Line{line(s.late, 1)}, purchase.ErrNotOnSale, ""},
		{"admission and merchandise", buyer, s.event.ID, []purchase.Line{line(s.standing, 2), line(s.shirt, 5)}, nil, ""},
		{"merchandise alone", buyer, s.event.ID, []purchase.Line{line(s.shirt, 1)}, nil, ""},
		{"at the per-order maximum", buyer, s.event.ID, []purchase.Line{line(s.seated, 4)}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := s.svc.CreateHold(ctx, tt.buyer, tt.eventID, tt.lines)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("CreateHold = %v, want %v", err, tt.want)
			}
			if tt.field != "" {
				fe, ok := errors.AsType[*catalog.FieldError](err)
				if !ok || fe.Field != tt.field {
					t.Errorf("CreateHold error %v (%T), want a FieldError for %q", err, err, tt.field)
				}
			}
			if err != nil {
				return
			}
			if h.Status != purchase.HoldActive || h.BuyerID != buyer || !h.ExpiresAt.Equal(t0.Add(purchase.DefaultHoldTTL)) {
				t.Errorf("hold = %+v; want active, the buyer's, expiring %s", h, purchase.DefaultHoldTTL)
			}
			stored, err := s.svc.Hold(ctx, h.ID, buyer)
			must(t, err)
			if stored.ID != h.ID || len(stored.Lines) != len(tt.lines) {
				t.Errorf("stored hold = %+v, want %+v", stored, h)
			}
		})
	}
	// Only the accepted holds took anything.
	if got, want := s.remaining(t, s.standing), 10-2; got != want {
		t.Errorf("standing remaining = %d, want %d", got, want)
	}
	if got, want := s.remaining(t, s.seated), 10-4; got != want {
		t.Errorf("seated remaining = %d, want %d", got, want)
	}
	if got, want := s.remaining(t, s.shirt), 100-6; got != want {
		t.Errorf("shirt remaining = %d, want %d", got, want)
	}
}

func TestCreateHoldSoldOut(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	for range 2 {
		_, err := s.svc.CreateHold(ctx, buyer, s.event.ID, []purchase.Line{line(s.standing, 4)})
		must(t, err)
	}
	_, err := s.svc.CreateHold(ctx, buyer, s.event.ID, []purchase.Line{line(s.standing, 3)})
	if !errors.Is(err, purchase.ErrSoldOut) {
		t.Fatalf("CreateHold past capacity = %v, want ErrSoldOut", err)
	}
	if !strings.Contains(err.Error(), s.standing.ID) {
		t.Errorf("sold-out error %q does not name the type", err)
	}
	_, err = s.svc.CreateHold(ctx, buyer, s.event.ID, []purchase.Line{line(s.standing, 2)})
	must(t, err)
	if got := s.remaining(t, s.standing); got != 0 {
		t.Errorf("remaining = %d, want 0", got)
	}
}

func TestEventCapacity(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	s.svc.EventCapacity = func(_ context.Context, eventID string) (int, error) {
		if eventID == s.event.ID {
			return 6, nil
		}
		return 0, nil
	}
	_, err := s.svc.CreateHold(ctx, buyer, s.event.ID, []purchase.Line{line(s.standing, 4), line(s.shirt, 5)})
	must(t, err)
	_, err = s.svc.CreateHold(ctx, buyer, s.event.ID, []purchase.Line{line(s.seated, 3)})
	if !errors.Is(err, purchase.ErrSoldOut) {
		t.Fatalf("CreateHold past the event capacity = %v, want ErrSoldOut", err)
	}
	_, err = s.svc.CreateHold(ctx, buyer, s.event.ID, []purchase.Line{line(s.seated, 2), line(s.shirt, 5)})
	must(t, err)

	boom := errors.New("capacity unavailable")
	s.svc.EventCapacity = func(context.Context, string) (int, error) { return 0, boom }
	if _, err := s.svc.CreateHold(ctx, buyer, s.event.ID, []purchase.Line{line(s.shirt, 1)}); !errors.Is(err, boom) {
		t.Errorf("CreateHold with a failing EventCapacity = %v, want %v", err, boom)
	}
}

func TestExpiryReleasesInventory(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	s.svc.HoldTTL = 5 * time.Minute
	h, err := s.svc.CreateHold(ctx, buyer, s.event.ID, []purchase.Line{line(s.standing, 4)})
	must(t, err)
	if got := s.remaining(t, s.standing); got != 6 {
		t.Fatalf("remaining while held = %d, want 6", got)
	}

	s.clock.Advance(4 * time.Minute)
	n, err := s.svc.Expire(ctx)
	must(t, err)
	if n != 0 {
		t.Errorf("Expire before the TTL ended %d, want 0", n)
	}

	s.clock.Advance(time.Minute)
	n, err = s.svc.Expire(ctx)
	must(t, err)
	if n != 1 {
		t.Errorf("Expire at the TTL ended %d, want 1", n)
	}
	s.catalog.InvalidateAvailability(s.event.ID) // expiry does not tell the cache
	if got := s.remaining(t, s.standing); got != 10 {
		t.Errorf("remaining after expiry = %d, want 10", got)
	}
	got, err := s.svc.Hold(ctx, h.ID, buyer)
	must(t, err)
	if got.Status != purchase.HoldExpired {
		t.Errorf("hold status = %s, want expired", got.Status)
	}
}

func TestExpiredHoldDoesNotBlockSale(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	for range 2 {
		_, err := s.svc.CreateHold(ctx, buyer, s.event.ID, []purchase.Line{line(s.standing, 4)})
		must(t, err)
	}
	_, err := s.svc.CreateHold(ctx, buyer, s.event.ID, []purchase.Line{line(s.standing, 4)})
	if !errors.Is(err, purchase.ErrSoldOut) {
		t.Fatalf("CreateHold past capacity = %v, want ErrSoldOut", err)
	}
	// No sweep has run, but the holds have expired: they do not count.
	s.clock.Advance(purchase.DefaultHoldTTL)
	_, err = s.svc.CreateHold(ctx, buyer, s.event.ID, []purchase.Line{line(s.standing, 4)})
	must(t, err)
}

func TestCheckout(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	h, err := s.svc.CreateHold(ctx, buyer, s.event.ID, []purchase.Line{line(s.standing, 2), line(s.shirt, 1)})
	must(t, err)

	if _, err := s.svc.Checkout(ctx, h.ID, "usr_000000000000000000000b02"); !errors.Is(err, purchase.ErrNotFound) {
		t.Errorf("Checkout of another buyer's hold = %v, want ErrNotFound", err)
	}
	s.clock.Advance(time.Minute)
	o, err := s.svc.Checkout(ctx, h.ID, buyer)
	must(t, err)
	wantTotal := catalog.Money{Amount: 2*5000 + 2500, Currency: "EUR"}
	if o.Total != wantTotal || o.Status != purchase.StatusPendingPayment || o.HoldID != h.ID || len(o.Lines) != 2 {
		t.Errorf("order = %+v; want pending, total %v, from hold %s", o, wantTotal, h.ID)
	}
	if o.Lines[0].UnitPrice != s.standing.Price || o.Lines[1].UnitPrice != s.shirt.Price {
		t.Errorf("order lines %+v do not carry the types' prices", o.Lines)
	}
	stored, err := s.svc.Order(ctx, o.ID, buyer)
	must(t, err)
	if stored.Total != o.Total || !stored.CreatedAt.Equal(o.CreatedAt) || !stored.ExpiresAt.Equal(t0.Add(time.Minute+purchase.DefaultPaymentTTL)) {
		t.Errorf("stored order = %+v, want %+v", stored, o)
	}
	if _, err := s.svc.Order(ctx, o.ID, "usr_000000000000000000000b02"); !errors.Is(err, purchase.ErrNotFound) {
		t.Errorf("Order of another buyer = %v, want ErrNotFound", err)
	}
	if _, err := s.svc.Checkout(ctx, h.ID, buyer); !errors.Is(err, purchase.ErrConflict) {
		t.Errorf("second Checkout = %v, want ErrConflict", err)
	}
	if err := s.svc.ReleaseHold(ctx, h.ID, buyer); !errors.Is(err, purchase.ErrState) {
		t.Errorf("ReleaseHold of an ordered hold = %v, want ErrState", err)
	}

	paid, err := s.svc.MarkPaid(ctx, o.ID, "pi_123")
	must(t, err)
	if paid.Status != purchase.StatusPaid || paid.PaymentIntentID != "pi_123" {
		t.Errorf("paid order = %+v", paid)
	}
	if _, err := s.svc.MarkPaid(ctx, o.ID, "pi_123"); err != nil {
		t.Errorf("MarkPaid again = %v, want nil (idempotent)", err)
	}
	// Two standing tickets; the shirt is merchandise and gets none.
	tickets, err := s.svc.OrderTickets(ctx, o.ID, buyer)
	must(t, err)
	if len(tickets) != 2 {
		t.Fatalf("%d tickets for 2 standing and a shirt, want 2", len(tickets))
	}
	for _, tk := range tickets {
		if tk.TicketTypeID != s.standing.ID || tk.TypeNumber != s.standing.Number || tk.Status != purchase.TicketValid || tk.HolderID != buyer {
			t.Errorf("ticket %+v", tk)
		}
		sc, err := ticketcrypto.ParseText(tk.Token)
		if err != nil || sc.Ticket.String() != tk.ID || sc.ValidUntil.Before(s.event.EndsAt) {
			t.Errorf("token of %s: %+v, %v", tk.ID, sc.Token, err)
		}
	}
	// Paid orders outlive every deadline.
	s.clock.Advance(24 * time.Hour)
	_, err = s.svc.Expire(ctx)
	must(t, err)
	if got := s.remaining(t, s.standing); got != 8 {
		t.Errorf("remaining after paying = %d, want 8", got)
	}
	refunded, err := s.svc.Refund(ctx, o.ID)
	must(t, err)
	if refunded.Status != purchase.StatusRefunded {
		t.Errorf("refunded order = %+v", refunded)
	}
	if got := s.remaining(t, s.standing); got != 10 {
		t.Errorf("remaining after the refund = %d, want 10", got)
	}
	tickets, err = s.svc.OrderTickets(ctx, o.ID, buyer)
	must(t, err)
	for _, tk := range tickets {
		if tk.Status != purchase.TicketRevoked || tk.RevokeReason != purchase.RevokedRefunded {
			t.Errorf("ticket after the refund: %+v", tk)
		}
	}
}

func TestCheckoutExpiredHold(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	h, err := s.svc.CreateHold(ctx, buyer, s.event.ID, []purchase.Line{line(s.standing, 2)})
	must(t, err)
	s.clock.Advance(purchase.DefaultHoldTTL)
	if _, err := s.svc.Checkout(ctx, h.ID, buyer); !errors.Is(err, purchase.ErrExpired) {
		t.Errorf("Checkout of an expired, unswept hold = %v, want ErrExpired", err)
	}
	_, err = s.svc.Expire(ctx)
	must(t, err)
	if _, err := s.svc.Checkout(ctx, h.ID, buyer); !errors.Is(err, purchase.ErrExpired) {
		t.Errorf("Checkout of a swept hold = %v, want ErrExpired", err)
	}
}

func TestUnpaidOrderCancelled(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	s.svc.PaymentTTL = 5 * time.Minute
	h, err := s.svc.CreateHold(ctx, buyer, s.event.ID, []purchase.Line{line(s.seated, 4)})
	must(t, err)
	o, err := s.svc.Checkout(ctx, h.ID, buyer)
	must(t, err)
	s.clock.Advance(5 * time.Minute)
	n, err := s.svc.Expire(ctx)
	must(t, err)
	if n != 1 {
		t.Errorf("Expire ended %d, want 1 (the unpaid order)", n)
	}
	got, err := s.svc.Order(ctx, o.ID, buyer)
	must(t, err)
	if got.Status != purchase.StatusCancelled {
		t.Errorf("unpaid order is %s, want cancelled", got.Status)
	}
	if _, err := s.svc.MarkPaid(ctx, o.ID, "pi_late"); !errors.Is(err, purchase.ErrState) {
		t.Errorf("MarkPaid of a cancelled order = %v, want ErrState", err)
	}
}

func TestReleaseAndCancel(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	h, err := s.svc.CreateHold(ctx, buyer, s.event.ID, []purchase.Line{line(s.standing, 4)})
	must(t, err)
	if err := s.svc.ReleaseHold(ctx, h.ID, "usr_000000000000000000000b02"); !errors.Is(err, purchase.ErrNotFound) {
		t.Errorf("ReleaseHold of another buyer's hold = %v, want ErrNotFound", err)
	}
	must(t, s.svc.ReleaseHold(ctx, h.ID, buyer))
	if got := s.remaining(t, s.standing); got != 10 {
		t.Errorf("remaining after release = %d, want 10", got)
	}
	if _, err := s.svc.Checkout(ctx, h.ID, buyer); !errors.Is(err, purchase.ErrState) {
		t.Errorf("Checkout of a released hold = %v, want ErrState", err)
	}

	h, err = s.svc.CreateHold(ctx, buyer, s.event.ID, []purchase.Line{line(s.standing, 3)})
	must(t, err)
	o, err := s.svc.Checkout(ctx, h.ID, buyer)
	must(t, err)
	if _, err := s.svc.CancelOrder(ctx, o.ID, "usr_000000000000000000000b02"); !errors.Is(err, purchase.ErrNotFound) {
		t.Errorf("CancelOrder of another buyer's order = %v, want ErrNotFound", err)
	}
	cancelled, err := s.svc.CancelOrder(ctx, o.ID, buyer)
	must(t, err)
	if cancelled.Status != purchase.StatusCancelled {
		t.Errorf("cancelled order = %+v", cancelled)
	}
	if got := s.remaining(t, s.standing); got != 10 {
		t.Errorf("remaining after cancel = %d, want 10", got)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.changed) != 4 { // hold, release, hold, cancel
		t.Errorf("Changed called for %v, want 4 calls", s.changed)
	}
}
