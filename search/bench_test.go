package search_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/search"
)

// benchEvents is the size of the generated catalog the benchmarks search;
// ADMITONE_BENCH_EVENTS overrides it for quick runs while developing.
var benchEvents = 100_000

func init() {
	if s := os.Getenv("ADMITONE_BENCH_EVENTS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			benchEvents = n
		}
	}
}

// The benchmark index is built once per process and shared by every
// benchmark.
var bench struct {
	once    sync.Once
	idx     *search.Index
	gen     *generated
	build   time.Duration
	stats   search.BuildStats
	heapMiB float64 // what the index added to the live heap
	err     error
}

func benchIndex(b *testing.B) (*search.Index, *generated) {
	b.Helper()
	bench.once.Do(func() {
		bench.gen = generate(benchEvents, 1)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		bench.idx, bench.err = search.New()
		if bench.err != nil {
			return
		}
		start := time.Now()
		bench.stats, bench.err = bench.idx.EnsureBuilt(context.Background(), bench.gen)
		bench.build = time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		bench.heapMiB = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / (1 << 20)
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.idx, bench.gen
}

// BenchmarkBuild reports the one-off build of the shared index by
// EnsureBuilt from an in-memory store (so the figure is the index's
// analysis and insertion, not storage reads): what a server start costs on
// top of reading the events.
func BenchmarkBuild(b *testing.B) {
	idx, _ := benchIndex(b)
	// The build is done once per process, not b.N times.
	n, _ := idx.Count()
	b.ReportMetric(bench.build.Seconds(), "build-s")
	b.ReportMetric(float64(bench.stats.Indexed)/bench.build.Seconds(), "docs/s")
	b.ReportMetric(float64(n), "docs")
	b.ReportMetric(bench.heapMiB, "heap-MiB")
}

// BenchmarkReconcile measures EnsureBuilt on an index that is current:
// what a reconcile costs when nothing was missed.
func BenchmarkReconcile(b *testing.B) {
	idx, gen := benchIndex(b)
	for b.Loop() {
		st, err := idx.EnsureBuilt(context.Background(), gen)
		if err != nil {
			b.Fatal(err)
		}
		if st.Indexed != 0 {
			b.Fatalf("reconcile of a current index wrote %d documents", st.Indexed)
		}
	}
}

// runQueries runs queries round-robin and reports latency percentiles and
// throughput; each query is one Search call.
func runQueries(b *testing.B, queries []search.Query) {
	idx, _ := benchIndex(b)
	ctx := context.Background()
	// Warm up: the pooled scratch memory, and the caches.
	for _, q := range queries {
		if _, err := idx.Search(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, 1024)
	hits := 0
	i := 0
	start := time.Now()
	for b.Loop() {
		t := time.Now()
		res, err := idx.Search(ctx, queries[i%len(queries)])
		lat = append(lat, time.Since(t))
		if err != nil {
			b.Fatal(err)
		}
		hits += res.Total
		i++
	}
	elapsed := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(math.Ceil(p*float64(len(lat))))-1)].Nanoseconds()) / 1e6
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "queries/s")
	b.ReportMetric(float64(hits)/float64(len(lat)), "matches/query")
}

