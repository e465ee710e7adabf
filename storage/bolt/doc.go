// Package bolt stores all the server's data in one bbolt file,
// syncserver.db in the server's data directory: accounts, the catalog,
// purchases (holds, orders, inventory, tickets and each event's change
// log), the vault's sealed issuer keys, and the gates' uploaded
// check-ins and conflicts. It is the embedded default, so `syncserver
// serve` runs with no database to set up.
//
// Each entity has a bucket keyed by id, holding the domain type as JSON.
// Secondary buckets index what is looked up another way: lower-cased email
// to user id, memberships and tokens by user, admins, ticket types by
// event id and number, codes (package voucher) by lookup digest and by
// event, and, for the organizer's figures, each event's
// orders (with a compact fact of each), tickets (by lineage root, with
// their state) and entry check-ins (by gate and minute), and its
// figures (sold, revenue, sales by hour, entries by gate and minute,
// checked in, inside, conflicts, never entered) kept as they change:
// derived keys written in the same transaction as what they describe,
// and built from the records when a file from before them is first
// opened (see analytics.go and figures.go; layout version 2, which a
// program of layout 1 refuses to open rather than leave the figures
// behind). Every method is one bbolt transaction; values are
// decoded inside it, so nothing returned refers to bbolt's memory, which
// is only valid until the transaction ends.
//
// # Caveats
//
//   - One process at a time: bbolt locks the file, and a second Open
//     fails after a short timeout naming the file.
//   - Writes are serialized. Each write transaction ends with an fsync,
//     so throughput is bounded by the disk, not by the CPU.
//   - Times are stored in UTC, truncated to microseconds, the precision
//     PostgreSQL keeps, so both backends return the same values; empty
//     slices come back nil.
//   - Update closures run inside the write transaction, which blocks
//     every other writer: keep them short and never call the store from
//     inside one (that deadlocks).
//   - No sync.Notifier: one process owns the file, so the process that
//     writes a change log entry is the one whose gates must hear of it.
//   - RecordCheckins shares write transactions with concurrent uploads
//     through bbolt's Batch, as Reserve does: a lone upload waits up to a
//     millisecond for company.
//   - References are checked as PostgreSQL's foreign keys check them: a
//     venue's or event's organization, an event's venue (when set), a
//     ticket type's event, a token's or membership's user must exist, or
//     the create fails with ErrNotFound; so must a gate's event, and the
//     gate of uploaded check-ins.
package bolt
