package sync

import (
	"fmt"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/purchase"
)

// CheckGate checks what every store requires of a new gate: an id, an
// event and a direction.
func CheckGate(g Gate) error {
	switch {
	case g.ID == "" || g.EventID == "":
		return fmt.Errorf("gate %q of event %q: id and event are required: %w", g.ID, g.EventID, ErrInvalid)
	case g.Direction != bundle.Entry && g.Direction != bundle.Exit:
		return fmt.Errorf("gate %s: direction %q must be %q or %q: %w", g.ID, g.Direction, bundle.Entry, bundle.Exit, ErrInvalid)
	}
	return nil
}

// CheckCheckins checks a batch for Store.RecordCheckins: at most
// MaxBatch check-ins, each of g's event and gate, with an id, a ticket
// and a direction.
func CheckCheckins(g Gate, cs []Checkin) error {
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

// CheckinChange is the change log entry of a check-in (Seq unset: the
// store numbers it), as purchase.IssueChange is a ticket's.
func CheckinChange(c Checkin) purchase.Change {
	return purchase.Change{
		EventID: c.EventID, Kind: purchase.ChangeCheckin, TicketID: c.TicketID, TypeNumber: c.TypeNumber, At: c.At,
		CheckinID: c.ID, GateID: c.GateID, Direction: string(c.Direction), Offline: c.Offline,
	}
}

// CheckEnrolment refuses the code of a revoked gate, and one at or past
// its expiry; both stores apply it inside EnrollGate.
func CheckEnrolment(g Gate, at time.Time) error {
	switch {
	case !g.RevokedAt.IsZero():
		return fmt.Errorf("gate %s: %w", g.ID, ErrRevoked)
	case !g.CodeExpiresAt.IsZero() && !at.Before(g.CodeExpiresAt):
		return fmt.Errorf("gate %s: the code expired at %s: %w", g.ID, g.CodeExpiresAt.Format(time.RFC3339), ErrExpired)
	}
	return nil
}
