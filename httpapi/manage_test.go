package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// wantCode sends a request and checks its status and error code.
func (h *harness) wantCode(t *testing.T, method, path, token string, body any, status int, code string) {
	t.Helper()
	res := h.do(t, method, path, token, body).want(t, status)
	if e := res.apiErr(t); e.Code != code {
		t.Errorf("%s %s: code %q, want %q (%s)", method, path, e.Code, code, e.Message)
	}
}

// TestEditAndRemove: what an organizer may change and remove once
// tickets are sold, on both backends. A ticket type with sales keeps its
// price and at least its sold capacity, is closed rather than deleted;
// an event with sales is cancelled rather than unpublished; only a draft
// is deleted; a venue goes only when no event is at it.
func TestEditAndRemove(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		f := h.shopFixture(t, h.clock.Now().Add(30*24*time.Hour))
		org := f.org
		ev := "/v1/events/" + f.event.ID
		tt := ev + "/ticket-types/" + f.admission.ID
		h.buyTickets(t, f.buyer, f.event.ID, purchase.Line{TicketTypeID: f.admission.ID, Quantity: 3})

		// A ticket type with sales.
		res := h.do(t, "PATCH", tt, org.Token, map[string]any{"capacity": 2}).want(t, http.StatusUnprocessableEntity)
		if e := res.apiErr(t); e.Field != "capacity" {
			t.Errorf("capacity below sold: field %q, want capacity (%s)", e.Field, e.Message)
		}
		h.wantCode(t, "PATCH", tt, org.Token, map[string]any{"price": map[string]any{"amount": 100, "currency": "EUR"}}, http.StatusConflict, "in_use")
		got := decodeAs[catalog.TicketType](t, h.do(t, "PATCH", tt, org.Token, map[string]any{"name": "Standing (late)", "capacity": 3}), http.StatusOK)
		if got.Name != "Standing (late)" || got.Capacity != 3 || got.Price.Amount != f.admission.Price.Amount {
			t.Errorf("PATCH name and capacity: %+v", got)
		}
		h.wantCode(t, "DELETE", tt, org.Token, nil, http.StatusConflict, "in_use")
		h.wantCode(t, "POST", ev+"/unpublish", org.Token, nil, http.StatusConflict, "in_use")
		h.wantCode(t, "DELETE", ev, org.Token, nil, http.StatusConflict, "wrong_state")

		// Closing it: no more sales, the tickets stay.
		got = decodeAs[catalog.TicketType](t, h.do(t, "PATCH", tt, org.Token, map[string]any{"capacity": 10}), http.StatusOK)
		closed := decodeAs[catalog.TicketType](t, h.do(t, "POST", tt+"/close", org.Token, nil), http.StatusOK)
		if closed.SaleEnds.IsZero() || closed.SaleEnds.After(h.clock.Now()) {
			t.Errorf("closed sale_ends %v, want now (%v)", closed.SaleEnds, h.clock.Now())
		}
		if _, err := h.purchase.CreateHold(t.Context(), f.buyer.ID, f.event.ID, []purchase.Line{{TicketTypeID: f.admission.ID, Quantity: 1}}); err == nil {
			t.Errorf("a hold of a closed ticket type (capacity %d) was taken", got.Capacity)
		}
		page := decodeAs[catalog.EventPage](t, h.do(t, "GET", ev, "", nil), http.StatusOK)
		if len(page.TicketTypes) != 2 {
			t.Errorf("after closing, the event page shows %d ticket types, want 2", len(page.TicketTypes))
		}

		// A type nothing was sold of goes; the price of an unsold type
		// changes.
		merch := ev + "/ticket-types/" + f.merch.ID
		decodeAs[catalog.TicketType](t, h.do(t, "PATCH", merch, org.Token, map[string]any{"price": map[string]any{"amount": 900, "currency": "EUR"}}), http.StatusOK)
		h.wantCode(t, "PATCH", merch, org.Token, map[string]any{"price": map[string]any{"amount": 900, "currency": "USD"}}, http.StatusUnprocessableEntity, "invalid")
		h.do(t, "DELETE", merch, org.Token, nil).want(t, http.StatusNoContent)
		h.wantCode(t, "DELETE", merch, org.Token, nil, http.StatusNotFound, "not_found")
		page = decodeAs[catalog.EventPage](t, h.do(t, "GET", ev, "", nil), http.StatusOK)
		if len(page.TicketTypes) != 1 || page.TicketTypes[0].ID != f.admission.ID {
			t.Errorf("after the delete, the event page shows %+v", page.TicketTypes)
		}
		// The published event's last type stays.
		h.wantCode(t, "DELETE", ev+"/ticket-types/"+f.admission.ID, org.Token, nil, http.StatusConflict, "in_use")

		// An event with nothing sold goes back to draft, then away.
		venue := page.Venue
		other := h.createEvent(t, org, f.event.OrgID, eventBody(venue.ID, "Quiet Night", "music", h.clock.Now().Add(20*24*time.Hour)))
		h.createTicketType(t, org, other.ID, ticketTypeBody("Seat", 1000, "EUR"))
		h.publish(t, org, other.ID)
		if hits := h.search(t, "q=Quiet"); len(hits.Events) != 1 {
			t.Fatalf("the published event is not found by search: %+v", hits.ids())
		}
		back := decodeAs[catalog.Event](t, h.do(t, "POST", "/v1/events/"+other.ID+"/unpublish", org.Token, nil), http.StatusOK)
		if back.Status != catalog.StatusDraft {
			t.Errorf("unpublished event has status %s", back.Status)
		}
		if hits := h.search(t, "q=Quiet"); len(hits.Events) != 0 {
			t.Errorf("the unpublished event is still in search: %v", hits.ids())
		}
		h.wantCode(t, "GET", "/v1/events/"+other.ID, "", nil, http.StatusNotFound, "not_found")
		h.do(t, "DELETE", "/v1/events/"+other.ID, org.Token, nil).want(t, http.StatusNoContent)
		h.wantCode(t, "GET", "/v1/events/"+other.ID, org.Token, nil, http.StatusNotFound, "not_found")

		// A draft with a gate stays.
		gated := h.createEvent(t, org, f.event.OrgID, eventBody(venue.ID, "Gated Draft", "music", h.clock.Now().Add(20*24*time.Hour)))
		h.do(t, "POST", "/v1/events/"+gated.ID+"/gates", org.Token, map[string]any{"name": "Door"}).want(t, http.StatusCreated)
		h.wantCode(t, "DELETE", "/v1/events/"+gated.ID, org.Token, nil, http.StatusConflict, "in_use")

		// Venues: changed, checked, removed only when empty.
		v := decodeAs[catalog.Venue](t, h.do(t, "PATCH", "/v1/venues/"+venue.ID, org.Token, map[string]any{"name": "Pay Hall West", "country": "at"}), http.StatusOK)
		if v.Name != "Pay Hall West" || v.Country != "AT" || v.City != venue.City {
			t.Errorf("patched venue %+v", v)
		}
		res = h.do(t, "PATCH", "/v1/venues/"+venue.ID, org.Token, map[string]any{"country": "Austria"}).want(t, http.StatusUnprocessableEntity)
		if e := res.apiErr(t); e.Field != "country" {
			t.Errorf("bad country: field %q", e.Field)
		}
		h.wantCode(t, "DELETE", "/v1/venues/"+venue.ID, org.Token, nil, http.StatusConflict, "in_use")
		empty := h.createVenue(t, org, f.event.OrgID, venueBody("Empty Hall", "Berlin", "DE", 52.5, 13.4))
		h.do(t, "DELETE", "/v1/venues/"+empty.ID, org.Token, nil).want(t, http.StatusNoContent)
		h.wantCode(t, "PATCH", "/v1/venues/"+empty.ID, org.Token, map[string]any{"name": "Ghost"}, http.StatusNotFound, "not_found")

		// Staff of the org read, but do not change.
		st := h.newUser(t, "staff")
		h.addMember(t, org, f.event.OrgID, st.Email, account.RoleStaff)
		h.wantCode(t, "PATCH", "/v1/venues/"+venue.ID, st.Token, map[string]any{"name": "Staff Hall"}, http.StatusForbidden, "forbidden")
		h.do(t, "GET", "/v1/orgs/"+f.event.OrgID+"/venues", st.Token, nil).want(t, http.StatusOK)
	})
}

