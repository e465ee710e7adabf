package purchase

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/internal/logging"
	"github.com/admitone/admitone/voucher"
)

// Catalog is what purchasing reads from the catalog: an event with its
// ticket types. *catalog.Service implements it (through its cache).
type Catalog interface {
	EventPage(ctx context.Context, eventID string) (catalog.EventPage, error)
}

var _ catalog.Inventory = (*Service)(nil)

// Service holds the purchase rules: what may be held, by whom, for how
// long, and how a hold becomes a paid order. The atomic part, that nothing
// is oversold, is the Store's (see Store.Reserve).
//
// Authorization is the caller's job, except that holds and orders are the
// buyer's own: a buyer id that does not match is ErrNotFound, so ids of
// other buyers' holds are not confirmed to exist.
type Service struct {
	Store   Store
	Catalog Catalog
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// HoldTTL is how long a hold reserves; zero means DefaultHoldTTL.
	HoldTTL time.Duration
	// PaymentTTL is how long an order waits for payment; zero means
	// DefaultPaymentTTL.
	PaymentTTL time.Duration
	// EventCapacity returns an event's shared capacity, which its
	// admission types draw on together (0: none); nil means no event has
	// one.
	EventCapacity func(ctx context.Context, eventID string) (int, error)
	// Changed is called after every change to what is taken of an event
	// (hold, release, cancellation, refund); wire it to
	// catalog.Service.InvalidateAvailability. Nil means nothing is told.
	Changed func(eventID string)
	// Signer signs the tickets of paid orders; without one, paying an
	// order with admission lines fails.
	Signer Signer
	// ChangesAppended is called after tickets of an event were issued or
	// revoked, so the sync hub pushes the event's new change log entries
	// to gates. Nil means nobody is told.
	ChangesAppended func(eventID string)
	// LinkTTL is how long a ticket link lasts; zero is DefaultLinkTTL.
	LinkTTL time.Duration
	// RefundCutoff is how long before an event starts its buyers can no
	// longer refund by themselves (organizers still can); zero means
	// DefaultRefundCutoff.
	RefundCutoff time.Duration
	// Payments takes the payments of priced orders; nil sells free
	// ticket types only (priced ones are ErrNoPayments).
	Payments PaymentProvider
	// Log receives the errors of RunExpiry and what paying and refunding
	// did; nil discards.
	Log *slog.Logger
	// MaxHeldPerBuyer is how many admission tickets of one event one
	// buyer may have in active holds at a time (Limits.MaxHeldPerBuyer);
	// a ticket type's max_held_per_buyer caps that type further. Zero
	// means DefaultMaxHeldPerBuyer; negative means no cap.
	MaxHeldPerBuyer int
	// HoldsPerMinute is how many holds one buyer may make a minute
	// (a burst of that many, then one every 60s/HoldsPerMinute); over it
	// CreateHold returns a *RateLimitError. Zero means
	// DefaultHoldsPerMinute; negative means no limit.
	HoldsPerMinute int
	// Notifier is told of paid and refunded orders and of moved and
	// cancelled events, after each change is stored; nil tells nobody.
	Notifier Notifier
	// Codes resolves access and discount codes given with holds
	// (*voucher.Service); nil refuses every code, and so every hidden
	// ticket type.
	Codes Codes
	// CodeChecksPerMinute is how many codes one caller may check a
	// minute through UnlockCode; zero means DefaultCodeChecksPerMinute.
	CodeChecksPerMinute int
	// Admissions lets holds of an event with a waiting room through
	// with the buyer's admission only (*waitroom.Service); nil: no
	// event has one.
	Admissions Admissions

	holdRate holdRate
	codeRate holdRate
}

// DefaultMaxHeldPerBuyer is Service.MaxHeldPerBuyer when not set.
const DefaultMaxHeldPerBuyer = 10

func (s *Service) maxHeldPerBuyer() int {
	switch {
	case s.MaxHeldPerBuyer < 0:
		return 0
	case s.MaxHeldPerBuyer == 0:
		return DefaultMaxHeldPerBuyer
	}
	return s.MaxHeldPerBuyer
}

// limitHoldRate takes one of the buyer's holds a minute, or returns a
// *RateLimitError.
func (s *Service) limitHoldRate(buyerID string) error {
	n := s.HoldsPerMinute
	switch {
	case n < 0:
		return nil
	case n == 0:
		n = DefaultHoldsPerMinute
	}
	if wait := s.holdRate.take(buyerID, n, s.now()); wait > 0 {
		return &RateLimitError{PerMinute: n, Wait: wait}
	}
	return nil
}

func (s *Service) log() *slog.Logger { return logging.OrDiscard(s.Log) }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// stamp is the current time as stores keep it: UTC, to the microsecond.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func (s *Service) changed(eventID string) {
	if s.Changed != nil {
		s.Changed(eventID)
	}
}

