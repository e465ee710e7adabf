package purchase

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/admitone/admitone/internal/errkind"
)

// PaymentStatus is where a payment intent stands. Package payment names
// the values (payment.StatusSucceeded, ...): they are Stripe's
// PaymentIntent statuses, plus "failed" for an intent whose last attempt
// was declined.
type PaymentStatus string

// PaymentIntent is one payment of one order at a provider. The client
// pays it with ClientSecret (Stripe.js, a mobile SDK, or the test
// provider's Confirm); the server never sees card data.
type PaymentIntent struct {
	ID string
	// ClientSecret lets the client confirm this intent. It is handed to
	// the paying client only: String and LogValue leave it out, so it
	// does not end up in logs.
	ClientSecret string
	// Amount is in minor units of Currency.
	Amount int64
	// Currency is an ISO 4217 code in capitals, such as EUR.
	Currency string
	Status   PaymentStatus
	// OrderID is the order this intent pays; it travels in the
	// provider's metadata as order_id.
	OrderID string
}

// String describes the intent without its client secret.
func (i PaymentIntent) String() string {
	return fmt.Sprintf("intent %s for order %s: %d %s %s", i.ID, i.OrderID, i.Amount, i.Currency, i.Status)
}

// LogValue logs the intent without its client secret.
func (i PaymentIntent) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", i.ID),
		slog.String("order_id", i.OrderID),
		slog.Int64("amount", i.Amount),
		slog.String("currency", i.Currency),
		slog.String("status", string(i.Status)),
	)
}

// RefundStatus is where a refund stands; package payment names the
// values, which are Stripe's.
type RefundStatus string

// PaymentRefund is money sent back for (part of) a succeeded intent.
type PaymentRefund struct {
	ID       string
	IntentID string
	// Amount is in minor units of Currency.
	Amount   int64
	Currency string
	Status   RefundStatus
}

// Payment event types. They are Stripe's names; the test provider emits
// the same ones.
const (
	// EventPaymentSucceeded: the intent is paid. Amount is the amount
	// received.
	EventPaymentSucceeded = "payment_intent.succeeded"
	// EventPaymentFailed: an attempt to pay the intent was declined.
	// Amount is the intent's amount.
	EventPaymentFailed = "payment_intent.payment_failed"
	// EventChargeRefunded: money of the intent was refunded. Amount is
	// the total refunded so far, not this refund's share, so handling
	// the events in any order converges on the right total.
	EventChargeRefunded = "charge.refunded"
)

// PaymentEvent is a provider's notification about an intent,
// normalized: from a verified Stripe webhook or from the test provider,
// HandlePaymentEvent treats both alike.
type PaymentEvent struct {
	// ID is the provider's event id; a retried delivery has the same id.
	ID string
	// Type is one of the Event* constants.
	Type     string
	IntentID string
	// OrderID is the intent's order_id metadata. It may be empty (an
	// intent not created by us, or a charge that did not copy the
	// metadata).
	OrderID string
	Amount  int64
	// Currency is an ISO 4217 code in capitals.
	Currency string
	// Created is when the provider created the event, in UTC.
	Created time.Time
}

// PaymentProvider is what the Service needs of a payment provider:
// payment.Stripe and payment.TestProvider implement it (package payment
// documents the methods on its Provider).
type PaymentProvider interface {
	// Name is the provider's configuration name: "test" or "stripe".
	Name() string
	// CreateIntent creates an intent to pay amount of currency for
	// orderID; a call with the idempotencyKey of an earlier one returns
	// that call's intent.
	CreateIntent(ctx context.Context, orderID string, amount int64, currency string, idempotencyKey string) (PaymentIntent, error)
	// Refund refunds amount (zero: all that is left) of a succeeded
	// intent; the idempotency key works as in CreateIntent.
	Refund(ctx context.Context, intentID string, amount int64, idempotencyKey string) (PaymentRefund, error)
}

// TestPayments is what the test provider adds to PaymentProvider: the
// server confirms an intent with a test card on the buyer's behalf, so a
// purchase works with no outside service.
type TestPayments interface {
	Confirm(ctx context.Context, intentID, card string) (PaymentIntent, error)
	CompleteAction(ctx context.Context, intentID string) (PaymentIntent, error)
}

// PaymentEventSource is a provider that hands its events to a function
// instead of sending webhooks (payment.TestProvider): the server passes
// HandlePaymentEvent to OnEvent.
type PaymentEventSource interface {
	OnEvent(handle func(ctx context.Context, ev PaymentEvent) error)
}

