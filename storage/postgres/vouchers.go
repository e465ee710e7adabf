package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/voucher"
)

var _ voucher.Store = (*DB)(nil)

func codeErr(err error) error { return translate(err, voucher.ErrNotFound, voucher.ErrExists) }

const codeColumns = `id, event_id, code, kind, ticket_type_ids, percent_off, amount_off, max_uses,
	valid_from, valid_until, disabled_at, created_at`

func scanCode(row pgx.Row) (voucher.Code, error) {
	var c voucher.Code
	var from, until, disabled *time.Time
	err := row.Scan(&c.ID, &c.EventID, &c.Code, &c.Kind, &c.TicketTypeIDs, &c.PercentOff, &c.AmountOff, &c.MaxUses,
		&from, &until, &disabled, &c.CreatedAt)
	if err != nil {
		return voucher.Code{}, err
	}
	if c.TicketTypeIDs == nil {
		c.TicketTypeIDs = []string{}
	}
	c.ValidFrom, c.ValidUntil, c.DisabledAt = fromNull(from), fromNull(until), fromNull(disabled)
	c.CreatedAt = c.CreatedAt.UTC()
	return c, nil
}

// CreateCode implements voucher.Store. It holds the event's row lock
// while it counts the event's codes, so concurrent creates queue.
func (s *DB) CreateCode(ctx context.Context, c voucher.Code) error {
	if c.TicketTypeIDs == nil {
		c.TicketTypeIDs = []string{}
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var n int
		err := tx.QueryRow(ctx, `SELECT 1 FROM events WHERE id = $1 FOR NO KEY UPDATE`, c.EventID).Scan(&n)
		if err != nil {
			return fmt.Errorf("event %s: %w", c.EventID, codeErr(err))
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM codes WHERE event_id = $1`, c.EventID).Scan(&n); err != nil {
			return err
		}
		if n >= voucher.MaxCodesPerEvent {
			return fmt.Errorf("event %s has %d codes, the most it may have: %w", c.EventID, n, voucher.ErrInvalid)
		}
		_, err = tx.Exec(ctx, `INSERT INTO codes (`+codeColumns+`, lookup)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			c.ID, c.EventID, c.Code, string(c.Kind), c.TicketTypeIDs, c.PercentOff, c.AmountOff, c.MaxUses,
			nullTime(storedTime(c.ValidFrom)), nullTime(storedTime(c.ValidUntil)), nullTime(storedTime(c.DisabledAt)),
			storedTime(c.CreatedAt), voucher.Lookup(c.EventID, c.Code))
		return codeErr(err)
	})
	if err != nil {
		return fmt.Errorf("create code %s: %w", c.ID, err)
	}
	return nil
}

// CodeByLookup implements voucher.Store.
func (s *DB) CodeByLookup(ctx context.Context, eventID string, key []byte) (voucher.Code, error) {
	c, err := scanCode(s.pool.QueryRow(ctx, `SELECT `+codeColumns+` FROM codes WHERE lookup = $1 AND event_id = $2`, key, eventID))
	if err != nil {
		return voucher.Code{}, fmt.Errorf("code: %w", codeErr(err))
	}
	return c, nil
}

// Code implements voucher.Store.
func (s *DB) Code(ctx context.Context, id string) (voucher.Code, error) {
	c, err := scanCode(s.pool.QueryRow(ctx, `SELECT `+codeColumns+` FROM codes WHERE id = $1`, id))
	if err != nil {
		return voucher.Code{}, fmt.Errorf("code %s: %w", id, codeErr(err))
	}
	return c, nil
}

// CodesOfEvent implements voucher.Store.
func (s *DB) CodesOfEvent(ctx context.Context, eventID string) ([]voucher.Code, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+codeColumns+` FROM codes WHERE event_id = $1 ORDER BY created_at, id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("codes of %s: %w", eventID, err)
	}
	codes, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (voucher.Code, error) { return scanCode(row) })
	if err != nil {
		return nil, fmt.Errorf("codes of %s: %w", eventID, err)
	}
	if len(codes) == 0 {
		return nil, nil
	}
	return codes, nil
}

// DisableCode implements voucher.Store.
func (s *DB) DisableCode(ctx context.Context, id string, at time.Time) (voucher.Code, error) {
	c, err := scanCode(s.pool.QueryRow(ctx, `UPDATE codes SET disabled_at = coalesce(disabled_at, $2) WHERE id = $1
		RETURNING `+codeColumns, id, storedTime(at)))
	if err != nil {
		return voucher.Code{}, fmt.Errorf("code %s: %w", id, codeErr(err))
	}
	return c, nil
}
