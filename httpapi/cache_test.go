package httpapi

import (
	"net/http"
	"testing"
	"time"

	"github.com/admitone/admitone/purchase"
)

// TestPublicReadsCacheable: the event page and search answers carry an
// ETag and Cache-Control a proxy can act on; a request naming the
// current ETag gets 304 without a body, one naming an older ETag (the
// organizer changed the event since) gets the new page. A signed-in caller's page
// is private.
func TestPublicReadsCacheable(t *testing.T) {
	h := newHarness(t, "bolt")
	org := h.newUser(t, "organizer")
	o := h.createOrg(t, org, "Cache Org", false)
	v := h.createVenue(t, org, o.ID, venueBody("Hall", "Berlin", "DE", 52.5, 13.4))
	e := h.createEvent(t, org, o.ID, eventBody(v.ID, "Cached Night", "music", h.clock.Now().Add(48*time.Hour).Truncate(time.Second)))
	tt := h.createTicketType(t, org, e.ID, ticketTypeBody("Standing", 0, "EUR"))
	h.publish(t, org, e.ID)

	get := func(path, token, inm string) response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), "GET", h.srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		return h.send(t, req)
	}
	page := "/v1/events/" + e.ID
	first := get(page, "", "").want(t, http.StatusOK)
	etag := first.header.Get("ETag")
	if etag == "" || first.header.Get("Cache-Control") != "public, max-age="+PublicMaxAge {
		t.Fatalf("anonymous event page: ETag %q, Cache-Control %q", etag, first.header.Get("Cache-Control"))
	}
	if again := get(page, "", "").want(t, http.StatusOK); again.header.Get("ETag") != etag {
		t.Errorf("the same page twice: ETags %q and %q", etag, again.header.Get("ETag"))
	}
	if nm := get(page, "", `W/"other", `+etag).want(t, http.StatusNotModified); len(nm.body) != 0 || nm.header.Get("ETag") != etag {
		t.Errorf("If-None-Match with the current ETag: %d bytes, ETag %q", len(nm.body), nm.header.Get("ETag"))
	}

	// A sale does not change the page (availability has its own route).
	buyer := h.newUser(t, "buyer")
	h.buyTickets(t, buyer, e.ID, purchase.Line{TicketTypeID: tt.ID, Quantity: 2})
	get(page, "", etag).want(t, http.StatusNotModified)
	h.do(t, "PATCH", page, org.Token, map[string]any{"title": "Cached Night, moved"}).want(t, http.StatusOK)
	after := get(page, "", etag).want(t, http.StatusOK)
	if after.header.Get("ETag") == etag || len(after.body) == 0 {
		t.Errorf("after an edit the old ETag still matches (ETag %q)", after.header.Get("ETag"))
	}

	if mine := get(page, org.Token, "").want(t, http.StatusOK); mine.header.Get("Cache-Control") != "private, no-cache" {
		t.Errorf("the organizer's page: Cache-Control %q, want private, no-cache", mine.header.Get("Cache-Control"))
	}

	search := get("/v1/events?q=Cached", "", "").want(t, http.StatusOK)
	if search.header.Get("ETag") == "" || search.header.Get("Cache-Control") != "public, max-age="+PublicMaxAge {
		t.Fatalf("search: ETag %q, Cache-Control %q", search.header.Get("ETag"), search.header.Get("Cache-Control"))
	}
	get("/v1/events?q=Cached", "", search.header.Get("ETag")).want(t, http.StatusNotModified)
}
