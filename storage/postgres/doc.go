// Package postgres stores the server's accounts, catalog and purchases in
// PostgreSQL through pgx v5, for deployments that outgrow one bbolt file
// or run several syncserver instances against one database.
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
// # Purchasing
//
// Inventory lives in the inventory table: one row per ticket type (sold,
// held, and the capacity last checked against) and one per event, whose
// id is the event's id, for the event's shared capacity. holds and orders
// keep their lines as JSON and the quantity they drew from the event's
// row (shared), so giving it back never depends on today's limits.
//
// Lock order. Every transaction that changes an event's counters first
// locks the event's inventory row (SELECT ... FOR UPDATE), events in id
// order; only then does it lock or update the event's ticket type rows,
// holds and orders. The event row is thus a per-event mutex, and two
// transactions cannot wait on each other in opposite orders. MarkPaid,
// which changes no counter, locks only the order's row. The last lock a
// transaction takes is the event's change_seq row, which numbers the
// event's change log (tickets issued and revoked) in commit order.
// Deadlocks (40P01) and serialization failures (40001) are retried all
// the same.
//
// Group commit. Reserve does not open a transaction per buyer: that would
// queue every buyer of an event on the event row's lock for one commit
// (one WAL flush) each. Instead Reserve queues the request for one
// committer goroutine per DB. The committer takes the first request,
// gathers more for up to a millisecond or until 500, and then
//
//  1. answers requests whose event does not exist, and inserts the
//     inventory rows that are missing (ON CONFLICT DO NOTHING, outside
//     the transaction; both remembered in memory, as neither is ever
//     deleted);
//  2. begins a transaction and locks all the group's inventory rows in
//     one SELECT ... ORDER BY (event rows, then types, by id) FOR UPDATE;
//  3. decides each request in arrival order against the counters in
//     memory, adding the accepted ones' quantities; if any did not fit,
//     it expires the holds and unpaid orders of the group's events that
//     are due at the latest CreatedAt in the group, and decides again
//     from the start;
//  4. inserts the accepted holds in one INSERT ... SELECT FROM unnest(...)
//     and writes the changed counters in one UPDATE ... FROM unnest(...);
//  5. commits, and only then answers every request: nil, or ErrSoldOut
//     naming what ran out.
//
// A refusal is an answer, not an error of the transaction, so one buyer's
// sold-out never rolls back another's hold. A hold id found taken
// (INSERT ... ON CONFLICT DO NOTHING RETURNING id) is answered
// ErrConflict and the group's transaction runs again without it. If the
// transaction fails, every request in the group gets the error. Several
// server instances each run a committer; their groups queue on the event
// rows' locks like any other transaction.
//
// BenchmarkReserveParallel and BenchmarkReserveOneTxPerCall (the same
// statements, one transaction per reservation) measure the difference.
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
//   - Reserve waits up to a millisecond for company before its group's
//     transaction begins: a lone buyer pays that in latency. When a
//     Reserve's context ends while its group is in flight, Reserve
//     returns the context's error and the hold may exist; Hold tells.
//   - One slow group (a large sweep of expired holds, a lock held by a
//     long transaction on one event) delays every reservation queued
//     behind it in this process, whichever event it is for.
//   - Close waits for the queued reservations to be decided.
package postgres
