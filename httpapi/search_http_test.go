package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/admitone/admitone/search"
)

// searchFixture is eight published events in three cities and a draft,
// made through the API.
type searchFixture struct {
	day   func(n int) time.Time // the start of an event n days out
	ids   map[string]string     // event id by fixture name
	draft string                // the draft's id
}

func newSearchFixture(t *testing.T, h *harness) *searchFixture {
	t.Helper()
	org := h.newUser(t, "organizer")
	o := h.createOrg(t, org, "Search Org", false)
	venues := map[string]string{
		"Berlin":  h.createVenue(t, org, o.ID, venueBody("Columbiahalle", "Berlin", "DE", 52.52, 13.405)).ID,
		"Hamburg": h.createVenue(t, org, o.ID, venueBody("Fischauktionshalle", "Hamburg", "DE", 53.55, 9.99)).ID,
		"Munich":  h.createVenue(t, org, o.ID, venueBody("Olympiahalle", "Munich", "DE", 48.137, 11.575)).ID,
	}
	base := h.clock.Now().Truncate(time.Hour)
	f := &searchFixture{day: func(n int) time.Time { return base.Add(time.Duration(n) * 24 * time.Hour) }, ids: map[string]string{}}
	for _, e := range []struct {
		name, title, category, city string
		day                         int
		price                       int64
	}{
		{"metallica", "Metallica World Tour", "music", "Berlin", 10, 8900},
		{"jazz", "Jazz Night", "music", "Berlin", 20, 2500},
		{"comedy", "Stand-up Evening", "comedy", "Berlin", 5, 1500},
		{"harbour", "Harbour Festival", "festival", "Hamburg", 30, 4000},
		{"hamlet", "Hamlet", "theatre", "Hamburg", 15, 3000},
		{"cloud", "Cloud Conference", "conference", "Munich", 40, 19900},
		{"family", "Family Fun Day", "family", "Munich", 8, 0},
		{"derby", "Derby Day", "sports", "Munich", 12, 5500},
		{"draft", "Metallica Secret Show", "music", "Berlin", 25, 100},
	} {
		ev := h.createEvent(t, org, o.ID, eventBody(venues[e.city], e.title, e.category, f.day(e.day)))
		h.createTicketType(t, org, ev.ID, ticketTypeBody("Admission", e.price, "EUR"))
		// A dearer extra that is not admission does not change the price.
		mt := ticketTypeBody("Tour shirt", 100, "EUR")
		mt["kind"] = "merchandise"
		h.createTicketType(t, org, ev.ID, mt)
		if e.name == "draft" {
			f.draft = ev.ID
			continue
		}
		h.publish(t, org, ev.ID)
		f.ids[e.name] = ev.ID
	}
	return f
}

// labels maps event ids back to fixture names, for messages.
func (f *searchFixture) labels(ids []string) []string {
	var out []string
	for _, id := range ids {
		name := id
		for n, x := range f.ids {
			if x == id {
				name = n
			}
		}
		if id == f.draft {
			name = "DRAFT"
		}
		out = append(out, name)
	}
	return out
}

// names maps fixture names to event ids.
func (f *searchFixture) names(names ...string) []string {
	var ids []string
	for _, n := range names {
		ids = append(ids, f.ids[n])
	}
	return ids
}

