// Package purchase sells tickets: holds (a cart that reserves quantities
// for a while), orders awaiting payment, payments, refunds, and the
// inventory that never oversells.
//
// Service holds the rules (what may be held, by whom, for how long; how a
// hold becomes an order and the order is paid) and reads events and
// ticket types through the small Catalog interface (*catalog.Service). It
// talks to storage through Store, implemented by storage/bolt and
// storage/postgres and checked by storage/storetest. Service implements
// catalog.Inventory, so the catalog's availability shows what is taken.
//
// # Lifecycle
//
//	CreateHold ──> hold active ──Checkout──> order pending_payment ──MarkPaid──> paid ──Refund──> refunded
//	                   │                            │
//	                   ├─ReleaseHold─> released     ├─CancelOrder─────────────> cancelled
//	                   └─Expire──────> expired      └─Expire (payment deadline)> cancelled
//
// A hold lasts HoldTTL (10 minutes by default); its order waits
// PaymentTTL (15 minutes) for payment. A paid order is never expired.
//
// # Inventory
//
// For every ticket type the store keeps two counters: sold (the
// quantities in pending and paid orders) and held (in active holds).
// Capacity minus sold minus held is what is left. The event has the same
// two counters for its shared capacity (Limits.EventCapacity: e.g. three
// price levels of one standing area that holds 60), which admission types
// draw on and merchandise does not.
//
// Store.Reserve is the one atomic step that matters: it checks every line
// of a hold (and the event's shared capacity) against the counters and,
// only if all fit, stores the hold and adds to held, in one transaction.
// Otherwise it returns ErrSoldOut naming what ran out, and writes no
// hold. Checkout moves a hold's quantities from held to sold; release,
// expiry, cancellation and refund give them back, each in the same
// transaction as the status change. The limits (capacities, per-order
// maxima) come with each Reserve from the catalog, so a capacity changed
// in the catalog applies to the next reservation.
//
// An expired hold never makes a sale fail: when a line does not fit,
// Reserve first releases the holds that expired by the new hold's
// CreatedAt, then decides again. Expire (run periodically by RunExpiry)
// does the same for all events, and cancels orders whose payment deadline
// has passed.
//
// Reservations are the hot path, so stores do not make every buyer wait
// for a durable commit of their own: storage/bolt runs Reserve through
// bbolt's Batch, which commits concurrent reservations together (one
// fsync for up to 1000), and storage/postgres runs a group commit: one
// transaction decides every reservation queued in the last millisecond,
// in order, and answers each after the commit. Either way each buyer's
// answer comes only after the data is on disk, and a reservation that
// does not fit never causes another's to fail.
//
// Per-buyer limits (TypeLimit.PerBuyerMax, from the ticket type's
// per_buyer_max) are checked in the same step: the store keeps, beside
// each type's counters, one per buyer and type (BuyerKey), moved in the
// same transactions, so two holds of one buyer racing each other cannot
// pass the limit together. Over it Reserve returns ErrBuyerLimit.
//
// Hoarding: no account may hold an event's capacity. One buyer's active
// holds of an event's admission types may total at most
// Limits.MaxHeldPerBuyer (Service.MaxHeldPerBuyer, default
// DefaultMaxHeldPerBuyer = 10, the server's --max-held-per-buyer), and a
// ticket type's max_held_per_buyer (TypeLimit.MaxHeldPerBuyer) caps that
// type further. Only active holds count: checking out, releasing or
// expiry gives the room back. The same mechanism counts them: the held
// part of the buyer's counter of the type and of the event
// (BuyerKey(buyer, event id)), checked and moved in the same atomic step
// as capacity; over a cap Reserve returns ErrHoldLimit. CreateHold also
// limits each buyer to HoldsPerMinute holds a minute (default
// DefaultHoldsPerMinute = 20, --holds-per-minute; a token bucket kept in
// the process's memory), refusing more with a *RateLimitError saying
// how long to wait.
//
// # Codes
//
// A hold may redeem one code of its event (CreateHoldWithCode; the
// codes themselves are package voucher's, resolved through the small
// Codes interface): an access code, without which a hidden ticket type
// (catalog.TicketType.Hidden) is not sold (ErrCodeRequired), or a
// discount code. The hold records what it redeemed (Hold.Code, a
// CodeUse: the code's terms at that time and its uses, one per ticket of
// the types the code applies to), and the store counts the code's uses
// in one more counter beside the types' (CodeKey), which Fit checks
// against Limits.CodeMaxUses and EachCounter moves, in the same atomic
// step as the capacity: a code with N uses raced by any number of
// buyers is redeemed N times, on both backends. Uses follow the
// quantities: held by an active hold, sold by a pending or paid order,
// given back when the hold is released or expires and when the order is
// cancelled or left unpaid past its deadline. A refund does not give
// them back (RefundUpdate's KeepCode): a refunded guest-list place or
// discount is spent, and an organizer who wants it reused makes a new
// code or one with more uses.
//
// Checkout copies the hold's code to the order and takes a discount
// code's reduction off its lines (Discount: per ticket, PercentOff of the
// unit price rounded down, or AmountOff but never more than the price):
// Order.Discount shows it, and Order.Total is the lines' sum less it. An
// order a discount makes free is Free, and paid without a provider.
//
// # Tickets and the change log
//
// MarkPaid issues the order's tickets: one signed token (crypto.Token,
// signed by the Signer, vault.Vault on the server) per unit of every
// admission line; merchandise gets none. The tickets are stored with the
// payment in one transaction, and each is appended to its event's change
// log (changelog.Change, numbered 1, 2, 3, ... in commit order; IssueChange
// and RevokeChange make the entries). Refund revokes the
// order's tickets and Transfer replaces a ticket with a newly signed one
// for another holder, revoking the old; both log every revoke and issue
// in the same transaction. Gates sync from that log (package sync), which
// also carries their check-ins. ChangesAppended tells the sync hub that a
// log grew.
//
// Stores keep a ticket's fields, never its token: the token is signed
// again from them (Signer.TicketToken; Ed25519 is deterministic, so the
// text is the one issued) when its holder asks, and only the holder of a
// valid ticket ever sees it (Service.Ticket, Tickets, OrderTickets). A
// copy of the database therefore holds no ticket that admits.
//
// # One ticket, one entry
//
// A transfer's new ticket names the ticket it replaces (Ticket.Replaces,
// and the issue entry's Change.Replaces) and the lineage's original
// ticket (Ticket.Lineage, see Ticket.Root). The server and the gates keep
// one entry state per lineage, so a person inside on a ticket is inside
// on its replacement, and an entry of the old ticket that a gate cut off
// uploads later is a conflict with the new ticket's entry. A ticket whose
// lineage has an entry on record (TicketStore.Entered) is not transferred
// (ErrTicketUsed, decided in the transfer's own transaction) nor refunded
// by its buyer; neither is an order one of whose tickets the buyer
// transferred (ErrTransferred); and an event may lock both from doors on
// (catalog.Event.LockTicketsAtDoors, ErrTicketsLocked). Organizers may
// still refund.
//
// A ticket admits until TicketGrace after its event ends (Ticket.
// ValidUntil, signed into its token). When an event moves, EventMoved
// sets every valid ticket's ValidUntil to the new end and logs one
// changelog.KindValidity entry, from which gates admit tokens signed before the
// move until the new end too. When an event is cancelled, CancelEventOrders refunds its
// paid orders (revoking their tickets) and cancels the unpaid ones; a
// payment that completes afterwards issues nothing (ErrState), and
// HandlePaymentEvent gives the money back.
//
// # Payments
//
// Service.Payments is the payment provider, behind the small
// PaymentProvider interface declared here (package payment implements it:
// Stripe, and the built-in TestProvider, which also implements
// TestPayments). Without one only free ticket types sell: a hold or order
// of a priced type is ErrNoPayments. Pay creates (or finds again, by the
// order's idempotency key at the provider) an intent for an order's total
// and returns its client secret for the buyer, or pays a Free order at
// once; the provider's PaymentEvent, not the client, pays the order
// (HandlePaymentEvent, for the exact total only; a payment the order can
// no longer take is refunded). ReceiveWebhook verifies a webhook request
// through a WebhookVerifier (payment.Stripe) and applies its event;
// TestProvider calls HandlePaymentEvent directly. RefundOrder and
// CancelEvent return the money through the provider, by the order's
// refund idempotency key, before revoking tickets.
//
// # Idempotency
//
// The HTTP layer makes every mutating call idempotent with an
// Idempotency-Key: it stores the response under a key that includes the
// buyer, with a hash of the request. The same key with the same request
// replays the stored response; with a different request it is
// ErrConflict.
//
// A call that creates a hold or an order (CreateHold, Checkout) stores
// the record in the same transaction as what it creates: the caller puts
// an IdempotentRequest in the context (WithIdempotency), the Service
// renders the answer from the new Hold or Order and hands the record to
// Store.Reserve or Store.CreateOrder with it (Hold.Idempotency,
// Order.Idempotency): storage/bolt inside the same Batch, storage/postgres
// inside the group commit. So a server killed at any point leaves either
// both or neither, and a retry gets the original answer or makes the
// hold or order afresh; a key already stored makes the store answer
// *Replayed and store nothing, so concurrent requests with one key make
// one hold. The other mutating calls (release, pay, refund, transfer)
// store their answer with PutIdempotent after they are done; run again
// after a crash in between, release, pay and refund find their work done
// and answer with the hold or order as it is.
//
// # Errors
//
// Invalid input is a *catalog.FieldError, which wraps ErrInvalid (an
// alias of catalog.ErrInvalid) and names the field, e.g.
// "lines[1].quantity". Other failures wrap ErrNotFound, ErrSoldOut,
// ErrBuyerLimit, ErrHoldLimit, ErrRateLimited (a *RateLimitError),
// ErrExpired, ErrConflict, ErrState, ErrNotOnSale, ErrCodeUsedUp,
// ErrCodeRequired or voucher.ErrCodeNotValid. Nothing is stored
// when an error is returned (except that a refused Reserve may have
// released expired holds).
//
// # Caveats
//
//   - Reserve uses h.CreatedAt as the current time when deciding which
//     holds have expired: the Service sets it from its clock.
//   - Holds and orders belong to a buyer: the Service answers ErrNotFound
//     for another buyer's ids. Who may refund or mark paid is the
//     caller's decision.
//   - The Service's catalog reads go through the catalog's cache; a
//     change made by another server instance (a new ticket type, a
//     cancelled event) is seen after catalog.DefaultPageTTL. The counters
//     are never cached.
//   - Taken counts holds that have expired but not been swept yet, until
//     Expire or a reservation that needs the room releases them.
//   - The catalog has no event-level capacity yet: Service.EventCapacity
//     supplies it (nil: none).
//   - Idempotency records are never deleted yet. Two requests to a route
//     that stores its answer afterwards (pay, refund, transfer, release)
//     with the same new key at the same moment both run; the first to
//     store its response wins, and the other gets that response back. A
//     transfer retried after a crash between its commit and its record
//     is answered from its outcome (the ticket that replaced it, held by
//     the same recipient), not from the record.
//   - Orders are priced at Checkout from the catalog's current prices;
//     Total refuses a price outside 0..catalog.MaxPrice, a quantity
//     outside 1..catalog.MaxPerOrder and any product or sum that would
//     overflow (unchecked, 2^62 x 4 wraps to 0). Only a Free order (every
//     unit price zero, or a discount equal to the lines' sum) is paid by
//     the pay route without a provider.
//   - A refund keeps the uses of the order's code (see Codes); an
//     organizer's refund of a guest-list order does not reopen the place.
//   - Tickets admit until the event's end plus TicketGrace; a ticket
//     type's rotating_code makes them need the rotating code as well.
//   - Buyers may refund until RefundCutoff before the event starts;
//     organizers at any time (the HTTP layer decides who is which).
package purchase
