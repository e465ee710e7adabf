package search

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/registry"

	"github.com/admitone/admitone/catalog"
)

// Index is the search index of published events, held in memory. It
// implements catalog.Indexer; Search answers queries. It is safe for
// concurrent use: any number of searches run side by side, and a write
// waits for the searches under way.
type Index struct {
	en analysis.Analyzer

	// wmu serializes writers, and holds for all of EnsureBuilt, so a
	// reconcile and live updates never interleave half-way.
	wmu sync.Mutex
	// mu guards everything below: searches read under RLock, writes
	// change under Lock.
	mu sync.RWMutex
	// docs, meta and lens are by ordinal; a free ordinal has live false.
	docs []doc
	meta []docMeta
	lens []fieldLens
	free []uint32          // free ordinals, reused before docs grows
	byID map[string]uint32 // event id -> ordinal
	live int

	words  []word            // by word id
	wordID map[string]uint32 // analyzed word -> word id
	vocab  trie              // every word of the text field, for typos
	// Sums of the live documents' field lengths, for BM25.
	titleLen, textLen int64

	// How many live documents have each category (by 1 + index in
	// catalog.Categories) and city (by id): the facets of a search
	// without keywords or filters.
	categoryCount []int
	cityCount     []int

	cities   []string         // city as entered, by city id
	cityID   map[string]int32 // city as entered -> city id
	cityKeys map[string]int32 // lower-case, trimmed city -> its id
	// scratch is a pool of per-search working memory.
	scratch sync.Pool
	// slots admits as many searches at a time as there are CPUs, the
	// others queue in arrival order (see Search).
	slots chan struct{}
}

var _ catalog.Indexer = (*Index)(nil)

// doc is what a search reads of one published event for every candidate:
// its filter, facet and sort values, kept small so a scan over every event
// stays in cache. Its id and its words are in docMeta; the lengths of its
// fields in fieldLens.
type doc struct {
	live     bool
	category uint8 // 1 + index in catalog.Categories; 0 for none
	hasPrice bool
	currency [3]byte
	city     int32 // city id (as entered, for facets); -1 for none
	cityKey  int32 // id of the lower-case, trimmed city: what Query.City matches
	price    int64 // lowest admission price, minor units
	starts   int64 // start time, Unix nanoseconds
	lat, lon float64
}

// docMeta is the rest of what the index keeps of an event: its id, the
// fingerprint of the eventDoc it was made from, and which words it holds
// (to take them out again).
type docMeta struct {
	id         string
	fp         uint64
	titleWords []uint32 // distinct word ids in the title
	textWords  []uint32 // distinct word ids in the text
}

// fieldLens is how many words a document's title and text have, for BM25.
type fieldLens struct{ title, text uint32 }

// word is one analyzed word and the documents that hold it, by field.
type word struct {
	text  string
	title postings
	body  postings
}

// postings lists the ordinals of the documents holding a word, ascending,
// with how often each holds it.
type postings struct {
	docs []uint32
	tfs  []uint16
}

func (p *postings) add(d uint32, tf uint16) {
	i, found := slices.BinarySearch(p.docs, d)
	if found {
		p.tfs[i] = tf
		return
	}
	p.docs = slices.Insert(p.docs, i, d)
	p.tfs = slices.Insert(p.tfs, i, tf)
}

func (p *postings) remove(d uint32) {
	if i, found := slices.BinarySearch(p.docs, d); found {
		p.docs = slices.Delete(p.docs, i, i+1)
		p.tfs = slices.Delete(p.tfs, i, i+1)
	}
}

// New returns an empty index. Fill it with EnsureBuilt, which reads every
// event from the store; the catalog keeps it current after that.
func New() (*Index, error) {
	an, err := registry.NewCache().AnalyzerNamed(en.AnalyzerName)
	if err != nil {
		return nil, fmt.Errorf("search: the English analyzer: %w", err)
	}
	return &Index{
		en:            an,
		byID:          make(map[string]uint32),
		wordID:        make(map[string]uint32),
		cityID:        make(map[string]int32),
		categoryCount: make([]int, len(catalog.Categories)+1),
		cityKeys:      make(map[string]int32),
		vocab:         newTrie(),
		slots:         make(chan struct{}, runtime.GOMAXPROCS(0)),
	}, nil
}

// Close releases nothing: the index lives in memory. It is there so the
// index can be closed like the stores beside it.
func (x *Index) Close() error { return nil }

// Count returns the number of events in the index.
func (x *Index) Count() (int, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.live, nil
}

// eventDoc is what the index keeps of a published event: everything a
// query can match, filter, count or sort on. Its JSON encoding is
// fingerprinted, so EnsureBuilt re-analyzes only what changed (the
// fingerprints live as long as the process, so they need no version).
type eventDoc struct {
	ID       string  `json:"id"`
	Title    string  `json:"title"`
	Text     string  `json:"text"` // title, description, tags, venue name and city
	Category string  `json:"category"`
	City     string  `json:"city"`
	Lat      float64 `json:"lat"`
	Lon      float64 `json:"lon"`
	Starts   int64   `json:"starts"`
	Price    *int64  `json:"price,omitempty"`
	Currency string  `json:"currency,omitempty"`
}

