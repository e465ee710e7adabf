package payment

import (
	"errors"

	"github.com/admitone/admitone/internal/errkind"
)

// Errors. Providers return them wrapped with context ("confirm
// pi_...: card declined"). The failures are each of an errkind.Kind with
// its wire code, hidden: a client is told the Public text, never the
// provider's words, which the HTTP edge logs.
// No error of this package carries an API key, webhook secret, client
// secret or card number.
var (
	// ErrDeclined is a payment the card issuer refused.
	ErrDeclined = errkind.Hidden(errkind.Declined, "card_declined", "card declined", "the card was declined; try another card")
	// ErrNotFound is an intent the provider does not know.
	ErrNotFound = errkind.Hidden(errkind.NotFound, "not_found", "not found", "the payment provider has no record of this payment")
	// ErrInvalid is input the provider does not accept: a bad amount or
	// currency, an idempotency key reused with other parameters, a refund
	// larger than what is left, a step not allowed in the intent's
	// status, a malformed webhook body.
	ErrInvalid = errkind.Hidden(errkind.Invalid, "invalid", "invalid payment request", "the payment provider did not accept this payment; check the card and try again")
	// ErrBadSignature is a webhook request whose signature header is
	// missing, malformed or does not match the payload. Answer 400.
	ErrBadSignature = errkind.Hidden(errkind.Unverified, "bad_signature", "webhook signature does not verify", "the webhook signature does not verify")
	// ErrStaleWebhook is a correctly signed webhook request whose
	// timestamp is further from now than the tolerance, in the past or
	// in the future. Answer 400.
	ErrStaleWebhook = errkind.Hidden(errkind.Unverified, "stale_webhook", "webhook timestamp outside the tolerance", "the webhook timestamp is outside the tolerance")
	// ErrReplayedWebhook is a verified webhook event whose id was
	// accepted before. The event is returned alongside; answer 2xx so
	// the provider stops retrying, and do not process it again.
	ErrReplayedWebhook = errors.New("webhook event already received")
	// ErrIgnoredEvent is a verified webhook event of a type this package
	// does not handle. The event (ID, Type, Created) is returned
	// alongside; answer 2xx: it is not a failure.
	ErrIgnoredEvent = errors.New("webhook event type not handled")
	// ErrProvider is any other failure at the provider: unreachable,
	// rate limited, an authentication or server error. Such a request
	// may be retried with the same idempotency key.
	ErrProvider = errkind.Hidden(errkind.Upstream, "payment_provider", "payment provider error", "the payment provider could not be reached or failed; try again in a moment (a retry never charges twice)")
)
