package payment

import "errors"

// Errors. Providers return them wrapped with context ("confirm
// pi_...: card declined"); the HTTP edge maps each to a status code.
// No error of this package carries an API key, webhook secret, client
// secret or card number.
var (
	// ErrDeclined is a payment the card issuer refused.
	ErrDeclined = errors.New("card declined")
	// ErrNotFound is an intent the provider does not know.
	ErrNotFound = errors.New("not found")
	// ErrInvalid is input the provider does not accept: a bad amount or
	// currency, an idempotency key reused with other parameters, a refund
	// larger than what is left, a step not allowed in the intent's
	// status, a malformed webhook body.
	ErrInvalid = errors.New("invalid payment request")
	// ErrBadSignature is a webhook request whose signature header is
	// missing, malformed or does not match the payload. Answer 400.
	ErrBadSignature = errors.New("webhook signature does not verify")
	// ErrStaleWebhook is a correctly signed webhook request whose
	// timestamp is further from now than the tolerance, in the past or
	// in the future. Answer 400.
	ErrStaleWebhook = errors.New("webhook timestamp outside the tolerance")
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
	ErrProvider = errors.New("payment provider error")
)
