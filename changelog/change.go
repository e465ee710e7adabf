package changelog

import (
	"time"

	"github.com/admitone/admitone/bundle"
)

// Kind is what a change log entry records.
type Kind string

const (
	KindIssue  Kind = "issue"
	KindRevoke Kind = "revoke"
	// KindCheckin is a check-in a gate uploaded (see package sync).
	KindCheckin Kind = "checkin"
	// KindValidity says that the event's tickets admit until At (the
	// event moved): a gate takes it over a token's own, earlier, end of
	// validity, so a ticket issued before the move is not expired on the
	// new date. It names no ticket.
	KindValidity Kind = "validity"
)

// Change is one entry of an event's change log: the ordered record of
// every ticket issued or revoked for the event and every check-in its
// gates uploaded, which gates sync from.
// Seq numbers an event's entries 1, 2, 3, ... without gaps, in commit
// order.
type Change struct {
	EventID    string `json:"event_id"`
	Seq        int64  `json:"seq"`
	Kind       Kind   `json:"kind"`
	TicketID   string `json:"ticket_id"`
	TypeNumber uint16 `json:"type_number"`
	// Reason is a revoke's reason (purchase.RevokedRefunded, ...).
	Reason string `json:"reason,omitempty"`
	// Replaces is, on an issue, the ticket the new one replaces (a
	// transfer): gates and the server carry its entry state over, so the
	// replacement of a ticket someone entered on is already used.
	Replaces string `json:"replaces,omitempty"`
	// At is when the ticket was issued or revoked, or when the gate
	// scanned it.
	At time.Time `json:"at"`
	// A check-in's gate-made id ("ci_..."), gate, direction and whether
	// the gate was offline when it scanned.
	CheckinID string           `json:"checkin_id,omitempty"`
	GateID    string           `json:"gate_id,omitempty"`
	Direction bundle.Direction `json:"direction,omitempty"`
	Offline   bool             `json:"offline,omitempty"`
}

// MaxChanges bounds one read of the log.
const MaxChanges = 10_000

// ValidityChange is the entry saying that an event's tickets admit until
// validUntil (Seq unset: the store numbers it).
func ValidityChange(eventID string, validUntil time.Time) Change {
	return Change{EventID: eventID, Kind: KindValidity, At: validUntil}
}

// Checkin is the check-in a KindCheckin entry records.
func (ch Change) Checkin() Checkin {
	return Checkin{
		ID: ch.CheckinID, EventID: ch.EventID, GateID: ch.GateID, TicketID: ch.TicketID, TypeNumber: ch.TypeNumber,
		Direction: ch.Direction, At: ch.At, Offline: ch.Offline,
	}
}
