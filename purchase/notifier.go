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
	// refunded (none, for an event without sales).
	EventCancelled(ctx context.Context, eventID string, orders []Order)
}

// Notifiers is a Notifier that tells each of its notifiers in turn:
// notify.Service for attendees and webhook.Service for organizers
// share the one seam.
type Notifiers []Notifier

// OrderPaid tells each notifier.
func (ns Notifiers) OrderPaid(ctx context.Context, o Order) {
	for _, n := range ns {
		n.OrderPaid(ctx, o)
	}
}

// OrderRefunded tells each notifier.
func (ns Notifiers) OrderRefunded(ctx context.Context, o Order) {
	for _, n := range ns {
		n.OrderRefunded(ctx, o)
	}
}

// EventMoved tells each notifier.
func (ns Notifiers) EventMoved(ctx context.Context, ev catalog.Event) {
	for _, n := range ns {
		n.EventMoved(ctx, ev)
	}
}

// EventCancelled tells each notifier.
func (ns Notifiers) EventCancelled(ctx context.Context, eventID string, orders []Order) {
	for _, n := range ns {
		n.EventCancelled(ctx, eventID, orders)
	}
}
