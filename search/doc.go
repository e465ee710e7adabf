// Package search is the full-text and faceted search index of published
// events, held in memory. It is derived data: the catalog's Store is the
// truth, and the index is built from it when the server starts.
//
// Index implements catalog.Indexer, so catalog.Service keeps it current on
// every change, and answers Search queries: keywords with typo tolerance
// and English stemming, category, city, geo radius, start-time range and
// price range filters, facets by category and city, four sort orders, and
// paging.
//
// At start-up, create the index and fill it from the store before serving:
//
//	idx, err := search.New()
//	...
//	stats, err := idx.EnsureBuilt(ctx, store)
//
// # Why in memory
//
// The index was a bleve index on disk until the 100,000-event benchmark
// showed what a general engine costs here: a keyword query matching a
// fifth of the catalog took 14.7 ms at the median and 36.6 ms at p99, the
// front page (everything by date) 30 ms, because every query scored or
// sorted and faceted tens of thousands of matches through per-document
// doc values. Events are few and small next to what such engines are made
// for: 100,000 of them take about 65 MiB here, built in 4-5 s on two
// cores. Held as plain arrays, the same queries take under 1.5 ms at the
// median and under 2 ms at p99 (BENCHMARKS.md). bleve is still what
// analyzes text.
//
// # Layout
//
// Each published event has an ordinal. doc holds, by ordinal, what every
// candidate is tested on (category, city, currency, price, start time,
// location), small and free of pointers so a scan of all events stays in
// cache; docMeta holds its id, fingerprint and words; fieldLens the
// lengths BM25 needs. A word has two postings lists (title, text) of
// ordinals in ascending order with their counts. A changed event keeps its
// ordinal; a removed one frees it for the next. The vocabulary is also a
// prefix tree, for typo lookups.
//
// A search holds a read lock for its duration; a write takes the write
// lock, so it waits for the searches under way and a search sees every
// change of a write or none. EnsureBuilt applies a page of 1,000 events
// under one write lock. At most GOMAXPROCS searches run at once; the rest
// queue in arrival order: more would only take turns on the CPUs,
// preempted every 10 ms, which left some callers waiting 100 ms at p99
// with 8 callers on 2 cores.
//
// # Documents
//
// One document per published event, keyed by event id: the title, and one
// text (title, description, tags, venue name and city), both analyzed
// with bleve's English analyzer (lower case, stop words, Porter stemming);
// category; the venue's city and location; the start time; the lowest
// admission price in minor units with its currency (hidden ticket types,
// sold only with an access code, never count); and a fingerprint of all
// that, so EnsureBuilt re-analyzes only what changed.
//
// # Keywords
//
// Q is analyzed like the indexed text, and every remaining word must match
// (AND). A word matches exactly (in the title, weighted 3, or anywhere in
// the text, weighted 1) or as a similar indexed word within an edit
// distance of 1 (words of 3-7 letters after stemming) or 2 (longer words),
// weighted 0.3, the 32 most frequent such words at most. So "metalica"
// finds "Metallica", "concerts" finds "concert", and exact and title
// matches rank first. A match's score is BM25 (k1 1.2, b 0.75) summed over
// the clauses it matches. The rarest word is matched first; every later
// word only scores the documents still in the running.
//
// # Sorting
//
// Every order ends in the start time, then the event id, so it is total
// and the same on a rebuilt index. A page is the k = Page*PerPage first
// matches, kept in a heap of k while all matches are counted for Total
// and the facets.
//
// # Caveats
//
// Facets count every matching event, including the filters of the query
// itself: with Category set, the category facet has one entry.
//
// Sorting by relevance without keywords sorts by date, since every event
// matches equally.
//
// Prices are compared in minor units whatever the currency; set
// Query.Currency to compare like with like.
//
// Deep paging is bounded (Page*PerPage <= MaxWindow): each page costs as
// much as every page before it.
//
// The index costs memory in proportion to the catalog: about 650 bytes an
// event in the benchmark's catalog (descriptions of 20-60 words). Each
// process serving the API holds its own, built at start from the store: 4-5 s for
// 100,000 events on two cores, plus the time the store takes to list them
// with their venues and ticket types.
//
// The store and the index are written one after the other, not in one
// transaction: a failed index write (the index itself cannot fail, but
// the service may stop between the two) leaves the index missing a
// change until the next start or Catalog.Reconcile, which runs
// EnsureBuilt.
package search
