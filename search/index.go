package search

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/admitone/admitone/catalog"
)

// schemaVersion names the document layout and mapping below. An index on
// disk made with another version is thrown away and rebuilt, so bump it
// whenever eventDoc or newMapping changes meaning.
const schemaVersion = "admitone-events-4"

var schemaKey = []byte("admitone:schema")

// Field names in the index.
const (
	fieldTitle       = "title"     // text, English analyzer
	fieldText        = "text"      // text, English analyzer: title, description, tags, venue and city
	fieldTags        = "tags"      // keyword, lower case
	fieldCategory    = "category"  // keyword
	fieldCity        = "city"      // keyword as entered, for facets
	fieldCityKey     = "city_key"  // keyword, lower case, for filters
	fieldCountry     = "country"   // keyword
	fieldLocation    = "location"  // geo point
	fieldLat         = "lat"       // stored only, for DistanceKm
	fieldLon         = "lon"       // stored only
	fieldStartsAt    = "starts_at" // date, for range filters
	fieldMinPrice    = "min_price" // number, minor units, for range filters
	fieldDateKey     = "date_key"  // keyword sort key: start time, then id
	fieldPriceKey    = "price_key" // keyword sort key: min price, then date_key
	fieldCurrency    = "currency"  // keyword
	fieldStatus      = "status"    // keyword
	fieldFingerprint = "fp"        // stored only: hash of the document
)

// Index is the search index of published events. It implements
// catalog.Indexer; Search answers queries. It is safe for concurrent use.
type Index struct {
	bi     bleve.Index
	en     analysis.Analyzer
	onDisk bool
	// mu serializes writers, and holds for all of EnsureBuilt, so a
	// reconcile and live updates never interleave half-way.
	mu sync.Mutex
}

var _ catalog.Indexer = (*Index)(nil)

// Open opens the index at path (a directory), creating it if it is
// missing. An index with another schema version, or one bleve cannot open,
// is deleted and created anew (it is derived data), but only if the
// directory looks like a bleve index. Call EnsureBuilt next to fill it or
// bring it up to date with the store.
func Open(path string) (*Index, error) {
	bi, err := bleve.Open(path)
	switch {
	case errors.Is(err, bleve.ErrorIndexPathDoesNotExist):
		return create(path)
	case err != nil:
		if !looksLikeIndex(path) {
			return nil, fmt.Errorf("search: open index %s: %w", path, err)
		}
		if err := os.RemoveAll(path); err != nil {
			return nil, fmt.Errorf("search: remove unreadable index %s: %w", path, err)
		}
		return create(path)
	}
	v, err := bi.GetInternal(schemaKey)
	if err != nil || string(v) != schemaVersion {
		bi.Close()
		if err := os.RemoveAll(path); err != nil {
			return nil, fmt.Errorf("search: remove index %s of schema %q: %w", path, v, err)
		}
		return create(path)
	}
	return wrap(bi, true)
}

// looksLikeIndex reports whether path holds a bleve index, so Open never
// deletes a directory it was pointed at by mistake.
func looksLikeIndex(path string) bool {
	_, err := os.Stat(filepath.Join(path, "index_meta.json"))
	return err == nil
}

func create(path string) (*Index, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	bi, err := bleve.New(path, newMapping())
	if err != nil {
		return nil, fmt.Errorf("search: create index %s: %w", path, err)
	}
	if err := bi.SetInternal(schemaKey, []byte(schemaVersion)); err != nil {
		bi.Close()
		return nil, fmt.Errorf("search: create index %s: %w", path, err)
	}
	return wrap(bi, true)
}

// OpenMem returns an empty index held in memory only, for tests and tools.
// It uses the same engine (scorch) as an index on disk, where
// bleve.NewMemOnly would use another. It never merges segments, so a long
// stream of updates slows it down: do not serve from it.
func OpenMem() (*Index, error) {
	bi, err := bleve.NewUsing("", newMapping(), scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("search: create in-memory index: %w", err)
	}
	return wrap(bi, false)
}

func wrap(bi bleve.Index, onDisk bool) (*Index, error) {
	an := bi.Mapping().AnalyzerNamed(en.AnalyzerName)
	if an == nil {
		bi.Close()
		return nil, errors.New("search: the English analyzer is not registered")
	}
	return &Index{bi: bi, en: an, onDisk: onDisk}, nil
}