// WebhookVerifier authenticates a provider's webhook request and parses
// its event; payment.Stripe implements it. ParseWebhook returns an error
// wrapping ErrDuplicateEvent for an event it accepted before and
// ErrIgnoredEvent for a type it does not handle, each with the event.
type WebhookVerifier interface {
	// ParseWebhook verifies the signature in header over payload at the
	// time now and returns the normalized event.
	ParseWebhook(payload []byte, header http.Header, now time.Time) (PaymentEvent, error)
	// ForgetWebhook takes an accepted event id off the replay record, so
	// that the provider's retry of an event that failed is accepted.
	ForgetWebhook(eventID string) error
}

// MaxWebhookBytes bounds a webhook request body. Stripe's events are a
// few KiB.
const MaxWebhookBytes = 256 << 10

// Errors of paying.
var (
	// ErrNoPayments is what would take money on a server without a
	// payment provider: holds, orders and payments of priced ticket types.
	ErrNoPayments = errkind.New(errkind.NotConfigured, "payments_unavailable", "this server takes no payments; priced tickets cannot be sold (free tickets can)")
	// ErrDuplicateEvent is a verified webhook event accepted before:
	// answer it as received, without processing it again.
	ErrDuplicateEvent = errors.New("payment event already received")
	// ErrIgnoredEvent is a verified webhook event of a type that is not
	// handled; it is not a failure.
	ErrIgnoredEvent = errors.New("payment event type not handled")
)

// freeIntentPrefix marks the intent ids of orders of total zero, paid
// without a provider.
const freeIntentPrefix = "free_"

// requirePayments refuses lines of an event that cost money when the
// Service has no payment provider, so nothing is held or ordered that
// could never be paid. With a provider it does nothing.
func (s *Service) requirePayments(ctx context.Context, eventID string, lines []Line) error {
	if s.Payments != nil {
		return nil
	}
	page, err := s.Catalog.EventPage(ctx, eventID)
	if err != nil {
		return nil // the caller reports an unknown event
	}
	for _, l := range lines {
		for _, t := range page.TicketTypes {
			if t.ID == l.TicketTypeID && t.Price.Amount != 0 {
				return ErrNoPayments
			}
		}
	}
	return nil
}

// TestCard asks Pay to confirm the intent on the buyer's behalf (test
// provider only): with Card, or, with CompleteAction, by passing the
// authentication an earlier card asked for.
type TestCard struct {
	Card           string
	CompleteAction bool
}

// Payment is the payment part of Pay's answer. ClientSecret is for the
// paying buyer only.
type Payment struct {
	Provider     string
	IntentID     string
	Status       PaymentStatus
	ClientSecret string
}

// Pay pays one of the buyer's orders. A paid order is returned as it is;
// a free one is paid at once. Otherwise Pay creates (or finds again, by
// the order's idempotency key at the provider) a payment intent for the
// order's total and returns it with the order: the buyer's client
// confirms it with the provider, whose payment_intent.succeeded event
// (HandlePaymentEvent), not the client, pays the order. With a non-zero
// test card the test provider confirms the intent here, and delivers its
// event before Pay returns the order, paid if it succeeded.
//
// An order neither pending nor paid is ErrState; a priced order without a
// provider is ErrNoPayments; a test card with another provider is a
// *catalog.FieldError of test_card.
func (s *Service) Pay(ctx context.Context, orderID, buyerID string, test TestCard) (Order, *Payment, error) {
	o, err := s.Order(ctx, orderID, buyerID)
	if err != nil {
		return Order{}, nil, err
	}
	switch o.Status {
	case StatusPaid:
		return o, nil, nil
	case StatusPendingPayment:
	default:
		return Order{}, nil, fmt.Errorf("order %s is %s and cannot be paid: %w", o.ID, o.Status, ErrState)
	}
	if o.Free() {
		paid, err := s.MarkPaid(ctx, o.ID, freeIntentPrefix+o.ID)
		return paid, nil, err
	}
	if s.Payments == nil {
		return Order{}, nil, ErrNoPayments
	}
	in, err := s.Payments.CreateIntent(ctx, o.ID, o.Total.Amount, o.Total.Currency, "order-"+o.ID)
	if err != nil {
		return Order{}, nil, err
	}
	if test.Card != "" || test.CompleteAction {
		tp, ok := s.Payments.(TestPayments)
		if !ok {
			return Order{}, nil, invalid("test_card", "and complete_action work with the test payment provider only; confirm the intent with its client_secret")
		}
		// The test provider delivers the intent's event on this goroutine
		// before it returns, so a succeeded intent has paid the order by
		// then: confirming says so (paying), which spares the event's
		// handling and this answer a read of the order each.
		at := &paying{order: o}
		pctx := context.WithValue(ctx, payingKey{}, at)
		if test.CompleteAction {
			in, err = tp.CompleteAction(pctx, in.ID)
		} else {
			in, err = tp.Confirm(pctx, in.ID, test.Card)
		}
		if err != nil {
			return Order{}, nil, err
		}
		if at.paid != nil {
			return *at.paid, s.payment(in), nil
		}
	}
	// Not paid yet, or paid meanwhile by an event this Pay did not
	// deliver: Stripe's webhook comes later.
	if o, err = s.Order(ctx, o.ID, buyerID); err != nil {
		return Order{}, nil, err
	}
	return o, s.payment(in), nil
}

