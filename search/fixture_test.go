package search_test

import (
	"context"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/search"
	"github.com/admitone/admitone/storage/bolt"
)

// t0 is the fixture's "now"; every event starts after it.
var t0 = time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)

type fixtureVenue struct {
	key, name, city, country string
	lat, lon                 float64
}

var fixtureVenues = []fixtureVenue{
	{"columbia", "Columbiahalle", "Berlin", "DE", 52.4846, 13.3906},
	{"arena", "Uber Arena", "Berlin", "DE", 52.5079, 13.4434},
	{"stadium", "Olympiastadion", "Berlin", "DE", 52.5147, 13.2395},
	{"potsdam", "Hans Otto Theater", "Potsdam", "DE", 52.3964, 13.0584},
	{"elphi", "Elbphilharmonie", "Hamburg", "DE", 53.5413, 9.9841},
	{"olympia", "Olympiahalle", "Munich", "DE", 48.1749, 11.5560},
	{"lanxess", "Lanxess Arena", "Cologne", "DE", 50.9384, 6.9830},
	{"hallenstadion", "Hallenstadion", "Zurich", "CH", 47.4113, 8.5512},
}

// berlinCenter is the point geo tests measure from.
var berlinCenter = search.LatLon{Lat: 52.5200, Lon: 13.4050}

type fixtureEvent struct {
	title, description, category string
	tags                         []string
	venue                        string
	days                         int     // start, days after t0
	prices                       []int64 // admission types; the first currency is the event's
	currency                     string
	merch                        int64 // a merchandise type at this price, if not 0
	status                       catalog.Status
}

