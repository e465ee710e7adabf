package search_test

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/search"
)

// TestAgainstScan checks the index against a plain scan of every event
// (filters, facets, every sort order, paging, distances) after a stream of
// updates, unpublishings, deletions and republishings has gone through the
// live index, so postings lists and reused slots must be right; keyword
// queries are checked against an index built afresh from the same events,
// scores included.
func TestAgainstScan(t *testing.T) {
	ctx := context.Background()
	g := generate(3000, 7)
	idx := buildIndex(t, g)
	r := rand.New(rand.NewPCG(11, 12))
	venueIDs := slices.Sorted(maps.Keys(g.venues))
	for range 1500 {
		i := r.IntN(len(g.events))
		e := &g.events[i]
		switch r.IntN(6) {
		case 0:
			e.Status = catalog.StatusCancelled
		case 1:
			e.Status = catalog.StatusPublished
		case 2:
			e.VenueID = venueIDs[r.IntN(len(venueIDs))]
		case 3:
			e.StartsAt = genStart.Add(time.Duration(r.IntN(365*24)) * time.Hour)
		case 4:
			e.Title = genFirst[r.IntN(len(genFirst))] + " " + g.words[r.IntN(len(g.words))]
		case 5:
			tts := g.types[e.ID]
			tts[r.IntN(len(tts))].Price.Amount = int64(r.IntN(200)) * 100
		}
		var err error
		if e.Status == catalog.StatusCancelled && r.IntN(2) == 0 {
			err = idx.Delete(e.ID)
		} else {
			err = idx.Upsert(*e, g.venues[e.VenueID], g.types[e.ID])
		}
		if err != nil {
			t.Fatal(err)
		}
	}

	published := 0
	for _, e := range g.events {
		if e.Status == catalog.StatusPublished {
			published++
		}
	}
	if n, _ := idx.Count(); n != published {
		t.Fatalf("Count = %d after the updates, want %d", n, published)
	}

	for i := range 400 {
		q := randomQuery(r, g)
		got, err := idx.Search(ctx, q)
		if err != nil {
			t.Fatalf("Search(%+v): %v", q, err)
		}
		want := scan(g, q)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("query %d, %+v:\nindex %v\nscan  %v", i, q, got, want)
		}
	}

	fresh := buildIndex(t, g)
	for _, kw := range g.keywordQueries(100) {
		q := search.Query{Q: kw, PerPage: 50}
		if r.IntN(2) == 0 {
			q.Category = catalog.Categories[r.IntN(len(catalog.Categories))]
		}
		a, err := idx.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		b, err := fresh.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("Search(%q) differs:\nlive  %v\nfresh %v", kw, a, b)
		}
	}
}

