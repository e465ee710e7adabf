package purchase

import (
	"context"
	"time"
)

// Store keeps holds, orders, the inventory counters and idempotency
// records. Implementations: storage/bolt and storage/postgres;
// storage/storetest checks both.
//
// The counters are the truth about what is taken: for every ticket type
// (and every event, for its shared capacity) sold is the quantity in
// pending and paid orders and held the quantity in active holds. Every
// method that changes a hold's or an order's status moves quantities
// between them in the same transaction.
//
// Times are stored in UTC to the microsecond. Errors wrap the package's
// sentinels: ErrNotFound for a missing hold, order, event or record.
type Store interface {
	// Reserve stores h as an active hold if every line fits: for each
	// line, capacity minus sold minus held is at least its quantity, and
	// the shared lines fit l.EventCapacity. Check and write are one
	// atomic step; when a line does not fit it returns an error wrapping
	// ErrSoldOut naming it, and stores no hold. Holds past their expiry
	// do not count: when a line does not fit, Reserve first ends the
	// holds and unpaid orders of h's event that are due at h.CreatedAt
	// (as ExpireHolds would; bolt ends any event's, PostgreSQL those of
	// the events it has locked, at the latest CreatedAt among the
	// reservations it decides together) and checks again.
	//
	// h fails CheckHold: ErrInvalid (including a line over its
	// PerOrderMax). h.EventID names no event: ErrNotFound. h.ID is taken:
	// ErrConflict. The stored hold has Status HoldActive whatever h says.
	//
	// With h.Idempotency set, Reserve stores that record in the same
	// transaction as the hold, and only with it; if its key is stored
	// already (a retry, or a concurrent duplicate decided first) it
	// stores nothing and returns *Replayed with the stored record,
	// before any other check.
	Reserve(ctx context.Context, h Hold, l Limits) error
	// Release gives an active hold's quantities back and marks it
	// released. Releasing a hold that is already released or expired does
	// nothing; an ordered hold is ErrState (cancel the order instead).
	Release(ctx context.Context, holdID string) error
	// ExpireHolds releases every active hold whose ExpiresAt is not after
	// now, and cancels every pending order whose payment deadline is not
	// after now, returning both kinds' quantities. It returns how many
	// holds and orders it ended. A paid order is never touched.
	ExpireHolds(ctx context.Context, now time.Time) (int, error)

	// CreateOrder turns the active hold o.HoldID into the order o, with
	// Status StatusPendingPayment: the hold's quantities move from held to
	// sold. o's buyer, event and lines (ticket types and quantities, in
	// order) must be the hold's (else ErrInvalid), and the hold must not
	// have expired by o.CreatedAt (else ErrExpired). A hold is ordered
	// once: again is ErrConflict, as is a taken order id; a released hold
	// is ErrState. o.Idempotency is stored as Reserve stores
	// h.Idempotency: with the order, or *Replayed and nothing stored.
	CreateOrder(ctx context.Context, o Order) error
	// MarkPaid records the payment of a pending order and returns it,
	// storing tickets (which the caller checked with CheckTickets) and
	// appending an issue entry per ticket to the event's change log, in
	// the same transaction. It is idempotent: an order already paid with
	// the same intent is returned as it is, and tickets are ignored; with
	// another intent it is ErrConflict. A cancelled or refunded order is
	// ErrState. A pending order past its deadline that ExpireHolds has
	// not cancelled yet is still paid. A ticket id taken is ErrConflict.
	MarkPaid(ctx context.Context, orderID, intentID string, at time.Time, tickets []Ticket) (Order, error)
	// Refund marks a paid order refunded, gives its quantities back and
	// revokes its valid tickets (reason RevokedRefunded), appending a
	// revoke entry per ticket to the change log, in one transaction.
	// Refunding a refunded order returns it unchanged; a pending or
	// cancelled one is ErrState.
	Refund(ctx context.Context, orderID string, at time.Time) (Order, error)
	// CancelOrder cancels a pending order and gives its quantities back.
	// Cancelling a cancelled order returns it unchanged; a paid or
	// refunded one is ErrState (refund it instead).
	CancelOrder(ctx context.Context, orderID string, at time.Time) (Order, error)

	Hold(ctx context.Context, id string) (Hold, error)
	Order(ctx context.Context, id string) (Order, error)
	// OrdersOfEvent lists an event's orders with id greater than after,
	// in id order, at most limit (1..MaxOrdersPage), in any status.
	OrdersOfEvent(ctx context.Context, eventID, after string, limit int) ([]Order, error)

	// Taken returns sold plus held per ticket type of an event, by ticket
	// type id, leaving out types with nothing taken: an empty map (not an
	// error) for an unknown event. It implements catalog.Inventory.
	Taken(ctx context.Context, eventID string) (map[string]int, error)
	// Counts returns a ticket type's counters; zero for an unknown type.
	Counts(ctx context.Context, ticketTypeID string) (sold, held int, err error)

	// PutIdempotent stores response under key unless key is stored
	// already (by PutIdempotent, Reserve or CreateOrder): then it returns the stored response when requestHash
	// matches the stored one, or conflict true (and the stored response)
	// when it does not. First writer wins.
	PutIdempotent(ctx context.Context, key, requestHash string, response []byte) (existing []byte, conflict bool, err error)
	// Idempotent returns what PutIdempotent stored under key, or
	// ErrNotFound.
	Idempotent(ctx context.Context, key string) (requestHash string, response []byte, err error)

	TicketStore
	LinkStore
}
