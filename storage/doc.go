// Package storage opens the server's storage backend: the one place that
// picks between the two implementations of the domain stores
// (account.Store, catalog.Store, purchase.Store, issuer.SecretStore and
// sync.Store, all in one database), and hands out PostgreSQL's
// sync.Notifier.
//
//   - storage/bolt, the default: one bbolt file, syncserver.db, in the
//     server's data directory. Nothing to install or run; one server
//     process at a time.
//   - storage/postgres: PostgreSQL through pgx v5, chosen by a postgres://
//     or postgresql:// DSN (the --database flag). Several server
//     instances can share it; its schema migrations run on Open.
//
// Both pass the conformance suite in storage/storetest, so the domain
// code cannot tell them apart.
//
// # Caveats
//
//   - Times come back in UTC, truncated to microseconds (PostgreSQL's
//     precision), from both backends: compare stored times with the
//     truncated value, never with time.Now() itself.
//   - Switching backends does not move data: there is no export from one
//     into the other yet.
//   - Opening PostgreSQL applies pending migrations; a DSN's search_path
//     parameter picks the schema they go into.
//   - Creating a row that refers to a missing one (a venue's organization,
//     an event's venue, a token's user, ...) fails with the domain's
//     ErrNotFound in both backends.
//   - An error that means the database cannot be reached (connection
//     refused or lost, server shutting down or out of connections, a
//     deadline passed) wraps storeerr.ErrUnavailable, decided by the
//     driver error's type; the API answers it 503 with Retry-After.
//     Only PostgreSQL is ever unreachable; bbolt is a local file.
//   - This package links pgx: the gate daemon (scannerd) must not import
//     it.
package storage
