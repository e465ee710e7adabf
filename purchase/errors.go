package purchase

import (
	"fmt"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/errkind"
)

// Domain errors, each of an errkind.Kind with its wire code. Stores
// return them wrapped with context ("reserve hld_...: sold out"); the
// HTTP edge maps each kind to a status code.
var (
	ErrNotFound = errkind.New(errkind.NotFound, "not_found", "not found")
	// ErrSoldOut is a reservation that does not fit what is left of a
	// ticket type or of the event's shared capacity. The wrapping error
	// names the ticket type (or event) that ran out.
	ErrSoldOut = errkind.New(errkind.Conflict, "sold_out", "sold out")
	// ErrExpired is a hold past its expiry: it can no longer be checked
	// out.
	ErrExpired = errkind.New(errkind.Expired, "expired", "hold expired")
	// ErrConflict is a request that clashes with what is stored: a hold
	// ordered twice, an id taken, an Idempotency-Key reused for a
	// different request, a payment recorded with another intent.
	ErrConflict = errkind.New(errkind.Conflict, "conflict", "conflict")
	// ErrState is an order or hold transition that is not allowed in its
	// current status, e.g. refunding an unpaid order.
	ErrState = errkind.New(errkind.Conflict, "wrong_state", "not allowed in the current status")
	// ErrNotOnSale is a purchase of an event that is not published, or of
	// a ticket type outside its sale window.
	ErrNotOnSale = errkind.New(errkind.Conflict, "not_on_sale", "not on sale")
	// ErrBuyerLimit is a reservation that would give one buyer more of a
	// ticket type than its per-buyer limit.
	ErrBuyerLimit = errkind.New(errkind.Conflict, "buyer_limit", "per-buyer limit reached")
	// ErrHoldLimit is a reservation that would give one buyer more in
	// active holds than the event (or the ticket type) lets one buyer
	// hold at a time.
	ErrHoldLimit = errkind.New(errkind.Conflict, "hold_limit", "held-per-buyer limit reached")
	// ErrRateLimited is a buyer making holds faster than the Service
	// allows; the error is a *RateLimitError saying how long to wait.
	ErrRateLimited = errkind.New(errkind.RateLimited, "rate_limited", "too many holds")
)

// RateLimitError is a hold refused because its buyer made too many
// lately. It wraps ErrRateLimited.
type RateLimitError struct {
	// PerMinute is the limit; Wait is how long until the buyer's next
	// hold is allowed.
	PerMinute int
	Wait      time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%v: at most %d a minute per account; try again in %v", ErrRateLimited, e.PerMinute, e.RetryAfter())
}

// RetryAfter is Wait rounded up to a whole second, at least one.
func (e *RateLimitError) RetryAfter() time.Duration {
	return max(time.Second, (e.Wait + time.Second - 1).Truncate(time.Second))
}

func (e *RateLimitError) Unwrap() error { return ErrRateLimited }

// ErrInvalid is catalog.ErrInvalid: invalid input. Where one field is at
// fault the error is a *catalog.FieldError naming it, so the HTTP edge
// reports purchase and catalog input errors the same way.
var ErrInvalid = catalog.ErrInvalid

// invalid returns a FieldError whose message starts with the field name.
func invalid(field, format string, args ...any) error {
	return &catalog.FieldError{Field: field, Message: field + " " + fmt.Sprintf(format, args...)}
}

// ErrRefundClosed is a buyer's refund asked for after the refund cutoff.
var ErrRefundClosed = errkind.New(errkind.Forbidden, "refund_closed", "refund period over")

// ErrTicketUsed is a transfer or a buyer's refund of a ticket that was
// used to enter: the server has an entry check-in on record for it (or
// for a ticket it replaced). One ticket admits one person: once someone
// is inside on it, it cannot be handed on or its money taken back by the
// buyer. The wrapping error names the ticket and the gate.
var ErrTicketUsed = errkind.New(errkind.Conflict, "ticket_used", "ticket already used to enter")

// ErrTicketsLocked is a transfer or a buyer's refund asked for after
// doors opened for an event whose organizer locks tickets at doors
// (catalog.Event.LockTicketsAtDoors).
var ErrTicketsLocked = errkind.New(errkind.Forbidden, "tickets_locked", "tickets locked since doors opened")

// ErrTransferred is a buyer's refund of an order one of whose tickets
// the buyer transferred to someone else: that ticket is the recipient's
// now, and refunding the order would revoke it while the buyer keeps
// the money.
var ErrTransferred = errkind.New(errkind.Conflict, "ticket_transferred", "a ticket of the order was transferred")
