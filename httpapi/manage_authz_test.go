package httpapi

import (
	"net/http"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
)

// The organizer's desk routes in the authorization walk: reads for the
// organization's organizers and staff, changes for its organizers, 404
// to everyone outside it (TestOutsidersGet404).
func init() { authzCases = append(authzCases, manageAuthzCases...) }

var manageAuthzCases = []authzCase{
	{
		route: "GET /v1/orgs/{org}/venues",
		//    anon attendee staff organizer other admin no-2fa
		want: row{401, 404, 200, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/orgs/" + f.orgA.ID + "/venues"}
		},
	},
	{
		route: "PATCH /v1/venues/{id}",
		want:  row{401, 404, 403, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			v := f.h.createVenue(t, f.callers[organizer], f.orgA.ID, venueBody("Patch Hall", "Berlin", "DE", 52.5, 13.4))
			return walkRequest{path: "/v1/venues/" + v.ID, body: map[string]any{"name": "Renamed Hall"},
				after: func(t *testing.T, status int) {
					got, err := f.h.catStore.Venue(t.Context(), v.ID)
					if err != nil || (got.Name == "Renamed Hall") != (status == http.StatusOK) {
						t.Errorf("status %d left venue %s named %q (%v)", status, v.ID, got.Name, err)
					}
				}}
		},
	},
	{
		route: "DELETE /v1/venues/{id}",
		want:  row{401, 404, 403, 204, 404, 204, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			v := f.h.createVenue(t, f.callers[organizer], f.orgA.ID, venueBody("Doomed Hall", "Berlin", "DE", 52.5, 13.4))
			return walkRequest{path: "/v1/venues/" + v.ID, after: func(t *testing.T, status int) {
				_, err := f.h.catStore.Venue(t.Context(), v.ID)
				if gone := err != nil; gone != (status == http.StatusNoContent) {
					t.Errorf("status %d, venue gone = %v (%v)", status, gone, err)
				}
			}}
		},
	},
	{
		route: "PATCH /v1/events/{id}/ticket-types/{tt}",
		want:  row{401, 404, 403, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			tt := f.walkTicketType(t)
			return walkRequest{path: "/v1/events/" + f.draft.ID + "/ticket-types/" + tt.ID, body: map[string]any{"capacity": 77},
				after: func(t *testing.T, status int) {
					if got := f.findTicketType(t, tt.ID); (got != nil && got.Capacity == 77) != (status == http.StatusOK) {
						t.Errorf("status %d left ticket type %s %+v", status, tt.ID, got)
					}
				}}
		},
	},
	{
		route: "DELETE /v1/events/{id}/ticket-types/{tt}",
		want:  row{401, 404, 403, 204, 404, 204, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			tt := f.walkTicketType(t)
			return walkRequest{path: "/v1/events/" + f.draft.ID + "/ticket-types/" + tt.ID,
				after: func(t *testing.T, status int) {
					if gone := f.findTicketType(t, tt.ID) == nil; gone != (status == http.StatusNoContent) {
						t.Errorf("status %d, ticket type gone = %v", status, gone)
					}
				}}
		},
	},
	{
		route: "POST /v1/events/{id}/ticket-types/{tt}/close",
		want:  row{401, 404, 403, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			tt := f.walkTicketType(t)
			return walkRequest{path: "/v1/events/" + f.draft.ID + "/ticket-types/" + tt.ID + "/close",
				after: func(t *testing.T, status int) {
					got := f.findTicketType(t, tt.ID)
					if closed := got != nil && !got.SaleEnds.IsZero(); closed != (status == http.StatusOK) {
						t.Errorf("status %d, ticket type closed = %v", status, closed)
					}
				}}
		},
	},
	{
		route: "POST /v1/events/{id}/unpublish",
		want:  row{401, 404, 403, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			e := f.h.draftWithTicketType(t, f.orgA.ID, f.venueA.ID, "To Unpublish")
			f.h.publish(t, f.callers[organizer], e.ID)
			return walkRequest{path: "/v1/events/" + e.ID + "/unpublish", after: func(t *testing.T, status int) {
				got, err := f.h.catStore.Event(t.Context(), e.ID)
				if err != nil || (got.Status == catalog.StatusDraft) != (status == http.StatusOK) {
					t.Errorf("status %d left event %s %s (%v)", status, e.ID, got.Status, err)
				}
			}}
		},
	},
	{
		route: "DELETE /v1/events/{id}",
		want:  row{401, 404, 403, 204, 404, 204, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			e := f.h.draftWithTicketType(t, f.orgA.ID, f.venueA.ID, "To Delete")
			return walkRequest{path: "/v1/events/" + e.ID, after: func(t *testing.T, status int) {
				_, err := f.h.catStore.Event(t.Context(), e.ID)
				if gone := err != nil; gone != (status == http.StatusNoContent) {
					t.Errorf("status %d, event gone = %v (%v)", status, gone, err)
				}
			}}
		},
	},
	{
		route: "GET /v1/orgs/{org}/members",
		want:  row{401, 404, 200, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/orgs/" + f.orgA.ID + "/members"}
		},
	},
	{
		route: "GET /v1/orgs/{org}/gates",
		want:  row{401, 404, 200, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/orgs/" + f.orgA.ID + "/gates"}
		},
	},
	{
		route: "GET /v1/events/{id}/orders",
		want:  row{401, 404, 200, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/events/" + f.published.ID + "/orders?q=" + f.buyer.Email}
		},
	},
	{
		route: "GET /v1/events/{id}/attendees",
		want:  row{401, 404, 200, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			return walkRequest{path: "/v1/events/" + f.published.ID + "/attendees"}
		},
	},
	{
		route: "PATCH /v1/gates/{id}",
		want:  row{401, 404, 403, 200, 404, 200, 403},
		req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
			g := f.gate(t)
			return walkRequest{path: "/v1/gates/" + g.ID, body: map[string]any{"name": "Renamed gate", "direction": "exit"},
				after: func(t *testing.T, status int) {
					got, err := f.h.api.Sync.Store.Gate(t.Context(), g.ID)
					if err != nil || (got.Name == "Renamed gate" && got.Direction == "exit") != (status == http.StatusOK) {
						t.Errorf("status %d left gate %s %q %s (%v)", status, g.ID, got.Name, got.Direction, err)
					}
				}}
		},
	},
}

// walkTicketType adds a ticket type to the fixture's draft, through the
// catalog service.
func (f *walkFixture) walkTicketType(t *testing.T) catalog.TicketType {
	t.Helper()
	tt, err := f.h.catalog.CreateTicketType(t.Context(), catalog.TicketType{EventID: f.draft.ID, Name: "Walk type",
		Price: catalog.Money{Amount: 2500, Currency: "EUR"}, Capacity: 100, PerOrderMax: 4,
		SaleStarts: f.h.clock.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return tt
}

// findTicketType is the draft's ticket type id as stored, nil if none.
func (f *walkFixture) findTicketType(t *testing.T, id string) *catalog.TicketType {
	t.Helper()
	tts, err := f.h.catStore.TicketTypes(t.Context(), f.draft.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tts {
		if tt.ID == id {
			return &tt
		}
	}
	return nil
}