// TestOrgLists pages through an organization's venues, members and
// gates, on both backends.
func TestOrgLists(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		org := h.newUser(t, "organizer")
		o := h.createOrg(t, org, "List Org", false)
		other := h.newUser(t, "other")
		ob := h.createOrg(t, other, "Other Org", false)
		var venues []string
		for i := range 3 {
			venues = append(venues, h.createVenue(t, org, o.ID, venueBody("Hall "+string(rune('A'+i)), "Berlin", "DE", 52.5, 13.4)).ID)
			h.createVenue(t, other, ob.ID, venueBody("Elsewhere", "Rome", "IT", 41.9, 12.5))
		}
		slices.Sort(venues)
		var got []string
		for _, p := range pageAll(t, h, org.Token, "/v1/orgs/"+o.ID+"/venues", "1", func(p venueList) string { return p.NextCursor }) {
			for _, v := range p.Venues {
				got = append(got, v.ID)
			}
		}
		if !slices.Equal(got, venues) {
			t.Errorf("venues paged: %v, want %v", got, venues)
		}

		st := h.newUser(t, "staff")
		h.addMember(t, org, o.ID, st.Email, account.RoleStaff)
		var members []string
		for _, p := range pageAll(t, h, st.Token, "/v1/orgs/"+o.ID+"/members", "1", func(p memberList) string { return p.NextCursor }) {
			for _, m := range p.Members {
				members = append(members, m.UserID+" "+m.Email+" "+string(m.Role))
			}
		}
		want := []string{org.ID + " " + org.Email + " organizer", st.ID + " " + st.Email + " staff"}
		slices.Sort(want)
		if !slices.Equal(members, want) {
			t.Errorf("members: %v, want %v", members, want)
		}

		var gates []string
		for i := range 2 {
			e := h.createEvent(t, org, o.ID, eventBody(venues[0], "Gated "+string(rune('A'+i)), "music", h.clock.Now().Add(10*24*time.Hour)))
			for _, name := range []string{"North", "South"} {
				var g gateCreated
				h.do(t, "POST", "/v1/events/"+e.ID+"/gates", org.Token, map[string]any{"name": name}).want(t, http.StatusCreated).decode(t, &g)
				gates = append(gates, g.Gate.ID)
			}
		}
		slices.Sort(gates)
		gateIDs := func(u *user, orgID string) []string {
			var ids []string
			for _, p := range pageAll(t, h, u.Token, "/v1/orgs/"+orgID+"/gates", "1", func(p gateList) string { return p.NextCursor }) {
				for _, g := range p.Gates {
					ids = append(ids, g.ID)
				}
			}
			return ids
		}
		if got := gateIDs(st, o.ID); !slices.Equal(got, gates) {
			t.Errorf("gates paged: %v, want %v", got, gates)
		}
		if got := gateIDs(other, ob.ID); len(got) != 0 {
			t.Errorf("the other org lists gates %v", got)
		}

		// A gate is renamed any time; its profile changes until it enrols.
		g := decodeAs[ticketsync.Gate](t, h.do(t, "PATCH", "/v1/gates/"+gates[0], org.Token, map[string]any{"direction": "both", "types": []int{1}}), http.StatusOK)
		if g.Direction != "both" || !slices.Equal(g.Types, []uint16{1}) {
			t.Errorf("patched gate %+v", g)
		}
		e := h.createEvent(t, org, o.ID, eventBody(venues[0], "Enrolled", "music", h.clock.Now().Add(10*24*time.Hour)))
		var created gateCreated
		h.do(t, "POST", "/v1/events/"+e.ID+"/gates", org.Token, map[string]any{"name": "Door"}).want(t, http.StatusCreated).decode(t, &created)
		h.do(t, "POST", "/v1/gates/enroll", "", map[string]any{"code": created.EnrollmentCode}).want(t, http.StatusOK)
		h.wantCode(t, "PATCH", "/v1/gates/"+created.Gate.ID, org.Token, map[string]any{"direction": "exit"}, http.StatusConflict, "gate_enrolled")
		g = decodeAs[ticketsync.Gate](t, h.do(t, "PATCH", "/v1/gates/"+created.Gate.ID, org.Token, map[string]any{"name": "Front door"}), http.StatusOK)
		if g.Name != "Front door" || g.Direction != "entry" {
			t.Errorf("renamed enrolled gate %+v", g)
		}
		h.do(t, "DELETE", "/v1/gates/"+created.Gate.ID, org.Token, nil).want(t, http.StatusOK)
		h.wantCode(t, "PATCH", "/v1/gates/"+created.Gate.ID, org.Token, map[string]any{"name": "Gone"}, http.StatusConflict, "gate_revoked")
	})
}

