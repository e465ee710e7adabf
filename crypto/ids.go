package crypto

import (
	"crypto/rand"
	"encoding/hex"
)

const (
	eventIDPrefix  = "ev_"
	ticketIDPrefix = "tk_"
)

// EventID identifies an event: 8 random bytes, text form "ev_" and 16 lower
// case hex digits. The server's catalog uses the same ids.
type EventID [8]byte

// NewEventID returns a random event id.
func NewEventID() EventID {
	var id EventID
	rand.Read(id[:]) // crypto/rand.Read never fails (Go 1.24+)
	return id
}

// String returns the text form.
func (id EventID) String() string { return eventIDPrefix + hex.EncodeToString(id[:]) }

// IsZero reports whether id is the zero value.
func (id EventID) IsZero() bool { return id == EventID{} }

// MarshalText implements encoding.TextMarshaler.
func (id EventID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *EventID) UnmarshalText(b []byte) error {
	v, err := ParseEventID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// ParseEventID parses the text form of an event id.
func ParseEventID(s string) (EventID, error) {
	var id EventID
	if err := parseHexID(s, eventIDPrefix, id[:], "event id"); err != nil {
		return EventID{}, err
	}
	return id, nil
}

// TicketID identifies a ticket: 12 random bytes (96 bits, so ids cannot be
// guessed or enumerated), text form "tk_" and 24 lower case hex digits.
type TicketID [12]byte

// NewTicketID returns a random ticket id.
func NewTicketID() TicketID {
	var id TicketID
	rand.Read(id[:])
	return id
}

// String returns the text form.
func (id TicketID) String() string { return ticketIDPrefix + hex.EncodeToString(id[:]) }

// IsZero reports whether id is the zero value.
func (id TicketID) IsZero() bool { return id == TicketID{} }

// MarshalText implements encoding.TextMarshaler.
func (id TicketID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *TicketID) UnmarshalText(b []byte) error {
	v, err := ParseTicketID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// ParseTicketID parses the text form of a ticket id.
func ParseTicketID(s string) (TicketID, error) {
	var id TicketID
	if err := parseHexID(s, ticketIDPrefix, id[:], "ticket id"); err != nil {
		return TicketID{}, err
	}
	return id, nil
}