func (s *Service) holdTTL() time.Duration {
	if s.HoldTTL > 0 {
		return s.HoldTTL
	}
	return DefaultHoldTTL
}

func (s *Service) paymentTTL() time.Duration {
	if s.PaymentTTL > 0 {
		return s.PaymentTTL
	}
	return DefaultPaymentTTL
}

// eventPage reads an event for purchasing, translating the catalog's
// ErrNotFound into this package's.
func (s *Service) eventPage(ctx context.Context, eventID string) (catalog.EventPage, error) {
	p, err := s.Catalog.EventPage(ctx, eventID)
	if errors.Is(err, catalog.ErrNotFound) {
		return catalog.EventPage{}, fmt.Errorf("event %q: %w", eventID, ErrNotFound)
	}
	if err != nil {
		return catalog.EventPage{}, fmt.Errorf("event %q: %w", eventID, err)
	}
	return p, nil
}

// CreateHold reserves lines of an event's ticket types for the buyer for
// HoldTTL. The event must be published and not over; each line must name
// a distinct ticket type of the event that is on sale now, with a
// quantity from 1 to the type's PerOrderMax; there are 1 to MaxLines
// lines. Admission and merchandise types may be mixed in one hold; only
// admission types draw on the event's shared capacity.
//
// Invalid input is a *catalog.FieldError (ErrInvalid) naming the field,
// e.g. "lines[1].quantity"; an event or type not on sale is
// ErrNotOnSale; a line that does not fit is ErrSoldOut; over the buyer's
// active-hold cap (MaxHeldPerBuyer, or the type's max_held_per_buyer) it
// is ErrHoldLimit, and over HoldsPerMinute a *RateLimitError
// (ErrRateLimited). With an
// IdempotentRequest in ctx (WithIdempotency) the store keeps its answer
// with the hold, or answers *Replayed when the key has one already.
func (s *Service) CreateHold(ctx context.Context, buyerID, eventID string, lines []Line) (Hold, error) {
	return s.CreateHoldWithCode(ctx, buyerID, eventID, lines, "")
}

// CreateHoldWithCode is CreateHold redeeming a code (none if code is
// ""): an access code, which a hold of a hidden ticket type needs (one
// that unlocks it, else ErrCodeRequired), or a discount code, which
// Checkout applies. The code must be the event's, enabled and valid now
// (else voucher.ErrCodeNotValid) and apply to a line; it takes a use per
// ticket of the lines it applies to, in the same atomic step as the
// capacity (Store.Reserve; none left is ErrCodeUsedUp).
func (s *Service) CreateHoldWithCode(ctx context.Context, buyerID, eventID string, lines []Line, code string) (Hold, error) {
	return s.CreateHoldAdmitted(ctx, buyerID, eventID, lines, code, "")
}

