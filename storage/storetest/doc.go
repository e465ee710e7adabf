// Package storetest is the conformance suite every storage backend of the
// server passes: RunAccount checks an account.Store, RunCatalog a
// catalog.Store, RunPurchase a purchase.Store (holds, orders, inventory,
// idempotency records, tickets), RunSecrets an issuer.SecretStore and
// RunSync a sync.Store (see its comment for what it pins); BenchReserve
// measures a backend's reservations. Both backends (storage/bolt,
// storage/postgres) run it from their tests, so they behave the same way,
// down to the precision of times and the order of lists. A fake store for another
// package's tests should pass it too.
//
// The open function given to a Run function returns a new, empty store
// each time it is called, cleaning it up with t.Cleanup; subtests run in
// parallel, so it must be safe to call from several goroutines.
//
// What the suite pins beyond the interfaces' doc comments:
//
//   - Times come back in UTC, truncated to microseconds (PostgreSQL's
//     precision); empty slices come back nil.
//   - An error from an update closure is returned as it is (errors.Is
//     finds it) and nothing is written; changing an id or a user's email
//     in a closure is ErrInvalid.
//   - UpdateEvent sets Version to the stored version plus one, whatever
//     the closure set.
//   - PutMembership replaces the role of an existing membership.
//   - CreateOrgWithOrganizer stores the organization and its organizer's
//     membership in one transaction: an unknown user
//     (account.ErrNotFound) or a taken id (catalog.ErrExists) stores
//     neither. The catalog store must be the account store too.
//   - Creating a row whose referenced row (user, org, venue, event) is
//     missing is ErrNotFound; listing an unknown parent's children is an
//     empty list, not an error. DeleteToken of a missing token is
//     ErrNotFound; DeleteUserTokens of a user without tokens is not, and
//     it keeps the token named by except; TouchToken of a missing token
//     is ErrNotFound.
//   - Events(after, limit) with limit < 1 is ErrInvalid.
//
// # Caveats
//
// The concurrency subtests start 20 goroutines against one store and
// expect every call to succeed: a backend that answers contention with
// retryable errors (serialization failures, lock timeouts) must retry
// inside the store.
package storetest
