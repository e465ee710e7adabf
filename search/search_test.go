package search_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/search"
)

func titles(f *catalogFixture, hits []search.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, f.byID[h.EventID].title)
	}
	return out
}

func wantSet(t *testing.T, f *catalogFixture, what string, hits []search.Hit, want map[string]bool) {
	t.Helper()
	got := idSet(hits)
	if len(hits) != len(got) {
		t.Errorf("%s: duplicate hits: %q", what, titles(f, hits))
	}
	if !maps.Equal(got, want) {
		var missing, extra []string
		for id := range want {
			if !got[id] {
				missing = append(missing, f.byID[id].title)
			}
		}
		for id := range got {
			if !want[id] {
				extra = append(extra, f.byID[id].title)
			}
		}
		t.Errorf("%s: missing %q, unexpected %q", what, missing, extra)
	}
}

func TestKeywords(t *testing.T) {
	f := newCatalogFixture(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		q     string
		first string   // the best hit, if not ""
		want  []string // must be among the hits
		not   []string // must not be among the hits
	}{
		{"exact", "Metallica", "Metallica", []string{"Metallica", "Metallica Tribute Night"}, []string{"Hamlet"}},
		{"typo: one letter missing", "metalica", "", []string{"Metallica", "Metallica Tribute Night"}, nil},
		{"typo: two letters swapped", "metallcia", "", []string{"Metallica"}, nil},
		{"typo: short word", "jaz", "", []string{"Jazz Night", "Jazz in the Elbphilharmonie"}, nil},
		{"exact beats fuzzy", "metallic", "Metallic Dreams", []string{"Metallic Dreams", "Metallica"}, nil},
		{"stemming: plural finds singular", "concerts", "", []string{"Jazz Night", "Metallica", "Jazz in the Elbphilharmonie"}, []string{"Hamlet", "Startup Conference"}},
		{"stemming: singular finds plural", "comedian", "", []string{"Comedy Marathon", "Swiss Comedy Gala"}, nil},
		{"tags", "shakespeare", "Hamlet", []string{"Hamlet"}, nil},
		{"venue city", "potsdam", "", []string{"Metallic Dreams", "Christmas Carols"}, nil},
		{"every word must match", "jazz berlin", "Jazz Night", []string{"Jazz Night"}, []string{"Jazz in the Elbphilharmonie", "Zurich Jazz Festival", "Metallica"}},
		{"case and punctuation", "GOPHERCON!", "GopherCon EU", nil, nil},
		{"nothing like it", "xylophonist", "", nil, []string{"Metallica"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.index.Search(ctx, search.Query{Q: tt.q, PerPage: 100})
			if err != nil {
				t.Fatal(err)
			}
			got := titles(f, res.Hits)
			if tt.first != "" && (len(got) == 0 || got[0] != tt.first) {
				t.Errorf("Search(%q) = %q, want %q first", tt.q, got, tt.first)
			}
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("Search(%q) = %q, want %q among them", tt.q, got, w)
				}
			}
			for _, n := range tt.not {
				if slices.Contains(got, n) {
					t.Errorf("Search(%q) = %q, want no %q", tt.q, got, n)
				}
			}
			for i := 1; i < len(res.Hits); i++ {
				if res.Hits[i].Score > res.Hits[i-1].Score {
					t.Errorf("Search(%q): hits not in score order: %v", tt.q, res.Hits)
				}
			}
			if len(res.Hits) > 0 && res.Hits[0].Score <= 0 {
				t.Errorf("Search(%q): top score %v", tt.q, res.Hits[0].Score)
			}
		})
	}

	t.Run("stop words only", func(t *testing.T) {
		res, err := f.index.Search(ctx, search.Query{Q: "the and of"})
		if err != nil || res.Total != 0 {
			t.Errorf("Search(stop words) = %d hits, %v; want none", res.Total, err)
		}
	})
}