// queryKinds are the kinds of query the benchmarks time, each as 64
// queries (browse is one) that runQueries cycles through.
var queryKinds = []struct {
	name    string
	queries func(g *generated) []search.Query
}{
	{"keyword", func(g *generated) []search.Query {
		var qs []search.Query
		for _, q := range g.keywordQueries(64) {
			qs = append(qs, search.Query{Q: q})
		}
		return qs
	}},
	{"keyword+filter", func(g *generated) []search.Query {
		var qs []search.Query
		r := rand.New(rand.NewPCG(7, 7))
		maxPrice := int64(5000)
		for _, q := range g.keywordQueries(64) {
			from := genStart.Add(time.Duration(r.IntN(200)) * 24 * time.Hour)
			qs = append(qs, search.Query{
				Q: q, Category: catalog.Categories[r.IntN(len(catalog.Categories))],
				From: from, To: from.Add(90 * 24 * time.Hour), PriceMax: &maxPrice,
			})
		}
		return qs
	}},
	{"filter", func(*generated) []search.Query {
		var qs []search.Query
		r := rand.New(rand.NewPCG(8, 8))
		for range 64 {
			c := genCities[r.IntN(len(genCities))]
			from := genStart.Add(time.Duration(r.IntN(200)) * 24 * time.Hour)
			qs = append(qs, search.Query{
				Category: catalog.Categories[r.IntN(len(catalog.Categories))], City: c.name,
				From: from, To: from.Add(60 * 24 * time.Hour), Sort: search.SortDate,
			})
		}
		return qs
	}},
	{"geo", func(*generated) []search.Query {
		var qs []search.Query
		r := rand.New(rand.NewPCG(9, 9))
		for range 64 {
			c := genCities[r.IntN(len(genCities))]
			qs = append(qs, search.Query{
				Near: &search.LatLon{Lat: c.lat, Lon: c.lon}, RadiusKm: 50, Sort: search.SortDistance,
			})
		}
		return qs
	}},
	// The front page: everything, by date, with facets over all events.
	{"browse", func(*generated) []search.Query { return []search.Query{{Sort: search.SortDate}} }},
}

func benchKind(b *testing.B, name string) {
	_, gen := benchIndex(b)
	for _, k := range queryKinds {
		if k.name == name {
			runQueries(b, k.queries(gen))
			return
		}
	}
	b.Fatalf("no query kind %q", name)
}

func BenchmarkSearchKeyword(b *testing.B)       { benchKind(b, "keyword") }
func BenchmarkSearchKeywordFilter(b *testing.B) { benchKind(b, "keyword+filter") }
func BenchmarkSearchFilterOnly(b *testing.B)    { benchKind(b, "filter") }
func BenchmarkSearchGeo(b *testing.B)           { benchKind(b, "geo") }
func BenchmarkSearchBrowse(b *testing.B)        { benchKind(b, "browse") }

// generated is a deterministic catalog of published events, held in memory;
// it implements the parts of catalog.Store that EnsureBuilt reads.
type generated struct {
	catalog.Store // nil: other methods are not used
	events        []catalog.Event
	venues        map[string]catalog.Venue
	types         map[string][]catalog.TicketType
	words         []string
}

var genStart = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

type genCity struct {
	name, country string
	lat, lon      float64
}

var genCities = []genCity{
	{"Berlin", "DE", 52.52, 13.405}, {"Hamburg", "DE", 53.551, 9.994}, {"Munich", "DE", 48.135, 11.582},
	{"Cologne", "DE", 50.938, 6.960}, {"Vienna", "AT", 48.208, 16.374}, {"Zurich", "CH", 47.377, 8.541},
	{"Paris", "FR", 48.857, 2.352}, {"Lyon", "FR", 45.764, 4.836}, {"London", "GB", 51.507, -0.128},
	{"Manchester", "GB", 53.481, -2.243}, {"Dublin", "IE", 53.350, -6.260}, {"Amsterdam", "NL", 52.368, 4.904},
	{"Brussels", "BE", 50.850, 4.352}, {"Copenhagen", "DK", 55.676, 12.568}, {"Stockholm", "SE", 59.329, 18.069},
	{"Oslo", "NO", 59.914, 10.752}, {"Helsinki", "FI", 60.170, 24.938}, {"Warsaw", "PL", 52.230, 21.012},
	{"Prague", "CZ", 50.076, 14.438}, {"Budapest", "HU", 47.498, 19.040}, {"Madrid", "ES", 40.417, -3.704},
	{"Barcelona", "ES", 41.385, 2.173}, {"Lisbon", "PT", 38.722, -9.139}, {"Rome", "IT", 41.903, 12.496},
	{"Milan", "IT", 45.464, 9.190}, {"Athens", "GR", 37.984, 23.728}, {"New York", "US", 40.713, -74.006},
	{"Chicago", "US", 41.878, -87.630}, {"Austin", "US", 30.267, -97.743}, {"Toronto", "CA", 43.653, -79.383},
}

