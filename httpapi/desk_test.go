package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
)

// pageAll follows next_cursor from path with ?limit=limit and returns
// every page, failing if a page is larger than limit or the walk does not
// end.
func pageAll[T any](t *testing.T, h *harness, token, path, limit string, next func(T) string) []T {
	t.Helper()
	var pages []T
	cursor := ""
	for range 20 {
		q := url.Values{"limit": {limit}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&" // the path has a query of its own
		}
		p := decodeAs[T](t, h.do(t, "GET", path+sep+q.Encode(), token, nil), http.StatusOK)
		pages = append(pages, p)
		if cursor = next(p); cursor == "" {
			return pages
		}
	}
	t.Fatalf("%s: more than 20 pages", path)
	return nil
}

func TestDeskLists(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		org := h.newUser(t, "organizer")
		other := h.newUser(t, "other")
		outsider := h.newUser(t, "outsider")
		own1 := h.createOrg(t, org, "Own One", false)
		own2 := h.createOrg(t, org, "Own Two", false)
		staffed := h.createOrg(t, other, "Staffed", false)
		h.addMember(t, other, staffed.ID, org.Email, account.RoleStaff)
		foreign := h.createOrg(t, outsider, "Foreign", false)
		roles := map[string]account.Role{own1.ID: account.RoleOrganizer, own2.ID: account.RoleOrganizer, staffed.ID: account.RoleStaff}

		t.Run("me", func(t *testing.T) {
			r := h.do(t, "GET", "/v1/me", org.Token, nil).want(t, http.StatusOK)
			for _, secret := range []string{"password", "argon2", "totp_secret", "recovery"} {
				if strings.Contains(strings.ToLower(string(r.body)), secret) {
					t.Errorf("/v1/me shows %q: %s", secret, r.short())
				}
			}
			me := decodeAs[meJSON](t, r, http.StatusOK)
			if me.User.ID != org.ID || me.User.Email != org.Email || me.User.Admin || me.User.TwoFactor || me.User.CreatedAt.IsZero() {
				t.Errorf("user = %+v, want %s (%s), no admin, no 2FA", me.User, org.ID, org.Email)
			}
			var got []string
			for _, m := range me.Memberships {
				got = append(got, m.OrgID)
				if m.Role != roles[m.OrgID] {
					t.Errorf("role in %s = %s, want %s", m.OrgID, m.Role, roles[m.OrgID])
				}
				if want := map[string]string{own1.ID: own1.Name, own2.ID: own2.Name, staffed.ID: staffed.Name}[m.OrgID]; m.OrgName != want {
					t.Errorf("org name of %s = %q, want %q", m.OrgID, m.OrgName, want)
				}
			}
			want := []string{own1.ID, own2.ID, staffed.ID}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("memberships %v, want %v", got, want)
			}
			adm := h.admin(t)
			am := decodeAs[meJSON](t, h.do(t, "GET", "/v1/me", adm.Token, nil), http.StatusOK)
			if !am.User.Admin || !am.User.TwoFactor || am.MustEnroll2FA || len(am.Memberships) != 0 {
				t.Errorf("admin's /v1/me = %+v", am)
			}
		})

		t.Run("orgs", func(t *testing.T) {
			pages := pageAll(t, h, org.Token, "/v1/orgs", "2",
				func(l orgList) string { return l.NextCursor })
			var got []string
			for i, p := range pages {
				if len(p.Orgs) == 0 || len(p.Orgs) > 2 {
					t.Errorf("page %d has %d orgs", i, len(p.Orgs))
				}
				for _, o := range p.Orgs {
					got = append(got, o.ID)
					if o.Role != roles[o.ID] {
						t.Errorf("role in %s = %s, want %s", o.ID, o.Role, roles[o.ID])
					}
				}
			}
			want := []string{own1.ID, own2.ID, staffed.ID}
			slices.Sort(want)
			if len(pages) != 2 || !slices.Equal(got, want) {
				t.Errorf("%d pages of %v, want 2 pages of %v", len(pages), got, want)
			}

			// An admin sees every organization, as admin where not a member.
			adm := h.admin(t)
			all := decodeAs[orgList](t, h.do(t, "GET", "/v1/orgs", adm.Token, nil), http.StatusOK)
			want = append(want, foreign.ID)
			slices.Sort(want)
			got = nil
			for _, o := range all.Orgs {
				got = append(got, o.ID)
				if o.Role != account.RoleAdmin {
					t.Errorf("admin's role in %s = %s", o.ID, o.Role)
				}
			}
			if !slices.Equal(got, want) || all.NextCursor != "" {
				t.Errorf("admin lists %v (next %q), want %v and no next page", got, all.NextCursor, want)
			}

			// An attendee has none.
			none := decodeAs[orgList](t, h.do(t, "GET", "/v1/orgs", h.newUser(t, "attendee").Token, nil), http.StatusOK)
			if len(none.Orgs) != 0 || none.NextCursor != "" {
				t.Errorf("attendee's orgs = %+v", none)
			}
		})

		t.Run("bad page", func(t *testing.T) {
			for _, q := range []string{"limit=0", "limit=201", "limit=x", "cursor=!!", "cursor=" + strings.Repeat("A", 200),
				"cursor=ZXZfMTIz" /* "ev_123" */} {
				h.do(t, "GET", "/v1/orgs?"+q, org.Token, nil).want(t, http.StatusUnprocessableEntity)
				h.do(t, "GET", "/v1/orgs/"+own1.ID+"/events?"+q, org.Token, nil).want(t, http.StatusUnprocessableEntity)
			}
		})

		t.Run("org events", func(t *testing.T) {
			venue := h.createVenue(t, org, own1.ID, venueBody("Hall", "Berlin", "DE", 52.52, 13.40))
			var want []string
			var published string
			for i := range 5 {
				e := h.createEvent(t, org, own1.ID, eventBody(venue.ID, "Show", "music", h.clock.Now().Add(time.Duration(40+i)*24*time.Hour)))
				want = append(want, e.ID)
				if i == 2 {
					h.createTicketType(t, org, e.ID, ticketTypeBody("Standing", 2500, "EUR"))
					published = h.publish(t, org, e.ID).ID
				}
			}
			// Another organization's event is not listed.
			sv := h.createVenue(t, other, staffed.ID, venueBody("Club", "Hamburg", "DE", 53.55, 9.99))
			h.createEvent(t, other, staffed.ID, eventBody(sv.ID, "Elsewhere", "music", h.clock.Now().Add(50*24*time.Hour)))
			slices.Sort(want)

			pages := pageAll(t, h, org.Token, "/v1/orgs/"+own1.ID+"/events", "2",
				func(l orgEventList) string { return l.NextCursor })
			var got []string
			drafts := 0
			for _, p := range pages {
				for _, e := range p.Events {
					got = append(got, e.ID)
					if e.OrgID != own1.ID {
						t.Errorf("event %s of org %s listed", e.ID, e.OrgID)
					}
					if e.Status == catalog.StatusDraft {
						drafts++
					} else if e.ID != published {
						t.Errorf("event %s is %s", e.ID, e.Status)
					}
				}
			}
			if len(pages) != 3 || !slices.Equal(got, want) || drafts != 4 {
				t.Errorf("%d pages of %v with %d drafts, want 3 pages of %v with 4", len(pages), got, drafts, want)
			}

			// Staff of the org see its drafts; the organizer of another
			// organization gets 404, as for an organization that does not
			// exist.
			staff := decodeAs[orgEventList](t, h.do(t, "GET", "/v1/orgs/"+staffed.ID+"/events", org.Token, nil), http.StatusOK)
			if len(staff.Events) != 1 || staff.Events[0].Status != catalog.StatusDraft {
				t.Errorf("staff's list of %s = %+v", staffed.ID, staff.Events)
			}
			h.do(t, "GET", "/v1/orgs/"+own1.ID+"/events", outsider.Token, nil).want(t, http.StatusNotFound)
			h.do(t, "GET", "/v1/orgs/"+foreign.ID+"/events", org.Token, nil).want(t, http.StatusNotFound)
			h.do(t, "GET", "/v1/orgs/org_000000000000000000000000/events", org.Token, nil).want(t, http.StatusNotFound)
		})
	})
}