// CreateHoldAdmitted is CreateHoldWithCode with the buyer's admission
// token from the event's waiting room (none if admission is ""): an
// event whose room is on needs it (Admissions.CheckAdmission), checked
// before anything else of the hold, so a refused hold costs none of the
// buyer's holds a minute. The admission is not used up: it lets the
// buyer hold until it expires.
func (s *Service) CreateHoldAdmitted(ctx context.Context, buyerID, eventID string, lines []Line, code, admission string) (Hold, error) {
	if err := s.requirePayments(ctx, eventID, lines); err != nil {
		return Hold{}, err
	}
	if buyerID == "" {
		return Hold{}, invalid("buyer_id", "is required")
	}
	if s.Admissions != nil {
		if err := s.Admissions.CheckAdmission(ctx, eventID, buyerID, admission); err != nil {
			return Hold{}, err
		}
	}
	if err := s.limitHoldRate(buyerID); err != nil {
		return Hold{}, err
	}
	if len(lines) == 0 {
		return Hold{}, invalid("lines", "must have at least one line")
	}
	if len(lines) > MaxLines {
		return Hold{}, invalid("lines", "must have at most %d lines (got %d)", MaxLines, len(lines))
	}
	p, err := s.eventPage(ctx, eventID)
	if err != nil {
		return Hold{}, err
	}
	now := s.stamp()
	if p.Event.Status != catalog.StatusPublished {
		return Hold{}, fmt.Errorf("event %s is %s: %w", eventID, p.Event.Status, ErrNotOnSale)
	}
	if !now.Before(p.Event.EndsAt) {
		return Hold{}, fmt.Errorf("event %s ended at %s: %w", eventID, p.Event.EndsAt.Format(time.RFC3339), ErrNotOnSale)
	}
	types := make(map[string]catalog.TicketType, len(p.TicketTypes))
	for _, t := range p.TicketTypes {
		types[t.ID] = t
	}
	var redeemed *voucher.Code
	if code != "" {
		if s.Codes == nil {
			return Hold{}, fmt.Errorf("%w: this server takes no codes", voucher.ErrCodeNotValid)
		}
		c, err := s.Codes.Resolve(ctx, eventID, code, now)
		if err != nil {
			return Hold{}, err
		}
		redeemed = &c
	}
	limits := Limits{Types: make(map[string]TypeLimit, len(lines)), MaxHeldPerBuyer: s.maxHeldPerBuyer()}
	for i, line := range lines {
		field := fmt.Sprintf("lines[%d]", i)
		t, ok := types[line.TicketTypeID]
		if !ok {
			return Hold{}, invalid(field+".ticket_type_id", "does not name a ticket type of event %s (got %q)", eventID, line.TicketTypeID)
		}
		if _, dup := limits.Types[t.ID]; dup {
			return Hold{}, invalid(field+".ticket_type_id", "repeats ticket type %q: give each type one line", t.Name)
		}
		if err := checkHidden(field+".ticket_type_id", t.Name, t.Hidden, t.ID, redeemed); err != nil {
			return Hold{}, err
		}
		if line.Quantity < 1 || line.Quantity > t.PerOrderMax {
			return Hold{}, invalid(field+".quantity", "must be between 1 and %d for %q (got %d)", t.PerOrderMax, t.Name, line.Quantity)
		}
		if !t.SaleStarts.IsZero() && now.Before(t.SaleStarts) {
			return Hold{}, fmt.Errorf("ticket type %q goes on sale at %s: %w", t.Name, t.SaleStarts.Format(time.RFC3339), ErrNotOnSale)
		}
		if !t.SaleEnds.IsZero() && !now.Before(t.SaleEnds) {
			return Hold{}, fmt.Errorf("sale of ticket type %q ended at %s: %w", t.Name, t.SaleEnds.Format(time.RFC3339), ErrNotOnSale)
		}
		limits.Types[t.ID] = TypeLimit{
			Capacity:        t.Capacity,
			PerOrderMax:     t.PerOrderMax,
			PerBuyerMax:     t.PerBuyerMax,
			MaxHeldPerBuyer: t.MaxHeldPerBuyer,
			Shared:          t.Kind != catalog.KindMerchandise,
		}
	}
	if s.EventCapacity != nil {
		if limits.EventCapacity, err = s.EventCapacity(ctx, eventID); err != nil {
			return Hold{}, fmt.Errorf("capacity of event %s: %w", eventID, err)
		}
	}
	h := Hold{
		ID:        id.NewOrdered("hld"),
		BuyerID:   buyerID,
		EventID:   eventID,
		Lines:     slices.Clone(lines),
		Status:    HoldActive,
		CreatedAt: now,
		ExpiresAt: now.Add(s.holdTTL()),
	}
	if redeemed != nil {
		if h.Code = codeUse(*redeemed, h.Lines); h.Code.Uses == 0 {
			return Hold{}, invalid("code", "applies to none of the hold's ticket types")
		}
		limits.CodeMaxUses = redeemed.MaxUses
	}
	rec, req, err := record(ctx, h)
	if err != nil {
		return Hold{}, err
	}
	h.Idempotency = rec
	if err := s.Store.Reserve(ctx, h, limits); err != nil {
		return Hold{}, err
	}
	h.Idempotency = nil
	if req != nil {
		req.recorded = true
	}
	s.changed(eventID)
	return h, nil
}

// Hold returns one of the buyer's holds.
func (s *Service) Hold(ctx context.Context, holdID, buyerID string) (Hold, error) {
	h, err := s.Store.Hold(ctx, holdID)
	if err != nil {
		return Hold{}, err
	}
	if h.BuyerID != buyerID {
		return Hold{}, fmt.Errorf("hold %s: %w", holdID, ErrNotFound)
	}
	return h, nil
}

// ReleaseHold gives up one of the buyer's holds; releasing it again does
// nothing. An ordered hold is ErrState: cancel the order instead.
func (s *Service) ReleaseHold(ctx context.Context, holdID, buyerID string) error {
	h, err := s.Hold(ctx, holdID, buyerID)
	if err != nil {
		return err
	}
	if err := s.Store.Release(ctx, holdID); err != nil {
		return err
	}
	s.changed(h.EventID)
	return nil
}

// Checkout turns one of the buyer's active holds into an order awaiting
// payment, priced at the ticket types' current prices, with a payment
// deadline PaymentTTL from now. An expired hold is ErrExpired; a hold
// already ordered is ErrConflict; a released hold is ErrState. With an
// IdempotentRequest in ctx the store keeps its answer with the order, or
// answers *Replayed when the key has one already.
func (s *Service) Checkout(ctx context.Context, holdID, buyerID string) (Order, error) {
	return s.CheckoutFrom(ctx, holdID, buyerID, "")
}

