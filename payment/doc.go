// Package payment implements purchase's payment interfaces: the built-in
// test provider (TestProvider: deterministic test cards, for demos and
// tests) and Stripe (Stripe: PaymentIntents and signed webhooks) are
// purchase.PaymentProvider (and Provider, which adds Intent), and Stripe
// is the purchase.WebhookVerifier. The types they exchange (Intent,
// Event, Refund, Status) are purchase's, named here by aliases.
//
// Card data never reaches our server. The server creates an Intent and
// hands its ClientSecret to the paying client, which confirms the payment
// with the provider itself (Stripe.js, a mobile SDK). The server learns
// the outcome as an Event: from a Stripe webhook it verifies with
// ParseWebhook, or, for the test provider, from the EventHandler set with
// TestProvider.OnEvent. Both carry the same normalized events
// (purchase.EventPaymentSucceeded, EventPaymentFailed,
// EventChargeRefunded), so purchase.Service.HandlePaymentEvent has one
// path.
//
// Money is in integer minor units with an ISO 4217 code in capitals
// (EUR), as everywhere in AdmitOne; Stripe's lower-case codes are
// converted both ways.
//
// Errors wrap the sentinels in errors.go. For a webhook endpoint:
// ErrBadSignature, ErrStaleWebhook and ErrInvalid answer 400;
// ErrReplayedWebhook and ErrIgnoredEvent (which also match
// purchase.ErrDuplicateEvent and purchase.ErrIgnoredEvent) answer 200 so
// that Stripe stops retrying; a failure to process a good event answers
// 500 after Stripe.ForgetWebhook (purchase.Service.ReceiveWebhook does
// this), so that Stripe's retry is accepted.
//
// # Caveats
//
//   - Webhook replay protection (ReplayGuard) is in memory by default:
//     it covers one process, and a restart forgets it. Replaying a
//     captured request still needs a timestamp within the tolerance (5
//     minutes), so the gap is small, but with several server instances
//     pass a ReplayGuard backed by the shared store. Either way, process
//     events idempotently (marking an order paid twice by the same intent
//     must be harmless): Stripe may deliver an event again after the
//     guard's TTL, and the test provider's Redeliver may repeat one.
//   - ParseWebhook records an event as seen before the caller processes
//     it. If processing fails, call ForgetWebhook before answering with
//     an error, or Stripe's retry is refused as a replay and the event is
//     lost.
//   - ParseWebhook needs the raw request body, byte for byte: read it
//     with http.MaxBytesReader (DefaultMaxWebhookBytes) and do not decode
//     and re-encode it first.
//   - EventChargeRefunded carries the total refunded so far, not the
//     amount of the latest refund. Its OrderID is empty when the charge
//     did not copy the intent's metadata; use IntentID.
//   - Stripe has no "failed" intent status. Intent reports StatusFailed
//     for an intent that awaits a payment method after a declined card;
//     the client may confirm it again with another card, at Stripe and
//     at the test provider alike.
//   - Intent.ClientSecret is for the paying client only. Intent's String
//     and LogValue omit it; do not log the struct field by field.
//   - The test provider keeps its state in memory unless TestConfig.Save
//     persists it (reload with Load). Events its handler fails, or that
//     arrive before OnEvent, wait in memory for Redeliver and are lost on
//     restart: reconcile pending orders with Provider.Intent.
//   - This package imports stripe-go. Domain packages (purchase) do not
//     import it; purchase declares the small interfaces it needs, this
//     package imports purchase to implement them, and the server's
//     wiring (package app) plugs a Provider in. scannerd must not link
//     it.
package payment
