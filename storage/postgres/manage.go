package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/catalog"
)

// The organizer's desk: an organization's venues, and editing and removing
// venues, ticket types and draft events (catalog.Store).

const venueColumns = `id, org_id, name, address, city, country, lat, lon, created_at`

func scanVenue(row pgx.Row) (catalog.Venue, error) {
	var v catalog.Venue
	err := row.Scan(&v.ID, &v.OrgID, &v.Name, &v.Address, &v.City, &v.Country, &v.Lat, &v.Lon, &v.CreatedAt)
	v.CreatedAt = v.CreatedAt.UTC()
	return v, err
}

// OrgVenues implements catalog.Store.
func (s *DB) OrgVenues(ctx context.Context, orgID, after string, limit int) ([]catalog.Venue, error) {
	if limit < 1 {
		return nil, fmt.Errorf("list venues of org %s: limit %d: %w", orgID, limit, catalog.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+venueColumns+` FROM venues WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		orgID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list venues of org %s: %w", orgID, err)
	}
	venues, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (catalog.Venue, error) { return scanVenue(row) })
	if err != nil {
		return nil, fmt.Errorf("list venues of org %s: %w", orgID, err)
	}
	if len(venues) == 0 {
		return nil, nil
	}
	return venues, nil
}

// UpdateVenue implements catalog.Store: the row stays locked from read to
// write.
func (s *DB) UpdateVenue(ctx context.Context, id string, fn func(*catalog.Venue) error) (catalog.Venue, error) {
	var next catalog.Venue
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old, err := scanVenue(tx.QueryRow(ctx, `SELECT `+venueColumns+` FROM venues WHERE id = $1 FOR NO KEY UPDATE`, id))
		if err != nil {
			return fmt.Errorf("venue %s: %w", id, catalogErr(err))
		}
		next = old
		if err := fn(&next); err != nil {
			return err
		}
		if next.ID != old.ID || next.OrgID != old.OrgID || !next.CreatedAt.Equal(old.CreatedAt) {
			return fmt.Errorf("update venue %s: id, org_id and created_at cannot change: %w", id, catalog.ErrInvalid)
		}
		_, err = tx.Exec(ctx, `UPDATE venues SET name = $2, address = $3, city = $4, country = $5, lat = $6, lon = $7 WHERE id = $1`,
			id, next.Name, next.Address, next.City, next.Country, next.Lat, next.Lon)
		return catalogErr(err)
	})
	if err != nil {
		return catalog.Venue{}, err
	}
	return next, nil
}

// DeleteVenue implements catalog.Store. The venue's row is locked first,
// so an event being moved to it (events_venue_id_fkey takes a share lock
// on it) either commits before the check or fails after the delete.
func (s *DB) DeleteVenue(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM venues WHERE id = $1 FOR UPDATE`, id).Scan(&one); err != nil {
			return fmt.Errorf("venue %s: %w", id, catalogErr(err))
		}
		var user string
		err := tx.QueryRow(ctx, `SELECT id FROM events WHERE venue_id = $1 LIMIT 1`, id).Scan(&user)
		if err == nil {
			return fmt.Errorf("venue %s: event %s is there: %w", id, user, catalog.ErrInUse)
		}
		if err != pgx.ErrNoRows {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM venues WHERE id = $1`, id)
		return err
	})
}

// UpdateTicketType implements catalog.Store: the row stays locked from
// read to write.
func (s *DB) UpdateTicketType(ctx context.Context, eventID, id string, fn func(*catalog.TicketType) error) (catalog.TicketType, error) {
	var next catalog.TicketType
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old, err := scanTicketType(tx.QueryRow(ctx, `SELECT `+ticketTypeColumns+` FROM ticket_types
			WHERE id = $1 AND event_id = $2 FOR NO KEY UPDATE`, id, eventID))
		if err != nil {
			return fmt.Errorf("ticket type %s of event %s: %w", id, eventID, catalogErr(err))
		}
		next = old
		if err := fn(&next); err != nil {
			return err
		}
		if next.ID != old.ID || next.EventID != old.EventID || next.Number != old.Number || next.Kind != old.Kind || !next.CreatedAt.Equal(old.CreatedAt) {
			return fmt.Errorf("update ticket type %s: id, event, number, kind and created_at cannot change: %w", id, catalog.ErrInvalid)
		}
		next.SaleStarts, next.SaleEnds = storedTime(next.SaleStarts), storedTime(next.SaleEnds)
		_, err = tx.Exec(ctx, `UPDATE ticket_types SET name = $2, price_amount = $3, price_currency = $4, capacity = $5,
			sale_starts = $6, sale_ends = $7, per_order_max = $8, rotating_code = $9, per_buyer_max = $10, max_held_per_buyer = $11,
			hidden = $12
			WHERE id = $1`, id, next.Name, next.Price.Amount, next.Price.Currency, next.Capacity,
			nullTime(next.SaleStarts), nullTime(next.SaleEnds), next.PerOrderMax, next.RotatingCode, next.PerBuyerMax, next.MaxHeldPerBuyer,
			next.Hidden)
		return catalogErr(err)
	})
	if err != nil {
		return catalog.TicketType{}, err
	}
	return next, nil
}

// DeleteTicketType implements catalog.Store.
func (s *DB) DeleteTicketType(ctx context.Context, eventID, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM ticket_types WHERE id = $1 AND event_id = $2`, id, eventID)
	if err != nil {
		return fmt.Errorf("delete ticket type %s: %w", id, catalogErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("ticket type %s of event %s: %w", id, eventID, catalog.ErrNotFound)
	}
	return nil
}

// DeleteEvent implements catalog.Store. The event's row is locked first;
// gates or inventory rows of it make it ErrInUse.
func (s *DB) DeleteEvent(ctx context.Context, id string, check func(catalog.Event) error) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		e, err := scanEvent(tx.QueryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return fmt.Errorf("event %s: %w", id, catalogErr(err))
		}
		if err := check(e); err != nil {
			return err
		}
		var gates, inventory bool
		err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM gates WHERE event_id = $1),
			EXISTS (SELECT 1 FROM inventory WHERE event_id = $1)`, id).Scan(&gates, &inventory)
		if err != nil {
			return err
		}
		if gates {
			return fmt.Errorf("event %s has gates: %w", id, catalog.ErrInUse)
		}
		if inventory {
			return fmt.Errorf("event %s has had holds: %w", id, catalog.ErrInUse)
		}
		// Its codes go with it: nothing was held, so no use of them is
		// counted anywhere.
		if _, err := tx.Exec(ctx, `DELETE FROM codes WHERE event_id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM ticket_types WHERE event_id = $1`, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM events WHERE id = $1`, id)
		return catalogErr(err)
	})
}
