// Package catalog is the event catalog: organizations, venues, events and
// the ticket types sold for them, with the rules for creating and changing
// them.
//
// Service holds the rules and talks to storage through the Store interface
// (implemented by storage/bolt and storage/postgres). It keeps a search
// index current through the small Indexer interface (implemented by the
// search package) and serves event pages and availability through a
// read-through Cache.
//
// # Lifecycle
//
// An event is created as a draft, published (it needs a ticket type and a
// start in the future), and then cancelled or ended:
//
//	draft -> published -> ended
//	  |          |
//	  +----------+-----> cancelled
//
// A transition that is not allowed returns an error wrapping ErrState.
// Only published events are in the search index.
//
// # Hidden ticket types
//
// A Hidden ticket type (guest lists, presales) is sold only to holders of
// an access code that unlocks it (package voucher; purchase refuses a
// hold of it without one). EventPage returns every type, hidden ones too:
// purchasing and organizers need them. What buyers see goes through
// EventPage.Public, which drops the hidden types except those an access
// code unlocks; the search index leaves them out of the event's lowest
// price.
//
// # Errors
//
// Invalid input returns a *FieldError that wraps ErrInvalid and names the
// field in JSON spelling ("capacity", "starts_at", "tags"); its Message is a
// sentence that starts with the field name. Missing rows wrap ErrNotFound.
// Nothing is stored when an error is returned.
//
// # Caveats
//
// The index is updated after the store commits, outside the store's
// transaction. If that update fails the change still stands and the error
// is logged; the event is stale in search until its next change or until
// the index is reconciled with the store (search.Index.EnsureBuilt does
// that at start-up).
//
// With several syncserver processes on one PostgreSQL, each keeps its own
// cache and search index; a Bus (storage/postgres: LISTEN/NOTIFY on
// admitone_catalog) tells the others of every committed catalog change,
// and RunBus refreshes their copies (cache entry dropped, event
// re-indexed) within milliseconds; when listening (re)starts, every entry
// is dropped and Reconcile brings the whole index up to date. Another
// process's holds and sales are not announced this way: its availability
// is seen here when the entry expires, after AvailabilityTTL (two
// seconds). A failed announcement is logged; the others then see the
// change after PageTTL (a minute) or its next change.
//
// Venues and ticket types are changed and removed through the Service
// (manage.go), which invalidates and re-indexes as every other change
// does: a venue's change re-indexes each event at it. The checks against
// what is sold or held (capacity not below it, price and deletion only
// while nothing is taken, unpublish only an event with nothing taken)
// read the purchase side's counts (Inventory) before the store's own
// transaction, not inside it: a hold committed in between is not seen.
// The window is one round trip; a capacity lowered under a hold that
// slipped in leaves the type oversold by that hold only until it expires
// or is bought (sales check the capacity they read, as always), and a
// type deleted under one leaves a hold whose order cannot be paid.
//
// Event times are stored in UTC truncated to the second; the time zone
// field only says how to show them. The zone database is embedded
// (time/tzdata), so zone validation works on hosts without one.
package catalog
