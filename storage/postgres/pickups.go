package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/merch"
)

var _ merch.Store = (*DB)(nil)

// ClaimPickups implements merch.Store in one transaction: each line is
// inserted unless its (order_id, ticket_type_id) is there; a concurrent
// claim of the same line waits on the key's lock and then does nothing,
// and reads the winner's row.
func (s *DB) ClaimPickups(ctx context.Context, ps []merch.Pickup) (claimed, earlier []merch.Pickup, err error) {
	if err := merch.CheckClaim(ps); err != nil {
		return nil, nil, err
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		claimed, earlier = nil, nil
		for _, p := range ps {
			p.At = storedTime(p.At)
			tag, err := tx.Exec(ctx, `INSERT INTO merch_pickups (order_id, ticket_type_id, event_id, quantity, gate_id, gate_name, at)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
				p.OrderID, p.TicketTypeID, p.EventID, p.Quantity, p.GateID, p.GateName, p.At)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				claimed = append(claimed, p)
				continue
			}
			var old merch.Pickup
			err = tx.QueryRow(ctx, `SELECT order_id, ticket_type_id, event_id, quantity, gate_id, gate_name, at
				FROM merch_pickups WHERE order_id = $1 AND ticket_type_id = $2`, p.OrderID, p.TicketTypeID).
				Scan(&old.OrderID, &old.TicketTypeID, &old.EventID, &old.Quantity, &old.GateID, &old.GateName, &old.At)
			if err != nil {
				return err
			}
			old.At = old.At.UTC()
			earlier = append(earlier, old)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("claim pickups of order %s: %w", ps[0].OrderID, err)
	}
	return claimed, earlier, nil
}