func newEventDoc(e catalog.Event, v catalog.Venue, tts []catalog.TicketType) eventDoc {
	d := eventDoc{
		ID:    e.ID,
		Title: e.Title,
		// One field for everything a keyword may match; title matches get
		// their extra weight from the title field.
		Text:     strings.Join([]string{e.Title, e.Description, strings.Join(e.Tags, "\n"), v.Name, v.City}, "\n"),
		Category: e.Category,
		City:     v.City,
		Lat:      v.Lat,
		Lon:      v.Lon,
		Starts:   e.StartsAt.UnixNano(),
	}
	if p, ok := minPrice(tts); ok {
		d.Price, d.Currency = &p.Amount, p.Currency
	}
	return d
}

// fingerprint hashes a document.
func (d eventDoc) fingerprint() uint64 {
	b, _ := json.Marshal(d) // cannot fail: strings and numbers
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
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

// analyzed is an eventDoc after analysis, ready to go into the index:
// analysis is the expensive part of a write, and runs outside the lock.
type analyzed struct {
	doc        eventDoc
	fp         uint64
	title      []wordCount
	text       []wordCount
	titleLen   uint32
	textLen    uint32
	categoryIx uint8
}

type wordCount struct {
	word string
	n    uint16
}

func (x *Index) analyze(d eventDoc) analyzed {
	a := analyzed{doc: d, fp: d.fingerprint()}
	a.title, a.titleLen = x.countWords(d.Title)
	a.text, a.textLen = x.countWords(d.Text)
	if i := slices.Index(catalog.Categories, d.Category); i >= 0 {
		a.categoryIx = uint8(i + 1)
	}
	return a
}

// analyzeAll analyzes docs on every CPU.
func (x *Index) analyzeAll(docs []eventDoc) []analyzed {
	out := make([]analyzed, len(docs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(docs)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(docs); i = int(next.Add(1) - 1) {
				out[i] = x.analyze(docs[i])
			}
		})
	}
	wg.Wait()
	return out
}

// countWords analyzes s (lower case, stop words dropped, stemmed) and
// counts each distinct word; it also returns the number of words.
func (x *Index) countWords(s string) ([]wordCount, uint32) {
	toks := x.en.Analyze([]byte(s))
	counts := make(map[string]uint16, len(toks))
	for _, t := range toks {
		if n := counts[string(t.Term)]; n < 1<<16-1 {
			counts[string(t.Term)] = n + 1
		}
	}
	out := make([]wordCount, 0, len(counts))
	for w, n := range counts {
		out = append(out, wordCount{w, n})
	}
	slices.SortFunc(out, func(a, b wordCount) int { return strings.Compare(a.word, b.word) })
	return out, uint32(len(toks))
}

// Upsert puts a published event into the index, or takes any other event
// out of it. It implements catalog.Indexer.
func (x *Index) Upsert(e catalog.Event, v catalog.Venue, tts []catalog.TicketType) error {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	if e.Status != catalog.StatusPublished {
		x.apply(nil, []string{e.ID})
		return nil
	}
	x.apply([]analyzed{x.analyze(newEventDoc(e, v, tts))}, nil)
	return nil
}

// Delete takes an event out of the index; a missing event is not an error.
// It implements catalog.Indexer.
func (x *Index) Delete(eventID string) error {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	x.apply(nil, []string{eventID})
	return nil
}

// apply puts docs into the index and takes the events ids out, under one
// write lock, so a search sees all of it or none.
func (x *Index) apply(docs []analyzed, ids []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range ids {
		if o, ok := x.byID[id]; ok {
			x.remove(o)
		}
	}
	for i := range docs {
		x.put(&docs[i])
	}
}

// remove takes the document at ordinal o out of every postings list and
// frees the ordinal.
func (x *Index) remove(o uint32) {
	m := &x.meta[o]
	for _, w := range m.titleWords {
		x.words[w].title.remove(o)
	}
	for _, w := range m.textWords {
		x.words[w].body.remove(o)
	}
	x.categoryCount[x.docs[o].category]--
	if c := x.docs[o].city; c >= 0 {
		x.cityCount[c]--
	}
	x.titleLen -= int64(x.lens[o].title)
	x.textLen -= int64(x.lens[o].text)
	delete(x.byID, m.id)
	x.docs[o], x.meta[o], x.lens[o] = doc{}, docMeta{}, fieldLens{}
	x.free = append(x.free, o)
	x.live--
}

