package search

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/admitone/admitone/catalog"
)

// Limits on a Query.
const (
	DefaultPerPage = 20
	MaxPerPage     = 100
	// MaxWindow bounds Page*PerPage: deep pages cost as much as all the
	// pages before them.
	MaxWindow   = 10_000
	MaxRadiusKm = 20_000
	MaxQueryLen = 200 // runes in Q
	MaxTerms    = 10  // words in Q after stop words are dropped
)

// Sort orders. The zero value means SortRelevance.
const (
	SortRelevance = "relevance" // best match first; by date without Q
	SortDate      = "date"      // soonest start first
	SortPrice     = "price"     // lowest min price first
	SortDistance  = "distance"  // nearest first; needs Near
)

// LatLon is a point on Earth in degrees.
type LatLon struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Query is a search for published events. Zero fields do not filter.
type Query struct {
	// Q is keywords, matched with typo tolerance against title,
	// description, tags and the venue's name and city. Every word must
	// match somewhere.
	Q        string
	Category string // one of catalog.Categories
	City     string // the venue's city, case-insensitive
	// Near and RadiusKm keep events within RadiusKm of Near. Near alone
	// filters nothing but fills Hit.DistanceKm and allows SortDistance.
	Near     *LatLon
	RadiusKm float64
	// From and To bound the start time: From <= starts_at < To.
	From, To time.Time
	// PriceMin and PriceMax bound the event's lowest admission price in
	// minor units, inclusive; Currency, if set, keeps events priced in it.
	PriceMin, PriceMax *int64
	Currency           string
	Sort               string
	// Page counts from 1; zero means 1. PerPage is 1..MaxPerPage; zero
	// means DefaultPerPage.
	Page, PerPage int
}

// Results is one page of matching events.
type Results struct {
	// Total is the number of matching events on all pages.
	Total  int    `json:"total"`
	Hits   []Hit  `json:"hits"`
	Facets Facets `json:"facets"`
}

// Hit is one matching event.
type Hit struct {
	EventID string `json:"event_id"`
	// Score is the relevance score; zero unless sorted by relevance with Q.
	Score float64 `json:"score,omitempty"`
	// DistanceKm is the distance from Query.Near to the venue; zero
	// without Near.
	DistanceKm float64 `json:"distance_km,omitempty"`
}

// Facets counts all matching events (not only the page) by category and by
// city, most frequent first.
type Facets struct {
	Category []FacetCount `json:"category"`
	City     []FacetCount `json:"city"`
}

// FacetCount is one value of a facet and how many matching events have it.
type FacetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// facet sizes: all categories, and the most frequent cities.
const (
	categoryFacetSize = 16
	cityFacetSize     = 20
)

