package httpapi

import (
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
)

// dropKey, as a value in with, removes the key.
type dropKey struct{}

var drop = dropKey{}

// with returns base as JSON with changes applied: key, value pairs, where
// the value drop removes the key.
func with(base map[string]any, kv ...any) string {
	m := maps.Clone(base)
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		if _, ok := kv[i+1].(dropKey); ok {
			delete(m, k)
		} else {
			m[k] = kv[i+1]
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// badCase is one invalid request and the error it must get.
type badCase struct {
	name   string
	body   string
	status int
	code   string
	// field is what the error's field or message must name; "" when the
	// input has no field to name (malformed JSON, size).
	field string
}

// TestBadInput sends invalid requests to every route that creates or
// changes something, and invalid query parameters to the search: each
// must get a 4xx JSON error naming the field, and store nothing.
func TestBadInput(t *testing.T) {
	h := newHarness(t, "bolt")
	org := h.newUser(t, "organizer")
	orgA := h.createOrg(t, org, "Org A", false)
	orgB := h.createOrg(t, org, "Org B", false)
	venueA := h.createVenue(t, org, orgA.ID, venueBody("Hall A", "Berlin", "DE", 52.52, 13.40))
	venueB := h.createVenue(t, org, orgB.ID, venueBody("Hall B", "Leipzig", "DE", 51.34, 12.37))
	starts := h.clock.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
	pub := h.createEvent(t, org, orgA.ID, eventBody(venueA.ID, "Fixture Concert", "music", starts))
	h.createTicketType(t, org, pub.ID, ticketTypeBody("Standing", 2500, "EUR"))
	pub = h.publish(t, org, pub.ID)

	const nobody = "nobody@example.com"
	big := strings.Repeat("a", MaxBody)
	signup := map[string]any{"email": nobody, "password": testPassword, "name": "Nobody"}
	orgBody := map[string]any{"name": "Bad Org"}
	venue := venueBody("Bad Hall", "Berlin", "DE", 52.5, 13.4)
	event := eventBody(venueA.ID, "Bad Event", "music", starts)
	tt := ticketTypeBody("Extra", 1500, "EUR")
	patch := map[string]any{"description": "Now with support act."}
	rfc := func(t time.Time) string { return t.Format(time.RFC3339) }

	common := func(base map[string]any, unknown, bigField string) []badCase {
		return []badCase{
			{"malformed JSON", strings.TrimSuffix(with(base), "}") + `,"`, 400, "bad_json", ""},
			{"not an object", `["a","b"]`, 400, "bad_json", ""},
			{"empty body", "", 400, "bad_json", ""},
			{"two objects", with(base) + with(base), 400, "bad_json", ""},
			{"unknown field", with(base, unknown, "x"), 400, "bad_json", unknown},
			{"oversized body", with(base, bigField, big), 413, "too_large", ""},
		}
	}
	routes := []struct {
		method, pattern, path string
		valid                 string // a valid body: sent last, it must succeed
		validStatus           int
		cases                 []badCase
	}{
		{"POST", "/v1/auth/signup", "/v1/auth/signup", with(signup), 201, append(common(signup, "nickname", "name"),
			badCase{"email of wrong type", with(signup, "email", 42), 400, "bad_json", "email"},
			badCase{"name of wrong type", with(signup, "name", []string{"x"}), 400, "bad_json", "name"},
			badCase{"email not an address", with(signup, "email", "not-an-email"), 422, "invalid", "email"},
			badCase{"email missing", with(signup, "email", drop), 422, "invalid", "email"},
			badCase{"password too short", with(signup, "password", "short"), 422, "invalid", "password"},
		)},
		{"POST", "/v1/orgs", "/v1/orgs", with(orgBody), 201, append(common(orgBody, "owner", "name"),
			badCase{"name of wrong type", with(orgBody, "name", 7), 400, "bad_json", "name"},
			badCase{"require_2fa of wrong type", with(orgBody, "require_2fa", "yes"), 400, "bad_json", "require_2fa"},
			badCase{"name empty", with(orgBody, "name", "   "), 422, "invalid", "name"},
			badCase{"name too long", with(orgBody, "name", strings.Repeat("n", catalog.MaxNameLen+1)), 422, "invalid", "name"},
		)},
		{"POST", "/v1/orgs/{org}/venues", "/v1/orgs/" + orgA.ID + "/venues", with(venue), 201, append(common(venue, "capacity", "name"),
			badCase{"lat of wrong type", with(venue, "lat", "north"), 400, "bad_json", "lat"},
			badCase{"lat out of range", with(venue, "lat", 91), 422, "invalid", "lat"},
			badCase{"lon out of range", with(venue, "lon", -180.5), 422, "invalid", "lon"},
			badCase{"country not a code", with(venue, "country", "Germany"), 422, "invalid", "country"},
			badCase{"city missing", with(venue, "city", drop), 422, "invalid", "city"},
			badCase{"name empty", with(venue, "name", ""), 422, "invalid", "name"},
		)},
		{"POST", "/v1/orgs/{org}/events", "/v1/orgs/" + orgA.ID + "/events", with(event), 201, append(common(event, "price", "description"),
			badCase{"starts_at not a date", with(event, "starts_at", "tomorrow"), 422, "invalid", "starts_at"},
			badCase{"starts_at missing", with(event, "starts_at", drop), 422, "invalid", "starts_at"},
			badCase{"starts_at of wrong type", with(event, "starts_at", 1893456000), 400, "bad_json", "starts_at"},
			badCase{"ends before starts", with(event, "ends_at", rfc(starts.Add(-time.Hour))), 422, "invalid", "ends_at"},
			badCase{"ends_at not a date", with(event, "ends_at", "2030-13-45"), 422, "invalid", "ends_at"},
			badCase{"doors after start", with(event, "doors_at", rfc(starts.Add(time.Hour))), 422, "invalid", "doors_at"},
			badCase{"unknown category", with(event, "category", "opera"), 422, "invalid", "category"},
			badCase{"unknown time zone", with(event, "time_zone", "Mars/Olympus_Mons"), 422, "invalid", "time_zone"},
			badCase{"tags of wrong type", with(event, "tags", "rock"), 400, "bad_json", "tags"},
			badCase{"venue of another org", with(event, "venue_id", venueB.ID), 422, "invalid", "venue_id"},
			badCase{"venue missing", with(event, "venue_id", drop), 422, "invalid", "venue_id"},
			badCase{"title empty", with(event, "title", ""), 422, "invalid", "title"},
			badCase{"image not https", with(event, "images", []string{"http://example.com/a.jpg"}), 422, "invalid", "images"},
		)},
		{"POST", "/v1/events/{id}/ticket-types", "/v1/events/" + pub.ID + "/ticket-types", with(tt), 201, append(common(tt, "price_cents", "name"),
			badCase{"negative price", with(tt, "price", map[string]any{"amount": -100, "currency": "EUR"}), 422, "invalid", "price"},
			badCase{"price of wrong type", with(tt, "price", "10.00"), 400, "bad_json", "price"},
			badCase{"fractional amount", with(tt, "price", map[string]any{"amount": 10.5, "currency": "EUR"}), 400, "bad_json", "amount"},
			badCase{"zero capacity", with(tt, "capacity", 0), 422, "invalid", "capacity"},
			badCase{"negative capacity", with(tt, "capacity", -5), 422, "invalid", "capacity"},
			badCase{"capacity too large", with(tt, "capacity", catalog.MaxCapacity+1), 422, "invalid", "capacity"},
			badCase{"capacity of wrong type", with(tt, "capacity", "100"), 400, "bad_json", "capacity"},
			badCase{"per_order_max zero", with(tt, "per_order_max", 0), 422, "invalid", "per_order_max"},
			badCase{"per_order_max too large", with(tt, "per_order_max", catalog.MaxPerOrder+1), 422, "invalid", "per_order_max"},
			badCase{"currency lower case", with(tt, "price", map[string]any{"amount": 1500, "currency": "eur"}), 422, "invalid", "currency"},
			badCase{"currency too long", with(tt, "price", map[string]any{"amount": 1500, "currency": "EURO"}), 422, "invalid", "currency"},
			badCase{"currency unlike the event's", with(tt, "price", map[string]any{"amount": 1500, "currency": "USD"}), 422, "invalid", "currency"},
			badCase{"unknown kind", with(tt, "kind", "vip"), 422, "invalid", "kind"},
			badCase{"sale_ends not a date", with(tt, "sale_ends", "tomorrow"), 422, "invalid", "sale_ends"},
			badCase{"sale ends after the event", with(tt, "sale_ends", rfc(starts.Add(24*time.Hour))), 422, "invalid", "sale_ends"},
			badCase{"sale ends before it starts", with(tt, "sale_starts", rfc(starts.Add(-time.Hour)), "sale_ends", rfc(starts.Add(-2*time.Hour))), 422, "invalid", "sale_ends"},
			badCase{"name empty", with(tt, "name", " "), 422, "invalid", "name"},
		)},
		{"PATCH", "/v1/events/{id}", "/v1/events/" + pub.ID, with(patch), 200, append(common(patch, "status", "description"),
			badCase{"starts_at not a date", with(patch, "starts_at", "tomorrow"), 422, "invalid", "starts_at"},
			badCase{"ends before starts", with(patch, "ends_at", rfc(starts.Add(-time.Hour))), 422, "invalid", "ends_at"},
			badCase{"published event moved to the past", with(patch, "starts_at", rfc(h.clock.Now().Add(-24*time.Hour))), 422, "invalid", "starts_at"},
			badCase{"title empty", with(patch, "title", ""), 422, "invalid", "title"},
			badCase{"title of wrong type", with(patch, "title", 5), 400, "bad_json", "title"},
			badCase{"unknown category", with(patch, "category", "opera"), 422, "invalid", "category"},
			badCase{"unknown time zone", with(patch, "time_zone", "Nowhere/Land"), 422, "invalid", "time_zone"},
			badCase{"venue of another org", with(patch, "venue_id", venueB.ID), 422, "invalid", "venue_id"},
			badCase{"tags of wrong type", with(patch, "tags", "x"), 400, "bad_json", "tags"},
		)},
	}

	// What the store and the search hold before; compared after.
	ctx := t.Context()
	msBefore, err := h.acctStore.Memberships(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	eventsBefore, err := h.catStore.Events(ctx, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	ttsBefore, err := h.catStore.TicketTypes(ctx, pub.ID)
	if err != nil {
		t.Fatal(err)
	}
	pubBefore, err := h.catStore.Event(ctx, pub.ID)
	if err != nil {
		t.Fatal(err)
	}
	searchBefore := h.search(t, "")

	for _, rt := range routes {
		t.Run(rt.method+" "+rt.pattern, func(t *testing.T) {
			for _, c := range rt.cases {
				t.Run(c.name, func(t *testing.T) {
					mark := h.spy.mark()
					res := h.do(t, rt.method, rt.path, org.Token, c.body)
					checkBad(t, res, c)
					if w := h.spy.since(mark); len(w) > 0 {
						t.Errorf("refused request stored %v", w)
					}
				})
			}
		})
	}

	t.Run("GET /v1/events", func(t *testing.T) {
		for _, c := range []struct {
			name, query, field string
		}{
			{"radius_km not a number", "near=52.5,13.4&radius_km=abc", "radius_km"},
			{"radius_km without near", "radius_km=10", "radius_km"},
			{"radius_km too large", "near=52.5,13.4&radius_km=99999", "radius_km"},
			{"near out of range", "near=999,0", "near"},
			{"near not a point", "near=berlin", "near"},
			{"per_page too large", "per_page=1000", "per_page"},
			{"per_page not a number", "per_page=ten", "per_page"},
			{"page negative", "page=-1", "page"},
			{"page beyond the window", "page=1000&per_page=100", "page"},
			{"unknown parameter", "colour=red", "colour"},
			{"parameter twice", "q=rock&q=jazz", "q"},
			{"sort by distance without near", "sort=distance", "sort"},
			{"unknown sort", "sort=popularity", "sort"},
			{"from not a date", "from=tomorrow", "from"},
			{"to before from", "from=2030-06-01T00:00:00Z&to=2030-05-01T00:00:00Z", "to"},
			{"price_min negative", "price_min=-1", "price_min"},
			{"price_min not a number", "price_min=cheap", "price_min"},
			{"price_max below price_min", "price_min=500&price_max=100", "price_max"},
			{"unknown category", "category=opera", "category"},
			{"currency not a code", "currency=euro", "currency"},
			{"q too long", "q=" + url.QueryEscape(strings.Repeat("x", 201)), "q"},
		} {
			t.Run(c.name, func(t *testing.T) {
				res := h.do(t, "GET", "/v1/events?"+c.query, "", nil)
				if res.status < 400 || res.status > 499 {
					t.Fatalf("status %d, want 4xx; body %s", res.status, res.short())
				}
				checkNames(t, res.apiErr(t), c.field)
			})
		}
	})

	t.Run("unknown routes answer JSON errors", func(t *testing.T) {
		for _, c := range []struct {
			method, path string
			status       []int
		}{
			{"GET", "/nope", []int{404}},
			{"POST", "/v1/nope", []int{404}},
			{"GET", "/v1/events/ev_0000000000000000", []int{404}},
			{"GET", "/v1/events/not-an-id", []int{404}},
			{"POST", "/v1/events/ev_0000000000000000/publish", []int{404}},
			{"PUT", "/v1/events/" + pub.ID, []int{404, 405}},
		} {
			t.Run(c.method+" "+c.path, func(t *testing.T) {
				res := h.do(t, c.method, c.path, org.Token, nil)
				ok := false
				for _, s := range c.status {
					ok = ok || res.status == s
				}
				if !ok {
					t.Fatalf("status %d, want one of %v; body %s", res.status, c.status, res.short())
				}
				res.apiErr(t)
			})
		}
	})

	t.Run("nothing was stored", func(t *testing.T) {
		if _, err := h.acctStore.UserByEmail(ctx, nobody); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("UserByEmail(%s): %v, want not found", nobody, err)
		}
		if ms, err := h.acctStore.Memberships(ctx, org.ID); err != nil || len(ms) != len(msBefore) {
			t.Errorf("organizer has %d memberships (%v), want %d: an organization was created", len(ms), err, len(msBefore))
		}
		if evs, err := h.catStore.Events(ctx, "", 1000); err != nil || len(evs) != len(eventsBefore) {
			t.Errorf("%d events in the store (%v), want %d", len(evs), err, len(eventsBefore))
		}
		if tts, err := h.catStore.TicketTypes(ctx, pub.ID); err != nil || len(tts) != len(ttsBefore) {
			t.Errorf("%d ticket types (%v), want %d", len(tts), err, len(ttsBefore))
		}
		got, err := h.catStore.Event(ctx, pub.ID)
		if err != nil || got.Version != pubBefore.Version || !got.StartsAt.Equal(pubBefore.StartsAt) || got.Description != pubBefore.Description {
			t.Errorf("event after refused patches: %+v (%v), want it unchanged from %+v", got, err, pubBefore)
		}
		after := h.search(t, "")
		if after.Total != searchBefore.Total || after.Facets.City[0] != searchBefore.Facets.City[0] {
			t.Errorf("search: total %d, facets %v; before: %d, %v", after.Total, after.Facets, searchBefore.Total, searchBefore.Facets)
		}
		if s := h.search(t, "q=fixture"); s.Total != 1 || s.Events[0].Event.ID != pub.ID {
			t.Errorf("search for the fixture event finds %v", s.ids())
		}
	})

	// The bodies above differ from these in one field only; these succeed,
	// so the refusals were about that field.
	t.Run("valid bodies succeed", func(t *testing.T) {
		for _, rt := range routes {
			res := h.do(t, rt.method, rt.path, org.Token, rt.valid)
			if res.status != rt.validStatus {
				t.Errorf("%s %s with %s: status %d, want %d; body %s", rt.method, rt.path, rt.valid, res.status, rt.validStatus, res.short())
			}
		}
	})
}

// checkBad checks that res is the error c wants.
func checkBad(t *testing.T, res response, c badCase) {
	t.Helper()
	if res.status != c.status {
		t.Errorf("status %d, want %d; body %s", res.status, c.status, res.short())
	}
	e := res.apiErr(t)
	if e.Code != c.code {
		t.Errorf("code %q, want %q (%s)", e.Code, c.code, e.Message)
	}
	if c.field != "" {
		checkNames(t, e, c.field)
	}
}

// checkNames checks that an error names field, in its field or message.
func checkNames(t *testing.T, e errorDetail, field string) {
	t.Helper()
	if e.Field != field && !strings.Contains(e.Field, field) && !strings.Contains(e.Message, field) {
		t.Errorf("error %+v does not name %q", e, field)
	}
	if e.Field != "" && !strings.Contains(e.Field, field) {
		t.Errorf("error field %q, want %q", e.Field, field)
	}
}