// genVocabulary is the text the descriptions and titles are drawn from.
const genVocabulary = `
acoustic acrobat adventure afternoon album anniversary arena audience award ballad ballet band bass beat
blues brass cabaret carnival celebration champion choir circus classic classical club comedian comedy
concert conference country craft dance derby drama drum duo ensemble evening exhibition experimental
family fashion festival film finale folk football food garden gospel gothic grand guitar harbour
heavy hiphop holiday improv indie jazz keynote kids late legend lecture live magic marathon market
masterclass metal midnight modern musical night opera orchestra outdoor piano poetry premiere punk
quartet quiz rap reggae reunion rock romance salsa season session show showcase singer solo soul
spring stage standup story street summer symphony talk tango techno theatre tour tournament tribute
trio unplugged urban vintage violin vocal waltz weekend winter workshop world youth`

var genFirst = strings.Fields(`Metallica Iron Electric Golden Silver Midnight Crimson Velvet Neon Arctic
Wild Broken Silent Northern Southern Royal Lucky Hollow Burning Frozen Purple Scarlet Cosmic Urban Rusty
Paper Glass Stone Thunder Crystal`)

var genSecond = strings.Fields(`Monkeys Wolves Echoes Dreams Riders Hearts Lights Giants Sisters Brothers
Pilots Ghosts Tigers Horses Rivers Kings Queens Saints Strangers Shadows Voices Engines Orchestra Collective
Ensemble Quartet Club Circus Company Players`)

func generate(n int, seed uint64) *generated {
	r := rand.New(rand.NewPCG(seed, seed))
	g := &generated{venues: map[string]catalog.Venue{}, types: map[string][]catalog.TicketType{}}
	g.words = strings.Fields(genVocabulary)
	var venueIDs []string
	for ci, c := range genCities {
		for v := range 40 {
			id := fmt.Sprintf("ven_%012x%012x", ci, v)
			// Within about 15 km of the centre.
			g.venues[id] = catalog.Venue{
				ID: id, Name: fmt.Sprintf("%s %s Hall", c.name, genSecond[v%len(genSecond)]),
				City: c.name, Country: c.country,
				Lat: c.lat + (r.Float64()-0.5)*0.25, Lon: c.lon + (r.Float64()-0.5)*0.35,
			}
			venueIDs = append(venueIDs, id)
		}
	}
	for i := range n {
		id := fmt.Sprintf("ev_%016x", uint64(i)*0x9e3779b97f4a7c15)
		var desc []string
		for range 20 + r.IntN(40) {
			desc = append(desc, g.words[r.IntN(len(g.words))])
		}
		tags := []string{g.words[r.IntN(len(g.words))], g.words[r.IntN(len(g.words))]}
		start := genStart.Add(time.Duration(r.IntN(365*24)) * time.Hour)
		e := catalog.Event{
			ID: id, VenueID: venueIDs[r.IntN(len(venueIDs))],
			Title: genFirst[r.IntN(len(genFirst))] + " " + genSecond[r.IntN(len(genSecond))] + " " +
				g.words[r.IntN(len(g.words))],
			Description: strings.Join(desc, " ") + ".",
			Category:    catalog.Categories[r.IntN(len(catalog.Categories))],
			Tags:        tags, TimeZone: "UTC",
			StartsAt: start, EndsAt: start.Add(3 * time.Hour), DoorsAt: start,
			Status: catalog.StatusPublished, Version: 1,
		}
		g.events = append(g.events, e)
		for t := range 1 + r.IntN(3) {
			g.types[id] = append(g.types[id], catalog.TicketType{
				ID: fmt.Sprintf("tt_%s%d", id[3:], t), EventID: id, Number: uint16(t + 1), Name: "Tier",
				Kind: catalog.KindAdmission, Price: catalog.Money{Amount: int64(r.IntN(200)) * 100, Currency: "EUR"},
				Capacity: 1000, PerOrderMax: 10,
			})
		}
	}
	sort.Slice(g.events, func(i, j int) bool { return g.events[i].ID < g.events[j].ID })
	return g
}