func TestFacets(t *testing.T) {
	f := newCatalogFixture(t)
	res, err := f.index.Search(context.Background(), search.Query{})
	if err != nil {
		t.Fatal(err)
	}
	wantCat, wantCity := map[string]int{}, map[string]int{}
	total := 0
	for _, fe := range fixtureEvents {
		if fe.status == "" {
			wantCat[fe.category]++
			wantCity[f.venues[fe.venue].city]++
			total++
		}
	}
	if res.Total != total {
		t.Errorf("Total = %d, want %d", res.Total, total)
	}
	check := func(name string, got []search.FacetCount, want map[string]int) {
		t.Helper()
		m := map[string]int{}
		for i, fc := range got {
			m[fc.Value] = fc.Count
			if i > 0 && (fc.Count > got[i-1].Count || fc.Count == got[i-1].Count && fc.Value < got[i-1].Value) {
				t.Errorf("%s facet not ordered by count, then value: %v", name, got)
			}
		}
		if !maps.Equal(m, want) {
			t.Errorf("%s facet = %v, want %v", name, got, want)
		}
	}
	check("category", res.Facets.Category, wantCat)
	check("city", res.Facets.City, wantCity)

	// Facets count what matches, not only the page.
	res, err = f.index.Search(context.Background(), search.Query{Q: "jazz", PerPage: 1})
	if err != nil {
		t.Fatal(err)
	}
	check("jazz category", res.Facets.Category, map[string]int{"music": 2, "festival": 1})
	check("jazz city", res.Facets.City, map[string]int{"Berlin": 1, "Hamburg": 1, "Zurich": 1})
}

func TestFilters(t *testing.T) {
	f := newCatalogFixture(t)
	from, to := t0.Add(10*24*time.Hour), t0.Add(30*24*time.Hour)
	p := func(v int64) *int64 { return &v }
	tests := []struct {
		name string
		q    search.Query
		keep func(fe fixtureEvent) bool
	}{
		{"category", search.Query{Category: "comedy"}, func(fe fixtureEvent) bool { return fe.category == "comedy" }},
		{"city, any case", search.Query{City: " hamburg"}, func(fe fixtureEvent) bool { return f.venues[fe.venue].city == "Hamburg" }},
		{"within 50 km of Berlin", search.Query{Near: &berlinCenter, RadiusKm: 50}, func(fe fixtureEvent) bool {
			c := f.venues[fe.venue].city
			return c == "Berlin" || c == "Potsdam"
		}},
		{"within 300 km of Berlin", search.Query{Near: &berlinCenter, RadiusKm: 300}, func(fe fixtureEvent) bool {
			c := f.venues[fe.venue].city
			return c == "Berlin" || c == "Potsdam" || c == "Hamburg"
		}},
		{"date range", search.Query{From: from, To: to}, func(fe fixtureEvent) bool { return fe.days >= 10 && fe.days < 30 }},
		{"from only", search.Query{From: t0.Add(90 * 24 * time.Hour)}, func(fe fixtureEvent) bool { return fe.days >= 90 }},
		{"price range", search.Query{PriceMin: p(1500), PriceMax: p(3000)}, func(fe fixtureEvent) bool {
			return fe.minPrice() >= 1500 && fe.minPrice() <= 3000
		}},
		{"free", search.Query{PriceMax: p(0)}, func(fe fixtureEvent) bool { return fe.minPrice() == 0 }},
		{"currency", search.Query{Currency: "CHF"}, func(fe fixtureEvent) bool { return fe.currency == "CHF" }},
		{"everything at once", search.Query{Q: "concert", Category: "music", Near: &berlinCenter, RadiusKm: 50, From: t0, To: to, PriceMax: p(5000)},
			func(fe fixtureEvent) bool { return fe.title == "Jazz Night" }},
		{"keyword and category", search.Query{Q: "jazz", Category: "festival"}, func(fe fixtureEvent) bool { return fe.title == "Zurich Jazz Festival" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := searchAll(t, f.index, tt.q)
			wantSet(t, f, tt.name, hits, f.published(tt.keep))
			if tt.q.Near != nil {
				for _, h := range hits {
					if h.DistanceKm <= 0 || h.DistanceKm > tt.q.RadiusKm {
						t.Errorf("%s: DistanceKm %v", f.byID[h.EventID].title, h.DistanceKm)
					}
				}
			}
		})
	}

	t.Run("min price ignores merchandise", func(t *testing.T) {
		hits := searchAll(t, f.index, search.Query{PriceMax: p(3500), City: "Berlin", Q: "metallica"})
		if len(hits) != 0 {
			t.Errorf("Metallica (admission 89.50, T-shirt 35.00) matched a 35.00 price cap")
		}
	})
}

