package purchase

import (
	"errors"
	"fmt"

	"github.com/admitone/admitone/catalog"
)

// Domain errors. Stores return them wrapped with context ("reserve
// hld_...: sold out"); the HTTP edge maps each to a status code.
var (
	ErrNotFound = errors.New("not found")
	// ErrSoldOut is a reservation that does not fit what is left of a
	// ticket type or of the event's shared capacity. The wrapping error
	// names the ticket type (or event) that ran out.
	ErrSoldOut = errors.New("sold out")
	// ErrExpired is a hold past its expiry: it can no longer be checked
	// out.
	ErrExpired = errors.New("hold expired")
	// ErrConflict is a request that clashes with what is stored: a hold
	// ordered twice, an id taken, an Idempotency-Key reused for a
	// different request, a payment recorded with another intent.
	ErrConflict = errors.New("conflict")
	// ErrState is an order or hold transition that is not allowed in its
	// current status, e.g. refunding an unpaid order.
	ErrState = errors.New("not allowed in the current status")
	// ErrNotOnSale is a purchase of an event that is not published, or of
	// a ticket type outside its sale window.
	ErrNotOnSale = errors.New("not on sale")
	// ErrBuyerLimit is a reservation that would give one buyer more of a
	// ticket type than its per-buyer limit.
	ErrBuyerLimit = errors.New("per-buyer limit reached")
)

// ErrInvalid is catalog.ErrInvalid: invalid input. Where one field is at
// fault the error is a *catalog.FieldError naming it, so the HTTP edge
// reports purchase and catalog input errors the same way.
var ErrInvalid = catalog.ErrInvalid

// invalid returns a FieldError whose message starts with the field name.
func invalid(field, format string, args ...any) error {
	return &catalog.FieldError{Field: field, Message: field + " " + fmt.Sprintf(format, args...)}
}

// ErrRefundClosed is a buyer's refund asked for after the refund cutoff.
var ErrRefundClosed = errors.New("refund period over")

// ErrTicketUsed is a transfer or a buyer's refund of a ticket that was
// used to enter: the server has an entry check-in on record for it (or
// for a ticket it replaced). One ticket admits one person: once someone
// is inside on it, it cannot be handed on or its money taken back by the
// buyer. The wrapping error names the ticket and the gate.
var ErrTicketUsed = errors.New("ticket already used to enter")

// ErrTicketsLocked is a transfer or a buyer's refund asked for after
// doors opened for an event whose organizer locks tickets at doors
// (catalog.Event.LockTicketsAtDoors).
var ErrTicketsLocked = errors.New("tickets locked since doors opened")

// ErrTransferred is a buyer's refund of an order one of whose tickets
// the buyer transferred to someone else: that ticket is the recipient's
// now, and refunding the order would revoke it while the buyer keeps
// the money.
var ErrTransferred = errors.New("a ticket of the order was transferred")