// payment is Pay's answer of intent in.
func (s *Service) payment(in PaymentIntent) *Payment {
	return &Payment{Provider: s.Payments.Name(), IntentID: in.ID, Status: in.Status, ClientSecret: in.ClientSecret}
}

// paying is what Pay knows while the test provider delivers an intent's
// event synchronously (see Pay): the order as Pay read it, which
// HandlePaymentEvent takes instead of reading it again (the store checks
// its state again under its lock when paying it, as it does for an order
// read a moment earlier), and the order HandlePaymentEvent paid.
type paying struct {
	order Order
	paid  *Order
}

type payingKey struct{}

// payingOf returns the paying of ctx if it is about order orderID.
func payingOf(ctx context.Context, orderID string) *paying {
	if p, ok := ctx.Value(payingKey{}).(*paying); ok && p.order.ID == orderID {
		return p
	}
	return nil
}

// RefundOrder refunds a paid order for userID: its buyer (until the
// refund cutoff, see CheckRefund) or, when organizer says userID
// organizes the order's event, an organizer (any time). Another buyer's
// order is ErrNotFound. The money goes back through the provider first,
// by the order's refund idempotency key, so a retry after a failure
// neither refunds twice nor leaves tickets valid for money returned. A
// refunded order is returned as it is; an unpaid one is ErrState.
func (s *Service) RefundOrder(ctx context.Context, orderID, userID string, organizer func(ctx context.Context, eventID string) bool) (Order, error) {
	o, err := s.Store.Order(ctx, orderID)
	if err != nil {
		return Order{}, err
	}
	by := RefundByBuyer
	if organizer(ctx, o.EventID) {
		by = RefundByOrganizer
	} else if o.BuyerID != userID {
		return Order{}, fmt.Errorf("order %s: %w", o.ID, ErrNotFound)
	}
	if err := s.CheckRefund(ctx, o, userID, by); err != nil {
		return Order{}, err
	}
	if o.Status != StatusPaid && o.Status != StatusRefunded {
		return Order{}, fmt.Errorf("order %s is %s; only a paid order is refunded (cancel an unpaid one): %w", o.ID, o.Status, ErrState)
	}
	if o.Status == StatusPaid {
		if err := s.refundPayment(ctx, o); err != nil {
			return Order{}, err
		}
	}
	refunded, err := s.Refund(ctx, o.ID)
	if err != nil {
		return Order{}, err
	}
	s.log().Info("order refunded", "order", o.ID, "event", o.EventID, "by", userID, "organizer", by == RefundByOrganizer)
	return refunded, nil
}

// refundPayment returns a paid order's money through the provider, by
// the order's refund idempotency key, so a retry never refunds twice. A
// free order has nothing to return.
func (s *Service) refundPayment(ctx context.Context, o Order) error {
	if o.Free() || isFree(o.PaymentIntentID) {
		return nil
	}
	if s.Payments == nil {
		return ErrNoPayments
	}
	_, err := s.Payments.Refund(ctx, o.PaymentIntentID, 0, "refund-"+o.ID)
	return err
}

func isFree(intentID string) bool {
	return len(intentID) >= len(freeIntentPrefix) && intentID[:len(freeIntentPrefix)] == freeIntentPrefix
}

