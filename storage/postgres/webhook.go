package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/webhook"
)

var _ webhook.Store = (*DB)(nil)

const webhookColumns = `id, org_id, url, kinds, secret, created_at`

func scanEndpoint(row pgx.Row) (webhook.Endpoint, error) {
	var e webhook.Endpoint
	var kinds []string
	err := row.Scan(&e.ID, &e.OrgID, &e.URL, &kinds, &e.SealedSecret, &e.CreatedAt)
	for _, k := range kinds {
		e.Kinds = append(e.Kinds, webhook.Kind(k))
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return e, err
}

// PutEndpoint stores a new endpoint.
func (s *DB) PutEndpoint(ctx context.Context, e webhook.Endpoint) error {
	if err := webhook.CheckEndpoint(e); err != nil {
		return err
	}
	kinds := make([]string, len(e.Kinds))
	for i, k := range e.Kinds {
		kinds[i] = string(k)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO webhook_endpoints (`+webhookColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		e.ID, e.OrgID, e.URL, kinds, e.SealedSecret, e.CreatedAt.UTC().Truncate(time.Microsecond))
	if err != nil {
		return fmt.Errorf("put endpoint %s: %w", e.ID, translate(err, webhook.ErrNotFound, webhook.ErrInvalid))
	}
	return nil
}

// Endpoint returns an endpoint by id.
func (s *DB) Endpoint(ctx context.Context, id string) (webhook.Endpoint, error) {
	e, err := scanEndpoint(s.pool.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhook_endpoints WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return webhook.Endpoint{}, fmt.Errorf("endpoint %s: %w", id, webhook.ErrNotFound)
	}
	if err != nil {
		return webhook.Endpoint{}, fmt.Errorf("endpoint %s: %w", id, err)
	}
	return e, nil
}

// Endpoints lists an organization's endpoints, oldest first.
func (s *DB) Endpoints(ctx context.Context, orgID string) ([]webhook.Endpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+webhookColumns+` FROM webhook_endpoints WHERE org_id = $1 ORDER BY created_at, id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("endpoints of %s: %w", orgID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.Endpoint, error) { return scanEndpoint(r) })
	if err != nil {
		return nil, fmt.Errorf("endpoints of %s: %w", orgID, err)
	}
	return out, nil
}

// DeleteEndpoint removes an endpoint.
func (s *DB) DeleteEndpoint(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM webhook_endpoints WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete endpoint %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete endpoint %s: %w", id, webhook.ErrNotFound)
	}
	return nil
}

// Deliveries lists an endpoint's newest deliveries (outbox_webhook_target
// is their index).
func (s *DB) Deliveries(ctx context.Context, endpointID string, limit int) ([]notify.Message, error) {
	if limit < 1 || limit > webhook.MaxDeliveries {
		return nil, fmt.Errorf("deliveries: limit %d: %w", limit, webhook.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+outboxColumns+` FROM outbox
		WHERE channel = $1 AND target = $2 AND starts_with(id, $3)
		ORDER BY created_at DESC, id DESC LIMIT $4`, webhook.ChannelWebhook, endpointID, webhook.DeliveryPrefix(endpointID), limit)
	if err != nil {
		return nil, fmt.Errorf("deliveries of %s: %w", endpointID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (notify.Message, error) { return scanMessage(r) })
	if err != nil {
		return nil, fmt.Errorf("deliveries of %s: %w", endpointID, err)
	}
	return out, nil
}