// put adds a, replacing the event's document if it has one. A replaced
// document keeps its ordinal.
func (x *Index) put(a *analyzed) {
	o, ok := x.byID[a.doc.ID]
	switch {
	case ok:
		x.remove(o)
		x.free = x.free[:len(x.free)-1] // o again
	case len(x.free) > 0:
		o = x.free[len(x.free)-1]
		x.free = x.free[:len(x.free)-1]
	default:
		o = uint32(len(x.docs))
		x.docs = append(x.docs, doc{})
		x.meta = append(x.meta, docMeta{})
		x.lens = append(x.lens, fieldLens{})
	}
	d := doc{
		live:     true,
		category: a.categoryIx,
		city:     intern(a.doc.City, &x.cities, x.cityID),
		cityKey:  intern(cityKey(a.doc.City), nil, x.cityKeys),
		lat:      a.doc.Lat,
		lon:      a.doc.Lon,
		starts:   a.doc.Starts,
	}
	copy(d.currency[:], a.doc.Currency)
	if a.doc.Price != nil {
		d.hasPrice, d.price = true, *a.doc.Price
	}
	m := docMeta{id: a.doc.ID, fp: a.fp, titleWords: make([]uint32, len(a.title)), textWords: make([]uint32, len(a.text))}
	for i, wc := range a.title {
		w := x.wordOf(wc.word)
		x.words[w].title.add(o, wc.n)
		m.titleWords[i] = w
	}
	for i, wc := range a.text {
		w := x.wordOf(wc.word)
		x.words[w].body.add(o, wc.n)
		m.textWords[i] = w
	}
	x.docs[o], x.meta[o], x.lens[o] = d, m, fieldLens{a.titleLen, a.textLen}
	x.categoryCount[d.category]++
	if d.city >= 0 {
		x.cityCount = slices.Grow(x.cityCount, len(x.cities))[:len(x.cities)]
		x.cityCount[d.city]++
	}
	x.byID[m.id] = o
	x.titleLen += int64(a.titleLen)
	x.textLen += int64(a.textLen)
	x.live++
}

// wordOf returns the id of word s, adding it to the vocabulary if new.
// Words are never taken out: a word no event holds any more has empty
// postings, and typo lookups skip it.
func (x *Index) wordOf(s string) uint32 {
	if id, ok := x.wordID[s]; ok {
		return id
	}
	id := uint32(len(x.words))
	x.words = append(x.words, word{text: s})
	x.wordID[s] = id
	x.vocab.insert(s, id)
	return id
}

// intern returns the id of s in ids, adding it (and appending it to
// names, if given) when new; the empty string is -1.
func intern(s string, names *[]string, ids map[string]int32) int32 {
	if s == "" {
		return -1
	}
	if id, ok := ids[s]; ok {
		return id
	}
	id := int32(len(ids))
	ids[s] = id
	if names != nil {
		*names = append(*names, s)
	}
	return id
}

// cityKey is how a city is compared: case and surrounding space do not
// count.
func cityKey(city string) string { return strings.ToLower(strings.TrimSpace(city)) }

// BuildStats says what EnsureBuilt did.
type BuildStats struct {
	Scanned   int // events read from the store
	Indexed   int // documents written (new or changed)
	Deleted   int // documents removed (no longer published, or gone)
	Unchanged int // published events whose document was already current
}

// pageSize is how many events EnsureBuilt reads from the store, and puts
// into the index, at a time.
const pageSize = 1000

// EnsureBuilt reconciles the index with the store: it pages through every
// event (Store.Events), indexes each published event whose document is
// missing or differs, and removes everything else. On an empty index (at
// start-up) this is the full build; on an index that is current it writes
// nothing. It repairs what the index can miss: a change lost between the
// store's commit and the index write.
//
// Upserts and Deletes wait while it reconciles; searches do not, and see
// the index a page of events at a time.
func (x *Index) EnsureBuilt(ctx context.Context, store catalog.Store) (BuildStats, error) {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	var st BuildStats
	x.mu.RLock()
	have := make(map[string]uint64, x.live)
	for o, d := range x.docs {
		if d.live {
			have[x.meta[o].id] = x.meta[o].fp
		}
	}
	x.mu.RUnlock()

	venues := make(map[string]catalog.Venue)
	after := ""
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		events, err := store.Events(ctx, after, pageSize)
		if err != nil {
			return st, fmt.Errorf("search: build: list events after %q: %w", after, err)
		}
		var fresh []eventDoc
		var gone []string
		for _, e := range events {
			st.Scanned++
			fp, indexed := have[e.ID]
			delete(have, e.ID)
			if e.Status != catalog.StatusPublished {
				if indexed {
					gone = append(gone, e.ID)
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
			d := newEventDoc(e, v, tts)
			if indexed && fp == d.fingerprint() {
				st.Unchanged++
				continue
			}
			fresh = append(fresh, d)
			st.Indexed++
		}
		put := x.analyzeAll(fresh)
		if len(put)+len(gone) > 0 {
			x.apply(put, gone)
		}
		if len(events) < pageSize {
			break
		}
		after = events[len(events)-1].ID
	}
	// What is left was indexed but is not in the store at all.
	gone := slices.Collect(maps.Keys(have))
	st.Deleted += len(gone)
	x.apply(nil, gone)
	return st, nil
}
