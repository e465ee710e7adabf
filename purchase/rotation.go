package purchase

import (
	"context"
	"fmt"
	"time"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/errkind"
)

// Errors of RotationSecret: the holder asked for the secret of a ticket
// that no longer admits (410 at the HTTP edge), or of one that has no
// rotating code.
var (
	ErrTicketRevoked = errkind.New(errkind.Expired, "ticket_revoked", "ticket revoked")
	// ErrTicketTransferred is the former holder of a ticket they gave to
	// another account: the recipient's ticket has its own secret.
	ErrTicketTransferred = errkind.New(errkind.Expired, "ticket_transferred", "ticket transferred to another account")
	ErrTicketExpired     = errkind.New(errkind.Expired, "ticket_expired", "ticket past its validity")
	ErrNotRotating       = errkind.New(errkind.Conflict, "not_rotating", "ticket has no rotating code")
)

// RotationSecret is what a device needs to compute a rotating ticket's
// codes offline: the RFC 6238 parameters the gates check with
// (ticketcrypto.RotationKey.VerifyCode).
type RotationSecret struct {
	TicketID string
	// Secret is the ticket's HMAC-SHA1 key
	// (ticketcrypto.RotationKey.TicketSecret).
	Secret []byte
	Digits int
	Period time.Duration
	// ValidUntil is when the ticket stops admitting (zero: unbounded).
	ValidUntil time.Time
}

// RotationSecret hands a rotating ticket's secret to its holder, only
// while the ticket is valid. Another account's ticket, or an unknown
// one, is ErrNotFound; a refunded or otherwise revoked one
// ErrTicketRevoked, a transferred one ErrTicketTransferred (the
// recipient asks for the new ticket's secret, which differs: it is
// derived from the new ticket id), one past its validity
// ErrTicketExpired, and one whose token needs no rotating code
// ErrNotRotating.
func (s *Service) RotationSecret(ctx context.Context, ticketID, holderID string) (RotationSecret, error) {
	t, err := s.Ticket(ctx, ticketID, holderID)
	if err != nil {
		return RotationSecret{}, err
	}
	if err := checkAdmits(t, s.now()); err != nil {
		return RotationSecret{}, err
	}
	// The token, not the stored flag, is what the gate reads.
	sc, err := ticketcrypto.ParseText(t.Token)
	if err != nil {
		return RotationSecret{}, fmt.Errorf("ticket %s: stored token: %w", t.ID, err)
	}
	if !sc.Rotating() {
		return RotationSecret{}, fmt.Errorf("ticket %s: its ticket type shows a static code: %w", t.ID, ErrNotRotating)
	}
	key, err := s.RotationKey(ctx, t.EventID)
	if err != nil {
		return RotationSecret{}, fmt.Errorf("ticket %s: %w", t.ID, err)
	}
	return RotationSecret{
		TicketID: t.ID, Secret: key.TicketSecret(sc.Event, sc.Ticket),
		Digits: ticketcrypto.RotatingCodeDigits, Period: ticketcrypto.RotatingStep, ValidUntil: t.ValidUntil,
	}, nil
}

// checkAdmits refuses a ticket that no longer admits at now, saying why.
func checkAdmits(t Ticket, now time.Time) error {
	switch {
	case t.Status != TicketValid && t.RevokeReason == RevokedTransferred:
		return fmt.Errorf("ticket %s was transferred to another account; it no longer admits: %w", t.ID, ErrTicketTransferred)
	case t.Status != TicketValid:
		why := ""
		if t.RevokeReason != "" {
			why = " (" + t.RevokeReason + ")"
		}
		return fmt.Errorf("ticket %s was revoked%s; it no longer admits: %w", t.ID, why, ErrTicketRevoked)
	case !t.ValidUntil.IsZero() && now.After(t.ValidUntil):
		return fmt.Errorf("ticket %s admitted until %s: %w", t.ID, t.ValidUntil.UTC().Format(time.RFC3339), ErrTicketExpired)
	}
	return nil
}
