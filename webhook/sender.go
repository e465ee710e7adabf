package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	gosync "sync"
	"time"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/notify"
)

// Operator is where operator alerts go: a URL and the secret they are
// signed with (read from a file at start; never stored).
type Operator struct {
	URL    string
	Secret []byte
}

// Sender sends webhook deliveries: it is notify.Worker's Sender for
// ChannelWebhook, so deliveries get the outbox's leases, retries with
// backoff and final failed state. Each attempt is signed anew (a fresh
// timestamp) under the same delivery id.
type Sender struct {
	// Endpoints reads an endpoint (Store).
	Endpoints interface {
		Endpoint(ctx context.Context, id string) (Endpoint, error)
	}
	Seal *ticketcrypto.SealKey
	// Operator receives operator alerts; nil fails them.
	Operator *Operator
	// Client sends; nil means NewClient(Insecure), made at the first
	// Send.
	Client *http.Client
	// Insecure admits http URLs and non-public addresses (CheckURL,
	// NewClient).
	Insecure bool
	Now      func() time.Time

	once   gosync.Once
	client *http.Client // Client, or the one NewClient made
}

var _ notify.Sender = (*Sender)(nil)

// UserAgent is the User-Agent of deliveries.
const UserAgent = "AdmitOne-Webhook/1"

// Send delivers m once. An endpoint deleted since, a secret that does
// not open, a URL no longer allowed, or an address refused at dial time
// is a permanent failure; a network error or any answer but 2xx is
// retried by the worker.
func (s *Sender) Send(ctx context.Context, m notify.Message) error {
	target, secret, err := s.resolve(ctx, m.Target)
	if err != nil {
		return err
	}
	defer clear(secret)
	if _, err := CheckURL(target, s.Insecure); err != nil {
		return errors.Join(err, notify.ErrPermanent)
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", UserAgent)
	h.Set(DeliveryHeader, m.ID)
	h.Set(KindHeader, string(kindOf(m.ID)))
	h.Set(SignatureHeader, Sign(secret, now, m.Payload))
	s.once.Do(func() {
		s.client = s.Client
		if s.client == nil {
			s.client = NewClient(s.Insecure) // one for all sends: its connections are reused
		}
	})
	code, err := post(ctx, s.client, target, h, m.Payload)
	if err != nil {
		// The URL stays out of the error (it goes to logs and may carry
		// a token in its query).
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, ErrAddress) {
			return errors.Join(err, notify.ErrPermanent)
		}
		return fmt.Errorf("delivery failed: %w", err)
	}
	if code < 200 || code > 299 {
		return fmt.Errorf("receiver answered %d", code)
	}
	return nil
}

// resolve returns the URL and secret of a delivery's target.
func (s *Sender) resolve(ctx context.Context, target string) (string, []byte, error) {
	if target == OperatorTarget {
		if s.Operator == nil {
			return "", nil, fmt.Errorf("no operator webhook configured: %w", notify.ErrPermanent)
		}
		return s.Operator.URL, append([]byte(nil), s.Operator.Secret...), nil
	}
	e, err := s.Endpoints.Endpoint(ctx, target)
	if errors.Is(err, ErrNotFound) {
		return "", nil, fmt.Errorf("endpoint %s was deleted: %w", target, notify.ErrPermanent)
	}
	if err != nil {
		return "", nil, err
	}
	if s.Seal == nil {
		return "", nil, fmt.Errorf("no seal key for webhook secrets: %w", notify.ErrPermanent)
	}
	secret, err := ticketcrypto.Open(s.Seal, e.SealedSecret, secretAD(e.ID))
	if err != nil {
		return "", nil, fmt.Errorf("endpoint %s secret: %w", e.ID, errors.Join(err, notify.ErrPermanent))
	}
	return e.URL, secret, nil
}