// Compact merges the index into a single segment, which makes queries
// faster after many writes (a build writes a segment per batch, and
// background merging lags behind). It is a no-op for an in-memory index.
// Queries and writes keep working while it runs.
func (x *Index) Compact(ctx context.Context) error {
	if !x.onDisk {
		return nil
	}
	adv, err := x.bi.Advanced()
	if err != nil {
		return fmt.Errorf("search: compact: %w", err)
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return nil
	}
	if err := s.ForceMerge(ctx, &mergeplan.SingleSegmentMergePlanOptions); err != nil {
		return fmt.Errorf("search: compact: %w", err)
	}
	return nil
}

// Close closes the index; on disk, it flushes what is not yet persisted.
func (x *Index) Close() error { return x.bi.Close() }

// Count returns the number of events in the index.
func (x *Index) Count() (int, error) {
	n, err := x.bi.DocCount()
	return int(n), err
}

func newMapping() mapping.IndexMapping {
	text := func(analyzer string) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = analyzer
		f.Store, f.IncludeTermVectors, f.IncludeInAll, f.DocValues = false, false, false, false
		return f
	}
	kw := func(docValues bool) *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Store, f.IncludeTermVectors, f.IncludeInAll, f.DocValues = false, false, false, docValues
		return f
	}
	stored := func(f *mapping.FieldMapping) *mapping.FieldMapping {
		f.Index, f.Store, f.IncludeTermVectors, f.IncludeInAll, f.DocValues = false, true, false, false, false
		return f
	}
	num := func() *mapping.FieldMapping {
		f := bleve.NewNumericFieldMapping()
		f.Store, f.IncludeInAll, f.DocValues = false, false, false
		return f
	}

	dm := bleve.NewDocumentStaticMapping()
	// No catch-all "_all" field: the text field is ours, and _all costs
	// indexing time even when every field is left out of it.
	dm.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping())
	dm.AddFieldMappingsAt(fieldTitle, text(en.AnalyzerName))
	dm.AddFieldMappingsAt(fieldText, text(en.AnalyzerName))
	dm.AddFieldMappingsAt(fieldTags, kw(false))
	dm.AddFieldMappingsAt(fieldCategory, kw(true))
	dm.AddFieldMappingsAt(fieldCity, kw(true))
	dm.AddFieldMappingsAt(fieldCityKey, kw(false))
	dm.AddFieldMappingsAt(fieldCountry, kw(false))
	dm.AddFieldMappingsAt(fieldCurrency, kw(false))
	dm.AddFieldMappingsAt(fieldStatus, kw(false))
	geo := bleve.NewGeoPointFieldMapping()
	geo.Store, geo.IncludeInAll, geo.DocValues = false, false, true
	dm.AddFieldMappingsAt(fieldLocation, geo)
	dm.AddFieldMappingsAt(fieldLat, stored(bleve.NewNumericFieldMapping()))
	dm.AddFieldMappingsAt(fieldLon, stored(bleve.NewNumericFieldMapping()))
	date := bleve.NewDateTimeFieldMapping()
	date.Store, date.IncludeInAll, date.DocValues = false, false, false
	dm.AddFieldMappingsAt(fieldStartsAt, date)
	dm.AddFieldMappingsAt(fieldMinPrice, num())
	// Sorting reads doc values for every match. A number or date keeps 16
	// prefix-coded terms per document there (about 170 bytes, all
	// decompressed per 1024-document chunk); a fixed-width keyword keeps
	// one, and includes the tie-breakers, so one doc value decides the
	// order. Measured at 100,000 events: median query latency fell by a
	// third to a half.
	dm.AddFieldMappingsAt(fieldDateKey, kw(true))
	dm.AddFieldMappingsAt(fieldPriceKey, kw(true))
	fp := bleve.NewTextFieldMapping()
	fp.Analyzer = keyword.Name
	dm.AddFieldMappingsAt(fieldFingerprint, stored(fp))

	im := bleve.NewIndexMapping()
	im.DefaultMapping = dm
	im.DefaultAnalyzer = standard.Name
	im.DefaultField = fieldTitle
	im.StoreDynamic, im.IndexDynamic, im.DocValuesDynamic = false, false, false
	im.ScoringModel = index.BM25Scoring
	return im
}

