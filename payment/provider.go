package payment

import (
	"context"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/admitone/admitone/purchase"
)

// Status is where a payment intent stands. The type is purchase's; the
// values are Stripe's PaymentIntent statuses, plus StatusFailed for an
// intent whose last attempt was declined (Stripe reports that as
// requires_payment_method with a card error attached).
type Status = purchase.PaymentStatus

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

// Intent is one payment of one order at a provider: purchase's
// PaymentIntent, whose String and LogValue leave its ClientSecret out.
type Intent = purchase.PaymentIntent

// RefundStatus is where a refund stands; the values are Stripe's.
type RefundStatus = purchase.RefundStatus

// Refund statuses.
const (
	RefundPending        RefundStatus = "pending"
	RefundRequiresAction RefundStatus = "requires_action"
	RefundSucceeded      RefundStatus = "succeeded"
	RefundFailed         RefundStatus = "failed"
	RefundCanceled       RefundStatus = "canceled"
)

// Refund is money sent back for (part of) a succeeded intent.
type Refund = purchase.PaymentRefund

// Provider is a payment provider: what purchase.Service takes payments
// with, plus Intent. Implementations are safe for concurrent use. Errors
// wrap the package's sentinel errors.
//
// CreateIntent creates an intent to pay amount (minor units, at least 1)
// of currency (ISO 4217, capitals) for orderID. A call with the
// idempotencyKey of an earlier call and the same parameters returns that
// call's intent; with other parameters it fails with ErrInvalid. An
// empty key disables this.
//
// Refund refunds amount of a succeeded intent; an amount of zero refunds
// all that is not refunded yet. More than that fails with ErrInvalid.
// The idempotency key works as in CreateIntent.
type Provider interface {
	purchase.PaymentProvider
	// Intent returns the intent's current state, or ErrNotFound.
	Intent(ctx context.Context, id string) (Intent, error)
}

// Event is a provider's notification about an intent, normalized:
// purchase's PaymentEvent, whose Type is one of purchase's Event*
// constants. For Stripe it comes from a verified webhook, for
// TestProvider from the handler registered with OnEvent, so the order
// code treats both alike.
type Event = purchase.PaymentEvent

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