// earliest and latest bound the start times a query may name: the index
// compares start times as nanoseconds since 1970 in an int64, which runs
// out in 2262.
var (
	earliest = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	latest   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

func fieldErr(field, format string, args ...any) error {
	return &catalog.FieldError{Field: field, Message: field + " " + fmt.Sprintf(format, args...)}
}

// normalize fills defaults and checks q. Errors are *catalog.FieldError,
// which wraps catalog.ErrInvalid, named in the HTTP API's query
// parameter spelling.
func (q *Query) normalize() error {
	if n := utf8.RuneCountInString(q.Q); n > MaxQueryLen || !utf8.ValidString(q.Q) {
		return fieldErr("q", "must be valid UTF-8 of at most %d characters", MaxQueryLen)
	}
	if q.Category != "" && !slices.Contains(catalog.Categories, q.Category) {
		return fieldErr("category", "must be one of %v (got %q)", catalog.Categories, q.Category)
	}
	if q.Page == 0 {
		q.Page = 1
	}
	if q.PerPage == 0 {
		q.PerPage = DefaultPerPage
	}
	if q.PerPage < 1 || q.PerPage > MaxPerPage {
		return fieldErr("per_page", "must be between 1 and %d (got %d)", MaxPerPage, q.PerPage)
	}
	if q.Page < 1 {
		return fieldErr("page", "must be at least 1 (got %d)", q.Page)
	}
	if q.Page > MaxWindow/q.PerPage {
		return fieldErr("page", "times per_page must be at most %d; narrow the search instead", MaxWindow)
	}
	if q.Near != nil {
		if math.IsNaN(q.Near.Lat) || q.Near.Lat < -90 || q.Near.Lat > 90 {
			return fieldErr("near", "must have a latitude between -90 and 90")
		}
		if math.IsNaN(q.Near.Lon) || q.Near.Lon < -180 || q.Near.Lon > 180 {
			return fieldErr("near", "must have a longitude between -180 and 180")
		}
	}
	if q.RadiusKm != 0 || math.IsNaN(q.RadiusKm) {
		if q.Near == nil {
			return fieldErr("radius_km", "needs near, the point to measure from")
		}
		if !(q.RadiusKm > 0 && q.RadiusKm <= MaxRadiusKm) {
			return fieldErr("radius_km", "must be more than 0 and at most %d", MaxRadiusKm)
		}
	}
	for _, t := range []struct {
		field string
		v     time.Time
	}{{"from", q.From}, {"to", q.To}} {
		if !t.v.IsZero() && (t.v.Before(earliest) || t.v.After(latest)) {
			return fieldErr(t.field, "must be between %d and %d", earliest.Year(), latest.Year())
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return fieldErr("to", "must be after from")
	}
	if q.PriceMin != nil && *q.PriceMin < 0 {
		return fieldErr("price_min", "must not be negative")
	}
	if q.PriceMax != nil && *q.PriceMax < 0 {
		return fieldErr("price_max", "must not be negative")
	}
	if q.PriceMin != nil && q.PriceMax != nil && *q.PriceMin > *q.PriceMax {
		return fieldErr("price_max", "must not be less than price_min")
	}
	if q.Currency != "" && (len(q.Currency) != 3 || q.Currency[0] < 'A' || q.Currency[0] > 'Z' ||
		q.Currency[1] < 'A' || q.Currency[1] > 'Z' || q.Currency[2] < 'A' || q.Currency[2] > 'Z') {
		return fieldErr("currency", "must be an ISO 4217 code such as EUR (got %q)", q.Currency)
	}
	switch q.Sort {
	case "":
		q.Sort = SortRelevance
	case SortRelevance, SortDate, SortPrice:
	case SortDistance:
		if q.Near == nil {
			return fieldErr("sort", "by distance needs near, the point to measure from")
		}
	default:
		return fieldErr("sort", "must be relevance, date, price or distance (got %q)", q.Sort)
	}
	return nil
}

// Search returns one page of published events matching q. Invalid queries
// return a *catalog.FieldError (wrapping catalog.ErrInvalid).
func (x *Index) Search(ctx context.Context, q Query) (Results, error) {
	if err := q.normalize(); err != nil {
		return Results{}, err
	}
	words := x.queryWords(q.Q)
	if len(words) > MaxTerms {
		return Results{}, fieldErr("q", "must have at most %d words", MaxTerms)
	}
	// A search only computes: more of them at once than there are CPUs
	// would only take turns, preempted every 10 ms, so that one unlucky
	// caller waits for many. Queued here, callers are served in order.
	select {
	case x.slots <- struct{}{}:
		defer func() { <-x.slots }()
	case <-ctx.Done():
		return Results{}, fmt.Errorf("search: %w", ctx.Err())
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	s := x.getScratch()
	defer x.putScratch(s)

	scored := len(words) > 0 && q.Sort == SortRelevance
	f := x.newFilter(q)
	top := topK{k: q.Page * q.PerPage, meta: x.meta}
	rank := func(o uint32, d *doc) {
		e := ranked{starts: d.starts, o: o}
		switch {
		case scored:
			e.key = -float64(s.score[o])
		case q.Sort == SortPrice:
			e.key = math.Inf(1)
			if d.hasPrice {
				e.key = float64(d.price)
			}
		case q.Sort == SortDistance:
			e.key = f.lastKm
			if f.radiusKm == 0 {
				e.key = f.distance(d)
			}
		}
		top.offer(e)
	}
	offer := func(o uint32) {
		d := &x.docs[o]
		if !f.none && !f.keep(d) {
			return
		}
		s.total++
		s.categories[d.category]++
		if d.city >= 0 {
			s.cities[d.city]++
		}
		rank(o, d)
	}
	switch {
	case q.Q != "" && len(words) == 0:
		// Only stop words: nothing to match on.
	case len(words) > 0:
		for _, o := range x.match(words, s) {
			offer(o)
		}
	case f.none:
		// Every event matches: the index's own counts are the facets,
		// and what is left is ranking.
		s.total = x.live
		copy(s.categories, x.categoryCount)
		copy(s.cities, x.cityCount)
		for o := range x.docs {
			if d := &x.docs[o]; d.live {
				rank(uint32(o), d)
			}
		}
	default:
		// Every event is a candidate: reject what the cheapest tests can
		// here, before the call (a third of a geo query's time went to
		// calling keep on events hundreds of km away).
		geo, lat := f.radiusKm > 0, 0.0
		if geo {
			lat = f.near.Lat
		}
		for o := range x.docs {
			d := &x.docs[o]
			if !d.live || f.category != 0 && d.category != f.category ||
				geo && (d.lat < lat-f.dLat || d.lat > lat+f.dLat) {
				continue
			}
			offer(uint32(o))
		}
	}

	out := Results{Total: s.total, Hits: []Hit{}}
	for _, e := range top.page((q.Page - 1) * q.PerPage) {
		d := &x.docs[e.o]
		hit := Hit{EventID: x.meta[e.o].id}
		if scored {
			hit.Score = float64(s.score[e.o])
		}
		if q.Near != nil {
			hit.DistanceKm = haversineKm(q.Near.Lat, q.Near.Lon, d.lat, d.lon)
		}
		out.Hits = append(out.Hits, hit)
	}
	out.Facets.Category = facetCounts(s.categories[1:], func(i int) string { return catalog.Categories[i] }, categoryFacetSize)
	out.Facets.City = facetCounts(s.cities, func(i int) string { return x.cities[i] }, cityFacetSize)
	return out, nil
}

// queryWords analyzes Q like the indexed text (lower case, stop words
// dropped, stemmed) and returns its distinct words.
func (x *Index) queryWords(q string) []string {
	if q == "" {
		return nil
	}
	var words []string
	for _, tok := range x.en.Analyze([]byte(q)) {
		if w := string(tok.Term); !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	return words
}

// Weights of a query word's matches: in the title, anywhere in the text,
// and a similar word (a typo) in the text.
const (
	weightTitle   = 3
	weightText    = 1
	weightSimilar = 0.3
)

// BM25's parameters, as Lucene and bleve use them.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// maxSimilar bounds how many indexed words one query word expands to.
const maxSimilar = 32

// clause is one postings list a query word matches through, and its weight.
type clause struct {
	p      *postings
	weight float64
	title  bool
}

// match returns the ordinals of the documents that match every word, and
// leaves their BM25 scores in s.score. A word matches exactly (in the
// title or the text) or as a similar word; a document's score sums every
// clause it matches.
func (x *Index) match(words []string, s *scratch) []uint32 {
	type wordClauses struct {
		clauses []clause
		cost    int
	}
	all := make([]wordClauses, 0, len(words))
	for _, w := range words {
		var wc wordClauses
		if id, ok := x.wordID[w]; ok {
			wc.clauses = append(wc.clauses,
				clause{&x.words[id].title, weightTitle, true},
				clause{&x.words[id].body, weightText, false})
		}
		if f := fuzziness(w); f > 0 {
			for _, id := range x.similarWords(w, f) {
				wc.clauses = append(wc.clauses, clause{&x.words[id].body, weightSimilar, false})
			}
		}
		for _, c := range wc.clauses {
			wc.cost += len(c.p.docs)
		}
		if wc.cost == 0 {
			return nil // a word nothing matches: no event has every word
		}
		all = append(all, wc)
	}
	// The rarest word first: every later word only scores what is left.
	slices.SortStableFunc(all, func(a, b wordClauses) int { return cmp.Compare(a.cost, b.cost) })

	n := float64(x.live)
	avgLen := [2]float64{float64(x.textLen) / n, float64(x.titleLen) / n}
	s.scored = true
	hits := s.hits[:0]
	defer func() { s.hits = hits }()
	for i, wc := range all {
		matched := 0
		for _, c := range wc.clauses {
			df := float64(len(c.p.docs))
			idf := math.Log(1 + (n-df+0.5)/(df+0.5))
			avg := avgLen[0]
			if c.title {
				avg = avgLen[1]
			}
			for j, o := range c.p.docs {
				st := int(s.state[o])
				if st < i {
					continue // missed an earlier word
				}
				if st == i {
					s.state[o] = uint8(i + 1)
					matched++
					if i == len(all)-1 {
						hits = append(hits, o)
					}
				}
				dl := float64(x.lens[o].text)
				if c.title {
					dl = float64(x.lens[o].title)
				}
				tf := float64(c.p.tfs[j])
				s.score[o] += float32(c.weight * idf * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*dl/avg)))
			}
		}
		if matched == 0 {
			return nil
		}
	}
	return hits
}

// similarWords returns the ids of the indexed words within edit distance
// f of w, other than w itself, that some event holds: the most frequent
// first, at most maxSimilar.
func (x *Index) similarWords(w string, f int) []uint32 {
	var found []uint32
	x.vocab.similar(w, f, func(id uint32, dist int) {
		if dist > 0 && len(x.words[id].body.docs) > 0 {
			found = append(found, id)
		}
	})
	slices.SortFunc(found, func(a, b uint32) int {
		return cmp.Or(cmp.Compare(len(x.words[b].body.docs), len(x.words[a].body.docs)),
			cmp.Compare(x.words[a].text, x.words[b].text))
	})
	return found[:min(len(found), maxSimilar)]
}

// scratch is one search's working memory, indexed by ordinal (score,
// state) or by facet value; it is pooled, as a search over 100,000 events
// would otherwise allocate half a megabyte.
type scratch struct {
	score      []float32
	state      []uint8 // how many query words a document matched so far
	categories []int   // by 1 + index in catalog.Categories
	cities     []int   // by city id
	hits       []uint32
	total      int
	scored     bool // score and state were written, and must be cleared

}

func (x *Index) getScratch() *scratch {
	s, _ := x.scratch.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	if n := len(x.docs); len(s.score) < n {
		s.score = make([]float32, n+n/8)
		s.state = make([]uint8, n+n/8)
	}
	s.categories = slices.Grow(s.categories[:0], len(catalog.Categories)+1)[:len(catalog.Categories)+1]
	s.cities = slices.Grow(s.cities[:0], len(x.cities))[:len(x.cities)]
	clear(s.categories)
	clear(s.cities)
	s.total = 0
	return s
}

func (x *Index) putScratch(s *scratch) {
	if s.scored {
		clear(s.score)
		clear(s.state)
		s.scored = false
	}
	x.scratch.Put(s)
}

// filter is a Query's filters, prepared for testing one document at a
// time.
type filter struct {
	none           bool // no filter at all: every event is kept
	category       uint8
	city           bool
	cityKey        int32 // -2 for a city no event is in
	hasCurrency    bool
	currency       [3]byte
	from, to       int64 // start-time bounds; 0 for none
	hasFrom, hasTo bool
	priceMin       *int64
	priceMax       *int64
	near           *LatLon
	radiusKm       float64
	// The box around near that holds the circle, in degrees: a cheap
	// test before the great-circle distance.
	dLat, dLon float64
	// lastKm is the distance keep measured to the event it last kept,
	// so sorting by distance does not measure it again.
	lastKm float64
}

func (x *Index) newFilter(q Query) filter {
	f := filter{
		priceMin: q.PriceMin,
		priceMax: q.PriceMax,
		near:     q.Near,
	}
	if i := slices.Index(catalog.Categories, q.Category); i >= 0 {
		f.category = uint8(i + 1)
	}
	if key := cityKey(q.City); key != "" {
		f.city, f.cityKey = true, -2
		if id, ok := x.cityKeys[key]; ok {
			f.cityKey = id
		}
	}
	if q.Currency != "" {
		f.hasCurrency = true
		copy(f.currency[:], q.Currency)
	}
	if !q.From.IsZero() {
		f.from, f.hasFrom = q.From.UnixNano(), true
	}
	if !q.To.IsZero() {
		f.to, f.hasTo = q.To.UnixNano(), true
	}
	if q.Near != nil && q.RadiusKm > 0 {
		f.radiusKm = q.RadiusKm
		// The circle's widest longitude difference is asin(sin δ / cos φ)
		// for an angular radius δ around latitude φ, as long as the
		// circle holds no pole (|φ| + δ < 90°); otherwise longitude is
		// not bounded. A little slack keeps rounding from cutting off an
		// event on the edge.
		const slack = 1 + 1e-9
		delta := q.RadiusKm / earthRadiusKm
		phi := q.Near.Lat * math.Pi / 180
		f.dLat = delta*180/math.Pi*slack + 1e-9
		f.dLon = 360
		if math.Abs(phi)+delta < math.Pi/2 {
			f.dLon = math.Asin(math.Sin(delta)/math.Cos(phi))*180/math.Pi*slack + 1e-9
		}
	}
	f.none = f.category == 0 && !f.city && !f.hasCurrency && !f.hasFrom && !f.hasTo &&
		f.priceMin == nil && f.priceMax == nil && f.radiusKm == 0
	return f
}

func (f *filter) keep(d *doc) bool {
	if f.category != 0 && d.category != f.category ||
		f.city && d.cityKey != f.cityKey ||
		f.hasCurrency && d.currency != f.currency ||
		f.hasFrom && d.starts < f.from ||
		f.hasTo && d.starts >= f.to {
		return false
	}
	if f.priceMin != nil || f.priceMax != nil {
		if !d.hasPrice || f.priceMin != nil && d.price < *f.priceMin || f.priceMax != nil && d.price > *f.priceMax {
			return false
		}
	}
	if f.radiusKm > 0 {
		if math.Abs(d.lat-f.near.Lat) > f.dLat {
			return false
		}
		if dl := math.Abs(d.lon - f.near.Lon); min(dl, 360-dl) > f.dLon {
			return false
		}
		if f.lastKm = f.distance(d); f.lastKm > f.radiusKm {
			return false
		}
	}
	return true
}

func (f *filter) distance(d *doc) float64 {
	return haversineKm(f.near.Lat, f.near.Lon, d.lat, d.lon)
}

// ranked is a matching document with its sort key: the key first
// (ascending), then the start time, then the event id, so every order is
// total and the same on a rebuilt index.
type ranked struct {
	key    float64
	starts int64
	o      uint32
}

// topK keeps the k first documents in sort order seen so far, in a heap
// whose root is the last of them.
type topK struct {
	k    int
	heap []ranked
	meta []docMeta
}

func (t *topK) less(a, b ranked) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	if a.starts != b.starts {
		return a.starts < b.starts
	}
	return t.meta[a.o].id < t.meta[b.o].id
}

func (t *topK) offer(e ranked) {
	if len(t.heap) < t.k {
		t.heap = append(t.heap, e)
		// Sift up: the root is the greatest.
		for i := len(t.heap) - 1; i > 0; {
			p := (i - 1) / 2
			if !t.less(t.heap[p], t.heap[i]) {
				break
			}
			t.heap[p], t.heap[i] = t.heap[i], t.heap[p]
			i = p
		}
		return
	}
	if !t.less(e, t.heap[0]) {
		return
	}
	t.heap[0] = e
	for i := 0; ; {
		l, r, big := 2*i+1, 2*i+2, i
		if l < len(t.heap) && t.less(t.heap[big], t.heap[l]) {
			big = l
		}
		if r < len(t.heap) && t.less(t.heap[big], t.heap[r]) {
			big = r
		}
		if big == i {
			return
		}
		t.heap[i], t.heap[big] = t.heap[big], t.heap[i]
		i = big
	}
}

// page returns the kept documents in order, from the offset-th on.
func (t *topK) page(offset int) []ranked {
	slices.SortFunc(t.heap, func(a, b ranked) int {
		if t.less(a, b) {
			return -1
		}
		if t.less(b, a) {
			return 1
		}
		return 0
	})
	if offset >= len(t.heap) {
		return nil
	}
	return t.heap[offset:]
}

// facetCounts turns counts by value index into the size most frequent
// values, most frequent first, ties by value.
func facetCounts(counts []int, name func(int) string, size int) []FacetCount {
	out := []FacetCount{}
	for i, n := range counts {
		if n > 0 {
			out = append(out, FacetCount{Value: name(i), Count: n})
		}
	}
	slices.SortFunc(out, func(a, b FacetCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
	})
	return out[:min(len(out), size)]
}

const earthRadiusKm = 6371.0088

// fuzziness is the edit distance a (stemmed) word may be off by: none for
// words of one or two letters (they would match everything), one up to
// seven letters, two from eight. Two edits on shorter words find too much
// that is merely similar: "concert" would find "confer(ence)".
func fuzziness(w string) int {
	switch n := utf8.RuneCountInString(w); {
	case n <= 2:
		return 0
	case n <= 7:
		return 1
	default:
		return 2
	}
}

// haversineKm is the great-circle distance between two points in km.
func haversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(a)))
}