// CheckoutFrom is Checkout with the city the buyer gave (empty: none),
// checked and normalised by CheckCity.
func (s *Service) CheckoutFrom(ctx context.Context, holdID, buyerID, city string) (Order, error) {
	city, err := CheckCity(city)
	if err != nil {
		return Order{}, err
	}
	h, err := s.Hold(ctx, holdID, buyerID)
	if err != nil {
		return Order{}, err
	}
	if err := s.requirePayments(ctx, h.EventID, h.Lines); err != nil {
		return Order{}, err
	}
	now := s.stamp()
	if err := h.Orderable(now); err != nil {
		return Order{}, err
	}
	p, err := s.eventPage(ctx, h.EventID)
	if err != nil {
		return Order{}, err
	}
	prices := make(map[string]catalog.Money, len(p.TicketTypes))
	for _, t := range p.TicketTypes {
		prices[t.ID] = t.Price
	}
	o := Order{
		ID:        id.NewOrdered("ord"),
		HoldID:    h.ID,
		BuyerID:   h.BuyerID,
		EventID:   h.EventID,
		Status:    StatusPendingPayment,
		BuyerCity: city,
		CreatedAt: now,
		ExpiresAt: now.Add(s.paymentTTL()),
	}
	for _, line := range h.Lines {
		price, ok := prices[line.TicketTypeID]
		if !ok {
			return Order{}, fmt.Errorf("hold %s: ticket type %s is gone from event %s: %w", holdID, line.TicketTypeID, h.EventID, ErrNotFound)
		}
		if o.Total.Currency == "" {
			o.Total.Currency = price.Currency
		}
		if price.Currency != o.Total.Currency {
			return Order{}, fmt.Errorf("hold %s mixes currencies %s and %s: %w", holdID, o.Total.Currency, price.Currency, ErrInvalid)
		}
		o.Lines = append(o.Lines, OrderLine{TicketTypeID: line.TicketTypeID, Quantity: line.Quantity, UnitPrice: price})
	}
	if o.Total.Amount, err = Total(o.Lines); err != nil {
		return Order{}, fmt.Errorf("hold %s: %w", holdID, err)
	}
	o.Code = h.Code
	if off := Discount(h.Code, o.Lines); off > 0 {
		o.Discount = catalog.Money{Amount: off, Currency: o.Total.Currency}
		o.Total.Amount -= off
	}
	rec, req, err := record(ctx, o)
	if err != nil {
		return Order{}, err
	}
	o.Idempotency = rec
	if err := s.Store.CreateOrder(ctx, o); err != nil {
		return Order{}, err
	}
	o.Idempotency = nil
	if req != nil {
		req.recorded = true
	}
	return o, nil
}

// Order returns one of the buyer's orders.
func (s *Service) Order(ctx context.Context, orderID, buyerID string) (Order, error) {
	o, err := s.Store.Order(ctx, orderID)
	if err != nil {
		return Order{}, err
	}
	if o.BuyerID != buyerID {
		return Order{}, fmt.Errorf("order %s: %w", orderID, ErrNotFound)
	}
	return o, nil
}

// CancelOrder cancels one of the buyer's orders that is still awaiting
// payment, returning its quantities to sale.
func (s *Service) CancelOrder(ctx context.Context, orderID, buyerID string) (Order, error) {
	if _, err := s.Order(ctx, orderID, buyerID); err != nil {
		return Order{}, err
	}
	o, err := s.Store.CancelOrder(ctx, orderID, s.stamp())
	if err != nil {
		return Order{}, err
	}
	s.changed(o.EventID)
	return o, nil
}

// Expire releases expired holds and cancels orders past their payment
// deadline, returning how many it ended. The server calls it
// periodically (RunExpiry); reservations also release expired holds they
// need, so a late sweep never makes a sale fail.
func (s *Service) Expire(ctx context.Context) (int, error) {
	return s.Store.ExpireHolds(ctx, s.stamp())
}

// RunExpiry calls Expire every interval until ctx is done, logging
// failures.
func (s *Service) RunExpiry(ctx context.Context, interval time.Duration) {
	log := s.log()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if n, err := s.Expire(ctx); err != nil && ctx.Err() == nil {
				log.Error("purchase: expiring holds failed", "err", err)
			} else if n > 0 {
				log.Info("purchase: expired holds and unpaid orders", "count", n)
			}
		}
	}
}

// Taken implements catalog.Inventory.
func (s *Service) Taken(ctx context.Context, eventID string) (map[string]int, error) {
	return s.Store.Taken(ctx, eventID)
}
