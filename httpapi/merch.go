package httpapi

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/merch"
	"github.com/admitone/admitone/qr"
)

// Merchandise: the buyer of a paid order with merchandise gets the
// order's code (GET /v1/orders/{id}/pickup), which a merch desk scans
// and sends with its device credential (POST /v1/gate/pickups); the
// server hands out each line once across desks (package merch).

func (s *Server) merch() (*merch.Service, error) {
	if s.Merch == nil {
		return nil, &apiError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "merchandise pickup is not available on this server"}
	}
	return s.Merch, nil
}

type pickupCode struct {
	merch.Code
	// CodeQR is the code as a PNG QR image, base64.
	CodeQR []byte `json:"code_qr_png"`
}

func (s *Server) orderPickupCode(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.merch()
	if err != nil {
		return err
	}
	c, err := svc.Code(r.Context(), r.PathValue("id"), p.User.ID)
	if err != nil {
		return err
	}
	var png bytes.Buffer
	if err := qr.PNG(c.Code, 6, &png); err != nil {
		return fmt.Errorf("order %s: code QR: %w", c.OrderID, err)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, pickupCode{Code: c, CodeQR: png.Bytes()})
	return nil
}

type pickupRequest struct {
	Code string `json:"code"`
}

// gatePickup hands out the merchandise of the order whose code a merch
// desk scanned; the desk authenticates with its device credential.
func (s *Server) gatePickup(w http.ResponseWriter, r *http.Request, _ *account.Principal) error {
	svc, err := s.merch()
	if err != nil {
		return err
	}
	g, err := s.gateOfRequest(r)
	if err != nil {
		return err
	}
	var req pickupRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if len(req.Code) > 256 {
		return fieldError("code", "code is over 256 characters; an order code (AO1:...) is 135")
	}
	res, err := svc.Pickup(r.Context(), g, req.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
