package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"slices"
	"time"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/internal/logging"
	"github.com/admitone/admitone/notify"
)

// Outbox is where deliveries are enqueued: the notify outbox
// (notify.Store), which notify.Worker sends through Sender.
type Outbox interface {
	Enqueue(ctx context.Context, msgs []notify.Message) (int, error)
}

// Service keeps organizations' endpoints and turns what happens
// (purchase.Notifier, CheckinsRecorded) into signed deliveries through
// the outbox.
type Service struct {
	Store  Store
	Outbox Outbox
	// Seal seals each endpoint's signing secret at rest.
	Seal *ticketcrypto.SealKey
	// EventOrg returns the organization an event belongs to
	// (catalog.Service.EventOrg).
	EventOrg func(ctx context.Context, eventID string) (string, error)
	// Insecure admits http URLs and loopback and private addresses
	// (tests, local use); see CheckURL.
	Insecure bool
	// Alerts, when set, is told of conflicts too, for the operator.
	Alerts *Alerts
	Now    func() time.Time
	Log    *slog.Logger
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger { return logging.OrDiscard(s.Log) }

// SecretPrefix begins every signing secret, so a secret says what it is.
const SecretPrefix = "whsec_"

// secretAD binds a sealed secret to its endpoint: a sealed secret
// copied to another endpoint does not open.
func secretAD(endpointID string) []byte { return []byte("admitone webhook secret v1\x00" + endpointID) }

// Create registers an endpoint of orgID for kinds (each once, at least
// one) and returns it with its signing secret, which is shown this once
// and kept only sealed.
func (s *Service) Create(ctx context.Context, orgID, rawURL string, kinds []Kind) (Endpoint, string, error) {
	if s.Seal == nil {
		return Endpoint{}, "", fmt.Errorf("%w: no seal key for webhook secrets", ErrInvalid)
	}
	u, err := CheckURL(rawURL, s.Insecure)
	if err != nil {
		return Endpoint{}, "", err
	}
	if len(kinds) == 0 || len(kinds) > len(Kinds) {
		return Endpoint{}, "", fmt.Errorf("%w: kinds: name one to %d of %v", ErrInvalid, len(Kinds), Kinds)
	}
	for i, k := range kinds {
		if !slices.Contains(Kinds, k) {
			return Endpoint{}, "", fmt.Errorf("%w: kinds: %.40q is not one of %v", ErrInvalid, k, Kinds)
		}
		if slices.Contains(kinds[:i], k) {
			return Endpoint{}, "", fmt.Errorf("%w: kinds: %s twice", ErrInvalid, k)
		}
	}
	have, err := s.Store.Endpoints(ctx, orgID)
	if err != nil {
		return Endpoint{}, "", err
	}
	if len(have) >= MaxEndpoints {
		return Endpoint{}, "", fmt.Errorf("%w: %d endpoints already", ErrLimit, len(have))
	}
	var raw [32]byte
	rand.Read(raw[:])
	secret := SecretPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	e := Endpoint{ID: id.New(EndpointIDPrefix), OrgID: orgID, URL: u.String(), Kinds: slices.Clone(kinds),
		CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	e.SealedSecret = ticketcrypto.Seal(s.Seal, []byte(secret), secretAD(e.ID))
	if err := s.Store.PutEndpoint(ctx, e); err != nil {
		return Endpoint{}, "", err
	}
	return e, secret, nil
}

// Endpoints lists orgID's endpoints, oldest first.
func (s *Service) Endpoints(ctx context.Context, orgID string) ([]Endpoint, error) {
	return s.Store.Endpoints(ctx, orgID)
}

// endpoint returns orgID's endpoint id; another organization's is
// ErrNotFound.
func (s *Service) endpoint(ctx context.Context, orgID, endpointID string) (Endpoint, error) {
	if !id.Valid(endpointID, EndpointIDPrefix) {
		return Endpoint{}, fmt.Errorf("endpoint %.40q: %w", endpointID, ErrNotFound)
	}
	e, err := s.Store.Endpoint(ctx, endpointID)
	if err != nil {
		return Endpoint{}, err
	}
	if e.OrgID != orgID {
		return Endpoint{}, fmt.Errorf("endpoint %s: %w", endpointID, ErrNotFound)
	}
	return e, nil
}

// Delete removes orgID's endpoint; deliveries still pending fail when
// next tried.
func (s *Service) Delete(ctx context.Context, orgID, endpointID string) error {
	if _, err := s.endpoint(ctx, orgID, endpointID); err != nil {
		return err
	}
	return s.Store.DeleteEndpoint(ctx, endpointID)
}

// Delivery is one delivery as an organizer sees it: where it is in the
// outbox, how many attempts it took, when the next is due, and what the
// last failed attempt got.
type Delivery struct {
	ID       string        `json:"id"`
	Kind     Kind          `json:"kind"`
	Status   notify.Status `json:"status"`
	Attempts int           `json:"attempts"`
	// NextAt is when the next attempt is due, while pending.
	NextAt    time.Time `json:"next_at,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	DoneAt    time.Time `json:"done_at,omitzero"`
	// LastError is what the last failed attempt got ("receiver
	// answered 500"); empty once delivered.
	LastError string `json:"last_error,omitempty"`
}

// Deliveries lists the newest deliveries (at most limit, 1..MaxDeliveries)
// of orgID's endpoint.
func (s *Service) Deliveries(ctx context.Context, orgID, endpointID string, limit int) ([]Delivery, error) {
	if _, err := s.endpoint(ctx, orgID, endpointID); err != nil {
		return nil, err
	}
	msgs, err := s.Store.Deliveries(ctx, endpointID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Delivery, len(msgs))
	for i, m := range msgs {
		d := Delivery{ID: m.ID, Kind: kindOf(m.ID), Status: m.Status, Attempts: m.Attempts, CreatedAt: m.CreatedAt, DoneAt: m.DoneAt, LastError: m.LastError}
		if m.Status == notify.StatusPending {
			d.NextAt = m.NextAt
		}
		out[i] = d
	}
	return out, nil
}
