// Package postgres stores all the server's data in PostgreSQL through pgx
// v5 (accounts, the catalog, purchases with tickets and each event's
// change log, the vault's sealed issuer keys, and the gates' check-ins
// and conflicts), and tells other instances of change log appends over
// LISTEN/NOTIFY; for deployments that outgrow one bbolt file or run
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
// # Purchasing
//
// Inventory lives in the inventory table: one row per ticket type (sold,
// held, and the capacity last checked against) and one per event, whose
// id is the event's id, for the event's shared capacity. holds and orders
// keep their lines as JSON and the quantity they drew from the event's
// row (shared), so giving it back never depends on today's limits. A
// code's uses (purchase.CodeKey, package voucher) have a row too, whose
// event_id is the code's event: it is locked and moved with the event's
// other rows, and Taken leaves it out, as it leaves out the buyers'
// rows. Codes themselves are in the codes table, found by their lookup
// digest (voucher.Lookup), never by their text.
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
//  2. begins a transaction, answers the requests whose idempotency key
//     is stored already with its record (purchase.Replayed), and locks
//     all the group's inventory rows in one SELECT ... ORDER BY (event
//     rows, then types, by id) FOR UPDATE;
//  3. decides each request in arrival order against the counters in
//     memory, adding the accepted ones' quantities; if any did not fit,
//     it expires the holds and unpaid orders of the group's events that
//     are due at the latest CreatedAt in the group, and decides again
//     from the start;
//  4. inserts the accepted holds in one INSERT ... SELECT FROM unnest(...),
//     their idempotency records in another, and writes the changed
//     counters in one UPDATE ... FROM unnest(...);
//  5. commits, and only then answers every request: nil, or ErrSoldOut
//     naming what ran out.
//
// A refusal is an answer, not an error of the transaction, so one buyer's
// sold-out never rolls back another's hold. A hold id found taken
// (INSERT ... ON CONFLICT DO NOTHING RETURNING id) is answered
// ErrConflict and the group's transaction runs again without it; so does
// the group when another transaction stored one of its idempotency keys
// meanwhile, and the run again answers that request with the record. A
// second request with the key of a hold accepted earlier in the group is
// answered with that hold's record. If the transaction fails, every
// request in the group gets the error. Several
// server instances each run a committer; their groups queue on the event
// rows' locks like any other transaction.
//
// BenchmarkReserveParallel and BenchmarkReserveOneTxPerCall (the same
// statements, one transaction per reservation) measure the difference.
//
// # Sync
//
// Gates, their uploaded check-ins (sync_checkins), which tickets are
// inside (ticket_inside) and conflicts live in the tables of
// migrations/0005_sync.sql. RecordCheckins is one transaction, retried on
// deadlock like the others, taking its locks in one order:
//
//  1. it inserts the batch's check-ins in id order, ON CONFLICT (id) DO
//     NOTHING RETURNING id, which tells the new ones from resends (a
//     concurrent resend of the same id waits for the first to commit);
//  2. it inserts the missing ticket_inside rows of the batch's tickets
//     (ON CONFLICT DO NOTHING) and locks them all with SELECT ... FOR
//     UPDATE, both in ticket id order. The rows are never deleted (an
//     empty checkin_id means outside), so there is always a row to lock;
//  3. it decides, in Go and in the given order, what each new check-in
//     does: an entry while inside is a conflict with the entry that put
//     the ticket inside; an exit puts it outside;
//  4. it numbers the log entries last, through the event's change_seq
//     row, and writes entries, ticket states and conflicts in one batch.
//
// Steps 1 and 2 go to the server as one pgx.Batch, and so does step 4
// after the change_seq update: three round trips, whatever the batch's
// size. A conflict is keyed by (event, change log seq of its second
// check-in), so Conflicts lists them in log order.
//
// Every transaction that appends to a change log also runs
// pg_notify('admitone_changes', event id) (queueChanges), which
// PostgreSQL delivers at commit. Listen (sync.Notifier) keeps a
// connection of its own, outside the pool, on LISTEN admitone_changes,
// so that an instance learns of another's writes; it reconnects with
// backoff, pings the server after 30 s without a notification to find a
// silently dropped connection, and calls its function with "" each time
// listening (re)starts.
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
//   - The NOTIFY channel belongs to the database, not the schema: stores
//     in several schemas of one database hear each other's event ids.
//     Those are unknown events to the listener, which costs a look-up.
//   - Listen holds one connection per call, outside the pool and its
//     limits, until its context ends; Close does not end it.
//   - ticket_inside keeps one row per ticket that ever checked in.
package postgres
