package notify

import (
	"context"
	"errors"
	"time"

	"github.com/admitone/admitone/internal/errkind"
)

// Errors of the notify stores and service, each of an errkind.Kind
// with its wire code.
var (
	// ErrNotFound is a subscription or message that is not stored (or not
	// the caller's).
	ErrNotFound = errkind.New(errkind.NotFound, "not_found", "not found")
	// ErrInvalid is input the service or a store refuses.
	ErrInvalid = errkind.New(errkind.Invalid, "invalid", "invalid")
	// ErrLimit is an account with MaxSubscriptions subscriptions already.
	ErrLimit = errkind.New(errkind.Conflict, "subscription_limit", "too many subscriptions")
	// ErrGone is a push endpoint that answered 404 or 410: the browser
	// dropped the subscription.
	ErrGone = errors.New("push subscription gone")
)

// Subscription is one device's Web Push subscription: the browser's
// PushSubscription (endpoint and keys) and the account it belongs to.
type Subscription struct {
	ID       string `json:"id"` // "ps_" + 24 hex
	UserID   string `json:"-"`
	Endpoint string `json:"endpoint"`
	// P256dh is the browser's uncompressed P-256 public key (65 bytes)
	// and Auth its authentication secret (16 bytes); neither leaves the
	// server again.
	P256dh    []byte    `json:"-"`
	Auth      []byte    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// Status is where a message is in the outbox.
type Status string

// A message is pending until it is sent or, after MaxAttempts failures
// or a permanent one, failed.
const (
	StatusPending Status = "pending"
	StatusSent    Status = "sent"
	StatusFailed  Status = "failed"
)

// ChannelWebPush is the channel of Web Push messages: their Target is a
// subscription id.
const ChannelWebPush = "webpush"

// Message is one outgoing message in the outbox.
type Message struct {
	// ID is stable: the same trigger makes the same id (see doc.go), so
	// enqueuing twice stores one message, and the receiver can drop a
	// second delivery of it.
	ID      string `json:"id"`
	Channel string `json:"channel"`
	UserID  string `json:"user_id"`
	// Target is the channel's address: a subscription id for Web Push.
	Target  string `json:"target"`
	Payload []byte `json:"payload"`
	Status  Status `json:"status"`
	// Attempts counts claims: a claim is an attempt, even when the
	// worker that made it crashed before it finished.
	Attempts int `json:"attempts"`
	// NextAt is when the message may be claimed (again).
	NextAt time.Time `json:"next_at"`
	// LeaseUntil is when a claim runs out; zero when not claimed.
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	CreatedAt  time.Time `json:"created_at"`
	// DoneAt is when it was sent or failed.
	DoneAt    time.Time `json:"done_at,omitzero"`
	LastError string    `json:"last_error,omitempty"`
}

// Limits of what a store keeps, the same on every backend.
const (
	MaxEndpoint  = 1024     // bytes of a push endpoint URL
	MaxPayload   = 16 << 10 // bytes of a message payload (a sealed Mail; Web Push payloads are kept small by enqueue)
	MaxID        = 200      // bytes of a message id
	MaxLastError = 500      // bytes of a message's last error, cut beyond
	MaxClaim     = 100      // messages one Claim returns at most
	MinLease     = time.Second
)

// Store keeps push subscriptions and the outbox. storage/bolt and
// storage/postgres implement it; storetest.RunNotify is its conformance
// suite.
type Store interface {
	// PutSubscription stores s, or, when its endpoint is stored already,
	// gives that subscription s's user and keys (a browser has one
	// endpoint per device); it returns what is stored (the older id and
	// creation time for a known endpoint).
	PutSubscription(ctx context.Context, s Subscription) (Subscription, error)
	// Subscription returns a subscription by id.
	Subscription(ctx context.Context, id string) (Subscription, error)
	// Subscriptions lists a user's subscriptions, oldest first.
	Subscriptions(ctx context.Context, userID string) ([]Subscription, error)
	// DeleteSubscription removes a subscription; a missing one is
	// ErrNotFound.
	DeleteSubscription(ctx context.Context, id string) error

	// Enqueue stores the messages whose ids are new, pending, due at
	// their NextAt; a message whose id is stored already is left as it
	// is (sent, failed or pending). It returns how many were new.
	Enqueue(ctx context.Context, msgs []Message) (int, error)
	// Claim leases up to limit (1..MaxClaim) pending messages due at now
	// and not leased (or whose lease ran out), oldest NextAt first:
	// each gets LeaseUntil now+lease and one more attempt. Two
	// concurrent claims never return the same message with a live lease.
	Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Message, error)
	// Finish ends a claimed message: StatusSent or StatusFailed at at,
	// or StatusPending again, due at next, with lastError. ErrNotFound
	// for a missing message.
	Finish(ctx context.Context, id string, status Status, at, next time.Time, lastError string) error
	// Message returns a message by id.
	Message(ctx context.Context, id string) (Message, error)

	// Pending counts the messages still to send (pending, due or not,
	// leased or not): what an operator watches grow when a channel's
	// receiver is down.
	Pending(ctx context.Context) (int, error)

	// SetUnsubscribed records that the account userID gets no more
	// Unsubscribable mail (reminders, organizers' messages); setting it
	// again keeps the first time.
	SetUnsubscribed(ctx context.Context, userID string, at time.Time) error
	// Unsubscribed reports whether userID unsubscribed.
	Unsubscribed(ctx context.Context, userID string) (bool, error)
}