func TestSearchOverHTTP(t *testing.T) {
	h := newHarness(t, "bolt")
	f := newSearchFixture(t, h)
	rfc := func(t time.Time) string { return t.Format(time.RFC3339) }
	byDate := []string{"comedy", "family", "metallica", "derby", "hamlet", "jazz", "harbour", "cloud"}

	tests := []struct {
		name  string
		query url.Values
		// want are the events expected, by fixture name; in this order
		// when ordered, else in any order.
		want    []string
		ordered bool
	}{
		{"everything", url.Values{}, byDate, false},
		{"typo finds Metallica", url.Values{"q": {"metalica"}}, []string{"metallica"}, false},
		{"exact word", url.Values{"q": {"hamlet"}}, []string{"hamlet"}, false},
		{"category", url.Values{"category": {"music"}}, []string{"metallica", "jazz"}, false},
		{"city, any case", url.Values{"city": {"HAMBURG"}}, []string{"harbour", "hamlet"}, false},
		{"category and city", url.Values{"category": {"music"}, "city": {"berlin"}}, []string{"metallica", "jazz"}, false},
		{"category and city, none", url.Values{"category": {"music"}, "city": {"Munich"}}, nil, false},
		{"near Berlin within 50 km", url.Values{"near": {"52.52,13.405"}, "radius_km": {"50"}}, []string{"metallica", "jazz", "comedy"}, false},
		{"near Berlin within 300 km", url.Values{"near": {"52.52,13.405"}, "radius_km": {"300"}},
			[]string{"metallica", "jazz", "comedy", "harbour", "hamlet"}, false},
		{"nearest to Munich first", url.Values{"near": {"48.137,11.575"}, "sort": {"distance"}},
			[]string{"family", "derby", "cloud", "comedy", "metallica", "jazz", "hamlet", "harbour"}, true},
		{"from and to", url.Values{"from": {rfc(f.day(9))}, "to": {rfc(f.day(21))}}, []string{"metallica", "derby", "hamlet", "jazz"}, false},
		{"from inclusive, to exclusive", url.Values{"from": {rfc(f.day(10))}, "to": {rfc(f.day(20))}}, []string{"metallica", "derby", "hamlet"}, false},
		{"price range", url.Values{"price_min": {"2000"}, "price_max": {"5000"}}, []string{"jazz", "harbour", "hamlet"}, false},
		{"price bounds inclusive", url.Values{"price_min": {"2500"}, "price_max": {"4000"}}, []string{"jazz", "harbour", "hamlet"}, false},
		{"free", url.Values{"price_max": {"0"}}, []string{"family"}, false},
		{"sort by date", url.Values{"sort": {"date"}}, byDate, true},
		{"sort by price", url.Values{"sort": {"price"}},
			[]string{"family", "comedy", "jazz", "hamlet", "harbour", "derby", "metallica", "cloud"}, true},
		{"currency", url.Values{"currency": {"USD"}}, nil, false},
		{"the draft's own words", url.Values{"q": {"secret"}}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := h.search(t, tc.query.Encode())
			got := res.ids()
			want := f.names(tc.want...)
			if slices.Contains(got, f.draft) {
				t.Errorf("the draft is in the results")
			}
			if res.Total != len(want) {
				t.Errorf("total %d, want %d", res.Total, len(want))
			}
			if !tc.ordered {
				slices.Sort(got)
				slices.Sort(want)
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", f.labels(res.ids()), tc.want)
			}
		})
	}

	t.Run("distances", func(t *testing.T) {
		res := h.search(t, url.Values{"near": {"52.52,13.405"}, "radius_km": {"300"}, "sort": {"distance"}}.Encode())
		if len(res.Events) != 5 {
			t.Fatalf("%d events, want 5", len(res.Events))
		}
		last := res.Events[len(res.Events)-1]
		// Berlin to Hamburg is about 255 km.
		if last.Venue.City != "Hamburg" || last.DistanceKm < 240 || last.DistanceKm > 270 {
			t.Errorf("farthest: %s at %.1f km, want Hamburg at about 255 km", last.Venue.City, last.DistanceKm)
		}
	})

	t.Run("paging", func(t *testing.T) {
		var all []string
		for page, size := range []int{3, 3, 2, 0} {
			res := h.search(t, url.Values{"sort": {"date"}, "per_page": {"3"}, "page": {strconv.Itoa(page + 1)}}.Encode())
			if res.Total != 8 || res.Page != page+1 || res.PerPage != 3 || len(res.Events) != size {
				t.Errorf("page %d: total %d page %d per_page %d, %d events; want 8, %d, 3, %d",
					page+1, res.Total, res.Page, res.PerPage, len(res.Events), page+1, size)
			}
			all = append(all, res.ids()...)
		}
		if want := f.names(byDate...); !slices.Equal(all, want) {
			t.Errorf("pages together: %v, want %v", f.labels(all), byDate)
		}
	})

	t.Run("facets", func(t *testing.T) {
		res := h.search(t, "")
		wantCategory := []search.FacetCount{{Value: "music", Count: 2}, {Value: "comedy", Count: 1}, {Value: "conference", Count: 1},
			{Value: "family", Count: 1}, {Value: "festival", Count: 1}, {Value: "sports", Count: 1}, {Value: "theatre", Count: 1}}
		wantCity := []search.FacetCount{{Value: "Berlin", Count: 3}, {Value: "Munich", Count: 3}, {Value: "Hamburg", Count: 2}}
		if !slices.Equal(res.Facets.Category, wantCategory) {
			t.Errorf("category facet %v, want %v", res.Facets.Category, wantCategory)
		}
		if !slices.Equal(res.Facets.City, wantCity) {
			t.Errorf("city facet %v, want %v", res.Facets.City, wantCity)
		}
		// Facets count every match, not the page, and follow filters.
		res = h.search(t, "category=music&per_page=1")
		if want := []search.FacetCount{{Value: "Berlin", Count: 2}}; !slices.Equal(res.Facets.City, want) {
			t.Errorf("city facet of music: %v, want %v", res.Facets.City, want)
		}
	})

	t.Run("hits carry the event page", func(t *testing.T) {
		res := h.search(t, "q=hamlet")
		if len(res.Events) != 1 {
			t.Fatalf("%d events", len(res.Events))
		}
		e := res.Events[0]
		if e.Event.Title != "Hamlet" || e.Venue.City != "Hamburg" || len(e.TicketTypes) != 2 || e.Score <= 0 {
			t.Errorf("hit %+v: want Hamlet in Hamburg with 2 ticket types and a score", e)
		}
	})

	t.Run("the draft is not found by id either", func(t *testing.T) {
		h.do(t, "GET", "/v1/events/"+f.draft, "", nil).want(t, http.StatusNotFound)
	})
}