// buildIndex returns an index built from g.
func buildIndex(t *testing.T, g *generated) *search.Index {
	t.Helper()
	idx, err := search.New()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := idx.EnsureBuilt(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	return idx
}

func randomQuery(r *rand.Rand, g *generated) search.Query {
	var q search.Query
	if r.IntN(3) == 0 {
		q.Category = catalog.Categories[r.IntN(len(catalog.Categories))]
	}
	if r.IntN(4) == 0 {
		c := genCities[r.IntN(len(genCities))].name
		if r.IntN(2) == 0 {
			c = " " + strings.ToUpper(c)
		}
		q.City = c
	}
	if r.IntN(3) == 0 {
		c := genCities[r.IntN(len(genCities))]
		q.Near = &search.LatLon{Lat: c.lat + r.Float64() - 0.5, Lon: c.lon + r.Float64() - 0.5}
		if r.IntN(4) == 0 { // anywhere, the poles and the date line too
			q.Near = &search.LatLon{Lat: r.Float64()*180 - 90, Lon: r.Float64()*360 - 180}
		}
		if r.IntN(3) > 0 {
			q.RadiusKm = []float64{0.5, 5, 20, 300, 2000, 20_000}[r.IntN(6)]
		}
	}
	if r.IntN(3) == 0 {
		q.From = genStart.Add(time.Duration(r.IntN(300*24)) * time.Hour)
	}
	if r.IntN(3) == 0 {
		q.To = genStart.Add(time.Duration(300*24+r.IntN(100*24)) * time.Hour)
	}
	if r.IntN(3) == 0 {
		v := int64(r.IntN(100)) * 100
		q.PriceMin = &v
	}
	if r.IntN(3) == 0 {
		v := int64(100+r.IntN(100)) * 100
		q.PriceMax = &v
	}
	if r.IntN(8) == 0 {
		q.Currency = []string{"EUR", "USD"}[r.IntN(2)]
	}
	sorts := []string{"", search.SortRelevance, search.SortDate, search.SortPrice}
	if q.Near != nil {
		sorts = append(sorts, search.SortDistance)
	}
	q.Sort = sorts[r.IntN(len(sorts))]
	q.PerPage = 1 + r.IntN(40)
	q.Page = 1 + r.IntN(5)
	return q
}

// scan answers q by looking at every published event.
func scan(g *generated, q search.Query) search.Results {
	type match struct {
		key    float64
		starts time.Time
		id     string
		dist   float64
	}
	var ms []match
	cats, cities := map[string]int{}, map[string]int{}
	for _, e := range g.events {
		v := g.venues[e.VenueID]
		if e.Status != catalog.StatusPublished ||
			q.Category != "" && e.Category != q.Category ||
			q.City != "" && !strings.EqualFold(strings.TrimSpace(q.City), v.City) ||
			!q.From.IsZero() && e.StartsAt.Before(q.From) ||
			!q.To.IsZero() && !e.StartsAt.Before(q.To) {
			continue
		}
		price, currency := int64(-1), ""
		for _, tt := range g.types[e.ID] {
			if price < 0 || tt.Price.Amount < price {
				price, currency = tt.Price.Amount, tt.Price.Currency
			}
		}
		if (q.PriceMin != nil || q.PriceMax != nil) &&
			(price < 0 || q.PriceMin != nil && price < *q.PriceMin || q.PriceMax != nil && price > *q.PriceMax) ||
			q.Currency != "" && currency != q.Currency {
			continue
		}
		m := match{starts: e.StartsAt, id: e.ID}
		if q.Near != nil {
			m.dist = haversine(q.Near.Lat, q.Near.Lon, v.Lat, v.Lon)
			if q.RadiusKm > 0 && m.dist > q.RadiusKm {
				continue
			}
		}
		switch q.Sort {
		case search.SortPrice:
			m.key = float64(price)
			if price < 0 {
				m.key = math.Inf(1)
			}
		case search.SortDistance:
			m.key = m.dist
		}
		ms = append(ms, m)
		cats[e.Category]++
		cities[v.City]++
	}
	slices.SortFunc(ms, func(a, b match) int {
		return cmp.Or(cmp.Compare(a.key, b.key), a.starts.Compare(b.starts), cmp.Compare(a.id, b.id))
	})
	page, per := max(q.Page, 1), q.PerPage
	out := search.Results{Total: len(ms), Hits: []search.Hit{}}
	for _, m := range ms[min(len(ms), (page-1)*per):min(len(ms), page*per)] {
		out.Hits = append(out.Hits, search.Hit{EventID: m.id, DistanceKm: m.dist})
	}
	out.Facets.Category = topCounts(cats, 16)
	out.Facets.City = topCounts(cities, 20)
	return out
}

func topCounts(counts map[string]int, size int) []search.FacetCount {
	out := []search.FacetCount{}
	for v, n := range counts {
		out = append(out, search.FacetCount{Value: v, Count: n})
	}
	slices.SortFunc(out, func(a, b search.FacetCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
	})
	return out[:min(len(out), size)]
}

func haversine(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * 6371.0088 * math.Asin(math.Min(1, math.Sqrt(a)))
}

// TestSearchWhileWriting searches from several goroutines while events
// are changed, unpublished and deleted: every answer is a coherent page
// (run with -race to check the locking too).
func TestSearchWhileWriting(t *testing.T) {
	ctx := context.Background()
	g := generate(2000, 21)
	idx := buildIndex(t, g)
	known := map[string]bool{}
	for _, e := range g.events {
		known[e.ID] = true
	}
	// The writer works on copies: the readers' scan oracle is not used here.
	events := slices.Clone(g.events)
	done := make(chan struct{})
	errs := make(chan error, 4)
	for w := range 4 {
		go func() {
			r := rand.New(rand.NewPCG(uint64(w), 99))
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				q := randomQuery(r, g)
				if r.IntN(2) == 0 {
					q.Q = g.words[r.IntN(len(g.words))]
				}
				res, err := idx.Search(ctx, q)
				if err != nil {
					errs <- err
					return
				}
				seen := map[string]bool{}
				for _, h := range res.Hits {
					if seen[h.EventID] || !known[h.EventID] {
						errs <- fmt.Errorf("Search(%+v): duplicate or unknown hit %s", q, h.EventID)
						return
					}
					seen[h.EventID] = true
				}
				if len(res.Hits) > res.Total {
					errs <- fmt.Errorf("Search(%+v): %d hits of %d", q, len(res.Hits), res.Total)
					return
				}
			}
		}()
	}
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 3000 {
		e := events[r.IntN(len(events))]
		e.Title = fmt.Sprintf("%s %d", genFirst[r.IntN(len(genFirst))], i)
		var err error
		switch r.IntN(4) {
		case 0:
			err = idx.Delete(e.ID)
		case 1:
			e.Status = catalog.StatusCancelled
			err = idx.Upsert(e, g.venues[e.VenueID], g.types[e.ID])
		default:
			err = idx.Upsert(e, g.venues[e.VenueID], g.types[e.ID])
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
