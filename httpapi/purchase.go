package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/purchase"
)

// Holds and orders are the signed-in caller's own: a buyer buys as
// themselves, and another buyer's hold or order is 404 (purchase.Service
// checks the buyer), so its id is not confirmed to exist.

// purchases returns the purchase service, or a 503 when the server runs
// without one.
func (s *Server) purchases() (*purchase.Service, error) {
	if s.Purchase == nil {
		return nil, &apiError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "purchasing is not available on this server"}
	}
	return s.Purchase, nil
}

type holdRequest struct {
	EventID string          `json:"event_id"`
	Lines   []purchase.Line `json:"lines"`
	// Code is an access or discount code to redeem; optional.
	Code string `json:"code"`
	// AdmissionToken is the buyer's admission from the event's waiting
	// room (or the AdmitOne-Admission header); needed while the room
	// is on.
	AdmissionToken string `json:"admission_token"`
}

func (s *Server) createHold(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.purchases()
	if err != nil {
		return err
	}
	var req holdRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.EventID) == "" {
		return fieldError("event_id", "event_id is required")
	}
	if len(req.Lines) == 0 {
		return fieldError("lines", "lines must have at least one line")
	}
	for i, l := range req.Lines {
		if l.TicketTypeID == "" {
			return fieldError("lines["+strconv.Itoa(i)+"].ticket_type_id", "lines["+strconv.Itoa(i)+"].ticket_type_id is required")
		}
	}
	admission := req.AdmissionToken
	if admission == "" {
		admission = r.Header.Get(admissionHeader)
	}
	h, err := svc.CreateHoldAdmitted(r.Context(), p.User.ID, req.EventID, req.Lines, req.Code, admission)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, h)
	return nil
}

func (s *Server) releaseHold(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.purchases()
	if err != nil {
		return err
	}
	if err := svc.ReleaseHold(r.Context(), r.PathValue("id"), p.User.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type orderRequest struct {
	HoldID string `json:"hold_id"`
	// BuyerCity is optional (purchase.CheckCity), for the organizer's
	// insights.
	BuyerCity string `json:"buyer_city"`
}

func (s *Server) checkout(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.purchases()
	if err != nil {
		return err
	}
	var req orderRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.HoldID) == "" {
		return fieldError("hold_id", "hold_id is required")
	}
	o, err := svc.CheckoutFrom(r.Context(), req.HoldID, p.User.ID, req.BuyerCity)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, o)
	return nil
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.purchases()
	if err != nil {
		return err
	}
	o, err := svc.Order(r.Context(), r.PathValue("id"), p.User.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}
