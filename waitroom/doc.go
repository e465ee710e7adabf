// Package waitroom is the waiting room of high-demand on-sales: buyers
// of an event whose room is on get a place in a fair queue (first come,
// first served, one place per account), see their position and
// estimated wait, and are admitted to the purchase path at the rate the
// organizer set; a hold of the event (purchase.Service.CreateHoldAdmitted)
// needs the buyer's admission token, which expires if unused.
//
// Service configures rooms (Configure, for the event's organizers),
// gives places (Join), tells buyers where they stand (Status) and checks
// admissions for purchasing (CheckAdmission). It talks to storage
// through Store, implemented by storage/bolt and storage/postgres and
// checked by storage/storetest.
//
// # The queue
//
// A Room keeps two counters: Joined, the places given, and Admitted, a
// cursor: places numbered at most Admitted are admitted and stamped so
// in the store. A join numbers its place Joined+1 in one transaction
// on the room (the room's row lock in PostgreSQL, bbolt's single
// writer, joins grouped by bbolt's Batch into one commit), so places
// are numbered 1, 2, 3, ... in arrival order however many processes
// take joins at once, and an account joining again gets the place it
// has.
//
// # The rate, read from the clock
//
// There is no background timer, and reading the room writes nothing.
// The room keeps CreditFrom, the time from which admissions beyond the
// cursor accrue at AdmitPerMinute: the k-th place after the cursor is
// due at CreditFrom plus k times a minute over AdmitPerMinute. So whether a
// place is admitted at a given time is computed from the stored room
// and the clock (Frontier, AdmissionAt), by any process, with the same
// answer: places numbered at most Frontier are admitted, the rest wait,
// and a buyer's position and estimated wait come from the same
// schedule. Admissions follow the rate exactly whether the room is read
// every millisecond or once a minute, in arrival order, and a poll or
// a hold check is two reads (the room, the place) of which nothing
// writes the room's record: thousands of polling buyers do not contend
// on it. (Measured at 5,000 buyers and 500 admissions a second on the
// embedded store, the sale through the room runs at 0.6 to 0.8 of
// head-on, bounded by its rate; when polls wrote the room's record it
// ran at 0.11. BENCHMARKS.md, "Head-on and through the waiting room".)
//
// An admission is stamped in the store once: the first poll that finds
// its place due (Status) records the place's admission time, the
// instant its turn came (or its arrival, if later), and its expiry, in
// Store.Admit, before the token is shown. Admit decides again from the
// room as it is then, under a lock shared with other Admits and
// exclusive of joins and the organizer's changes (the room's row FOR
// SHARE in PostgreSQL; bbolt's single writer, Admits grouped by Batch
// into one commit), and keeps a stamp already there: two processes
// stamping one place store one admission, and its token, a MAC over
// the stamp, is the same at every process and never changes. A hold's
// check (CheckAdmission) only reads the stamp: a token exists only for
// a stamped place. So writes are one per admission, not one per poll.
// Processes whose clocks differ by a few milliseconds may first see a
// place due that much apart; the order, the rate over time and the
// stored stamp are the same.
//
// The organizer's change (Configure) moves the cursor under the room's
// lock: the admissions due at the old settings are given first, places
// not stamped yet are stamped at that moment, stamped ones keep their
// stamp, and the new settings start from there. Credit does not pile up
// while nobody waits: a join that finds nobody left waiting once those
// due are admitted cuts the credit to Burst (one second's worth, at
// least one), so the first buyers of a quiet room go through at once
// and a crowd waits its turn; that moves the schedule of places due but
// not stamped (they stay due, and nobody has their token yet), never a
// stamped one. A buyer
// due but never polled who joins again is stamped first, so an
// admission that expired unseen gives a new place. OpensAt (the
// on-sale) starts admissions: buyers may queue before it.
//
// The rate is the organizer's to set to what the purchase path
// sustains (BENCHMARKS.md, "flash sale": purchases a second on the
// server's storage, times 60, divided by the holds a buyer makes, with
// a margin). Admitted buyers who never come back still take their
// admission's share of the rate, as in any waiting room.
//
// # Admission tokens
//
// An admitted buyer's poll carries an admission token (aoad_...): an
// HMAC-SHA256, keyed from the server's seal key (KeyFromSeal, which
// every server sharing the store has), over the event, the account, the
// place's number and its admission time. Nothing secret is stored; a
// token is checked by computing it again and comparing in constant
// time, and is good only for its own account and event. It is shown to
// its account on every poll while the admission lasts, so a lost answer
// costs nothing.
//
// An admission is not used up by a hold: it lets its account hold until
// it expires, AdmissionTTL (default 10 minutes) after admission. The
// buyer's usual limits (purchase.Service.MaxHeldPerBuyer,
// HoldsPerMinute) still bound what that account takes, and a hold made
// in time lives its own hold TTL and checks out without the token. Not
// consuming the admission keeps the check outside the reservation's
// transaction (no race between two holds with one token to settle) and
// lets a buyer whose first hold failed (a type sold out) try another.
// Once expired the token holds no more (ErrAdmissionExpired); joining
// again gives a new place at the end of the queue, with a new token.
//
// # Caveats
//
//   - Turning a room off lets holds through without admission and keeps
//     the queue; turning it on again starts the rate from then.
//   - Every hold of every event reads the event's room (one lookup by
//     primary key) to know whether it needs an admission.
//   - A hold whose room check fails costs none of the buyer's holds a
//     minute; errors and logs never carry a token.
//   - A place due but not yet polled is counted admitted (Frontier,
//     the organizer's view) though nothing is stored for it yet; its
//     admission expires a TTL after its turn, polled or not.
//   - On PostgreSQL each stamp is its own short transaction (no group
//     commit as on bbolt); the room's row is locked FOR SHARE, not
//     updated.
package waitroom