func TestSort(t *testing.T) {
	f := newCatalogFixture(t)
	t.Run("date", func(t *testing.T) {
		hits := searchAll(t, f.index, search.Query{Sort: search.SortDate})
		for i := 1; i < len(hits); i++ {
			if f.start(hits[i].EventID).Before(f.start(hits[i-1].EventID)) {
				t.Fatalf("not in date order: %q", titles(f, hits))
			}
		}
	})
	t.Run("relevance without keywords is by date", func(t *testing.T) {
		a := searchAll(t, f.index, search.Query{})
		b := searchAll(t, f.index, search.Query{Sort: search.SortDate})
		if !slices.Equal(titles(f, a), titles(f, b)) {
			t.Errorf("relevance %q\ndate %q", titles(f, a), titles(f, b))
		}
	})
	t.Run("price", func(t *testing.T) {
		hits := searchAll(t, f.index, search.Query{Sort: search.SortPrice, Currency: "EUR"})
		for i := 1; i < len(hits); i++ {
			if f.byID[hits[i].EventID].minPrice() < f.byID[hits[i-1].EventID].minPrice() {
				t.Fatalf("not in price order: %q", titles(f, hits))
			}
		}
		if got := f.byID[hits[0].EventID].title; got != "Oktoberfest Warm-up" {
			t.Errorf("cheapest = %q, want the free Oktoberfest Warm-up", got)
		}
	})
	t.Run("distance", func(t *testing.T) {
		hits := searchAll(t, f.index, search.Query{Sort: search.SortDistance, Near: &berlinCenter})
		if len(hits) != len(f.published(func(fixtureEvent) bool { return true })) {
			t.Fatalf("near without radius filtered: %d hits", len(hits))
		}
		for i := 1; i < len(hits); i++ {
			if hits[i].DistanceKm < hits[i-1].DistanceKm {
				t.Fatalf("not in distance order at %d: %v", i, hits)
			}
		}
		last := f.byID[hits[len(hits)-1].EventID]
		if f.venues[last.venue].city != "Zurich" {
			t.Errorf("farthest = %q in %s, want Zurich", last.title, f.venues[last.venue].city)
		}
		// Uber Arena is 3 km from the centre.
		if d := hits[0].DistanceKm; d < 2 || d > 4 {
			t.Errorf("nearest at %.2f km, want about 3", d)
		}
	})
	t.Run("relevance with distances", func(t *testing.T) {
		res, err := f.index.Search(context.Background(), search.Query{Q: "jazz", Near: &berlinCenter})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			if h.DistanceKm <= 0 || h.Score <= 0 {
				t.Errorf("hit %+v: want a score and a distance", h)
			}
		}
	})
}

