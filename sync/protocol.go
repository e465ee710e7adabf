package sync

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
)

// Frame types. See doc.go for who sends each and what answers it.
const (
	TypeHello   = "hello"   // gate -> server, first frame
	TypeWelcome = "welcome" // server -> gate, answer to hello
	TypeUpload  = "upload"  // gate -> server: check-ins from the outbox
	TypeAck     = "ack"     // server -> gate: check-ins stored
	TypeChanges = "changes" // server -> gate: the event's log entries
	TypeStatus  = "status"  // gate -> server: the gate's health (StatusVersion)
)

// ProtocolVersion is the version a hello carries; the server refuses
// others. Gates always say 1, which every server speaks.
const ProtocolVersion = 1

// StatusVersion is the version a welcome carries from a server that
// takes status frames: the welcome's version is the highest the server
// speaks, and a gate sends status frames only to a server whose welcome
// says StatusVersion or more. A server before it says 1 (and closes the
// connection on a frame type it does not know); a gate before it reads
// no version from the welcome and sends no status.
const StatusVersion = 2

// Limits on frames.
const (
	// MaxFrameBytes bounds one frame either way: a full upload of
	// MaxBatch check-ins is about 120 KiB.
	MaxFrameBytes = 256 << 10
	// MaxChangesPerFrame bounds one changes frame: 500 entries of at most
	// about 300 bytes each stay well under MaxFrameBytes.
	MaxChangesPerFrame = 500
)

// Frame is one websocket text message: a JSON object whose type says
// which of the other fields it uses.
type Frame struct {
	Type string `json:"type"`

	// hello
	Version    int       `json:"version,omitempty"`
	Since      int64     `json:"since,omitempty"` // the last seq the gate applied
	ClientTime time.Time `json:"client_time,omitzero"`

	// welcome
	ServerTime time.Time `json:"server_time,omitzero"`
	GateID     string    `json:"gate_id,omitempty"`
	EventID    string    `json:"event_id,omitempty"`
	Head       int64     `json:"head,omitempty"` // the log's last seq when the gate connected

	// upload
	Checkins []changelog.Checkin `json:"checkins,omitempty"`

	// ack
	IDs []string `json:"ids,omitempty"`

	// changes
	Changes []changelog.Change `json:"changes,omitempty"`

	// status (with client_time: the gate's clock)
	Status *GateReport `json:"status,omitempty"`
}

// Close codes (RFC 6455 and the 4000-4999 private range) with which the
// server ends a connection; the reason text names the problem.
const (
	CloseNormal       = 1000
	CloseGoingAway    = 1001 // the server shuts down
	CloseProtocol     = 1002 // a frame out of order (no hello first, ...)
	CloseUnsupported  = 1003 // an unknown frame type, a binary frame
	CloseBadData      = 1007 // malformed JSON or a bad field
	ClosePolicy       = 1008 // rate limit, another event's check-ins
	CloseTooBig       = 1009 // a frame over MaxFrameBytes
	CloseInternal     = 1011 // the server failed to store
	CloseRevoked      = 4003 // the gate's device was revoked
	CloseVersion      = 4004 // protocol version not supported
	CloseHelloTimeout = 4008 // no hello in time
	CloseSlowGate     = 4009 // the gate does not read fast enough
)

// ParseFrame decodes one frame strictly: one JSON object of known fields
// and a known type, within MaxFrameBytes. Errors name the problem.
func ParseFrame(b []byte) (Frame, error) {
	var f Frame
	if len(b) > MaxFrameBytes {
		return f, fmt.Errorf("frame of %d bytes is over the %d byte limit: %w", len(b), MaxFrameBytes, ErrTooBig)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Frame{}, fmt.Errorf("malformed frame: %v", err)
	}
	if dec.More() {
		return Frame{}, fmt.Errorf("malformed frame: data after the JSON object")
	}
	switch f.Type {
	case TypeHello, TypeWelcome, TypeUpload, TypeAck, TypeChanges:
		if f.Status != nil {
			return Frame{}, fmt.Errorf("a %s frame carries no status: %w", f.Type, ErrInvalid)
		}
	case TypeStatus:
		if f.Status == nil || f.ClientTime.IsZero() {
			return Frame{}, fmt.Errorf("a status frame needs status and client_time: %w", ErrInvalid)
		}
		if err := f.Status.Validate(); err != nil {
			return Frame{}, err
		}
		if len(f.Status.Refusals) == 0 {
			f.Status.Refusals = nil // {} and none are one
		}
	case "":
		return Frame{}, fmt.Errorf("frame has no type")
	default:
		return Frame{}, &UnknownTypeError{Type: f.Type}
	}
	if len(f.Checkins) > MaxBatch {
		return Frame{}, fmt.Errorf("upload of %d check-ins is over the %d limit", len(f.Checkins), MaxBatch)
	}
	for i, c := range f.Checkins {
		if err := ValidateCheckin(c); err != nil {
			return Frame{}, fmt.Errorf("checkins[%d]: %w", i, err)
		}
	}
	return f, nil
}

// ErrTooBig is a frame over MaxFrameBytes.
var ErrTooBig = errors.New("frame too big")

// UnknownTypeError is a frame whose type this side does not know.
type UnknownTypeError struct{ Type string }

func (e *UnknownTypeError) Error() string {
	t := e.Type
	if len(t) > 32 {
		t = t[:32] + "..."
	}
	return fmt.Sprintf("unknown frame type %q", t)
}

// ValidateCheckin checks the fields of an uploaded check-in.
func ValidateCheckin(c changelog.Checkin) error {
	switch {
	case len(c.ID) != 35 || c.ID[:3] != "ci_" || !isHex(c.ID[3:]):
		return fmt.Errorf("id %q is not a check-in id (ci_ and 32 hex digits): %w", clip(c.ID), ErrInvalid)
	case len(c.TicketID) != 27 || c.TicketID[:3] != "tk_" || !isHex(c.TicketID[3:]):
		return fmt.Errorf("ticket_id %q is not a ticket id: %w", clip(c.TicketID), ErrInvalid)
	case c.Direction != bundle.Entry && c.Direction != bundle.Exit:
		return fmt.Errorf("direction %q is not entry or exit: %w", clip(string(c.Direction)), ErrInvalid)
	case c.At.IsZero():
		return fmt.Errorf("check-in %s has no time: %w", c.ID, ErrInvalid)
	case len(c.EventID) > 64 || len(c.GateID) > 64:
		return fmt.Errorf("check-in %s: event_id or gate_id too long: %w", c.ID, ErrInvalid)
	}
	return nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
