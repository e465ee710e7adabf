package httpapi

import (
	"net/http"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/feedback"
)

// Feedback: an attendee whose ticket was checked in rates the event once
// (POST /v1/events/{id}/feedback); its organizers and staff read the
// average, the distribution and the comments, paged as the desk's lists
// are (GET /v1/events/{id}/feedback).

func (s *Server) feedback() (*feedback.Service, error) {
	if s.Feedback == nil {
		return nil, &apiError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "feedback is not available on this server"}
	}
	return s.Feedback, nil
}

func (s *Server) giveFeedback(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.feedback()
	if err != nil {
		return err
	}
	eventID := r.PathValue("id")
	if _, err := s.Catalog.Event(r.Context(), eventID); err != nil {
		return err
	}
	var a feedback.Answer
	if err := decodeJSON(w, r, &a); err != nil {
		return err
	}
	f, err := svc.Give(r.Context(), eventID, p.User.ID, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, f)
	return nil
}

type feedbackSummary struct {
	feedback.Summary
	NextCursor string `json:"next_cursor,omitempty"`
}

func (s *Server) eventFeedback(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.feedback()
	if err != nil {
		return err
	}
	eventID, err := s.requireEventStaff(r, p)
	if err != nil {
		return err
	}
	pr, err := parsePage(r, feedback.ValidID)
	if err != nil {
		return err
	}
	sum, err := svc.Summary(r.Context(), eventID, pr.after, pr.limit+1)
	if err != nil {
		return err
	}
	out := feedbackSummary{Summary: sum}
	out.Comments, out.NextCursor = cut(sum.Comments, pr.limit, func(f feedback.Feedback) string { return f.ID })
	writeJSON(w, http.StatusOK, out)
	return nil
}
