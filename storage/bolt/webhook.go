package bolt

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/webhook"
)

var _ webhook.Store = (*DB)(nil)

var (
	bucketWebhooks    = []byte("webhooks")     // endpoint id -> whEndpoint JSON
	bucketOrgWebhooks = []byte("org_webhooks") // org id, 0, endpoint id -> nothing
)

// whEndpoint is an endpoint as stored: webhook.Endpoint's JSON form
// leaves out the sealed secret.
type whEndpoint struct {
	ID        string         `json:"id"`
	OrgID     string         `json:"org_id"`
	URL       string         `json:"url"`
	Kinds     []webhook.Kind `json:"kinds"`
	Secret    []byte         `json:"secret"`
	CreatedAt time.Time      `json:"created_at"`
}

func (r whEndpoint) endpoint() webhook.Endpoint {
	return webhook.Endpoint{ID: r.ID, OrgID: r.OrgID, URL: r.URL, Kinds: r.Kinds, SealedSecret: r.Secret, CreatedAt: r.CreatedAt}
}

// PutEndpoint stores a new endpoint.
func (s *DB) PutEndpoint(ctx context.Context, e webhook.Endpoint) error {
	if err := webhook.CheckEndpoint(e); err != nil {
		return err
	}
	rec := whEndpoint{ID: e.ID, OrgID: e.OrgID, URL: e.URL, Kinds: e.Kinds, Secret: e.SealedSecret, CreatedAt: storedTime(e.CreatedAt)}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketWebhooks)
		if b.Get([]byte(e.ID)) != nil {
			return fmt.Errorf("id taken: %w", webhook.ErrInvalid)
		}
		if err := tx.Bucket(bucketOrgWebhooks).Put(join(e.OrgID, e.ID), nil); err != nil {
			return err
		}
		return put(b, []byte(e.ID), rec)
	})
	if err != nil {
		return fmt.Errorf("put endpoint %s: %w", e.ID, err)
	}
	return nil
}

// Endpoint returns an endpoint by id.
func (s *DB) Endpoint(ctx context.Context, id string) (webhook.Endpoint, error) {
	var rec whEndpoint
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		ok, err := get(tx.Bucket(bucketWebhooks), []byte(id), &rec)
		if err == nil && !ok {
			err = webhook.ErrNotFound
		}
		return err
	})
	if err != nil {
		return webhook.Endpoint{}, fmt.Errorf("endpoint %s: %w", id, err)
	}
	return rec.endpoint(), nil
}

// Endpoints lists an organization's endpoints, oldest first.
func (s *DB) Endpoints(ctx context.Context, orgID string) ([]webhook.Endpoint, error) {
	var out []webhook.Endpoint
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		out = nil
		p := prefix(orgID)
		for _, k := range keysWithPrefix(tx.Bucket(bucketOrgWebhooks), p) {
			var rec whEndpoint
			if _, err := get(tx.Bucket(bucketWebhooks), k[len(p):], &rec); err != nil {
				return err
			}
			out = append(out, rec.endpoint())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("endpoints of %s: %w", orgID, err)
	}
	slices.SortStableFunc(out, func(a, b webhook.Endpoint) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// DeleteEndpoint removes an endpoint.
func (s *DB) DeleteEndpoint(ctx context.Context, id string) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketWebhooks)
		var rec whEndpoint
		ok, err := get(b, []byte(id), &rec)
		if err != nil {
			return err
		}
		if !ok {
			return webhook.ErrNotFound
		}
		if err := tx.Bucket(bucketOrgWebhooks).Delete(join(rec.OrgID, rec.ID)); err != nil {
			return err
		}
		return b.Delete([]byte(id))
	})
	if err != nil {
		return fmt.Errorf("delete endpoint %s: %w", id, err)
	}
	return nil
}

// Deliveries lists an endpoint's newest deliveries. The outbox is keyed
// by message id and delivery ids begin with the endpoint's prefix, so
// this reads the endpoint's deliveries only (all of them, to sort by
// time).
func (s *DB) Deliveries(ctx context.Context, endpointID string, limit int) ([]notify.Message, error) {
	if limit < 1 || limit > webhook.MaxDeliveries {
		return nil, fmt.Errorf("deliveries: limit %d: %w", limit, webhook.ErrInvalid)
	}
	var out []notify.Message
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		out = nil
		p := []byte(webhook.DeliveryPrefix(endpointID))
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
			var m notify.Message
			if _, err := get(tx.Bucket(bucketOutbox), k, &m); err != nil {
				return err
			}
			if m.Channel == webhook.ChannelWebhook && m.Target == endpointID {
				out = append(out, m)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("deliveries of %s: %w", endpointID, err)
	}
	slices.SortFunc(out, func(a, b notify.Message) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out[:min(limit, len(out))], nil
}