// fixtureEvents is the catalog the search tests run on: 28 published
// events across six cities, eight categories, five months and prices from
// free to 499 EUR, plus a draft and a cancelled event.
var fixtureEvents = []fixtureEvent{
	{"Metallica", "Heavy metal concert with a full stage show.", "music", []string{"metal", "rock"}, "arena", 30, []int64{8950}, "EUR", 3500, ""},
	{"Metallica Tribute Night", "The greatest hits played by a tribute band.", "music", []string{"metal", "tribute"}, "elphi", 12, []int64{2500}, "EUR", 0, ""},
	{"Metallic Dreams", "A play about a sculptor who works in steel.", "theatre", []string{"drama"}, "potsdam", 20, []int64{3200}, "EUR", 0, ""},
	{"Berlin Philharmonic: Brahms", "An evening of symphonies by the orchestra.", "music", []string{"classical", "orchestra"}, "columbia", 45, []int64{9900, 4500}, "EUR", 0, ""},
	{"Jazz Night", "Smooth jazz concert with local musicians.", "music", []string{"jazz"}, "columbia", 5, []int64{1800}, "EUR", 0, ""},
	{"Jazz in the Elbphilharmonie", "A jazz concert in the great hall.", "music", []string{"jazz"}, "elphi", 60, []int64{3900}, "EUR", 0, ""},
	{"Comedy Marathon", "Five comedians, one night.", "comedy", []string{"stand-up"}, "lanxess", 8, []int64{2200}, "EUR", 0, ""},
	{"Stand-up Special", "New material from the touring comedian.", "comedy", []string{"stand-up"}, "arena", 15, []int64{2900}, "EUR", 0, ""},
	{"Hertha BSC vs Hamburger SV", "Second division football derby.", "sports", []string{"football"}, "stadium", 10, []int64{1500}, "EUR", 0, ""},
	{"Basketball League Game", "Munich against Bamberg.", "sports", []string{"basketball"}, "olympia", 18, []int64{1900}, "EUR", 0, ""},
	{"Oktoberfest Warm-up", "Brass bands and beer tents.", "festival", []string{"beer", "brass"}, "olympia", 100, []int64{0}, "EUR", 0, ""},
	{"Lollapalooza Berlin", "Two-day music festival in the park.", "festival", []string{"pop", "rock"}, "stadium", 70, []int64{15900}, "EUR", 0, ""},
	{"GopherCon EU", "The Go programming conference.", "conference", []string{"go", "programming"}, "columbia", 40, []int64{49900}, "EUR", 0, ""},
	{"Cloud Native Summit", "Talks and workshops on cloud infrastructure.", "conference", []string{"cloud"}, "elphi", 55, []int64{29900}, "EUR", 0, ""},
	{"Puppet Theatre for Kids", "A puppet show for children aged 3 to 8.", "family", []string{"kids", "puppets"}, "lanxess", 3, []int64{900}, "EUR", 0, ""},
	{"Circus Roncalli", "The classic circus with acrobats and clowns.", "family", []string{"circus"}, "olympia", 25, []int64{3500}, "EUR", 0, ""},
	{"Hamlet", "Shakespeare's tragedy in a modern staging.", "theatre", []string{"shakespeare"}, "elphi", 33, []int64{4100}, "EUR", 0, ""},
	{"The Magic Flute", "Mozart's opera, sung in German.", "theatre", []string{"opera", "mozart"}, "olympia", 50, []int64{6500}, "EUR", 0, ""},
	{"Rock am Ring Warm-up", "Guitars on the eve of the festival.", "music", []string{"rock"}, "lanxess", 80, []int64{4900}, "EUR", 0, ""},
	{"Electronic Night", "Techno until sunrise.", "music", []string{"techno"}, "columbia", 2, []int64{2000}, "EUR", 0, ""},
	{"Zurich Jazz Festival", "Three days of jazz in the city.", "festival", []string{"jazz"}, "hallenstadion", 90, []int64{7900}, "CHF", 0, ""},
	{"Swiss Comedy Gala", "The best Swiss comedians.", "comedy", nil, "hallenstadion", 35, []int64{4500}, "CHF", 0, ""},
	{"Marathon Expo", "Running shoes and sports science talks.", "other", []string{"running"}, "arena", 28, []int64{500}, "EUR", 0, ""},
	{"Book Fair", "Authors reading from new books.", "other", []string{"books"}, "lanxess", 65, []int64{1200}, "EUR", 0, ""},
	{"Ice Hockey Derby", "Eisbären Berlin against the Hamburg Freezers.", "sports", []string{"hockey"}, "arena", 22, []int64{3300}, "EUR", 0, ""},
	{"Christmas Carols", "Carols sung by the city choir.", "music", []string{"choir"}, "potsdam", 150, []int64{1500}, "EUR", 0, ""},
	{"Family Science Day", "Experiments for the whole family.", "family", []string{"science"}, "elphi", 12, []int64{700}, "EUR", 0, ""},
	{"Startup Conference", "Founders and investors on stage.", "conference", []string{"startups"}, "olympia", 7, []int64{9900}, "EUR", 0, ""},
	{"Secret Draft Show", "Not announced yet.", "music", []string{"secret"}, "columbia", 10, []int64{1000}, "EUR", 0, catalog.StatusDraft},
	{"Cancelled Gig", "Called off.", "music", []string{"rock"}, "elphi", 14, []int64{1000}, "EUR", 0, catalog.StatusCancelled},
}

// catalogFixture is the fixture loaded through the catalog service, so
// the index is kept current the way production keeps it.
type catalogFixture struct {
	svc    *catalog.Service
	store  catalog.Store
	index  *search.Index
	ids    map[string]string // title -> event id
	byID   map[string]fixtureEvent
	venues map[string]fixtureVenue // venue key -> venue
}