// TestOrderSearchAndAttendees searches an event's orders by order id,
// email, name and status and lists its attendees with their check-in,
// page by page, on both backends.
func TestOrderSearchAndAttendees(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		f := h.shopFixture(t, h.clock.Now().Add(30*24*time.Hour))
		ada := f.buyer
		if _, err := h.acctStore.UpdateUser(t.Context(), ada.ID, func(u *account.User) error { u.Name = "Ada Lovelace"; return nil }); err != nil {
			t.Fatal(err)
		}
		bob := h.newUser(t, "bob")
		adaOrder, adaTickets := h.buyTickets(t, ada, f.event.ID, purchase.Line{TicketTypeID: f.admission.ID, Quantity: 2})
		bobOrder, bobTickets := h.buyTickets(t, bob, f.event.ID, purchase.Line{TicketTypeID: f.admission.ID, Quantity: 1})
		pending := h.order(t, f, bob, 1, 0)
		h.admitAt(t, f.event.ID, "North", adaTickets[1].ID)

		base := "/v1/events/" + f.event.ID + "/orders"
		search := func(query string) []string {
			t.Helper()
			var rows []string
			for _, p := range pageAll(t, h, f.org.Token, base+"?"+query, "1", func(p orderList) string { return p.NextCursor }) {
				for _, o := range p.Orders {
					rows = append(rows, o.ID+" "+o.BuyerEmail)
				}
			}
			return rows
		}
		sorted := func(s ...string) []string { slices.Sort(s); return s }
		adaRow, bobRow, pendingRow := adaOrder.ID+" "+ada.Email, bobOrder.ID+" "+bob.Email, pending.ID+" "+bob.Email
		for _, c := range []struct {
			query string
			want  []string
		}{
			{"", sorted(adaRow, bobRow, pendingRow)},
			{"q=" + url.QueryEscape(adaOrder.ID), []string{adaRow}},
			{"q=" + url.QueryEscape(bob.Email), sorted(bobRow, pendingRow)},
			{"q=LOVELACE", []string{adaRow}},
			{"q=bob-", sorted(bobRow, pendingRow)},
			{"status=pending_payment", []string{pendingRow}},
			{"status=paid&q=" + url.QueryEscape(bob.Email), []string{bobRow}},
			{"q=nobody%40example.com", nil},
		} {
			if got := search(c.query); !slices.Equal(got, c.want) {
				t.Errorf("orders?%s: %v, want %v", c.query, got, c.want)
			}
		}
		h.wantCode(t, "GET", base+"?status=lost", f.org.Token, nil, http.StatusUnprocessableEntity, "invalid")

		type row struct {
			ticket, email, typeName string
			in                      bool
		}
		var want []row
		for _, tk := range adaTickets {
			want = append(want, row{tk.ID, ada.Email, "Standing", tk.ID == adaTickets[1].ID})
		}
		for _, tk := range bobTickets {
			want = append(want, row{tk.ID, bob.Email, "Standing", false})
		}
		order := func(r row) string {
			o := adaOrder.ID
			if r.email == bob.Email {
				o = bobOrder.ID
			}
			return o + r.ticket
		}
		slices.SortFunc(want, func(a, b row) int {
			if order(a) < order(b) {
				return -1
			}
			return 1
		})
		var got []row
		for _, p := range pageAll(t, h, f.org.Token, "/v1/events/"+f.event.ID+"/attendees", "1", func(p attendeeList) string { return p.NextCursor }) {
			for _, a := range p.Attendees {
				got = append(got, row{a.TicketID, a.HolderEmail, a.TicketTypeName, a.CheckedIn})
				if a.CheckedIn != (a.GateID != "") || a.CheckedIn == a.CheckedInAt.IsZero() {
					t.Errorf("attendee %s: checked in %v at %v, gate %q", a.TicketID, a.CheckedIn, a.CheckedInAt, a.GateID)
				}
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("attendees:\n got %v\nwant %v", got, want)
		}
	})
}

