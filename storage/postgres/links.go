package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/purchase"
)

var _ purchase.LinkStore = (*DB)(nil)

const linkColumns = `hash, ticket_id, holder_id, created_at, expires_at, device_hash, bound_at, revoked_at`

func scanLink(row pgx.Row) (purchase.Link, error) {
	var l purchase.Link
	var bound, revoked *time.Time
	err := row.Scan(&l.Hash, &l.TicketID, &l.HolderID, &l.CreatedAt, &l.ExpiresAt, &l.DeviceHash, &bound, &revoked)
	l.CreatedAt, l.ExpiresAt = l.CreatedAt.UTC(), l.ExpiresAt.UTC()
	l.BoundAt, l.RevokedAt = fromNull(bound), fromNull(revoked)
	return l, err
}

// CreateLink implements purchase.LinkStore.
func (s *DB) CreateLink(ctx context.Context, l purchase.Link) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO ticket_links (`+linkColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		l.Hash, l.TicketID, l.HolderID, storedTime(l.CreatedAt), storedTime(l.ExpiresAt), l.DeviceHash,
		nullTime(storedTime(l.BoundAt)), nullTime(storedTime(l.RevokedAt)))
	if err != nil {
		return fmt.Errorf("link to ticket %s: %w", l.TicketID, purchaseErr(err))
	}
	return nil
}

// Link implements purchase.LinkStore.
func (s *DB) Link(ctx context.Context, hash string) (purchase.Link, error) {
	l, err := scanLink(s.pool.QueryRow(ctx, `SELECT `+linkColumns+` FROM ticket_links WHERE hash = $1`, hash))
	if err != nil {
		return purchase.Link{}, fmt.Errorf("ticket link: %w", purchaseErr(err))
	}
	return l, nil
}

// BindLink implements purchase.LinkStore. The update's WHERE makes the
// first of two binds win; the second reads the winner's device.
func (s *DB) BindLink(ctx context.Context, hash, deviceHash string, at time.Time) (purchase.Link, error) {
	if _, err := s.pool.Exec(ctx, `UPDATE ticket_links SET device_hash = $2, bound_at = $3 WHERE hash = $1 AND device_hash = ''`,
		hash, deviceHash, storedTime(at)); err != nil {
		return purchase.Link{}, fmt.Errorf("bind ticket link: %w", err)
	}
	return s.Link(ctx, hash)
}

// RevokeLinks implements purchase.LinkStore.
func (s *DB) RevokeLinks(ctx context.Context, ticketID string, at time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE ticket_links SET revoked_at = $2 WHERE ticket_id = $1 AND revoked_at IS NULL`, ticketID, storedTime(at))
	if err != nil {
		return 0, fmt.Errorf("revoke links of ticket %s: %w", ticketID, err)
	}
	return int(tag.RowsAffected()), nil
}

// CountLinks implements purchase.LinkStore.
func (s *DB) CountLinks(ctx context.Context, ticketID string, now time.Time) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM ticket_links WHERE ticket_id = $1 AND revoked_at IS NULL AND expires_at > $2`,
		ticketID, now).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count links of ticket %s: %w", ticketID, err)
	}
	return n, nil
}