// keywordQueries returns n keyword queries: one or two vocabulary or band
// words, every fourth with a typo (a letter dropped).
func (g *generated) keywordQueries(n int) []string {
	r := rand.New(rand.NewPCG(5, 5))
	var out []string
	for i := range n {
		w := g.words[r.IntN(len(g.words))]
		if i%3 == 0 {
			w = genFirst[r.IntN(len(genFirst))]
		}
		if i%4 == 0 && len(w) > 4 {
			k := 1 + r.IntN(len(w)-2)
			w = w[:k] + w[k+1:]
		}
		if i%5 == 0 {
			w += " " + g.words[r.IntN(len(g.words))]
		}
		out = append(out, w)
	}
	return out
}

func (g *generated) Events(_ context.Context, after string, limit int) ([]catalog.Event, error) {
	i := sort.Search(len(g.events), func(i int) bool { return g.events[i].ID > after })
	return slices.Clone(g.events[i:min(len(g.events), i+limit)]), nil
}

func (g *generated) Venue(_ context.Context, id string) (catalog.Venue, error) {
	v, ok := g.venues[id]
	if !ok {
		return v, catalog.ErrNotFound
	}
	return v, nil
}

func (g *generated) TicketTypes(_ context.Context, eventID string) ([]catalog.TicketType, error) {
	return slices.Clone(g.types[eventID]), nil
}

// BenchmarkUpsert measures one change reaching the index: the catalog's
// re-index after every write (analysis, and taking the old document's
// words out of their postings lists and putting the new ones in). It
// re-indexes unchanged events, so the index stays as the other benchmarks
// expect.
func BenchmarkUpsert(b *testing.B) {
	idx, gen := benchIndex(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		e := gen.events[(i*7919)%len(gen.events)]
		i++
		v, _ := gen.Venue(ctx, e.VenueID)
		tts, _ := gen.TicketTypes(ctx, e.ID)
		if err := idx.Upsert(e, v, tts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchConcurrent runs each kind of query from as many
// goroutines as there are CPUs, and from four times as many (as several
// buyers' searches reach one server), reporting the latency each caller
// sees and the queries answered per second in all.
func BenchmarkSearchConcurrent(b *testing.B) {
	_, gen := benchIndex(b)
	for _, k := range queryKinds {
		for _, n := range []int{runtime.GOMAXPROCS(0), 4 * runtime.GOMAXPROCS(0)} {
			b.Run(fmt.Sprintf("%s/goroutines=%d", k.name, n), func(b *testing.B) { runQueriesConcurrently(b, k.queries(gen), n) })
		}
	}
}

// runQueriesConcurrently is runQueries from n goroutines sharing b.N calls.
func runQueriesConcurrently(b *testing.B, queries []search.Query, n int) {
	idx, _ := benchIndex(b)
	ctx := context.Background()
	for _, q := range queries {
		if _, err := idx.Search(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	lats := make([][]time.Duration, n)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for g := range n {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t := time.Now()
				if _, err := idx.Search(ctx, queries[int(i)%len(queries)]); err != nil {
					b.Error(err)
					return
				}
				lats[g] = append(lats[g], time.Since(t))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	lat := slices.Concat(lats...)
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(math.Ceil(p*float64(len(lat))))-1)].Nanoseconds()) / 1e6
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "queries/s")
}