// eventDoc is the document indexed for a published event, without its
// fingerprint.
func eventDoc(e catalog.Event, v catalog.Venue, tts []catalog.TicketType) map[string]any {
	tags := make([]string, len(e.Tags))
	for i, t := range e.Tags {
		tags[i] = strings.ToLower(t)
	}
	doc := map[string]any{
		fieldTitle: e.Title,
		// One field for everything a keyword may match keeps a query to
		// three postings lists per word; title matches get their extra
		// weight from the title field.
		fieldText:     strings.Join([]string{e.Title, e.Description, strings.Join(e.Tags, "\n"), v.Name, v.City}, "\n"),
		fieldTags:     tags,
		fieldCategory: e.Category,
		fieldCity:     v.City,
		fieldCityKey:  strings.ToLower(strings.TrimSpace(v.City)),
		fieldCountry:  v.Country,
		fieldLocation: map[string]any{"lat": v.Lat, "lon": v.Lon},
		fieldLat:      v.Lat,
		fieldLon:      v.Lon,
		fieldStartsAt: e.StartsAt.UTC(),
		fieldStatus:   string(e.Status),
	}
	dateKey := e.StartsAt.UTC().Format("20060102T150405Z") + " " + e.ID
	doc[fieldDateKey] = dateKey
	if p, ok := minPrice(tts); ok {
		doc[fieldMinPrice] = float64(p.Amount)
		doc[fieldCurrency] = p.Currency
		// Prices are never negative (the catalog refuses them).
		doc[fieldPriceKey] = fmt.Sprintf("%015d ", p.Amount) + dateKey
	}
	return doc
}

// minPrice returns the lowest price of the admission types, or of all
// types if none admits (the service keeps one currency per event).
// Hidden types, sold only with an access code, never count.
func minPrice(tts []catalog.TicketType) (catalog.Money, bool) {
	var best catalog.Money
	found := false
	for _, admission := range []bool{true, false} {
		for _, t := range tts {
			if t.Hidden || admission && t.Kind != catalog.KindAdmission {
				continue
			}
			if !found || t.Price.Amount < best.Amount {
				best, found = t.Price, true
			}
		}
		if found {
			break
		}
	}
	return best, found
}

// fingerprint hashes a document (JSON encodes map keys in order, so the
// encoding is canonical) together with the schema version.
func fingerprint(doc map[string]any) (string, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	h := fnv.New128a()
	h.Write([]byte(schemaVersion))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Upsert puts a published event into the index, or takes any other event
// out of it. It implements catalog.Indexer.
func (x *Index) Upsert(e catalog.Event, v catalog.Venue, tts []catalog.TicketType) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	b := x.bi.NewBatch()
	if err := x.addToBatch(b, e, v, tts); err != nil {
		return err
	}
	if err := x.bi.Batch(b); err != nil {
		return fmt.Errorf("search: index event %s: %w", e.ID, err)
	}
	return nil
}

func (x *Index) addToBatch(b *bleve.Batch, e catalog.Event, v catalog.Venue, tts []catalog.TicketType) error {
	if e.Status != catalog.StatusPublished {
		b.Delete(e.ID)
		return nil
	}
	doc := eventDoc(e, v, tts)
	fp, err := fingerprint(doc)
	if err != nil {
		return fmt.Errorf("search: event %s: %w", e.ID, err)
	}
	doc[fieldFingerprint] = fp
	return x.index(b, e.ID, doc)
}

// plainDocValues are the keyword fields whose doc values a query reads for
// every match (facets and sort keys). They are stored uncompressed and one
// document per chunk, so reading one match's value does not decompress the
// values of the 1023 documents around it. Measured at 100,000 events:
// median latency fell by 25% (keywords) to 80% (filters only). The
// mapping cannot say this, so index adjusts the mapped document.
var plainDocValues = map[string]bool{fieldCategory: true, fieldCity: true, fieldDateKey: true, fieldPriceKey: true}

// index adds the document data, mapped by the index mapping, to b.
func (x *Index) index(b *bleve.Batch, id string, data map[string]any) error {
	doc := document.NewDocument(id)
	if err := x.bi.Mapping().MapDocument(doc, data); err != nil {
		return fmt.Errorf("search: event %s: %w", id, err)
	}
	for i, f := range doc.Fields {
		if tf, ok := f.(*document.TextField); ok && plainDocValues[f.Name()] {
			doc.Fields[i] = document.NewTextFieldCustom(f.Name(), f.ArrayPositions(), tf.Value(),
				f.Options()|index.SkipDVCompression|index.SkipDVChunking, tf.Analyzer())
		}
	}
	if err := b.IndexAdvanced(doc); err != nil {
		return fmt.Errorf("search: event %s: %w", id, err)
	}
	return nil
}

// Delete takes an event out of the index; a missing event is not an error.
// It implements catalog.Indexer.
func (x *Index) Delete(eventID string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.bi.Delete(eventID); err != nil {
		return fmt.Errorf("search: delete event %s: %w", eventID, err)
	}
	return nil
}

