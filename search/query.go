package search

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

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

// earliest and latest are the start-time bounds bleve can index
// (nanoseconds since 1970 in an int64), with room to spare.
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
	keywords, terms, err := x.keywordQuery(q.Q)
	if err != nil {
		return Results{}, fmt.Errorf("search: %w", err)
	}
	if terms > MaxTerms {
		return Results{}, fieldErr("q", "must have at most %d words", MaxTerms)
	}

	filters := []query.Query{termQuery(string(catalog.StatusPublished), fieldStatus, 0)}
	if q.Category != "" {
		filters = append(filters, termQuery(q.Category, fieldCategory, 0))
	}
	if q.City != "" {
		filters = append(filters, termQuery(strings.ToLower(strings.TrimSpace(q.City)), fieldCityKey, 0))
	}
	if q.Near != nil && q.RadiusKm > 0 {
		gq := query.NewGeoDistanceQuery(q.Near.Lon, q.Near.Lat, strconv.FormatFloat(q.RadiusKm, 'f', -1, 64)+"km")
		gq.SetField(fieldLocation)
		filters = append(filters, gq)
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		yes, no := true, false
		dq := query.NewDateRangeInclusiveQuery(q.From, q.To, &yes, &no)
		dq.SetField(fieldStartsAt)
		filters = append(filters, dq)
	}
	if q.PriceMin != nil || q.PriceMax != nil {
		var lo, hi *float64
		if q.PriceMin != nil {
			v := float64(*q.PriceMin)
			lo = &v
		}
		if q.PriceMax != nil {
			v := float64(*q.PriceMax)
			hi = &v
		}
		yes := true
		nq := query.NewNumericRangeInclusiveQuery(lo, hi, &yes, &yes)
		nq.SetField(fieldMinPrice)
		filters = append(filters, nq)
	}
	if q.Currency != "" {
		filters = append(filters, termQuery(q.Currency, fieldCurrency, 0))
	}

	var root query.Query
	scored := keywords != nil && q.Sort == SortRelevance
	switch {
	case q.Q != "" && keywords == nil:
		// Only stop words: nothing to match on.
		root = query.NewMatchNoneQuery()
	case keywords != nil:
		// Filters in a boolean filter clause select without scoring, so
		// relevance is the keywords' alone, and run unscored, which lets
		// bleve merge a range's many terms into one bitmap. (One
		// conjunction of keywords and boost-0 filters was measured 25%
		// slower: the ranges then score every term.)
		bq := query.NewBooleanQuery([]query.Query{keywords}, nil, nil)
		bq.AddFilter(query.NewConjunctionQuery(filters))
		root = bq
	default:
		root = query.NewConjunctionQuery(filters)
	}

	req := bleve.NewSearchRequestOptions(root, q.PerPage, (q.Page-1)*q.PerPage, false)
	if !scored {
		req.Score = "none"
	}
	req.SortByCustom(x.sortOrder(q, scored))
	req.AddFacet("category", bleve.NewFacetRequest(fieldCategory, categoryFacetSize))
	req.AddFacet("city", bleve.NewFacetRequest(fieldCity, cityFacetSize))
	if q.Near != nil {
		req.Fields = []string{fieldLat, fieldLon}
	}
	res, err := x.bi.SearchInContext(ctx, req)
	if err != nil {
		return Results{}, fmt.Errorf("search: %w", err)
	}

	out := Results{Total: int(res.Total), Hits: make([]Hit, 0, len(res.Hits))}
	for _, h := range res.Hits {
		hit := Hit{EventID: h.ID}
		if scored {
			hit.Score = h.Score
		}
		if q.Near != nil {
			lat, ok1 := h.Fields[fieldLat].(float64)
			lon, ok2 := h.Fields[fieldLon].(float64)
			if ok1 && ok2 {
				hit.DistanceKm = haversineKm(q.Near.Lat, q.Near.Lon, lat, lon)
			}
		}
		out.Hits = append(out.Hits, hit)
	}
	out.Facets.Category = facetCounts(res.Facets["category"])
	out.Facets.City = facetCounts(res.Facets["city"])
	return out, nil
}

