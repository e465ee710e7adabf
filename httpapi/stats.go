package httpapi

import (
	"net/http"

	"github.com/admitone/admitone/account"
)

// eventStats answers an event's figures (analytics.EventStats), counted
// from the store on every request, to admins and the organizers and staff
// of the event's organization.
func (s *Server) eventStats(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	if s.Analytics == nil {
		return &apiError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "analytics are not available on this server"}
	}
	eventID, err := s.requireEventStaff(r, p)
	if err != nil {
		return err
	}
	st, err := s.Analytics.EventStats(r.Context(), eventID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
