package httpapi

import (
	"net/http"
	"strings"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/desk"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// The organizer's desk lists beyond the catalog's: an organization's
// members and gates, an event's orders (with search) and attendees, for
// the organization's organizers and staff; and a gate's changes, for its
// organizers. They page as desk.go says.

func (s *Server) desk() (*desk.Service, error) {
	if s.Desk == nil {
		return nil, &apiError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "the organizer's lists are not available on this server"}
	}
	return s.Desk, nil
}

// deskEvent is the desk and the {id} event, which p must read as an
// organizer or staff of its organization.
func (s *Server) deskEvent(r *http.Request, p *account.Principal) (*desk.Service, string, error) {
	d, err := s.desk()
	if err != nil {
		return nil, "", err
	}
	eventID, err := s.requireEventStaff(r, p)
	return d, eventID, err
}

type memberList struct {
	Members    []account.Member `json:"members"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

// listMembers pages through an organization's members with their roles.
func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	orgID := r.PathValue("org")
	if err := s.requireOrgStaff(r.Context(), p, orgID); err != nil {
		return err
	}
	pr, err := parsePage(r, func(s string) bool { return id.Valid(s, "usr") })
	if err != nil {
		return err
	}
	ms, err := s.Accounts.Members(r.Context(), orgID, pr.after, pr.limit+1)
	if err != nil {
		return err
	}
	ms, next := cut(ms, pr.limit, func(m account.Member) string { return m.UserID })
	writeJSON(w, http.StatusOK, memberList{Members: ms, NextCursor: next})
	return nil
}

type gateList struct {
	Gates      []ticketsync.Gate `json:"gates"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

// listOrgGates pages through the gates of all of an organization's
// events, by gate id.
func (s *Server) listOrgGates(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	orgID := r.PathValue("org")
	if err := s.requireOrgStaff(r.Context(), p, orgID); err != nil {
		return err
	}
	pr, err := parsePage(r, func(s string) bool { return id.Valid(s, "gat") })
	if err != nil {
		return err
	}
	gates, err := d.OrgGates(r.Context(), orgID, pr.after, pr.limit+1)
	if err != nil {
		return err
	}
	gates, next := cut(gates, pr.limit, func(g ticketsync.Gate) string { return g.ID })
	writeJSON(w, http.StatusOK, gateList{Gates: gates, NextCursor: next})
	return nil
}

// maxOrderQuery bounds ?q= of an order search.
const maxOrderQuery = 200

type orderList struct {
	Orders     []desk.OrderRow `json:"orders"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

// listEventOrders pages through an event's orders, searched by ?q= (an
// order id, a buyer's email, or part of a buyer's name or email) and
// ?status=. A page may hold fewer than ?limit= orders and still a
// next_cursor: the search reads at most desk.MaxScan orders a page.
func (s *Server) listEventOrders(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	d, eventID, err := s.deskEvent(r, p)
	if err != nil {
		return err
	}
	pr, err := parsePage(r, func(s string) bool { return id.Valid(s, "ord") })
	if err != nil {
		return err
	}
	q := r.URL.Query()
	text := q.Get("q")
	if len(text) > maxOrderQuery || strings.ContainsFunc(text, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fieldError("q", "q must be at most 200 bytes of printable text")
	}
	status := purchase.Status(q.Get("status"))
	switch status {
	case "", purchase.StatusPendingPayment, purchase.StatusPaid, purchase.StatusRefunded, purchase.StatusCancelled:
	default:
		return fieldError("status", "status must be pending_payment, paid, refunded or cancelled")
	}
	page, err := d.SearchOrders(r.Context(), eventID, desk.OrderQuery{Q: text, Status: status, After: pr.after, Limit: pr.limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orderList{Orders: page.Orders, NextCursor: encodeCursor(page.NextCursor)})
	return nil
}

type attendeeList struct {
	Attendees  []desk.Attendee `json:"attendees"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

// listAttendees pages through the holders of an event's valid tickets:
// name and email, ticket type, checked in or not.
func (s *Server) listAttendees(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	d, eventID, err := s.deskEvent(r, p)
	if err != nil {
		return err
	}
	var after desk.AttendeeCursor
	pr, err := parsePage(r, func(s string) bool {
		c, err := desk.ParseAttendeeCursor(s)
		after = c
		return err == nil
	})
	if err != nil {
		return err
	}
	tts, err := s.Catalog.TicketTypes(r.Context(), eventID)
	if err != nil {
		return err
	}
	names := make(map[string]string, len(tts))
	for _, t := range tts {
		names[t.ID] = t.Name
	}
	page, err := d.Attendees(r.Context(), eventID, after, pr.limit, names)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, attendeeList{Attendees: page.Attendees, NextCursor: encodeCursor(page.NextCursor)})
	return nil
}

type gatePatchRequest struct {
	Name         *string           `json:"name"`
	Direction    *bundle.Direction `json:"direction"`
	AllowReentry *bool             `json:"allow_reentry"`
	Types        *[]uint16         `json:"types"`
}

// updateGate changes a gate: its name any time, its direction, re-entry
// and types until its device enrols (409 gate_enrolled after).
// Organizers of the event's org.
func (s *Server) updateGate(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	hub, _, err := s.syncHub()
	if err != nil {
		return err
	}
	g, err := s.requireGateOrg(r, hub, p)
	if err != nil {
		return err
	}
	var req gatePatchRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	g, err = hub.UpdateGate(r.Context(), g.ID, ticketsync.GatePatch{Name: req.Name, Direction: req.Direction,
		AllowReentry: req.AllowReentry, Types: req.Types})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}
