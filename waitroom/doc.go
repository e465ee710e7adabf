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
// A Room keeps two counters: Joined, the places given, and Admitted, the
// places admitted. A join numbers its place Joined+1 in one transaction
// on the room (the room's row lock in PostgreSQL, bbolt's single
// writer), so places are numbered 1, 2, 3, ... in arrival order however
// many processes take joins at once, and an account joining again gets
// the place it has. Admission is a cursor: a place is admitted when its
// number is at most Admitted. Moving the cursor and stamping the places
// it passes (AdmittedAt, ExpiresAt) happen in one transaction too, so
// no place is admitted twice and arrival order is admission order.
//
// # The rate
//
// There is no background timer: whoever reads the room (a buyer's
// poll, a join, a hold's check, an organizer) gives the admissions due
// by the clock. The room keeps CreditFrom, the time from which
// admissions not yet given accrue at AdmitPerMinute; Grant turns the
// time since then into admissions (no more than are waiting) and moves
// CreditFrom by exactly the time they took, so admissions follow the
// rate whether the room is read every millisecond or once a minute, and
// nothing is counted twice when two processes step at once (the step
// is decided again under the room's lock; a read that finds nothing due
// writes nothing, so polls cost a read). Credit does not pile up while
// nobody waits: a join that finds nobody left waiting once those due
// are admitted cuts the credit to Burst (one second's worth, at least
// one), so the first buyers of a quiet room go through at once and a
// crowd waits its turn. OpensAt (the on-sale) starts admissions: buyers
// may queue before it.
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
//   - Giving admissions is a write of the room's record by whoever reads
//     the room when admissions are due, so under thousands of polling
//     buyers and a high rate nearly every poll and hold check writes that
//     one record: measured at 5,000 buyers and 500 admissions a second on
//     the embedded store, the sale ran at 66 tickets/s against 593
//     head-on (BENCHMARKS.md). Reads that compute admissions from the
//     clock, with grouped writes only when a token is first given, would
//     remove the hot record; not built.
package waitroom
