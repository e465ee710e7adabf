// Package notify tells attendees what happened to their orders and
// events: order confirmed, refund done, event moved or cancelled, doors
// open soon. Messages go through one durable outbox in the store (Web
// Push now; email and webhooks later, as other channels of the same
// outbox), and a Worker sends them with retries.
//
// Service keeps each account's Web Push subscriptions (one per device,
// ParseSubscription checks what the browser sends) and implements
// purchase.Notifier: purchase.Service reports each change, and Service
// enqueues one Message per subscribed device of each account concerned.
// CheckDoors, run every minute by Run, enqueues "doors open soon" for
// the holders of valid tickets of events whose doors open within
// DoorsWithin. storage/bolt and storage/postgres implement Store;
// storetest.RunNotify is its conformance suite.
//
// # Message ids: exactly once, as far as the receiver can tell
//
// A message's id says what it is about and for which device, so the same
// trigger always makes the same id and Store.Enqueue keeps the first:
//
//	paid/<order id>/<subscription id>          order confirmed
//	refund/<order id>/<subscription id>        refund done
//	moved/<event id>/v<version>/<subscription id>  event moved (each move is a new version)
//	cancel/<event id>/<subscription id>        event cancelled
//	doors/<event id>/<subscription id>         doors open soon: once per device per event
//
// The Worker claims due messages with a lease (Store.Claim sets
// LeaseUntil and counts the attempt), sends each, then records the
// outcome (Store.Finish): sent; pending again after Backoff (doubled per
// attempt, at most MaxBackoff); or failed after MaxAttempts, on a
// permanent refusal, or when the push service answers 404 or 410 (the
// browser dropped the subscription, which is then deleted). A worker
// that crashes after claiming leaves the lease to run out, and the next
// claim (this process restarted, or another) sends the message.
//
// The push payload (Payload, JSON) carries the message id: a device
// drops an id it has shown before (web/attendee/static/sw-push.js).
//
// # Caveats
//
//   - At least once on a crash: a worker that sent a message and crashed
//     before Store.Finish recorded it sends it again once the lease
//     (DefaultLease) runs out. The receiver sees the same id twice and
//     drops the second; the push service sees two requests.
//   - Enqueued right after the change is committed, not in its
//     transaction: purchase.Service calls the Notifier once the store
//     answered, so a crash between the commit and the enqueue loses that
//     message (the doors check runs again each minute; the others are not
//     made again unless their trigger repeats, as a payment provider's
//     webhook does). Doing it in the change's transaction would need the
//     outbox inside every purchase.Store method that commits a change.
//   - A message is per device at the time of the trigger: a device
//     subscribed later does not get older messages.
//   - Refund and order messages go to the buyer; a ticket transferred to
//     someone else is told to its holder only by the event messages
//     (moved, doors), which look up holders of valid tickets.
//   - CheckDoors reads every event each run (catalog.Store has no index
//     by doors time); fine for thousands of events, not for millions.
//   - The VAPID key pair is made once, sealed with the server's seal.key
//     under the secret name "notify/vapid", first writer wins; every
//     server sharing the database then signs with it. A lost seal.key
//     means a new key, and browsers must subscribe again.
//   - Encryption is RFC 8291 (aes128gcm) implemented here on the standard
//     library (crypto/ecdh, crypto/hkdf), so that the RFC's example pins
//     it; VAPID (RFC 8292) is an ES256 JWT made with golang-jwt.
package notify
