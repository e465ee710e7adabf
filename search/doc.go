// Package search is the full-text and faceted search index of published
// events, built with bleve (scorch engine). It is derived data: the
// catalog's Store is the truth, and the index can always be rebuilt from it.
//
// Index implements catalog.Indexer, so catalog.Service keeps it current on
// every change, and answers Search queries: keywords with typo tolerance
// and English stemming, category, city, geo radius, start-time range and
// price range filters, facets by category and city, four sort orders, and
// paging.
//
// At start-up, open the index and reconcile it with the store before
// serving writes:
//
//	idx, err := search.Open(filepath.Join(dataDir, "search"))
//	...
//	stats, err := idx.EnsureBuilt(ctx, store) // full build if it was missing
//
// # Documents
//
// One document per published event, keyed by event id: the title, and one
// text field with the title, description, tags, venue name and city (both
// with the English analyzer: lower case, stop words, Porter stemming);
// tags, category, city and country as keywords; the venue's location (geo
// point); the start time (date) and the lowest admission price in minor
// units with its currency (hidden ticket types, sold only with an access
// code, never count), for range filters; sort keys for date and
// price; the status; and a fingerprint of all that, so EnsureBuilt
// rewrites only what changed.
//
// # Keywords
//
// Q is analyzed like the indexed text, and every remaining word must match
// (AND). A word matches exactly (in the title, weighted 3, or anywhere in
// the text, weighted 1) or as a similar indexed word within an edit
// distance of 1 (words of 3-7 letters after stemming) or 2 (longer words),
// weighted 0.3. So "metalica" finds "Metallica", "concerts" finds
// "concert", and exact and title matches rank first. Ranking is BM25.
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
// The store and the index are written one after the other, not in one
// transaction: after a crash between the two, or a failed index write, the
// index misses a change. EnsureBuilt at start-up repairs both, reading
// every event from the store (1.6 s for 100,000 unchanged events in the
// benchmark, plus the time the store takes to list them).
//
// Every Upsert on disk waits until scorch has persisted it, so a change
// costs a few milliseconds of disk sync; bulk changes go through
// EnsureBuilt, which writes 1,000 documents per batch.
//
// OpenMem never merges segments: it is for tests, not for serving.
package search
