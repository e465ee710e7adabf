package changelog

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/admitone/admitone/bundle"
)

// Checkin is one accepted scan: made at a gate, kept in its outbox,
// uploaded to the server (sync's upload frame) and recorded there in the
// event's log. ID is made at the gate (a CheckinID's text form) and
// unique everywhere, so a resend after a lost acknowledgement is
// recognised and stored once. The ids are text, as on the wire: the
// server checks an upload's fields (sync.ValidateCheckin) rather than
// failing to parse them.
type Checkin struct {
	ID       string `json:"id"`
	TicketID string `json:"ticket_id"`
	EventID  string `json:"event_id"`
	// TypeNumber is the ticket type's number in the token.
	TypeNumber uint16           `json:"ticket_type"`
	GateID     string           `json:"gate_id"`
	Direction  bundle.Direction `json:"direction"`
	At         time.Time        `json:"at"`
	// Offline is set when the gate had no server connection at the time.
	Offline bool `json:"offline,omitempty"`
}

// Change is the log entry of c (Seq unset: the store numbers it).
func (c Checkin) Change() Change {
	return Change{
		EventID: c.EventID, Kind: KindCheckin, TicketID: c.TicketID, TypeNumber: c.TypeNumber, At: c.At,
		CheckinID: c.ID, GateID: c.GateID, Direction: c.Direction, Offline: c.Offline,
	}
}

// CheckinID is 8 bytes of Unix nanoseconds then 8 random bytes, so ids
// sort by time and never collide between gates. Text form "ci_" + 32 hex.
type CheckinID [16]byte

const checkinIDPrefix = "ci_"

// NewCheckinID makes an id for a check-in at time at.
func NewCheckinID(at time.Time) CheckinID {
	var id CheckinID
	binary.BigEndian.PutUint64(id[:8], uint64(at.UnixNano()))
	rand.Read(id[8:])
	return id
}

// String returns the text form.
func (id CheckinID) String() string { return checkinIDPrefix + hex.EncodeToString(id[:]) }

// MarshalText implements encoding.TextMarshaler.
func (id CheckinID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *CheckinID) UnmarshalText(b []byte) error {
	v, err := ParseCheckinID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// ParseCheckinID parses the text form of a check-in id.
func ParseCheckinID(s string) (CheckinID, error) {
	var id CheckinID
	rest, ok := strings.CutPrefix(s, checkinIDPrefix)
	if !ok || len(rest) != 32 {
		return id, fmt.Errorf("check-in id %q: want %q and 32 hex digits", s, checkinIDPrefix)
	}
	if _, err := hex.Decode(id[:], []byte(rest)); err != nil {
		return id, fmt.Errorf("check-in id %q: invalid hex", s)
	}
	return id, nil
}
