package purchase

import (
	"context"

	"github.com/admitone/admitone/catalog"
)

// Notifier is told what attendees hear about: notify.Service implements
// it (Web Push through its outbox). The Service calls it right after the
// change is committed, never inside the store's transaction, and goes
// on whatever it does: a notifier logs its own failures. Calls may
// repeat for one change (retries of an idempotent call); a notifier
// keys its messages by the change so a repeat sends nothing new.
type Notifier interface {
	// OrderPaid: an order was paid and its tickets issued.
	OrderPaid(ctx context.Context, o Order)
	// OrderRefunded: an order was refunded.
	OrderRefunded(ctx context.Context, o Order)
	// EventMoved: an event's dates changed; ev is the event as it is now.
	EventMoved(ctx context.Context, ev catalog.Event)
	// EventCancelled: an event was cancelled and orders, its paid ones,
	// refunded.
	EventCancelled(ctx context.Context, eventID string, orders []Order)
}