// BuildStats says what EnsureBuilt did.
type BuildStats struct {
	Scanned   int  // events read from the store
	Indexed   int  // documents written (new or changed)
	Deleted   int  // documents removed (no longer published, or gone)
	Unchanged int  // published events whose document was already current
	Compacted bool // the index was merged into one segment afterwards
}

// compactAfter is how many documents EnsureBuilt writes before it compacts
// the index: a full build leaves a segment per batch, and on a freshly
// built 100,000-event index, p99 query latency was 2.5 to 100 times
// higher until merged.
const compactAfter = 10 * pageSize

// pageSize is how many events EnsureBuilt reads from the store, and writes
// to the index, at a time.
const pageSize = 1000

// EnsureBuilt reconciles the index with the store: it pages through every
// event (Store.Events), indexes each published event whose document is
// missing or differs, and removes everything else. On an empty index this
// is the full build; on an index that is current it writes nothing. It
// repairs what the index can miss: a change lost to a crash between the
// store's commit and the index write, or to a failed index write.
//
// Upserts and Deletes wait while it reconciles. When it wrote many
// documents it then compacts the index (see Compact).
func (x *Index) EnsureBuilt(ctx context.Context, store catalog.Store) (BuildStats, error) {
	st, err := x.reconcile(ctx, store)
	if err != nil {
		return st, err
	}
	if x.onDisk && st.Indexed+st.Deleted >= compactAfter {
		if err := x.Compact(ctx); err != nil {
			return st, err
		}
		st.Compacted = true
	}
	return st, nil
}

func (x *Index) reconcile(ctx context.Context, store catalog.Store) (BuildStats, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var st BuildStats
	have, err := x.fingerprints(ctx)
	if err != nil {
		return st, err
	}
	venues := make(map[string]catalog.Venue)
	b := x.bi.NewBatch()
	flush := func() error {
		if b.Size() == 0 {
			return nil
		}
		if err := x.bi.Batch(b); err != nil {
			return fmt.Errorf("search: build: %w", err)
		}
		// A new batch, not b.Reset(): scorch's Batch leaves a goroutine
		// that may still read b's delete entries after it returns (bleve
		// v2.6.3, scorch.go:545; the race detector sees it).
		b = x.bi.NewBatch()
		return nil
	}
	after := ""
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		events, err := store.Events(ctx, after, pageSize)
		if err != nil {
			return st, fmt.Errorf("search: build: list events after %q: %w", after, err)
		}
		for _, e := range events {
			st.Scanned++
			fp, indexed := have[e.ID]
			delete(have, e.ID)
			if e.Status != catalog.StatusPublished {
				if indexed {
					b.Delete(e.ID)
					st.Deleted++
				}
				continue
			}
			v, ok := venues[e.VenueID]
			if !ok {
				if v, err = store.Venue(ctx, e.VenueID); err != nil {
					return st, fmt.Errorf("search: build: venue of event %s: %w", e.ID, err)
				}
				venues[e.VenueID] = v
			}
			tts, err := store.TicketTypes(ctx, e.ID)
			if err != nil {
				return st, fmt.Errorf("search: build: ticket types of event %s: %w", e.ID, err)
			}
			doc := eventDoc(e, v, tts)
			want, err := fingerprint(doc)
			if err != nil {
				return st, fmt.Errorf("search: build: event %s: %w", e.ID, err)
			}
			if indexed && fp == want {
				st.Unchanged++
				continue
			}
			doc[fieldFingerprint] = want
			if err := x.index(b, e.ID, doc); err != nil {
				return st, err
			}
			st.Indexed++
		}
		if b.Size() >= pageSize {
			if err := flush(); err != nil {
				return st, err
			}
		}
		if len(events) < pageSize {
			break
		}
		after = events[len(events)-1].ID
	}
	// What is left was indexed but is not in the store at all.
	for id := range have {
		b.Delete(id)
		st.Deleted++
	}
	return st, flush()
}

// fingerprints returns the fingerprint of every document in the index.
func (x *Index) fingerprints(ctx context.Context) (map[string]string, error) {
	have := make(map[string]string)
	var after []string
	for {
		req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), 10_000, 0, false)
		req.Fields = []string{fieldFingerprint}
		req.SortByCustom(search.SortOrder{&search.SortDocID{}})
		req.Score = "none"
		if after != nil {
			req.SearchAfter = after
		}
		res, err := x.bi.SearchInContext(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("search: read fingerprints: %w", err)
		}
		for _, h := range res.Hits {
			fp, _ := h.Fields[fieldFingerprint].(string)
			have[h.ID] = fp
		}
		if len(res.Hits) < req.Size {
			return have, nil
		}
		after = []string{res.Hits[len(res.Hits)-1].ID}
	}
}
