package sync

import (
	"fmt"
	"reflect"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
)

// CheckGate checks what every store requires of a new gate: an id, an
// event and a direction.
func CheckGate(g Gate) error {
	switch {
	case g.ID == "" || g.EventID == "":
		return fmt.Errorf("gate %q of event %q: id and event are required: %w", g.ID, g.EventID, ErrInvalid)
	case g.Direction != bundle.Entry && g.Direction != bundle.Exit && g.Direction != bundle.Both:
		return fmt.Errorf("gate %s: direction %q must be %q, %q or %q: %w", g.ID, g.Direction, bundle.Entry, bundle.Exit, bundle.Both, ErrInvalid)
	case g.Purpose != "" && g.Purpose != PurposeMerchPickup:
		return fmt.Errorf("gate %s: purpose %q must be empty or %q: %w", g.ID, g.Purpose, PurposeMerchPickup, ErrInvalid)
	}
	return nil
}

// CheckGateChange checks what every store requires of a changed gate:
// only its name, direction, re-entry and types changed, and it is still
// a gate CheckGate accepts.
func CheckGateChange(old, next Gate) error {
	same := next
	same.Name, same.Direction, same.AllowReentry, same.Types = old.Name, old.Direction, old.AllowReentry, old.Types
	if !reflect.DeepEqual(same, old) {
		return fmt.Errorf("gate %s: only name, direction, allow_reentry and types may change: %w", old.ID, ErrInvalid)
	}
	return CheckGate(next)
}

// CheckCheckins checks a batch for Store.RecordCheckins: at most
// MaxBatch check-ins, each of g's event and gate, with an id, a ticket
// and a direction.
func CheckCheckins(g Gate, cs []changelog.Checkin) error {
	if len(cs) > MaxBatch {
		return fmt.Errorf("%d check-ins of gate %s in one batch, more than %d: %w", len(cs), g.ID, MaxBatch, ErrInvalid)
	}
	for i, c := range cs {
		switch {
		case c.EventID != g.EventID || c.GateID != g.ID:
			return fmt.Errorf("check-in %d (%s) names event %q and gate %q, not gate %s of event %s: %w",
				i, c.ID, c.EventID, c.GateID, g.ID, g.EventID, ErrInvalid)
		case c.ID == "" || c.TicketID == "":
			return fmt.Errorf("check-in %d of gate %s: id and ticket are required: %w", i, g.ID, ErrInvalid)
		case c.Direction != bundle.Entry && c.Direction != bundle.Exit:
			return fmt.Errorf("check-in %s: direction %q must be %q or %q: %w", c.ID, c.Direction, bundle.Entry, bundle.Exit, ErrInvalid)
		}
	}
	return nil
}

// CheckEnrollment refuses the code of a revoked gate, and one at or past
// its expiry; both stores apply it inside EnrollGate.
func CheckEnrollment(g Gate, at time.Time) error {
	switch {
	case !g.RevokedAt.IsZero():
		return fmt.Errorf("gate %s: %w", g.ID, ErrRevoked)
	case !g.CodeExpiresAt.IsZero() && !at.Before(g.CodeExpiresAt):
		return fmt.Errorf("gate %s: the code expired at %s: %w", g.ID, g.CodeExpiresAt.Format(time.RFC3339), ErrExpired)
	}
	return nil
}

// CheckQuarantine checks a batch for Store.QuarantineCheckins as
// CheckCheckins does, and that each names a reason.
func CheckQuarantine(g Gate, qs []Quarantined) error {
	cs := make([]changelog.Checkin, len(qs))
	for i, q := range qs {
		if q.Reason == "" {
			return fmt.Errorf("quarantined check-in %s has no reason: %w", q.ID, ErrInvalid)
		}
		cs[i] = q.Checkin
	}
	return CheckCheckins(g, cs)
}

// CheckUpload decides whether an uploaded check-in fits the event: the
// ticket it names is one the server issued (t, when known) for the
// gate's event, of the type the check-in names, and it was scanned
// between the ticket's issue and the end of its validity, not after the
// server's receivedAt, each give or take MaxClockSkew. It returns "" for
// a check-in to record, or a quarantine reason and a detail in words.
func CheckUpload(c changelog.Checkin, t IssuedTicket, known bool, receivedAt time.Time) (reason, detail string) {
	at := c.At.UTC().Format(time.RFC3339)
	switch {
	case !known:
		return QuarantineUnknownTicket, fmt.Sprintf("ticket %s was not issued by this server", c.TicketID)
	case t.EventID != c.EventID:
		return QuarantineWrongEvent, fmt.Sprintf("ticket %s is for event %s, not %s", c.TicketID, t.EventID, c.EventID)
	case t.TypeNumber != c.TypeNumber:
		return QuarantineWrongType, fmt.Sprintf("ticket %s is of type %d, the check-in says %d", c.TicketID, t.TypeNumber, c.TypeNumber)
	case c.At.Before(t.IssuedAt.Add(-MaxClockSkew)):
		return QuarantineBadTime, fmt.Sprintf("scanned at %s, before the ticket was issued (%s)", at, t.IssuedAt.UTC().Format(time.RFC3339))
	case c.At.After(receivedAt.Add(MaxClockSkew)):
		return QuarantineBadTime, fmt.Sprintf("scanned at %s, later than the server's clock (%s)", at, receivedAt.UTC().Format(time.RFC3339))
	case !t.ValidUntil.IsZero() && c.At.After(t.ValidUntil.Add(MaxClockSkew)):
		return QuarantineBadTime, fmt.Sprintf("scanned at %s, after the ticket stopped admitting (%s)", at, t.ValidUntil.UTC().Format(time.RFC3339))
	}
	return "", ""
}
