package purchase

import (
	"fmt"
	"time"
)

// MaxLines is the most lines one hold (and so one order) may have.
const MaxLines = 20

// DefaultHoldTTL is how long a hold reserves its quantities when the
// Service is not told otherwise.
const DefaultHoldTTL = 10 * time.Minute

// Line is a quantity of one ticket type.
type Line struct {
	TicketTypeID string `json:"ticket_type_id"`
	Quantity     int    `json:"quantity"`
}

// HoldStatus is a hold's place in its life: active, then ordered,
// released or expired.
type HoldStatus string

const (
	// HoldActive reserves its quantities until ExpiresAt.
	HoldActive HoldStatus = "active"
	// HoldOrdered became the order OrderID; its quantities belong to the
	// order now.
	HoldOrdered HoldStatus = "ordered"
	// HoldReleased was given up by the buyer.
	HoldReleased HoldStatus = "released"
	// HoldExpired was released by ExpireHolds (or by a reservation that
	// needed its quantities) after ExpiresAt.
	HoldExpired HoldStatus = "expired"
)

// Hold reserves quantities of an event's ticket types for one buyer for a
// limited time: a cart. While active, its quantities count as taken.
type Hold struct {
	ID      string     `json:"id"` // "hld_" + 24 hex
	BuyerID string     `json:"buyer_id"`
	EventID string     `json:"event_id"`
	Lines   []Line     `json:"lines"`
	Status  HoldStatus `json:"status"`
	// OrderID is the order the hold became, once ordered.
	OrderID   string    `json:"order_id,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
	CreatedAt time.Time `json:"created_at"`
	// Code is the access or discount code the hold redeems, if any.
	Code *CodeUse `json:"code,omitempty"`
	// Idempotency, when set, is stored by Reserve in the same
	// transaction as the hold (see Store.Reserve); it is never read
	// back.
	Idempotency *Idempotency `json:"-"`
}

// Quantity is the sum of the hold's line quantities.
func (h Hold) Quantity() int {
	n := 0
	for _, l := range h.Lines {
		n += l.Quantity
	}
	return n
}

// Orderable reports whether h can become an order at the time at: nil if
// it is active and unexpired, else an error wrapping ErrConflict (already
// ordered), ErrExpired or ErrState (released).
func (h Hold) Orderable(at time.Time) error {
	switch {
	case h.Status == HoldOrdered:
		return fmt.Errorf("hold %s is already order %s: %w", h.ID, h.OrderID, ErrConflict)
	case h.Status == HoldExpired || h.Status == HoldActive && !at.Before(h.ExpiresAt):
		return fmt.Errorf("hold %s expired at %s: %w", h.ID, h.ExpiresAt.Format(time.RFC3339), ErrExpired)
	case h.Status != HoldActive:
		return fmt.Errorf("hold %s is %s: %w", h.ID, h.Status, ErrState)
	}
	return nil
}
