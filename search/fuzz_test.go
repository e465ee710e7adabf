package search_test

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/search"
)

var fuzzIndex = sync.OnceValues(func() (*search.Index, error) {
	idx, err := search.New()
	if err != nil {
		return nil, err
	}
	_, err = idx.EnsureBuilt(context.Background(), generate(500, 3))
	return idx, err
})

// FuzzSearch sends arbitrary queries: each gets a page of distinct hits no
// longer than asked for, or an error that names the field at fault.
func FuzzSearch(f *testing.F) {
	f.Add("metalica jazz", "music", "Berlin", 52.5, 13.4, 50.0, int64(0), int64(720), int64(0), int64(9000), "EUR", "relevance", 1, 20)
	f.Add("the", "", "", 0.0, 0.0, 0.0, int64(0), int64(0), int64(-1), int64(-1), "", "distance", 0, 0)
	f.Add("ünïcödé 🎸 concerts!", "sports", " paris ", 91.0, 0.0, -1.0, int64(-5), int64(5), int64(100), int64(1), "usd", "price", 3, 100)
	f.Fuzz(func(t *testing.T, q, category, city string, lat, lon, radius float64, fromH, toH, pmin, pmax int64,
		currency, sort string, page, perPage int) {
		idx, err := fuzzIndex()
		if err != nil {
			t.Fatal(err)
		}
		query := search.Query{Q: q, Category: category, City: city, Currency: currency, Sort: sort, Page: page, PerPage: perPage, RadiusKm: radius}
		if lat != 0 || lon != 0 {
			query.Near = &search.LatLon{Lat: lat, Lon: lon}
		}
		if fromH != 0 {
			query.From = genStart.Add(time.Duration(fromH%1e6) * time.Hour)
		}
		if toH != 0 {
			query.To = genStart.Add(time.Duration(toH%1e6) * time.Hour)
		}
		if pmin >= 0 {
			query.PriceMin = &pmin
		}
		if pmax >= 0 {
			query.PriceMax = &pmax
		}
		res, err := idx.Search(context.Background(), query)
		if err != nil {
			if _, ok := errors.AsType[*catalog.FieldError](err); !ok || !errors.Is(err, catalog.ErrInvalid) {
				t.Fatalf("Search(%+v): %v is not a field error", query, err)
			}
			return
		}
		want := perPage
		if want == 0 {
			want = search.DefaultPerPage
		}
		if len(res.Hits) > want || len(res.Hits) > res.Total {
			t.Fatalf("Search(%+v): %d hits of %d, %d a page", query, len(res.Hits), res.Total, want)
		}
		seen := map[string]bool{}
		for _, h := range res.Hits {
			if seen[h.EventID] || math.IsNaN(h.Score) || math.IsNaN(h.DistanceKm) {
				t.Fatalf("Search(%+v): bad hit %+v in %v", query, h, res.Hits)
			}
			seen[h.EventID] = true
		}
		if res.Total > 0 && len(res.Facets.Category) == 0 {
			t.Fatalf("Search(%+v): %d matches but no category facet", query, res.Total)
		}
	})
}
