// Package webhook tells organizers' systems what happens to their
// organization, and the server's operator what needs a person.
//
// An organization's organizers register endpoints (Service.Create: an
// https URL and the kinds it wants, at most MaxEndpoints): order.paid,
// order.refunded, ticket.checked_in (entries only), checkin.conflict
// (a ticket admitted twice) and event.cancelled. Each endpoint gets a
// signing secret ("whsec_..."), shown once when it is created and kept
// sealed with the server's seal.key (bound to the endpoint id).
//
// Where events come from: purchase.Service tells its Notifier, which
// syncserver composes (purchase.Notifiers) of notify.Service and this
// Service; the sync hub calls Service.CheckinsRecorded (sync.Hub's
// Recorded hook) after it stores a gate's upload. Service enqueues one
// delivery per endpoint that wants the kind.
//
// # Deliveries: the notify outbox
//
// A delivery is a message of the notify outbox (channel
// ChannelWebhook, target the endpoint id), so it has the outbox's
// durability, leases, retries and final state: notify.Worker claims it,
// Sender POSTs it, and a failure (a network error or any answer but
// 2xx) is retried after notify.Backoff (30 s, doubled each attempt, at
// most 6 h) until notify.DefaultMaxAttempts (8) attempts; then it is
// failed. An endpoint deleted since, or an address refused, fails it at
// once. GET /v1/orgs/{org}/webhooks/{id}/deliveries lists an endpoint's
// newest deliveries with status, attempts, next attempt and the last
// failure ("receiver answered 500").
//
// The delivery id is DeliveryPrefix(endpoint) + kind + "/" + subject
// (the order, check-in or event id): the same change always makes the
// same id, so a change reported twice is delivered once, and every
// retry carries the same id.
//
// # Signature
//
// Every attempt is a POST of the JSON Payload with:
//
//	Content-Type: application/json
//	AdmitOne-Delivery: wh/whe_.../order.paid/ord_...
//	AdmitOne-Kind: order.paid
//	AdmitOne-Signature: t=1700000000,v1=<64 hex>
//
// v1 is HMAC-SHA256 under the endpoint's secret (the whole "whsec_..."
// string, as bytes) of t in decimal ASCII, one '.', and the body as
// sent. t is the attempt's time: each retry is signed anew. A receiver
// checks with Verify (constant-time comparison; t within
// DefaultTolerance, 5 minutes, of its clock), and refuses replays with
// Receiver: an id accepted within the window is refused, and an older
// one fails the timestamp check. Since a retry reuses the id, a
// receiver that fails to process a delivery calls Receiver.Forget
// before answering an error.
//
// # Outbound safety
//
// Organizers choose where the server sends requests, so: URLs must be
// https (CheckURL); the address each connection dials, after DNS, must
// be public (PublicAddr: not loopback, private, link-local, CGNAT...),
// checked in the dialer's Control hook so a name rebound to a private
// address is refused too (NewClient); no proxy, no redirects, a
// DeliveryTimeout per attempt and at most MaxResponse bytes of an answer
// read. syncserver's --webhook-insecure lifts the https and address
// rules for tests and local use.
//
// # Operator alerts
//
// Alerts sends the operator (syncserver --alert-webhook-url, signed
// with the secret in --alert-webhook-secret-file) alert.conflict for
// every conflict, alert.payment_webhook when the payment provider's
// webhook fails to verify or to apply (at most one per reason per
// PaymentAlertEvery), and alert.gate_offline through
// Alerts.GateOffline, which gate health calls.
//
// # Caveats
//
//   - At least once: a worker that crashes after a receiver answered
//     2xx and before the outbox recorded it sends again once the lease
//     runs out, under the same id. Receivers drop ids they processed.
//   - A delivery is enqueued after the change is committed, not in its
//     transaction (as for notify): a crash between the two loses it.
//   - Deliveries of one endpoint are not ordered: a retried delivery
//     arrives after later ones. Payload.CreatedAt says when each was
//     made.
//   - The endpoint limit is checked before the insert, not in the same
//     transaction: two concurrent creates may pass MaxEndpoints by one.
//   - On bbolt, listing deliveries reads all of an endpoint's deliveries
//     to sort them by time; PostgreSQL reads an index.
//   - Gate offline alerts need gate health: nothing here decides that a
//     gate is offline.
package webhook