func (x *Index) sortOrder(q Query, scored bool) search.SortOrder {
	// The keys end in the start time and the event id, so every order is
	// total and the same on a rebuilt index.
	byDate := &search.SortField{Field: fieldDateKey, Type: search.SortFieldAsString}
	switch q.Sort {
	case SortPrice:
		return search.SortOrder{
			&search.SortField{Field: fieldPriceKey, Type: search.SortFieldAsString, Missing: search.SortFieldMissingLast},
			byDate,
		}
	case SortDistance:
		// Cannot fail: the unit is fixed and known.
		geo, _ := search.NewSortGeoDistance(fieldLocation, "km", q.Near.Lon, q.Near.Lat, false)
		return search.SortOrder{geo, byDate}
	case SortRelevance:
		if scored {
			return search.SortOrder{&search.SortScore{Desc: true}, byDate}
		}
	}
	return search.SortOrder{byDate}
}

// keywordQuery turns Q into a conjunction over its words (after the
// English analyzer: lower case, stop words dropped, stemmed), each word a
// disjunction of exact matches and fuzzy matches, so every word must
// match somewhere, a typo still matches, and exact matches score higher.
// It returns nil when Q has no words, and the number of words.
func (x *Index) keywordQuery(q string) (query.Query, int, error) {
	if q == "" {
		return nil, 0, nil
	}
	var words []string
	for _, tok := range x.en.Analyze([]byte(q)) {
		w := string(tok.Term)
		if !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	if len(words) == 0 || len(words) > MaxTerms {
		return nil, len(words), nil
	}
	adv, err := x.bi.Advanced()
	if err != nil {
		return nil, 0, err
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	parts := make([]query.Query, 0, len(words))
	for _, w := range words {
		alts := []query.Query{
			termQuery(w, fieldTitle, 3),
			termQuery(w, fieldText, 1),
		}
		if f := fuzziness(w); f > 0 {
			similar, err := similarTerms(r, w, f)
			if err != nil {
				return nil, 0, err
			}
			for _, s := range similar {
				alts = append(alts, termQuery(s, fieldText, 0.3))
			}
		}
		parts = append(parts, query.NewDisjunctionQuery(alts))
	}
	if len(parts) == 1 {
		return parts[0], 1, nil
	}
	return query.NewConjunctionQuery(parts), len(parts), nil
}

// maxSimilar bounds how many indexed words one query word expands to.
const maxSimilar = 32

// similarTerms returns the indexed words within edit distance f of w,
// other than w itself, the most frequent first. This is what a bleve fuzzy
// query matches, except that the exact word is left to the exact clause:
// reading its postings twice made a two-word query 60% slower.
func similarTerms(r index.IndexReader, w string, f int) ([]string, error) {
	fr, ok := r.(index.IndexReaderFuzzy)
	if !ok {
		return nil, errors.New("the index cannot look up similar words")
	}
	dict, err := fr.FieldDictFuzzy(fieldText, w, f, "")
	if err != nil {
		return nil, err
	}
	defer dict.Close()
	var found []index.DictEntry
	for {
		e, err := dict.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			break
		}
		if e.Term != w {
			found = append(found, *e)
		}
	}
	slices.SortFunc(found, func(a, b index.DictEntry) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Term, b.Term))
	})
	out := make([]string, 0, min(len(found), maxSimilar))
	for _, e := range found[:min(len(found), maxSimilar)] {
		out = append(out, e.Term)
	}
	return out, nil
}

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

func termQuery(term, field string, boost float64) query.Query {
	q := query.NewTermQuery(term)
	q.SetField(field)
	if boost != 0 {
		q.SetBoost(boost)
	}
	return q
}

func facetCounts(fr *search.FacetResult) []FacetCount {
	out := []FacetCount{}
	if fr == nil {
		return out
	}
	for _, t := range fr.Terms.Terms() {
		out = append(out, FacetCount{Value: t.Term, Count: t.Count})
	}
	slices.SortFunc(out, func(a, b FacetCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
	})
	return out
}

// haversineKm is the great-circle distance between two points in km.
func haversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	const earthRadiusKm = 6371.0088
	rad := math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(a)))
}
