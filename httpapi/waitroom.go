package httpapi

import (
	"net/http"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/waitroom"
)

// Waiting rooms (package waitroom). Organizers of the event's
// organization turn an on-sale's room on and set its rate; any
// signed-in buyer joins the queue of a published event whose room is on
// and polls it, and holds (POST /v1/holds) with the admission token
// the poll gives once admitted: "admission_token" in the body, or the
// AdmitOne-Admission header.

// admissionHeader carries an admission token as an alternative to the
// hold request's admission_token.
const admissionHeader = "AdmitOne-Admission"

func (s *Server) waitroom() (*waitroom.Service, error) {
	if s.Waitroom == nil {
		return nil, &apiError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "waiting rooms are not available on this server"}
	}
	return s.Waitroom, nil
}

type waitingRoomRequest struct {
	Enabled             bool   `json:"enabled"`
	AdmitPerMinute      int    `json:"admit_per_minute"`
	AdmissionTTLSeconds int    `json:"admission_ttl_seconds"`
	OpensAt             string `json:"opens_at"`
}

func (s *Server) putWaitingRoom(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.waitroom()
	if err != nil {
		return err
	}
	eventID, err := s.requireEventOrg(r, p)
	if err != nil {
		return err
	}
	var req waitingRoomRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.AdmissionTTLSeconds < 0 || req.AdmissionTTLSeconds > int(waitroom.MaxAdmissionTTL/time.Second) {
		return fieldError("admission_ttl_seconds", "admission_ttl_seconds must be between 60 and 7200, or 0 for the default of 600")
	}
	set := waitroom.Settings{Enabled: req.Enabled, AdmitPerMinute: req.AdmitPerMinute,
		AdmissionTTL: time.Duration(req.AdmissionTTLSeconds) * time.Second}
	if set.OpensAt, err = parseTime("opens_at", req.OpensAt, false); err != nil {
		return err
	}
	v, err := svc.Configure(r.Context(), eventID, set)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) getWaitingRoom(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.waitroom()
	if err != nil {
		return err
	}
	eventID, err := s.requireEventOrg(r, p)
	if err != nil {
		return err
	}
	v, err := svc.Room(r.Context(), eventID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) joinQueue(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.waitroom()
	if err != nil {
		return err
	}
	st, err := svc.Join(r.Context(), r.PathValue("id"), p.User.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) getQueue(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.waitroom()
	if err != nil {
		return err
	}
	st, err := svc.Status(r.Context(), r.PathValue("id"), p.User.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, st)
	return nil
}
