package scanner

import (
	"fmt"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

// Verdict is the outcome of a scan. The names are stable: they appear in
// the UI, the API, logs and metrics.
type Verdict string

const (
	Accepted         Verdict = "accepted"
	AlreadyUsed      Verdict = "already_used"
	Revoked          Verdict = "revoked"
	WrongEvent       Verdict = "wrong_event"
	NotAllowedHere   Verdict = "not_allowed_here"
	NotYetValid      Verdict = "not_yet_valid"
	Expired          Verdict = "expired"
	InvalidSignature Verdict = "invalid_signature"
	UnknownKey       Verdict = "unknown_key"
	CodeExpired      Verdict = "code_expired"
	Malformed        Verdict = "malformed"
	UnknownTicket    Verdict = "unknown_ticket"
)

// Verdicts lists every verdict, for metrics and documentation.
var Verdicts = []Verdict{Accepted, AlreadyUsed, Revoked, WrongEvent, NotAllowedHere, NotYetValid,
	Expired, InvalidSignature, UnknownKey, CodeExpired, Malformed, UnknownTicket}

// Admits reports whether the verdict lets the holder through.
func (v Verdict) Admits() bool { return v == Accepted }

// Ticket is what a scan identified: a verified AdmitOne token, or an entry
// of the ticket list found by its foreign barcode.
type Ticket struct {
	ID         ticketcrypto.TicketID
	Event      ticketcrypto.EventID
	TypeNumber uint16
	ValidFrom  time.Time // zero: unbounded
	ValidUntil time.Time // zero: unbounded
	Token      bool      // read from a signed AdmitOne token
}

// TicketState is what the gate's store knows of a ticket when it is
// scanned.
type TicketState struct {
	Listed  bool               // on the pushed ticket list
	Revoked *bundle.Revocation // nil unless revoked
	// Uses is the number of accepted entries so far, Inside whether the
	// last accepted scan was an entry.
	Uses   int
	Inside bool
	// Last is the last accepted scan (entry or exit), if any.
	Last *changelog.Checkin
	// Holder is the holder's name from the ticket list, if it has one.
	Holder string
}

// Decision is the verdict engine's answer for a read ticket.
type Decision struct {
	Verdict Verdict
	Reason  string
	// Record is true when the scan must be committed as a check-in before
	// the verdict is shown.
	Record bool
	// Previous is the earlier check-in behind already_used.
	Previous *changelog.Checkin
	// Holder is the ticket's holder's name from the ticket list, for the
	// screen; the store sets it, Decide does not.
	Holder string
}

// Decide applies a gate's rules to a read ticket and its stored state; a
// profile for both directions decides an entry (the store passes the
// scan's direction in p.Direction). It is pure: the store calls it inside the transaction that records the
// check-in, so two lanes cannot both admit one ticket.
func Decide(p bundle.GateProfile, now time.Time, t Ticket, st TicketState) Decision {
	switch {
	case t.Event != p.Event:
		return Decision{Verdict: WrongEvent, Reason: fmt.Sprintf("ticket is for event %s; this gate checks %s", t.Event, eventLabel(p))}
	case p.Mode == bundle.ModeListed && !st.Listed:
		return Decision{Verdict: UnknownTicket, Reason: fmt.Sprintf("ticket %s is not on this gate's ticket list", t.ID)}
	case st.Revoked != nil:
		return Decision{Verdict: Revoked, Reason: revokedReason(t.ID, st.Revoked)}
	case !p.AdmitsType(t.TypeNumber):
		return Decision{Verdict: NotAllowedHere, Reason: fmt.Sprintf("ticket type %d is not admitted at gate %s", t.TypeNumber, p.GateID)}
	case !t.ValidFrom.IsZero() && now.Before(t.ValidFrom):
		return Decision{Verdict: NotYetValid, Reason: "ticket is valid from " + t.ValidFrom.UTC().Format(time.RFC3339)}
	case !t.ValidUntil.IsZero() && !now.Before(t.ValidUntil):
		return Decision{Verdict: Expired, Reason: "ticket expired at " + t.ValidUntil.UTC().Format(time.RFC3339)}
	}
	if p.Direction == bundle.Exit {
		if !st.Inside {
			return Decision{Verdict: Accepted, Record: true, Reason: "exit recorded (the ticket had no entry on record)"}
		}
		if p.AllowReentry {
			return Decision{Verdict: Accepted, Record: true, Reason: "exit recorded; re-entry allowed"}
		}
		return Decision{Verdict: Accepted, Record: true, Reason: "exit recorded; re-entry is not allowed"}
	}
	switch {
	case st.Uses == 0:
		return Decision{Verdict: Accepted, Record: true, Reason: "welcome"}
	case st.Inside || !p.AllowReentry:
		return Decision{Verdict: AlreadyUsed, Previous: st.Last, Reason: usedReason(st)}
	default:
		return Decision{Verdict: Accepted, Record: true, Reason: fmt.Sprintf("re-entry (entry %d)", st.Uses+1)}
	}
}

func eventLabel(p bundle.GateProfile) string {
	if p.EventName != "" {
		return fmt.Sprintf("%s (%s)", p.Event, p.EventName)
	}
	return p.Event.String()
}

func revokedReason(id ticketcrypto.TicketID, r *bundle.Revocation) string {
	s := fmt.Sprintf("ticket %s was revoked", id)
	if !r.At.IsZero() {
		s += " at " + r.At.UTC().Format(time.RFC3339)
	}
	if r.Reason != "" {
		s += ": " + r.Reason
	}
	return s
}

func usedReason(st TicketState) string {
	if st.Last == nil {
		return "ticket was already used"
	}
	if st.Inside {
		return fmt.Sprintf("ticket entered at %s through gate %s and has not left", st.Last.At.UTC().Format(time.RFC3339), st.Last.GateID)
	}
	return fmt.Sprintf("ticket was already used at %s through gate %s; re-entry is not allowed", st.Last.At.UTC().Format(time.RFC3339), st.Last.GateID)
}
