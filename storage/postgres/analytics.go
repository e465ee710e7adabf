package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/analytics"
)

var _ analytics.Store = (*DB)(nil)

// EventCounts implements analytics.Store: one aggregate query per figure,
// all in one read-only repeatable-read transaction, so the figures are
// of one moment.
func (s *DB) EventCounts(ctx context.Context, eventID string) (analytics.Counts, error) {
	c := analytics.NewCounts()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT ticket_type_id,
				count(*) FILTER (WHERE status = 'valid'),
				count(*) FILTER (WHERE status = 'revoked' AND replaced_by = '')
			FROM tickets WHERE event_id = $1 GROUP BY ticket_type_id`, eventID)
		if err != nil {
			return fmt.Errorf("tickets: %w", err)
		}
		var id string
		var tc analytics.TicketCounts
		if _, err := pgx.ForEachRow(rows, []any{&id, &tc.Valid, &tc.Revoked}, func() error {
			c.Tickets[id] = tc
			return nil
		}); err != nil {
			return fmt.Errorf("tickets: %w", err)
		}
		rows, err = tx.Query(ctx, `SELECT total_currency, sum(total_amount)::bigint,
				coalesce(sum(total_amount) FILTER (WHERE status = 'refunded'), 0)::bigint
			FROM orders WHERE event_id = $1 AND status IN ('paid', 'refunded') GROUP BY total_currency`, eventID)
		if err != nil {
			return fmt.Errorf("revenue: %w", err)
		}
		var rc analytics.RevenueCounts
		if _, err := pgx.ForEachRow(rows, []any{&id, &rc.Paid, &rc.Refunded}, func() error {
			c.Revenue[id] = rc
			return nil
		}); err != nil {
			return fmt.Errorf("revenue: %w", err)
		}
		rows, err = tx.Query(ctx, `SELECT date_trunc('hour', paid_at), count(*), coalesce(sum(
				(SELECT sum((l->>'quantity')::int) FROM jsonb_array_elements(lines) AS l)), 0)::bigint
			FROM orders WHERE event_id = $1 AND status IN ('paid', 'refunded') GROUP BY 1`, eventID)
		if err != nil {
			return fmt.Errorf("sales: %w", err)
		}
		var hour time.Time
		var sc analytics.SalesCounts
		if _, err := pgx.ForEachRow(rows, []any{&hour, &sc.Orders, &sc.Units}, func() error {
			c.Sales[hour.UTC()] = sc
			return nil
		}); err != nil {
			return fmt.Errorf("sales: %w", err)
		}
		rows, err = tx.Query(ctx, `SELECT gate_id, date_trunc('minute', at), count(*) FROM sync_checkins
			WHERE event_id = $1 AND direction = 'entry' GROUP BY 1, 2`, eventID)
		if err != nil {
			return fmt.Errorf("entries: %w", err)
		}
		var n int
		var minute time.Time
		if _, err := pgx.ForEachRow(rows, []any{&id, &minute, &n}, func() error {
			c.Entries[id] += n
			c.EntryMinutes[analytics.GateMinute{GateID: id, Minute: minute.UTC()}] = n
			return nil
		}); err != nil {
			return fmt.Errorf("entries: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE entered_checkin_id <> ''),
				count(*) FILTER (WHERE checkin_id <> '')
			FROM ticket_inside WHERE event_id = $1`, eventID).Scan(&c.CheckedIn, &c.Inside); err != nil {
			return fmt.Errorf("lineages: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE first_offline OR second_offline)
			FROM conflicts WHERE event_id = $1`, eventID).Scan(&c.Conflicts, &c.OfflineConflicts); err != nil {
			return fmt.Errorf("conflicts: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM tickets AS t
			WHERE t.event_id = $1 AND t.status = 'valid' AND NOT EXISTS (
				SELECT 1 FROM ticket_inside AS i WHERE i.event_id = t.event_id
					AND i.ticket_id = CASE WHEN t.lineage = '' THEN t.id ELSE t.lineage END
					AND i.entered_checkin_id <> '')`, eventID).Scan(&c.NeverEntered); err != nil {
			return fmt.Errorf("no-shows: %w", err)
		}
		return nil
	})
	if err != nil {
		return analytics.Counts{}, fmt.Errorf("figures of event %s: %w", eventID, err)
	}
	return c, nil
}
