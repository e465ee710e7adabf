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
// Checkout and payment are group commits too (ordergroups.go), on the
// same small queue (batcher.go: the first request, then whatever arrives
// within a millisecond, up to 500). CreateOrder's group locks its events'
// inventory rows, reads the stored idempotency keys and locks the holds
// (in id order), decides each request in arrival order (a later one sees
// an earlier one's hold as ordered), then inserts the orders, marks the
// holds, stores the idempotency records and moves the quantities from
// held to sold, each set-based. MarkPaid's group locks the orders' rows
// in id order, applies each payment in arrival order, and updates the
// paid orders, inserts their tickets and logs their issue in one batch;
// it numbers the entries after the commit and answers only then. A
// request whose own answer is a refusal (a hold already ordered, an
// order cancelled, a stored idempotency key) gets it without failing the
// group; when the group's transaction fails (an order id taken), each
// request is tried alone (runGroup), so one request's error is only its
// own. Refund and CancelOrder, rare, stay one transaction each.
//
// # Sync
//
// Gates, their uploaded check-ins (sync_checkins), which tickets are
// inside (ticket_inside) and conflicts live in the tables of
// migrations/0005_sync.sql. RecordCheckins is a group commit, like
// Reserve: one committer goroutine per DB takes the first queued upload,
// gathers the uploads of any gate that arrive within uploadDelay (1 ms),
// up to uploadGroupCheckins check-ins, and records them all in one
// transaction, retried on deadlock like the others, taking its locks in
// one order:
//
//  1. it inserts all the group's check-ins in id order, ON CONFLICT (id)
//     DO NOTHING RETURNING id, which tells the new ones from resends (a
//     concurrent resend of the same id, in another process, waits for
//     the first to commit);
//  2. it inserts the missing ticket_inside rows of their lineages (ON
//     CONFLICT DO NOTHING) and locks them all with one SELECT ... FOR
//     UPDATE, both in (event, ticket) order. The rows are never deleted
//     (an empty checkin_id means outside), so there is always a row to
//     lock;
//  3. it decides, in Go, upload by upload in arrival order and each
//     upload's check-ins in their order, what each new check-in does: an
//     entry while inside is a conflict with the entry that put the
//     ticket inside; an exit puts it outside. Two gates that admit one
//     ticket in one group are still one conflict, as in two groups;
//  4. it writes the log entries (unnumbered, one insert per event),
//     ticket states (one UPDATE of the lineages whose state moved,
//     whether inside now, first entry, or both) and conflicts in one
//     batch; after the commit another
//     goroutine numbers the group's entries (see "The change log") and
//     then answers each upload, while the committer starts the next
//     group.
//
// Steps 1 and 2 go to the server as one pgx.Batch, and so does step 4:
// two round trips and one commit for the whole group, whatever its size,
// plus one numbering round per event. The batch starts with SET LOCAL
// plan_cache_mode = force_custom_plan (customPlansSQL; lockLineages
// too): the lineage statements are planned at each run with the table's
// current size, because a plan the connection cached while ticket_inside
// was small scans the whole table for a few keys once it has grown
// faster than autovacuum analyzes it, as at a new deployment's first
// doors (lock 1.1 ms and update 1.6 ms a group of 1-3 check-ins at
// 3,000 rows, against 0.06 and 0.44 ms planned each time;
// TestLineageStatementsProbeByKey). If the group's transaction fails,
// each upload is tried alone, so one upload's failure (a gate deleted
// meanwhile) is not every gate's. A conflict is keyed by (event, pos),
// pos drawn from change_pos when it is found, so Conflicts lists them in
// the order they were found.
//
// Every numbering round that numbers entries runs
// pg_notify('admitone_changes', event id), which PostgreSQL delivers at
// its commit. Listen (sync.Notifier) keeps a
// connection of its own, outside the pool, on LISTEN admitone_changes,
// so that an instance learns of another's writes; it reconnects with
// backoff, pings the server after 30 s without a notification to find a
// silently dropped connection, and calls its function with "" each time
// listening (re)starts.
//
// # The change log
//
// Gates read an event's log by seq from a cursor (Changes), so seqs must
// be gapless, and a reader must never see seq n+1 before seq n is there
// to read: a gate that stored cursor n+1 would never get n. Numbering
// entries inside the writer's transaction, under a per-event row lock,
// gives that, but then every writer of the event (payments, refunds,
// transfers, check-in uploads, in every process) holds that lock from
// numbering to commit, and they commit one after another. So writers do
// not number:
//
//   - A writer inserts its entries with seq NULL and pos drawn from the
//     change_pos sequence (no lock; ordered as the writer wrote them)
//     and commits. It takes no per-event lock for the log, so writers of
//     one event commit side by side, in any process, and one held open
//     delays no other.
//   - After its commit, the writer asks for a numbering round
//     (numberChanges) and waits for it. A round is one implicit
//     transaction of three statements: lock the event's change_seq row;
//     give every unnumbered entry it sees, in pos order, the seqs after
//     change_seq.last; move last and NOTIFY. Under READ COMMITTED each
//     statement takes its snapshot when it starts, so the numbering
//     statement, which starts once the lock is granted, sees every
//     entry committed before that.
//   - Rounds of one DB are coalesced per event: while one runs, every
//     caller waits for the next, which starts after it ends; a burst of
//     writers costs about two rounds per process.
//   - sweep numbers, at Open and every sweepEvery, the entries of any
//     event left unnumbered: a writer that crashed or lost its
//     connection between its commit and its round.
//
// Why readers see a gapless prefix. Rounds of one event are serialized
// by the change_seq row lock, across processes, and each commits before
// the next is granted the lock; each numbers seqs last+1..last+k. So the
// set of numbered entries any snapshot sees is the union of the rounds
// committed before it: seqs 1..m for some m, never m+2 without m+1. An
// entry is numbered exactly once: the first round whose snapshot sees it
// committed numbers it, and every later round starts after that round's
// commit and sees it numbered. Entries of one ticket keep their order:
// the writers of one ticket are serialized by the ticket's row locks
// (tickets, ticket_inside), so a later one inserts, and draws pos, after
// the earlier one committed; a round orders by pos, and an entry numbered
// in an earlier round has a lower seq. An aborted writer's entries are
// never visible, so never numbered (its pos values are gaps in pos, never
// in seq). Two processes: each has its own rounds and sweep; they queue
// on the same row lock, so the argument holds across them. An older
// syncserver, which numbers inside its transaction under the same lock,
// can run beside this one during an upgrade: both take seqs from
// change_seq.last under its lock.
//
// What it costs: an entry is readable a numbering round after its
// commit (one round trip), and a writer answers after that round, so its
// caller (a gate's ack, a payment's answer) can rely on the entry being
// readable. The only waits left on the log are of rounds on rounds,
// each one short statement, never a writer's whole transaction.
// TestLogRace (8 writers in two processes, one transaction held open a
// second, one aborted, 20 readers resuming from random cursors) checks
// the promise.
//
// # An event's figures
//
// analytics.Store.EventCounts (the stats route, the organizer's live
// figures) reads event_figures, not the records: counting 100,000
// tickets and check-ins on every request took about 200 ms. Triggers
// on orders, tickets, sync_checkins, ticket_inside and conflicts
// (migration 0021) append, per statement, one row for each figure it
// changed with the signed change (its new rows' figures minus its old
// rows'). So the figures are written in the transactions that change
// the records and commit or roll back with them: they cannot drift,
// and a restart changes none. Writers only insert rows, never update
// one, so no two writers of an event wait for each other on them (the
// hot row issue 14 took out of the change log stays out). A read sums
// the event's rows in one statement; when they have piled up (more
// than foldAbove, and more than twice the figures they add up to) the
// read folds them afterwards, in one transaction that deletes the rows
// it sums and inserts the sums: rows written meanwhile are not in its
// snapshot and stay, so nothing is lost or counted twice, and readers
// see the rows before or after, whose sums are the same.
//
// One figure reads across tables: never_entered, the valid tickets
// whose lineage has no entry. A ticket's change counts it by whether
// its lineage has an entry; a lineage's first entry takes away its
// valid tickets. Both read what the other writes, so a refund racing
// the first entry of its ticket could count the ticket's departure
// twice (each seeing the other's state from before). Every writer that
// changes either holds the lineage's ticket_inside row lock from before
// its change to its commit (RecordCheckins, Transfer, and Refund
// through lockLineages, after the tickets' own row locks, as Transfer),
// and in read committed each trigger statement reads after that lock
// was granted, so it sees the other side's commit; a new ticket's
// lineage has no entry to race with. storetest's Concurrent/Figures
// races refunds and transfers against first entries (without
// lockLineages it counts -2 and -4 no-shows), and every store test
// here ends by comparing each event's figures with counting its records
// and folding them (checkFiguresWhenDone).
//
// # Caveats
//
//   - Every write to the five tables runs a statement trigger that
//     collects its rows and appends their figures: a little more work
//     per statement, set-based like the writes themselves. Each table
//     and operation has a trigger function of its own holding static SQL
//     (migration 0022), so a connection plans it once: built and run
//     with EXECUTE, it was planned at every call, and the trigger of a
//     grouped payment took 3.6-18 ms against 0.2-0.8 ms for the UPDATE.
//     A plan made once must not hinge on statistics: the ticket_inside
//     triggers find a lineage's tickets by id and by lineage only
//     (migration 0023), because with "and the event's" added, a planner
//     that knew nothing of the tickets table yet read them through
//     tickets_event, every valid ticket of the event per lineage, and
//     kept that plan (12 s for one upload group at 57,000 tickets).
//     TestFigureTriggersFindTicketsByKey checks the plans on a table
//     never analyzed.
//   - A statement that updates every ticket of an event for another
//     column (SetValidity) still hands all its rows to the trigger, which
//     compares their counted columns (EXCEPT ALL) and counts none: at
//     100,000 tickets 2.8-3.1 s against 2.4 s with the trigger disabled
//     (PostgreSQL cannot limit a trigger with transition tables to some
//     columns).
//   - Only reads fold an event's figure rows: an event nobody reads
//     keeps one row per statement that changed its figures until its
//     stats are next read (a few rows per purchase or upload batch).
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
//   - Close waits for the queued reservations, uploads, checkouts and
//     payments to be decided.
//   - CreateOrder, MarkPaid and RecordCheckins, like Reserve, wait up to
//     a millisecond for company, and when their context ends while their
//     group is in flight they return the context's error and the change
//     may be stored (Order, Ticket or a resend tells).
//   - The NOTIFY channel belongs to the database, not the schema: stores
//     in several schemas of one database hear each other's event ids.
//     Those are unknown events to the listener, which costs a look-up.
//   - Listen holds one connection per call, outside the pool and its
//     limits, until its context ends; Close does not end it.
//   - ticket_inside keeps one row per lineage that ever checked in, was
//     transferred or was refunded.
//   - A numbering round that fails (the database unreachable) leaves the
//     writer's entries stored but unread by gates until the next round
//     or the sweep (at most sweepEvery later); the writer still succeeds.
package postgres
