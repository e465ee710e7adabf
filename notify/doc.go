// Package notify tells attendees what happened to their orders and
// events: order confirmed, refund done, event moved or cancelled, doors
// open soon. Messages go through one durable outbox in the store (Web
// Push now; email and webhooks later, as other channels of the same
// outbox), and a Worker sends them with retries.
package notify
