package notify

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Sender delivers a message of one channel. An error wrapping ErrGone
// or ErrPermanent is not retried; any other is.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrPermanent is a failure that retrying does not cure (the push
// service refused the request as malformed or unauthorized).
var ErrPermanent = errors.New("permanent failure")

// WebPush sends Web Push messages: the payload encrypted for the
// subscription (Encrypt) and POSTed to its endpoint with a VAPID
// Authorization header.
type WebPush struct {
	// Keys returns the VAPID key (Service.Keys).
	Keys func(ctx context.Context) (*VAPID, error)
	// Subscriptions finds the subscription a message targets.
	Subscriptions interface {
		Subscription(ctx context.Context, id string) (Subscription, error)
	}
	// Client sends the requests; nil means a client with a 30 s
	// timeout.
	Client *http.Client
	// TTL is how long the push service keeps an undelivered message;
	// zero means a day.
	TTL time.Duration
	// Now is the clock of the VAPID JWT; nil means time.Now.
	Now func() time.Time
}

var defaultClient = &http.Client{Timeout: 30 * time.Second}

// Send encrypts m's payload for its subscription and posts it. A
// subscription that is gone from the store, or that the push service
// answers 404 or 410 for, is ErrGone.
func (p *WebPush) Send(ctx context.Context, m Message) error {
	sub, err := p.Subscriptions.Subscription(ctx, m.Target)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("subscription %s: %w", m.Target, ErrGone)
	}
	if err != nil {
		return err
	}
	eph, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	salt := make([]byte, saltSize)
	rand.Read(salt)
	body, err := Encrypt(m.Payload, sub.P256dh, sub.Auth, eph, salt)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	keys, err := p.Keys(ctx)
	if err != nil {
		return err
	}
	auth, err := keys.Authorization(sub.Endpoint, now())
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.Endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	ttl := p.TTL
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	req.Header.Set("Content-Encoding", "aes128gcm")
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("TTL", strconv.Itoa(int(ttl/time.Second)))
	req.Header.Set("Urgency", "normal")
	req.Header.Set("Authorization", auth)
	client := p.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("push to %s: %w", sub.ID, err) // the endpoint is a capability: not logged
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c == http.StatusNotFound || c == http.StatusGone:
		return fmt.Errorf("push to %s: %d: %w", sub.ID, c, ErrGone)
	case c == http.StatusTooManyRequests || c >= 500:
		return fmt.Errorf("push to %s: %d", sub.ID, c)
	default:
		return fmt.Errorf("push to %s: %d: %w", sub.ID, c, ErrPermanent)
	}
}
