package purchase_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/purchase"
)

// orderReads counts a store's Order calls.
type orderReads struct {
	purchase.Store
	n atomic.Int64
}

func (s *orderReads) Order(ctx context.Context, id string) (purchase.Order, error) {
	s.n.Add(1)
	return s.Store.Order(ctx, id)
}

// TestPayWithTestCard: with the test provider delivering its events
// synchronously, Pay answers the order paid, with its tickets stored and
// logged, reading the order once (the event's handling takes the order
// Pay read, and Pay the order it paid); a declined card leaves the order
// pending; a second Pay of a paid order answers it as it is.
func TestPayWithTestCard(t *testing.T) {
	ctx := context.Background()
	s := newShop(t)
	reads := &orderReads{Store: s.store}
	s.svc.Store = reads
	s.svc.Payments.(*payment.TestProvider).OnEvent(s.svc.HandlePaymentEvent)

	order := func() purchase.Order {
		t.Helper()
		h, err := s.svc.CreateHold(ctx, buyer, s.event.ID, []purchase.Line{line(s.standing, 2)})
		must(t, err)
		o, err := s.svc.Checkout(ctx, h.ID, buyer)
		must(t, err)
		return o
	}

	o := order()
	reads.n.Store(0)
	paid, pay, err := s.svc.Pay(ctx, o.ID, buyer, purchase.TestCard{Card: payment.TestCardSucceeds})
	must(t, err)
	if paid.Status != purchase.StatusPaid || pay == nil || pay.Status != payment.StatusSucceeded || paid.PaymentIntentID != pay.IntentID {
		t.Fatalf("Pay answered order %s (intent %q), payment %+v; want paid by the payment's intent", paid.Status, paid.PaymentIntentID, pay)
	}
	if got := reads.n.Load(); got != 1 {
		t.Errorf("Pay read the order %d times; want 1", got)
	}
	stored, err := s.store.Order(ctx, o.ID)
	must(t, err)
	if stored.Status != purchase.StatusPaid || !stored.PaidAt.Equal(paid.PaidAt) || stored.PaymentIntentID != paid.PaymentIntentID {
		t.Errorf("stored order %s paid at %v by %q; Pay answered %s at %v by %q",
			stored.Status, stored.PaidAt, stored.PaymentIntentID, paid.Status, paid.PaidAt, paid.PaymentIntentID)
	}
	tickets, err := s.svc.OrderTickets(ctx, o.ID, buyer)
	must(t, err)
	if len(tickets) != 2 {
		t.Errorf("%d tickets stored; want 2", len(tickets))
	}
	again, pay, err := s.svc.Pay(ctx, o.ID, buyer, purchase.TestCard{Card: payment.TestCardSucceeds})
	must(t, err)
	if again.Status != purchase.StatusPaid || pay != nil {
		t.Errorf("second Pay: order %s, payment %+v; want the paid order, no payment", again.Status, pay)
	}

	declined := order()
	_, _, err = s.svc.Pay(ctx, declined.ID, buyer, purchase.TestCard{Card: payment.TestCardDeclined})
	if !errors.Is(err, payment.ErrDeclined) {
		t.Fatalf("Pay with the declined card: %v; want ErrDeclined", err)
	}
	stored, err = s.store.Order(ctx, declined.ID)
	must(t, err)
	if stored.Status != purchase.StatusPendingPayment {
		t.Errorf("order after a declined card is %s; want %s", stored.Status, purchase.StatusPendingPayment)
	}
}