// HandlePaymentEvent applies a payment provider's event to its order. A
// succeeded payment for the order's exact total pays it (issuing its
// tickets); one that arrives after the order was cancelled (its payment
// deadline passed and its tickets went back on sale) is refunded in full,
// so no money is kept for nothing. A full refund made at the provider
// (the dashboard) refunds the order and revokes its tickets. The test
// provider calls it directly (TestProvider.OnEvent); Stripe's events
// come through ReceiveWebhook. It is idempotent: providers deliver events
// at least once.
func (s *Service) HandlePaymentEvent(ctx context.Context, ev PaymentEvent) error {
	log := s.log()
	if ev.OrderID == "" {
		log.Warn("payment event without an order id ignored", "event", ev.ID, "type", ev.Type, "intent", ev.IntentID)
		return nil
	}
	at := payingOf(ctx, ev.OrderID)
	var o Order
	var err error
	if at != nil {
		o = at.order
	} else {
		o, err = s.Store.Order(ctx, ev.OrderID)
	}
	if errors.Is(err, ErrNotFound) {
		log.Warn("payment event for an unknown order ignored", "event", ev.ID, "order", ev.OrderID)
		return nil
	}
	if err != nil {
		return err
	}
	switch ev.Type {
	case EventPaymentSucceeded:
		if ev.Amount != o.Total.Amount || ev.Currency != o.Total.Currency {
			log.Error("payment does not match the order's total; not fulfilled", "event", ev.ID, "order", o.ID,
				"paid", ev.Amount, "currency", ev.Currency, "total", o.Total.Amount, "total_currency", o.Total.Currency)
			return nil
		}
		paid, err := s.markPaid(ctx, o, ev.IntentID)
		if err == nil && at != nil {
			at.paid = &paid
		}
		if errors.Is(err, ErrState) || errors.Is(err, ErrConflict) {
			// Cancelled meanwhile, or paid twice by two intents: give this
			// payment back.
			log.Warn("payment for an order that cannot take it; refunding", "order", o.ID, "intent", ev.IntentID, "err", err)
			if s.Payments == nil {
				return fmt.Errorf("refund intent %s of order %s: no payment provider", ev.IntentID, o.ID)
			}
			_, rerr := s.Payments.Refund(ctx, ev.IntentID, 0, "unfulfilled-"+ev.IntentID)
			return rerr
		}
		return err
	case EventChargeRefunded:
		if o.Status != StatusPaid || ev.IntentID != o.PaymentIntentID || ev.Amount < o.Total.Amount {
			return nil // partial refunds leave the tickets valid
		}
		_, err := s.Refund(ctx, o.ID)
		return err
	case EventPaymentFailed:
		log.Info("payment declined", "order", o.ID, "intent", ev.IntentID)
	}
	return nil
}

// WebhookReceipt is what ReceiveWebhook did with a verified request.
type WebhookReceipt struct {
	// Duplicate is an event received before, not processed again.
	Duplicate bool
	// Ignored is an event of a type that is not handled.
	Ignored bool
}

// ReceiveWebhook verifies a provider's webhook request with v and
// applies its event (HandlePaymentEvent). A request that does not verify
// returns v's error; an event seen before or of a type not handled is
// acknowledged in the receipt without processing. When processing fails,
// the event is forgotten (v.ForgetWebhook) before the error is returned,
// so that the provider's retry is accepted.
func (s *Service) ReceiveWebhook(ctx context.Context, v WebhookVerifier, payload []byte, header http.Header, now time.Time) (WebhookReceipt, error) {
	ev, err := v.ParseWebhook(payload, header, now)
	switch {
	case errors.Is(err, ErrDuplicateEvent):
		return WebhookReceipt{Duplicate: true}, nil
	case errors.Is(err, ErrIgnoredEvent):
		return WebhookReceipt{Ignored: true}, nil
	case err != nil:
		return WebhookReceipt{}, err
	}
	if err := s.HandlePaymentEvent(ctx, ev); err != nil {
		if ferr := v.ForgetWebhook(ev.ID); ferr != nil {
			s.log().Error("forget webhook event", "event", ev.ID, "err", ferr)
		}
		return WebhookReceipt{}, fmt.Errorf("webhook event %s: %w", ev.ID, err)
	}
	return WebhookReceipt{}, nil
}

// CancelEvent winds up a cancelled event's sales (CancelEventOrders),
// returning the money of every paid order through the payment provider.
func (s *Service) CancelEvent(ctx context.Context, eventID string) (EventCancellation, error) {
	return s.CancelEventOrders(ctx, eventID, s.refundPayment)
}
