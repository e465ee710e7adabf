package httpapi

import (
	"net/http"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/analytics"
)

// eventStats answers an event's figures (analytics.EventStats), counted
// from the store on every request, to admins and the organizers and staff
// of the event's organization. ?bucket=hour (the default) or day sets the
// width of the sales buckets.
func (s *Server) eventStats(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	if s.Analytics == nil {
		return &apiError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "analytics are not available on this server"}
	}
	eventID, err := s.requireEventStaff(r, p)
	if err != nil {
		return err
	}
	bucket, err := analytics.ParseBucket(r.URL.Query().Get("bucket"))
	if err != nil {
		return err
	}
	st, err := s.Analytics.EventStatsBy(r.Context(), eventID, bucket)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// orgInsights answers an organization's insights across its events
// (analytics.OrgInsights) to admins and its organizers: buyers' records
// are theirs, not their staff's.
func (s *Server) orgInsights(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	if s.Analytics == nil {
		return &apiError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "analytics are not available on this server"}
	}
	orgID := r.PathValue("org")
	if err := s.requireOrg(r.Context(), p, orgID); err != nil {
		return err
	}
	in, err := s.Analytics.OrgInsights(r.Context(), orgID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}
