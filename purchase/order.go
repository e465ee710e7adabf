package purchase

import (
	"fmt"
	"math"
	"math/bits"
	"time"

	"github.com/admitone/admitone/catalog"
)

// DefaultPaymentTTL is how long an order waits for its payment when the
// Service is not told otherwise; then ExpireHolds cancels it.
const DefaultPaymentTTL = 15 * time.Minute

// Status is an order's place in its life:
//
//	pending_payment -> paid -> refunded
//	       |
//	       +---------> cancelled (payment deadline passed, or cancelled)
type Status string

const (
	StatusPendingPayment Status = "pending_payment"
	StatusPaid           Status = "paid"
	StatusRefunded       Status = "refunded"
	StatusCancelled      Status = "cancelled"
)

// OrderLine is a quantity of one ticket type at the price it was sold for.
type OrderLine struct {
	TicketTypeID string        `json:"ticket_type_id"`
	Quantity     int           `json:"quantity"`
	UnitPrice    catalog.Money `json:"unit_price"`
}

// Order is a hold checked out: what the buyer pays for. Pending and paid
// orders count as sold; refunded and cancelled ones have given their
// quantities back.
type Order struct {
	ID      string      `json:"id"` // "ord_" + 24 hex
	HoldID  string      `json:"hold_id"`
	BuyerID string      `json:"buyer_id"`
	EventID string      `json:"event_id"`
	Lines   []OrderLine `json:"lines"`
	// Code is the code the order's hold redeemed; Discount is what a
	// discount code took off the lines (see Discount), and Total is the
	// lines' sum less Discount.
	Code     *CodeUse      `json:"code,omitempty"`
	Discount catalog.Money `json:"discount,omitzero"`
	Total    catalog.Money `json:"total"`
	Status   Status        `json:"status"`
	// PaymentIntentID is the payment provider's id of the payment that
	// paid the order.
	PaymentIntentID string `json:"payment_intent_id,omitempty"`
	// BuyerCity is the city the buyer gave at checkout, if any
	// (CheckCity), for the organizer's insights.
	BuyerCity string    `json:"buyer_city,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is the payment deadline: an order still pending then is
	// cancelled by ExpireHolds and its quantities return.
	ExpiresAt   time.Time `json:"expires_at"`
	PaidAt      time.Time `json:"paid_at,omitzero"`
	RefundedAt  time.Time `json:"refunded_at,omitzero"`
	CancelledAt time.Time `json:"cancelled_at,omitzero"`
	// Idempotency, when set, is stored by CreateOrder in the same
	// transaction as the order (see Store.CreateOrder); it is never
	// read back.
	Idempotency *Idempotency `json:"-"`
}

// Total is the sum of the lines' unit prices times quantities. Every
// price must be 0..catalog.MaxPrice and every quantity
// 1..catalog.MaxPerOrder, and no product or sum may overflow an int64;
// otherwise it returns an error wrapping ErrInvalid that names the line.
// (Unchecked, 2^62 × 4 wraps to 0: a priced order would be free.)
func Total(lines []OrderLine) (int64, error) {
	var total int64
	for i, l := range lines {
		switch {
		case l.UnitPrice.Amount < 0 || l.UnitPrice.Amount > catalog.MaxPrice:
			return 0, fmt.Errorf("line %d: ticket type %s costs %d, outside 0 to %d: %w",
				i, l.TicketTypeID, l.UnitPrice.Amount, catalog.MaxPrice, ErrInvalid)
		case l.Quantity < 1 || l.Quantity > catalog.MaxPerOrder:
			return 0, fmt.Errorf("line %d: quantity %d of %s is outside 1 to %d: %w",
				i, l.Quantity, l.TicketTypeID, catalog.MaxPerOrder, ErrInvalid)
		}
		hi, lo := bits.Mul64(uint64(l.UnitPrice.Amount), uint64(l.Quantity))
		sum, carry := bits.Add64(uint64(total), lo, 0)
		if hi != 0 || carry != 0 || sum > math.MaxInt64 {
			return 0, fmt.Errorf("line %d: the order's total overflows: %w", i, ErrInvalid)
		}
		total = int64(sum)
	}
	return total, nil
}

// Free reports whether the order costs nothing: every line's unit price
// is zero (and so its total), or a discount took off all of it. Only a
// free order is paid without a payment provider.
func (o Order) Free() bool {
	if o.Total.Amount != 0 {
		return false
	}
	if o.Discount.Amount > 0 {
		sum, err := Total(o.Lines)
		return err == nil && sum == o.Discount.Amount
	}
	for _, l := range o.Lines {
		if l.UnitPrice.Amount != 0 {
			return false
		}
	}
	return true
}

// Counts reports whether the order's quantities count as sold.
func (o Order) Counts() bool {
	return o.Status == StatusPendingPayment || o.Status == StatusPaid
}

// The functions below are the order rules both stores apply inside their
// transactions, so that the backends agree on every transition.

// CheckNewOrder checks an order's own fields before a store creates it:
// the order's and its hold's ids, a payment deadline after its creation,
// and its idempotency record (CheckIdempotency).
func CheckNewOrder(o Order) error {
	if o.ID == "" || o.HoldID == "" {
		return fmt.Errorf("create order: the order id and hold id are required: %w", ErrInvalid)
	}
	if !o.ExpiresAt.After(o.CreatedAt) {
		return fmt.Errorf("create order %s: payment deadline not after creation: %w", o.ID, ErrInvalid)
	}
	if err := CheckIdempotency(o.Idempotency); err != nil {
		return fmt.Errorf("create order %s: %w", o.ID, err)
	}
	return nil
}

// CheckOrder checks that o may be created from the hold h: h is active
// and unexpired at o.CreatedAt, and o has h's buyer, event and lines
// (ticket types and quantities, in order).
func CheckOrder(o Order, h Hold) error {
	if err := h.Orderable(o.CreatedAt); err != nil {
		return err
	}
	switch {
	case o.BuyerID != h.BuyerID || o.EventID != h.EventID:
		return fmt.Errorf("order %s: buyer or event differs from hold %s: %w", o.ID, h.ID, ErrInvalid)
	case len(o.Lines) != len(h.Lines):
		return fmt.Errorf("order %s has %d lines, hold %s has %d: %w", o.ID, len(o.Lines), h.ID, len(h.Lines), ErrInvalid)
	case !sameCode(o.Code, h.Code):
		return fmt.Errorf("order %s: its code differs from hold %s's: %w", o.ID, h.ID, ErrInvalid)
	}
	for i, l := range o.Lines {
		if l.TicketTypeID != h.Lines[i].TicketTypeID || l.Quantity != h.Lines[i].Quantity {
			return fmt.Errorf("order %s: line %d differs from hold %s: %w", o.ID, i, h.ID, ErrInvalid)
		}
	}
	return nil
}

// Pay records the payment intentID of o at the time at, reporting
// whether o changed. Paying a paid order again with the same intent
// changes nothing.
func Pay(o *Order, intentID string, at time.Time) (bool, error) {
	switch o.Status {
	case StatusPendingPayment:
		o.Status, o.PaymentIntentID, o.PaidAt = StatusPaid, intentID, at
		return true, nil
	case StatusPaid:
		if o.PaymentIntentID == intentID {
			return false, nil
		}
		return false, fmt.Errorf("order %s was paid by %s, not %s: %w", o.ID, o.PaymentIntentID, intentID, ErrConflict)
	default:
		return false, fmt.Errorf("pay order %s: it is %s: %w", o.ID, o.Status, ErrState)
	}
}

// RefundOrder marks a paid order refunded at the time at, reporting
// whether o changed (and so whether its quantities return).
func RefundOrder(o *Order, at time.Time) (bool, error) {
	switch o.Status {
	case StatusPaid:
		o.Status, o.RefundedAt = StatusRefunded, at
		return true, nil
	case StatusRefunded:
		return false, nil
	default:
		return false, fmt.Errorf("refund order %s: it is %s: %w", o.ID, o.Status, ErrState)
	}
}

// Cancel cancels a pending order at the time at, reporting whether o
// changed (and so whether its quantities return).
func Cancel(o *Order, at time.Time) (bool, error) {
	switch o.Status {
	case StatusPendingPayment:
		o.Status, o.CancelledAt = StatusCancelled, at
		return true, nil
	case StatusCancelled:
		return false, nil
	default:
		return false, fmt.Errorf("cancel order %s: it is %s (refund a paid order instead): %w", o.ID, o.Status, ErrState)
	}
}

// OrderUpdate is an order transition as both stores apply it in one
// transaction: Apply changes the order, reporting whether it did, and
// Move, if the order changed, is how its quantities move on every
// counter EachCounter names (nil: they stay), the code's among them
// unless KeepCode.
type OrderUpdate struct {
	Apply func(o *Order) (changed bool, err error)
	Move  func(c *Counter, q int)
	// KeepCode leaves the uses of the order's code taken: a refund does
	// not give a use back.
	KeepCode bool
}

// CodeMoved is the code whose uses u moves for the order o: o.Code, or
// nil when u keeps it.
func (u OrderUpdate) CodeMoved(o Order) *CodeUse {
	if u.KeepCode {
		return nil
	}
	return o.Code
}

// PayUpdate is Pay as an OrderUpdate: the quantities stay sold.
func PayUpdate(intentID string, at time.Time) OrderUpdate {
	return OrderUpdate{Apply: func(o *Order) (bool, error) { return Pay(o, intentID, at) }}
}

// RefundUpdate is RefundOrder as an OrderUpdate: the quantities return;
// the uses of the order's code do not.
func RefundUpdate(at time.Time) OrderUpdate {
	return OrderUpdate{Apply: func(o *Order) (bool, error) { return RefundOrder(o, at) }, Move: (*Counter).Unsell, KeepCode: true}
}

// CancelUpdate is Cancel as an OrderUpdate: the quantities return.
func CancelUpdate(at time.Time) OrderUpdate {
	return OrderUpdate{Apply: func(o *Order) (bool, error) { return Cancel(o, at) }, Move: (*Counter).Unsell}
}

// HoldLines are the order's lines without prices, as its hold had them.
func (o Order) HoldLines() []Line {
	lines := make([]Line, len(o.Lines))
	for i, l := range o.Lines {
		lines[i] = Line{TicketTypeID: l.TicketTypeID, Quantity: l.Quantity}
	}
	return lines
}
