package httpapi

import (
	"encoding/base64"
	"net/http"
	"time"

	"github.com/admitone/admitone/account"
)

// rotationJSON is a rotating ticket's secret as its holder's device
// keeps it: the RFC 6238 parameters the gates verify with.
type rotationJSON struct {
	TicketID string `json:"ticket_id"`
	// Secret is base64url without padding.
	Secret     string    `json:"secret"`
	Digits     int       `json:"digits"`
	Period     int       `json:"period"`
	Algorithm  string    `json:"algorithm"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
}

// ticketRotation hands the holder of a valid rotating ticket its secret,
// so the device computes the codes offline (purchase.Service.RotationSecret
// decides who gets it).
func (s *Server) ticketRotation(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.purchases()
	if err != nil {
		return err
	}
	rs, err := svc.RotationSecret(r.Context(), r.PathValue("id"), p.User.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, rotationJSON{
		TicketID: rs.TicketID, Secret: base64.RawURLEncoding.EncodeToString(rs.Secret),
		Digits: rs.Digits, Period: int(rs.Period / time.Second), Algorithm: "SHA1", ValidUntil: rs.ValidUntil,
	})
	return nil
}
