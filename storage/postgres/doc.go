// Package postgres stores the server's accounts and catalog in PostgreSQL
// through pgx v5, for deployments that outgrow one bbolt file or run
// several syncserver instances against one database.
//
// Open connects a pool and applies the schema migrations embedded from
// migrations/*.sql (0001_init.sql, 0002_..., applied in number order, each
// recorded in the schema_migrations table). Migrate does the same for an
// existing pool, for `syncserver migrate`. Migrations run in one
// transaction that first takes a transaction-scoped advisory lock, so
// several processes starting at once against a fresh database neither
// race nor fail: the first applies, the others wait and find nothing to do.
//
// What is queried has real columns (lower-cased email, org, event, status,
// times); lists (tags, images, recovery codes) are text arrays. Driver
// errors are translated by SQLSTATE, never by message: unique_violation
// (23505) is ErrExists, foreign_key_violation (23503) and no rows are
// ErrNotFound.
//
// The schema is found through the connection's search_path, so a DSN
// such as postgres://host/db?search_path=admitone puts the tables in
// schema admitone (the tests use one fresh schema each).
//
// # Caveats
//
//   - Times are stored as timestamptz, which keeps microseconds: they are
//     truncated to microseconds on write, and come back in UTC, exactly
//     as the bbolt backend returns them. Zero times in optional fields
//     (event times, sale windows) are stored as NULL.
//   - Uniqueness of email uses a column lower-cased by Go's
//     strings.ToLower, not SQL lower(), so it does not depend on the
//     database's locale; a row written by hand must fill email_key the
//     same way.
//   - UpdateUser and UpdateEvent hold the row's lock (SELECT ... FOR NO KEY
//     UPDATE) while the closure runs: keep closures short and free of other store
//     calls on the same row, which would wait on the lock forever.
//   - Migrations only go forward. A program older than the database's
//     schema runs against it without complaint, so migrations must keep
//     old code working (add columns with defaults; never rename in place).
//   - Empty slices come back nil, as from the bbolt backend.
package postgres
