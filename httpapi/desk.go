package httpapi

import (
	"cmp"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/id"
)

// The lists behind the organizer's desk page by keyset: ?limit= (1..200,
// default 50) bounds a page and ?cursor= is the next_cursor of the page
// before, an opaque string (the base64url of the last id listed). A page
// carries next_cursor only when more follows; the order is by id, so a
// page stays put while rows are added elsewhere in the list.
const (
	defaultPageLimit = 50
	maxPageLimit     = 200
	maxCursorLen     = 128
)

// pageRequest is a request's place in a list: list ids greater than
// after, at most limit.
type pageRequest struct {
	after string
	limit int
}

// parsePage reads ?limit= and ?cursor=; valid says whether a decoded
// cursor is an id of the list's kind.
func parsePage(r *http.Request, valid func(string) bool) (pageRequest, error) {
	limit, err := queryInt(r, "limit", defaultPageLimit, 1, maxPageLimit)
	if err != nil {
		return pageRequest{}, err
	}
	pr := pageRequest{limit: int(limit)}
	c := r.URL.Query().Get("cursor")
	if c == "" {
		return pr, nil
	}
	bad := fieldError("cursor", "cursor is not a next_cursor this list gave")
	if len(c) > maxCursorLen {
		return pageRequest{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !valid(string(b)) {
		return pageRequest{}, bad
	}
	pr.after = string(b)
	return pr, nil
}

// cut trims a page read with limit+1 rows to limit and returns the cursor
// of the next page, "" when there is none.
func cut[T any](rows []T, limit int, idOf func(T) string) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, encodeCursor(idOf(rows[limit-1]))
}

// encodeCursor is the next_cursor of a list whose last item is at pos;
// "" (the end of the list) stays "".
func encodeCursor(pos string) string { return base64.RawURLEncoding.EncodeToString([]byte(pos)) }

type membershipJSON struct {
	OrgID   string       `json:"org_id"`
	OrgName string       `json:"org_name"`
	Role    account.Role `json:"role"`
}

type meJSON struct {
	User userJSON `json:"user"`
	// MustEnroll2FA: an admin without 2FA may do nothing else first.
	MustEnroll2FA bool             `json:"must_enroll_2fa"`
	Memberships   []membershipJSON `json:"memberships"`
}

// getMe answers who the caller is: the account (never a hash or a
// secret) and its roles by organization, in organization id order.
func (s *Server) getMe(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	view := userView(p.User)
	view.TwoFactor = p.TwoFactor // p.User has its TOTP secret cleared
	out := meJSON{User: view, MustEnroll2FA: p.MustEnroll2FA, Memberships: []membershipJSON{}}
	for _, m := range sortedMemberships(p) {
		o, err := s.Catalog.Org(r.Context(), m.OrgID)
		if errors.Is(err, catalog.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		out.Memberships = append(out.Memberships, membershipJSON{OrgID: o.ID, OrgName: o.Name, Role: m.Role})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// sortedMemberships are p's memberships in organization id order.
func sortedMemberships(p *account.Principal) []account.Membership {
	ms := slices.Clone(p.Memberships)
	slices.SortFunc(ms, func(a, b account.Membership) int { return cmp.Compare(a.OrgID, b.OrgID) })
	return ms
}

type orgListItem struct {
	catalog.Organization
	// Role is the caller's: organizer or staff, admin for an admin
	// who holds no membership there.
	Role account.Role `json:"role"`
}

type orgList struct {
	Orgs       []orgListItem `json:"orgs"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// listOrgs lists the organizations the caller is a member of, every one
// for an admin, with the caller's role in each.
func (s *Server) listOrgs(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	pr, err := parsePage(r, func(s string) bool { return id.Valid(s, "org") })
	if err != nil {
		return err
	}
	roles := map[string]account.Role{}
	var orgs []catalog.Organization
	for _, m := range sortedMemberships(p) {
		roles[m.OrgID] = m.Role
		// An admin's list is every organization, read below.
		if p.IsAdmin() || m.OrgID <= pr.after || len(orgs) > pr.limit {
			continue
		}
		o, err := s.Catalog.Org(r.Context(), m.OrgID)
		if errors.Is(err, catalog.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		orgs = append(orgs, o)
	}
	if p.IsAdmin() {
		if orgs, err = s.Catalog.Orgs(r.Context(), pr.after, pr.limit+1); err != nil {
			return err
		}
	}
	orgs, next := cut(orgs, pr.limit, func(o catalog.Organization) string { return o.ID })
	out := orgList{Orgs: []orgListItem{}, NextCursor: next}
	for _, o := range orgs {
		role, ok := roles[o.ID]
		if !ok {
			role = account.RoleAdmin
		}
		out.Orgs = append(out.Orgs, orgListItem{Organization: o, Role: role})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type orgEventList struct {
	Events     []catalog.Event `json:"events"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

// listOrgEvents lists an organization's events in every status, drafts
// too, for its organizers and staff and admins; to anyone else the
// organization does not exist (404).
func (s *Server) listOrgEvents(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	orgID := r.PathValue("org")
	if err := s.requireOrgStaff(r.Context(), p, orgID); err != nil {
		return err
	}
	pr, err := parsePage(r, func(s string) bool { _, err := ticketcrypto.ParseEventID(s); return err == nil })
	if err != nil {
		return err
	}
	events, err := s.Catalog.OrgEvents(r.Context(), orgID, pr.after, pr.limit+1)
	if err != nil {
		return err
	}
	events, next := cut(events, pr.limit, func(e catalog.Event) string { return e.ID })
	if events == nil {
		events = []catalog.Event{}
	}
	writeJSON(w, http.StatusOK, orgEventList{Events: events, NextCursor: next})
	return nil
}