func TestPaging(t *testing.T) {
	f := newCatalogFixture(t)
	ctx := context.Background()
	for _, sort := range []string{search.SortDate, search.SortPrice, search.SortRelevance} {
		t.Run(sort, func(t *testing.T) {
			q := search.Query{Sort: sort, PerPage: 7}
			if sort == search.SortRelevance {
				q.Q = "night"
			}
			seen := map[string]int{}
			var total int
			for q.Page = 1; q.Page <= 6; q.Page++ {
				res, err := f.index.Search(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if q.Page == 1 {
					total = res.Total
				} else if res.Total != total {
					t.Errorf("page %d: Total %d, page 1 said %d", q.Page, res.Total, total)
				}
				if len(res.Hits) > q.PerPage {
					t.Errorf("page %d: %d hits", q.Page, len(res.Hits))
				}
				for _, h := range res.Hits {
					if p, ok := seen[h.EventID]; ok {
						t.Errorf("%q on pages %d and %d", f.byID[h.EventID].title, p, q.Page)
					}
					seen[h.EventID] = q.Page
				}
			}
			if len(seen) != total || total == 0 {
				t.Errorf("%d distinct hits on all pages, Total %d", len(seen), total)
			}
		})
	}
	res, err := f.index.Search(ctx, search.Query{Page: 100, PerPage: 100})
	if err != nil || len(res.Hits) != 0 || res.Total == 0 {
		t.Errorf("page past the end: %d hits of %d, %v", len(res.Hits), res.Total, err)
	}
}

func TestDraftsAndCancelled(t *testing.T) {
	f := newCatalogFixture(t)
	ctx := context.Background()
	for _, q := range []string{"secret draft show", "cancelled gig"} {
		res, err := f.index.Search(ctx, search.Query{Q: q})
		if err != nil || res.Total != 0 {
			t.Errorf("Search(%q) = %q, %v; want nothing", q, titles(f, res.Hits), err)
		}
	}
	all := searchAll(t, f.index, search.Query{})
	if idSet(all)[f.ids["Secret Draft Show"]] || idSet(all)[f.ids["Cancelled Gig"]] {
		t.Error("a draft or cancelled event is in the results")
	}

	// Cancelling a published event takes it out of the results at once.
	id := f.ids["Metallica"]
	if _, err := f.svc.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	res, err := f.index.Search(ctx, search.Query{Q: "metallica"})
	if err != nil {
		t.Fatal(err)
	}
	if idSet(res.Hits)[id] {
		t.Error("a cancelled event is still found")
	}
	if after := searchAll(t, f.index, search.Query{}); len(after) != len(all)-1 {
		t.Errorf("after cancel: %d events, want %d", len(after), len(all)-1)
	}

	// Changing a published event changes what is found.
	id = f.ids["Hamlet"]
	title := "Macbeth"
	if _, err := f.svc.UpdateEvent(ctx, id, catalog.EventPatch{Title: &title}); err != nil {
		t.Fatal(err)
	}
	res, _ = f.index.Search(ctx, search.Query{Q: "macbeth"})
	if len(res.Hits) != 1 || res.Hits[0].EventID != id {
		t.Errorf("after retitling: Search(macbeth) = %v", res.Hits)
	}
	res, _ = f.index.Search(ctx, search.Query{Q: "hamlet"})
	if idSet(res.Hits)[id] {
		t.Error("the old title is still found")
	}
}

// queriesForComparison are run against a live index and a rebuilt one.
var queriesForComparison = []search.Query{
	{},
	{Q: "metalica"},
	{Q: "concerts"},
	{Q: "jazz", Sort: search.SortDate},
	{Category: "music", Sort: search.SortPrice},
	{Near: &berlinCenter, RadiusKm: 50, Sort: search.SortDistance},
	{City: "Hamburg", PerPage: 3, Page: 2},
}

func compareIndexes(t *testing.T, a, b *search.Index) {
	t.Helper()
	for _, q := range queriesForComparison {
		ra, err := a.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := b.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		// Scores too: a replaced or deleted document leaves nothing
		// behind in the statistics BM25 reads.
		if fmt.Sprint(ra) != fmt.Sprint(rb) {
			t.Errorf("Search(%+v) differs:\nlive    %v\nrebuilt %v", q, ra, rb)
		}
	}
}

func TestRebuildFromStore(t *testing.T) {
	f := newCatalogFixture(t)
	ctx := context.Background()
	// Some history first, so the rebuild sees changed events.
	if _, err := f.svc.Cancel(ctx, f.ids["Hamlet"]); err != nil {
		t.Fatal(err)
	}
	title := "Metallica: Master of Puppets"
	if _, err := f.svc.UpdateEvent(ctx, f.ids["Metallica"], catalog.EventPatch{Title: &title}); err != nil {
		t.Fatal(err)
	}

	published := len(f.published(func(fixtureEvent) bool { return true })) - 1
	t.Run("in memory", func(t *testing.T) {
		idx, err := search.New()
		if err != nil {
			t.Fatal(err)
		}
		defer idx.Close()
		st, err := idx.EnsureBuilt(ctx, f.store)
		if err != nil {
			t.Fatal(err)
		}
		if want := (search.BuildStats{Scanned: len(fixtureEvents), Indexed: published}); st != want {
			t.Errorf("EnsureBuilt = %+v, want %+v", st, want)
		}
		compareIndexes(t, f.index, idx)
	})

	t.Run("a current index writes nothing", func(t *testing.T) {
		idx, err := search.New()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := idx.EnsureBuilt(ctx, f.store); err != nil {
			t.Fatal(err)
		}
		st, err := idx.EnsureBuilt(ctx, f.store)
		if err != nil {
			t.Fatal(err)
		}
		if want := (search.BuildStats{Scanned: len(fixtureEvents), Unchanged: published}); st != want {
			t.Errorf("EnsureBuilt on a current index = %+v, want %+v", st, want)
		}
		if n, _ := idx.Count(); n != published {
			t.Errorf("Count = %d, want %d", n, published)
		}
		compareIndexes(t, f.index, idx)
	})

	t.Run("repairs missed changes", func(t *testing.T) {
		idx, err := search.New()
		if err != nil {
			t.Fatal(err)
		}
		defer idx.Close()
		if _, err := idx.EnsureBuilt(ctx, f.store); err != nil {
			t.Fatal(err)
		}
		// Lose one update and one delete, and keep a stale copy of a third.
		if err := idx.Delete(f.ids["Jazz Night"]); err != nil {
			t.Fatal(err)
		}
		e, _ := f.store.Event(ctx, f.ids["Hamlet"])
		v, _ := f.store.Venue(ctx, e.VenueID)
		tts, _ := f.store.TicketTypes(ctx, e.ID)
		e.Status = catalog.StatusPublished
		if err := idx.Upsert(e, v, tts); err != nil {
			t.Fatal(err)
		}
		e, _ = f.store.Event(ctx, f.ids["Book Fair"])
		e.Title = "Stale Title"
		if err := idx.Upsert(e, v, tts); err != nil {
			t.Fatal(err)
		}
		st, err := idx.EnsureBuilt(ctx, f.store)
		if err != nil {
			t.Fatal(err)
		}
		if st.Indexed != 2 || st.Deleted != 1 || st.Unchanged != published-2 {
			t.Errorf("EnsureBuilt = %+v, want 2 indexed, 1 deleted", st)
		}
		compareIndexes(t, f.index, idx)
	})
}

func TestQueryValidation(t *testing.T) {
	idx, err := search.New()
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	near := &search.LatLon{Lat: 52.5, Lon: 13.4}
	p := func(v int64) *int64 { return &v }
	tests := []struct {
		name  string
		q     search.Query
		field string
	}{
		{"per page 101", search.Query{PerPage: 101}, "per_page"},
		{"per page negative", search.Query{PerPage: -1}, "per_page"},
		{"page negative", search.Query{Page: -1}, "page"},
		{"window too deep", search.Query{Page: 101, PerPage: 100}, "page"},
		{"radius without near", search.Query{RadiusKm: 10}, "radius_km"},
		{"radius negative", search.Query{Near: near, RadiusKm: -1}, "radius_km"},
		{"radius too big", search.Query{Near: near, RadiusKm: 20_001}, "radius_km"},
		{"radius NaN", search.Query{Near: near, RadiusKm: math.NaN()}, "radius_km"},
		{"lat out of range", search.Query{Near: &search.LatLon{Lat: 91}}, "near"},
		{"lon out of range", search.Query{Near: &search.LatLon{Lon: 181}}, "near"},
		{"sort by distance without near", search.Query{Sort: search.SortDistance}, "sort"},
		{"sort unknown", search.Query{Sort: "popularity"}, "sort"},
		{"category unknown", search.Query{Category: "opera"}, "category"},
		{"to before from", search.Query{From: t0, To: t0.Add(-time.Hour)}, "to"},
		{"to equals from", search.Query{From: t0, To: t0}, "to"},
		{"from in year 3000", search.Query{From: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}, "from"},
		{"price min negative", search.Query{PriceMin: p(-1)}, "price_min"},
		{"price max below min", search.Query{PriceMin: p(100), PriceMax: p(99)}, "price_max"},
		{"currency", search.Query{Currency: "eur"}, "currency"},
		{"q too long", search.Query{Q: strings.Repeat("a", 201)}, "q"},
		{"q too many words", search.Query{Q: "one two three four five six seven eight nine ten eleven"}, "q"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := idx.Search(context.Background(), tt.q)
			if !errors.Is(err, catalog.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			fe, ok := errors.AsType[*catalog.FieldError](err)
			if !ok || fe.Field != tt.field || !strings.HasPrefix(fe.Message, tt.field) {
				t.Errorf("err = %#v, want field %q", err, tt.field)
			}
		})
	}
	for _, q := range []search.Query{
		{Page: 100, PerPage: 100},
		{Near: near, RadiusKm: 20_000, Sort: search.SortDistance},
		{PriceMin: p(0), PriceMax: p(0)},
		{Near: near},
	} {
		if _, err := idx.Search(context.Background(), q); err != nil {
			t.Errorf("Search(%+v): %v", q, err)
		}
	}
}