func newCatalogFixture(t *testing.T) *catalogFixture {
	t.Helper()
	ctx := context.Background()
	idx, err := search.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	f := &catalogFixture{
		store:  newStore(t),
		index:  idx,
		ids:    map[string]string{},
		byID:   map[string]fixtureEvent{},
		venues: map[string]fixtureVenue{},
	}
	f.svc = &catalog.Service{Store: f.store, Index: idx, Now: func() time.Time { return t0 }}
	org, err := f.svc.CreateOrg(ctx, catalog.Organization{Name: "Fixture Events"})
	if err != nil {
		t.Fatal(err)
	}
	venueIDs := map[string]string{}
	for _, fv := range fixtureVenues {
		v, err := f.svc.CreateVenue(ctx, catalog.Venue{OrgID: org.ID, Name: fv.name, City: fv.city, Country: fv.country, Lat: fv.lat, Lon: fv.lon})
		if err != nil {
			t.Fatal(err)
		}
		venueIDs[fv.key] = v.ID
		f.venues[fv.key] = fv
	}
	for i, fe := range fixtureEvents {
		start := t0.Add(time.Duration(fe.days)*24*time.Hour + time.Duration(i)*time.Minute)
		e, err := f.svc.CreateEvent(ctx, catalog.Event{
			OrgID: org.ID, VenueID: venueIDs[fe.venue], Title: fe.title, Description: fe.description,
			Category: fe.category, Tags: fe.tags, TimeZone: "Europe/Berlin",
			StartsAt: start, EndsAt: start.Add(3 * time.Hour),
		})
		if err != nil {
			t.Fatalf("%s: %v", fe.title, err)
		}
		for j, p := range fe.prices {
			if _, err := f.svc.CreateTicketType(ctx, catalog.TicketType{
				EventID: e.ID, Name: "Tier " + string(rune('A'+j)), Kind: catalog.KindAdmission,
				Price: catalog.Money{Amount: p, Currency: fe.currency}, Capacity: 100, PerOrderMax: 10,
			}); err != nil {
				t.Fatalf("%s: %v", fe.title, err)
			}
		}
		if fe.merch != 0 {
			if _, err := f.svc.CreateTicketType(ctx, catalog.TicketType{
				EventID: e.ID, Name: "T-shirt", Kind: catalog.KindMerchandise,
				Price: catalog.Money{Amount: fe.merch, Currency: fe.currency}, Capacity: 100, PerOrderMax: 10,
			}); err != nil {
				t.Fatalf("%s: %v", fe.title, err)
			}
		}
		if fe.status != catalog.StatusDraft {
			if _, err := f.svc.Publish(ctx, e.ID); err != nil {
				t.Fatalf("%s: %v", fe.title, err)
			}
		}
		if fe.status == catalog.StatusCancelled {
			if _, err := f.svc.Cancel(ctx, e.ID); err != nil {
				t.Fatalf("%s: %v", fe.title, err)
			}
		}
		f.ids[fe.title] = e.ID
		f.byID[e.ID] = fe
	}
	return f
}

// published returns the ids of the published fixture events that keep
// returns true for.
func (f *catalogFixture) published(keep func(fe fixtureEvent) bool) map[string]bool {
	out := map[string]bool{}
	for id, fe := range f.byID {
		if fe.status == "" && keep(fe) {
			out[id] = true
		}
	}
	return out
}

// minPrice is the lowest admission price of a fixture event.
func (fe fixtureEvent) minPrice() int64 {
	m := fe.prices[0]
	for _, p := range fe.prices {
		m = min(m, p)
	}
	return m
}

func (f *catalogFixture) start(id string) time.Time {
	for i, fe := range fixtureEvents {
		if f.ids[fe.title] == id {
			return t0.Add(time.Duration(fe.days)*24*time.Hour + time.Duration(i)*time.Minute)
		}
	}
	return time.Time{}
}

// searchAll runs q and returns every hit over all pages.
func searchAll(t *testing.T, idx *search.Index, q search.Query) []search.Hit {
	t.Helper()
	q.PerPage = search.MaxPerPage
	var all []search.Hit
	for q.Page = 1; ; q.Page++ {
		res, err := idx.Search(context.Background(), q)
		if err != nil {
			t.Fatalf("Search(%+v): %v", q, err)
		}
		all = append(all, res.Hits...)
		if len(res.Hits) < q.PerPage {
			if len(all) != res.Total {
				t.Fatalf("Search(%+v): %d hits on all pages, Total %d", q, len(all), res.Total)
			}
			return all
		}
	}
}

func idSet(hits []search.Hit) map[string]bool {
	out := map[string]bool{}
	for _, h := range hits {
		out[h.EventID] = true
	}
	return out
}

// newStore returns the store the tests run against: storage/bolt in a
// temporary directory.
func newStore(t *testing.T) catalog.Store {
	t.Helper()
	db, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