// TestHiddenLooksMissing: to another organization's organizer, this
// organization's things answer exactly as ids nobody has (status, code
// and message, the id aside), so an id cannot be probed.
func TestHiddenLooksMissing(t *testing.T) {
	h := newHarness(t, "bolt")
	f := newWalkFixture(t, h)
	outsider := f.callers[otherOrg]
	gate := f.gate(t)
	for _, c := range []struct {
		method, pattern, real, made string
		body                        any
	}{
		{"GET", "/v1/orgs/%s/venues", f.orgA.ID, id.New("org"), nil},
		{"GET", "/v1/orgs/%s/members", f.orgA.ID, id.New("org"), nil},
		{"POST", "/v1/orgs/%s/venues", f.orgA.ID, id.New("org"), venueBody("Probe Hall", "Berlin", "DE", 52.5, 13.4)},
		{"GET", "/v1/events/%s/orders", f.published.ID, ticketcrypto.NewEventID().String(), nil},
		{"GET", "/v1/events/%s/attendees", f.draft.ID, ticketcrypto.NewEventID().String(), nil},
		{"POST", "/v1/events/%s/publish", f.draft.ID, ticketcrypto.NewEventID().String(), nil},
		{"DELETE", "/v1/events/%s", f.draft.ID, ticketcrypto.NewEventID().String(), nil},
		{"PATCH", "/v1/venues/%s", f.venueA.ID, id.New("ven"), map[string]any{"name": "Probe"}},
		{"PATCH", "/v1/gates/%s", gate.ID, id.New("gat"), map[string]any{"name": "Probe"}},
		{"DELETE", "/v1/gates/%s", gate.ID, id.New("gat"), nil},
	} {
		answer := func(resID string) string {
			res := h.do(t, c.method, fmt.Sprintf(c.pattern, resID), outsider.Token, c.body)
			return strconv.Itoa(res.status) + " " + strings.ReplaceAll(string(res.body), resID, "ID")
		}
		real, made := answer(c.real), answer(c.made)
		if real != made || !strings.HasPrefix(real, "404 ") {
			t.Errorf("%s %s: another org's thing answers\n  %s\nand an id nobody has\n  %s", c.method, c.pattern, real, made)
		}
	}
}
