package voucher

import (
	"crypto/sha256"
	"crypto/subtle"
	"slices"
	"time"
)

// Kind says what a code does.
type Kind string

const (
	// KindAccess unlocks hidden ticket types (TicketTypeIDs).
	KindAccess Kind = "access"
	// KindDiscount takes PercentOff or AmountOff off each ticket of the
	// types it applies to.
	KindDiscount Kind = "discount"
)

// Code is an access or discount code of one event.
type Code struct {
	ID      string `json:"id"` // "vch_" + 24 hex
	EventID string `json:"event_id"`
	// Code is the text buyers type, normalized (Normalize).
	Code string `json:"code"`
	Kind Kind   `json:"kind"`
	// TicketTypeIDs are the types the code applies to: for an access
	// code the hidden types it unlocks (at least one), for a discount
	// the types discounted (none: all of the event's).
	TicketTypeIDs []string `json:"ticket_type_ids"`
	// PercentOff (1..100) or AmountOff (minor units per ticket, at most
	// the ticket's price) is a discount code's reduction; one of them.
	PercentOff int   `json:"percent_off,omitempty"`
	AmountOff  int64 `json:"amount_off,omitempty"`
	// MaxUses is how many tickets the code may be redeemed for; 0 means
	// no limit.
	MaxUses int `json:"max_uses"`
	// ValidFrom and ValidUntil bound when a hold may redeem the code;
	// zero means no bound.
	ValidFrom  time.Time `json:"valid_from,omitzero"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
	// DisabledAt is when an organizer disabled the code; zero: enabled.
	DisabledAt time.Time `json:"disabled_at,omitzero"`
	CreatedAt  time.Time `json:"created_at"`
}

// AppliesTo reports whether the code applies to a ticket type.
func (c Code) AppliesTo(ticketTypeID string) bool {
	if c.Kind == KindDiscount && len(c.TicketTypeIDs) == 0 {
		return true
	}
	return slices.Contains(c.TicketTypeIDs, ticketTypeID)
}

// Unlocks reports whether the code is an access code for a ticket type.
func (c Code) Unlocks(ticketTypeID string) bool {
	return c.Kind == KindAccess && slices.Contains(c.TicketTypeIDs, ticketTypeID)
}

// Lookup is the key a store finds a code by: SHA-256 of the event id, a
// zero byte and the normalized text. Stores never search by the text.
func Lookup(eventID, normalized string) []byte {
	h := sha256.New()
	h.Write([]byte(eventID))
	h.Write([]byte{0})
	h.Write([]byte(normalized))
	return h.Sum(nil)
}

// matches compares the code's text with a normalized one in constant time.
func (c Code) matches(normalized string) bool {
	return subtle.ConstantTimeCompare(Lookup(c.EventID, c.Code), Lookup(c.EventID, normalized)) == 1
}

// Listed is a code as organizers see it: with the uses taken and left.
type Listed struct {
	Code
	// Used is how many tickets redeemed the code in active holds and in
	// pending, paid or refunded orders.
	Used int `json:"used"`
	// UsesLeft is MaxUses minus Used; absent when the code has no limit.
	UsesLeft *int `json:"uses_left,omitempty"`
}
