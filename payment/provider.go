package payment

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"
	"unicode"
	"unicode/utf8"
)

// Status is where a payment intent stands. The values are Stripe's
// PaymentIntent statuses, plus StatusFailed for an intent whose last
// attempt was declined (Stripe reports that as requires_payment_method
// with a card error attached).
type Status string

// Intent statuses.
const (
	// StatusRequiresPaymentMethod is a new intent, waiting for the
	// client to confirm it with a payment method.
	StatusRequiresPaymentMethod Status = "requires_payment_method"
	// StatusRequiresAction is an intent waiting for the customer to
	// authenticate (3-D Secure) before the payment can go through.
	StatusRequiresAction Status = "requires_action"
	// StatusProcessing is an intent whose outcome is not known yet; the
	// webhook will tell.
	StatusProcessing Status = "processing"
	// StatusSucceeded is a paid intent: the money was captured.
	StatusSucceeded Status = "succeeded"
	// StatusFailed is an intent whose last attempt was declined. The
	// client may confirm it again with another payment method.
	StatusFailed Status = "failed"
	// StatusCanceled is an intent that can no longer be paid.
	StatusCanceled Status = "canceled"
)

// Intent is one payment of one order at a provider. The client pays it
// with ClientSecret (Stripe.js, a mobile SDK, or TestProvider.Confirm);
// the server never sees card data.
type Intent struct {
	ID string
	// ClientSecret lets the client confirm this intent. It is handed to
	// the paying client only: Intent's String and LogValue leave it out,
	// so it does not end up in logs.
	ClientSecret string
	// Amount is in minor units of Currency.
	Amount int64
	// Currency is an ISO 4217 code in capitals, such as EUR.
	Currency string
	Status   Status
	// OrderID is the order this intent pays; it travels in the
	// provider's metadata as order_id.
	OrderID string
}

// String describes the intent without its client secret.
func (i Intent) String() string {
	return fmt.Sprintf("intent %s for order %s: %d %s %s", i.ID, i.OrderID, i.Amount, i.Currency, i.Status)
}

// LogValue logs the intent without its client secret.
func (i Intent) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", i.ID),
		slog.String("order_id", i.OrderID),
		slog.Int64("amount", i.Amount),
		slog.String("currency", i.Currency),
		slog.String("status", string(i.Status)),
	)
}

// RefundStatus is where a refund stands; the values are Stripe's.
type RefundStatus string

// Refund statuses.
const (
	RefundPending        RefundStatus = "pending"
	RefundRequiresAction RefundStatus = "requires_action"
	RefundSucceeded      RefundStatus = "succeeded"
	RefundFailed         RefundStatus = "failed"
	RefundCanceled       RefundStatus = "canceled"
)

// Refund is money sent back for (part of) a succeeded intent.
type Refund struct {
	ID       string
	IntentID string
	// Amount is in minor units of Currency.
	Amount   int64
	Currency string
	Status   RefundStatus
}

// Provider is a payment provider. Implementations are safe for
// concurrent use. Errors wrap the package's sentinel errors.
type Provider interface {
	// Name is the provider's configuration name: "test" or "stripe".
	Name() string
	// CreateIntent creates an intent to pay amount (minor units, at
	// least 1) of currency (ISO 4217, capitals) for orderID. A call with
	// the idempotencyKey of an earlier call and the same parameters
	// returns that call's intent; with other parameters it fails with
	// ErrInvalid. An empty key disables this.
	CreateIntent(ctx context.Context, orderID string, amount int64, currency string, idempotencyKey string) (Intent, error)
	// Intent returns the intent's current state, or ErrNotFound.
	Intent(ctx context.Context, id string) (Intent, error)
	// Refund refunds amount of a succeeded intent; an amount of zero
	// refunds all that is not refunded yet. More than that fails with
	// ErrInvalid. The idempotency key works as in CreateIntent.
	Refund(ctx context.Context, intentID string, amount int64, idempotencyKey string) (Refund, error)
}

// Normalized event types. They are Stripe's names; TestProvider emits
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

// Event is a provider's notification about an intent, normalized. For
// Stripe it comes from a verified webhook, for TestProvider from the
// handler registered with OnEvent, so the order code treats both alike.
type Event struct {
	// ID is the provider's event id; a retried delivery has the same id.
	ID string
	// Type is one of the Event* constants.
	Type     string
	IntentID string
	// OrderID is the intent's order_id metadata. It may be empty (an
	// intent not created by us, or a charge that did not copy the
	// metadata); look the order up by IntentID then.
	OrderID string
	Amount  int64
	// Currency is an ISO 4217 code in capitals.
	Currency string
	// Created is when the provider created the event, in UTC.
	Created time.Time
}

// WebhookVerifier authenticates and parses a provider's webhook request.
type WebhookVerifier interface {
	// ParseWebhook verifies the signature in header over payload at the
	// time now and returns the normalized event.
	ParseWebhook(payload []byte, header http.Header, now time.Time) (Event, error)
}

// Limits on the input of CreateIntent and Refund. MaxAmount is Stripe's
// (eight digits); the others keep ids and keys a sane size.
const (
	MaxAmount            = 99_999_999
	MaxOrderIDLen        = 200
	MaxIdempotencyKeyLen = 255
)

// validateCreate checks CreateIntent's arguments the same way for every
// provider.
func validateCreate(orderID string, amount int64, currency, key string) error {
	if err := validateID("order id", orderID, MaxOrderIDLen); err != nil {
		return err
	}
	if amount < 1 || amount > MaxAmount {
		return fmt.Errorf("amount must be between 1 and %d minor units (got %d): %w", MaxAmount, amount, ErrInvalid)
	}
	if !isCurrency(currency) {
		return fmt.Errorf("currency must be an ISO 4217 code of three capital letters such as EUR (got %q): %w", currency, ErrInvalid)
	}
	return validateKey(key)
}

// validateRefund checks Refund's arguments the same way for every
// provider.
func validateRefund(intentID string, amount int64, key string) error {
	if err := validateID("intent id", intentID, MaxOrderIDLen); err != nil {
		return err
	}
	if amount < 0 || amount > MaxAmount {
		return fmt.Errorf("refund amount must be between 0 (everything) and %d minor units (got %d): %w", MaxAmount, amount, ErrInvalid)
	}
	return validateKey(key)
}

func validateID(what, id string, maxLen int) error {
	if id == "" {
		return fmt.Errorf("%s is required: %w", what, ErrInvalid)
	}
	if len(id) > maxLen {
		return fmt.Errorf("%s is %d bytes long; the limit is %d: %w", what, len(id), maxLen, ErrInvalid)
	}
	if !utf8.ValidString(id) {
		return fmt.Errorf("%s is not valid UTF-8: %w", what, ErrInvalid)
	}
	for _, r := range id {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return fmt.Errorf("%s %q contains a space or control character: %w", what, id, ErrInvalid)
		}
	}
	return nil
}

func validateKey(key string) error {
	if len(key) > MaxIdempotencyKeyLen {
		return fmt.Errorf("idempotency key is %d bytes long; the limit is %d: %w", len(key), MaxIdempotencyKeyLen, ErrInvalid)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return fmt.Errorf("idempotency key must be printable ASCII without spaces: %w", ErrInvalid)
		}
	}
	return nil
}

func isCurrency(c string) bool {
	return len(c) == 3 && isUpper(c[0]) && isUpper(c[1]) && isUpper(c[2])
}

func isUpper(b byte) bool { return 'A' <= b && b <= 'Z' }
