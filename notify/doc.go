// Package notify tells attendees what happened to their orders and
// events: order confirmed, refund done, event moved or cancelled, doors
// open soon. Messages go through one durable outbox in the store, with
// two channels, Web Push and email, and a Worker sends them with
// retries.
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
// # Email
//
// With Service.Mailing set, every trigger above also mails the account's
// address (Users gives it), and more kinds go by mail only: the reminder
// RemindWithin (24 hours) before doors, an organizer's message to an
// event's holders (MessageHolders), and, enqueued by the HTTP API with
// MailTo, password reset and email verification links, invitations to
// join an organization's staff (InviteToken: a signed link, nothing
// stored) and to sign up for a ticket sent to an address without an
// account. Each kind has a plain-text template (text/template) and an
// HTML one (html/template), embedded from mail/ and parsed at start; a
// kind without its templates panics at init.
//
// The outbox keeps a Mail (the templates' data) sealed with the server's
// seal key, since a reset link is a credential; Email opens it when it
// sends, renders it, attaches an order's tickets to a confirmation (each
// QR code as a PNG and, with Apple Wallet configured, its .pkpass, from
// Email.Attachments) and hands it to SMTP: net/smtp, STARTTLS required
// (SMTP.Insecure only for a server on loopback), PLAIN authentication,
// one connection kept between messages. A 5xx answer fails the message;
// anything else is retried with the worker's backoff.
//
// Email ids follow push ids, per account instead of per device:
//
//	mail/paid/<order id>/<user id>             order confirmed, with the tickets attached
//	mail/refund/<order id>/<user id>           refund done
//	mail/moved/<event id>/v<version>/<user id> event changed
//	mail/cancel/<event id>/<user id>           event cancelled
//	mail/remind/<event id>/<user id>           doors within a day (unsubscribable)
//	mail/msg/<event id>/<message id>/<user id> an organizer's message (unsubscribable)
//	mail/reset/..., mail/verify/..., mail/invite/..., mail/ticket-invite/...
//
// Every mail's Message-ID is derived from its outbox id
// (MailMessageID): each attempt at one message carries the same
// Message-ID, so a receiver (or a test counting in Mailpit) sees a repeat
// as such.
//
// Reminders and organizers' messages may be refused: they carry a signed
// link (HMAC-SHA256 of the account id under a key sealed in the secret
// store as "notify/unsubscribe") in the body and in List-Unsubscribe,
// with List-Unsubscribe-Post for one-click unsubscribing (RFC 8058);
// UnsubscribeMail records it (Store.SetUnsubscribed) and later ones are
// not enqueued for that account. Transactional mail still goes.
//
// A stopping Worker finishes and records the message it is sending, and
// makes the rest of its claim due again, so a restart (syncserver waits
// for the worker before it closes the store) sends each message once.
//
// # Caveats
//
//   - Exactly once as far as SMTP allows: a message recorded sent is never
//     sent again, but a crash (SIGKILL, power) after the server accepted
//     the message and before Store.Finish recorded it sends it again once
//     the lease runs out. The repeat has the same Message-ID, so a
//     receiver that deduplicates by Message-ID drops it; one that does not
//     shows it twice. SMTP has no way to ask a server whether it already
//     has a message.
//   - CheckDoors enqueues the reminder again each minute during the day
//     before doors (Enqueue keeps the first), reading every holder's
//     account each time: fine for thousands of holders, wasteful for
//     hundreds of thousands.
//   - The links mailed for a password reset, an email verification and
//     an invitation open the attendee app at /app/#reset=, #verify= and
//     #invite= with the secret; the app has no page for them yet, so
//     until it does a client posts the secret to the confirm routes.
//   - The worker sends one message at a time over one connection; a slow
//     SMTP server bounds the rate (BENCHMARKS.md).
//   - An unsubscribe link names the account and never expires; anyone
//     holding a mail can unsubscribe its recipient (only from the
//     unsubscribable kinds).
//   - An invitation link is not stored, so it cannot be revoked before
//     it expires (InviteTTL, 72 hours); accepting needs an account with
//     the invited address.
//   - A password reset request for an address without an account does
//     less work than one with an account (no token written, no mail
//     enqueued): the answer is the same, its timing may differ by a store
//     write.
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
