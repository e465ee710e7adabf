package postgres

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
)

var _ catalog.Store = (*DB)(nil)

func catalogErr(err error) error { return translate(err, catalog.ErrNotFound, catalog.ErrExists) }

// CreateOrg implements catalog.Store.
func (s *DB) CreateOrg(ctx context.Context, o catalog.Organization) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO orgs (id, name, require_2fa, created_at) VALUES ($1, $2, $3, $4)`,
		o.ID, o.Name, o.Require2FA, storedTime(o.CreatedAt))
	if err != nil {
		return fmt.Errorf("create org %s: %w", o.ID, catalogErr(err))
	}
	return nil
}

// CreateOrgWithOrganizer implements catalog.Store.
func (s *DB) CreateOrgWithOrganizer(ctx context.Context, o catalog.Organization, userID string) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO orgs (id, name, require_2fa, created_at) VALUES ($1, $2, $3, $4)`,
			o.ID, o.Name, o.Require2FA, storedTime(o.CreatedAt)); err != nil {
			return catalogErr(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO memberships (user_id, org_id, role) VALUES ($1, $2, $3)`,
			userID, o.ID, string(account.RoleOrganizer)); err != nil {
			return accountErr(err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create org %s with organizer %s: %w", o.ID, userID, err)
	}
	return nil
}

// Org implements catalog.Store.
func (s *DB) Org(ctx context.Context, id string) (catalog.Organization, error) {
	var o catalog.Organization
	err := s.pool.QueryRow(ctx, `SELECT id, name, require_2fa, created_at FROM orgs WHERE id = $1`, id).
		Scan(&o.ID, &o.Name, &o.Require2FA, &o.CreatedAt)
	if err != nil {
		return catalog.Organization{}, fmt.Errorf("org %s: %w", id, catalogErr(err))
	}
	o.CreatedAt = o.CreatedAt.UTC()
	return o, nil
}

// CreateVenue implements catalog.Store. The venue's organization must
// exist.
func (s *DB) CreateVenue(ctx context.Context, v catalog.Venue) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO venues (id, org_id, name, address, city, country, lat, lon, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		v.ID, v.OrgID, v.Name, v.Address, v.City, v.Country, v.Lat, v.Lon, storedTime(v.CreatedAt))
	if err != nil {
		return fmt.Errorf("create venue %s: %w", v.ID, catalogErr(err))
	}
	return nil
}

// Venue implements catalog.Store.
func (s *DB) Venue(ctx context.Context, id string) (catalog.Venue, error) {
	var v catalog.Venue
	err := s.pool.QueryRow(ctx, `SELECT id, org_id, name, address, city, country, lat, lon, created_at
		FROM venues WHERE id = $1`, id).
		Scan(&v.ID, &v.OrgID, &v.Name, &v.Address, &v.City, &v.Country, &v.Lat, &v.Lon, &v.CreatedAt)
	if err != nil {
		return catalog.Venue{}, fmt.Errorf("venue %s: %w", id, catalogErr(err))
	}
	v.CreatedAt = v.CreatedAt.UTC()
	return v, nil
}

const eventColumns = `id, org_id, venue_id, title, description, category, tags, images,
	time_zone, starts_at, ends_at, doors_at, status, created_at, updated_at, version, lock_tickets_at_doors`

// eventArgs are an event's values in eventColumns order, as stored.
func eventArgs(e catalog.Event) []any {
	return []any{
		e.ID, e.OrgID, nullString(e.VenueID), e.Title, e.Description, e.Category,
		array(e.Tags), array(e.Images), e.TimeZone, nullTime(e.StartsAt), nullTime(e.EndsAt),
		nullTime(e.DoorsAt), string(e.Status), storedTime(e.CreatedAt), storedTime(e.UpdatedAt), e.Version,
		e.LockTicketsAtDoors,
	}
}

func scanEvent(row pgx.Row) (catalog.Event, error) {
	var e catalog.Event
	var venue *string
	var starts, ends, doors *time.Time
	err := row.Scan(&e.ID, &e.OrgID, &venue, &e.Title, &e.Description, &e.Category, &e.Tags, &e.Images,
		&e.TimeZone, &starts, &ends, &doors, &e.Status, &e.CreatedAt, &e.UpdatedAt, &e.Version, &e.LockTicketsAtDoors)
	if venue != nil {
		e.VenueID = *venue
	}
	e.Tags, e.Images = storedSlice(e.Tags), storedSlice(e.Images)
	e.StartsAt, e.EndsAt, e.DoorsAt = fromNull(starts), fromNull(ends), fromNull(doors)
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return e, err
}

// CreateEvent implements catalog.Store. The event's organization and its
// venue, when set, must exist.
func (s *DB) CreateEvent(ctx context.Context, e catalog.Event) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO events (`+eventColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`, eventArgs(e)...)
	if err != nil {
		return fmt.Errorf("create event %s: %w", e.ID, catalogErr(err))
	}
	return nil
}

// Event implements catalog.Store.
func (s *DB) Event(ctx context.Context, id string) (catalog.Event, error) {
	e, err := scanEvent(s.pool.QueryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE id = $1`, id))
	if err != nil {
		return catalog.Event{}, fmt.Errorf("event %s: %w", id, catalogErr(err))
	}
	return e, nil
}

// UpdateEvent implements catalog.Store: the row stays locked from read to
// write. An error from fn is returned as it is; changing ID fails with
// catalog.ErrInvalid. Version becomes the stored version plus one,
// whatever fn set.
func (s *DB) UpdateEvent(ctx context.Context, id string, fn func(*catalog.Event) error) (catalog.Event, error) {
	var next catalog.Event
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old, err := scanEvent(tx.QueryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE id = $1 FOR NO KEY UPDATE`, id))
		if err != nil {
			return fmt.Errorf("event %s: %w", id, catalogErr(err))
		}
		next = old
		next.Tags = append([]string(nil), old.Tags...)
		next.Images = append([]string(nil), old.Images...)
		if err := fn(&next); err != nil {
			return err
		}
		if next.ID != old.ID {
			return fmt.Errorf("update event %s: id cannot change: %w", id, catalog.ErrInvalid)
		}
		next.Version = old.Version + 1
		_, err = tx.Exec(ctx, `UPDATE events SET org_id = $2, venue_id = $3, title = $4,
			description = $5, category = $6, tags = $7, images = $8, time_zone = $9,
			starts_at = $10, ends_at = $11, doors_at = $12, status = $13, created_at = $14,
			updated_at = $15, version = $16, lock_tickets_at_doors = $17 WHERE id = $1`, eventArgs(next)...)
		if err != nil {
			return fmt.Errorf("update event %s: %w", id, catalogErr(err))
		}
		next = stored(next)
		return nil
	})
	if err != nil {
		return catalog.Event{}, err
	}
	return next, nil
}

// stored is e as Event would read it back.
func stored(e catalog.Event) catalog.Event {
	e.Tags, e.Images = storedSlice(e.Tags), storedSlice(e.Images)
	e.StartsAt, e.EndsAt, e.DoorsAt = storedTime(e.StartsAt), storedTime(e.EndsAt), storedTime(e.DoorsAt)
	e.CreatedAt, e.UpdatedAt = storedTime(e.CreatedAt), storedTime(e.UpdatedAt)
	return e
}

// Events implements catalog.Store. A limit below 1 is catalog.ErrInvalid.
func (s *DB) Events(ctx context.Context, after string, limit int) ([]catalog.Event, error) {
	if limit < 1 {
		return nil, fmt.Errorf("list events: limit %d: %w", limit, catalog.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM events WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (catalog.Event, error) { return scanEvent(row) })
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	if len(events) == 0 {
		return nil, nil
	}
	return events, nil
}

// Orgs implements catalog.Store. A limit below 1 is catalog.ErrInvalid.
func (s *DB) Orgs(ctx context.Context, after string, limit int) ([]catalog.Organization, error) {
	if limit < 1 {
		return nil, fmt.Errorf("list orgs: limit %d: %w", limit, catalog.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT id, name, require_2fa, created_at FROM orgs WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list orgs: %w", err)
	}
	orgs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (catalog.Organization, error) {
		var o catalog.Organization
		err := row.Scan(&o.ID, &o.Name, &o.Require2FA, &o.CreatedAt)
		o.CreatedAt = o.CreatedAt.UTC()
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("list orgs: %w", err)
	}
	if len(orgs) == 0 {
		return nil, nil
	}
	return orgs, nil
}

// OrgEvents implements catalog.Store. A limit below 1 is
// catalog.ErrInvalid.
func (s *DB) OrgEvents(ctx context.Context, orgID, after string, limit int) ([]catalog.Event, error) {
	if limit < 1 {
		return nil, fmt.Errorf("list events of org %s: limit %d: %w", orgID, limit, catalog.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM events WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		orgID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list events of org %s: %w", orgID, err)
	}
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (catalog.Event, error) { return scanEvent(row) })
	if err != nil {
		return nil, fmt.Errorf("list events of org %s: %w", orgID, err)
	}
	if len(events) == 0 {
		return nil, nil
	}
	return events, nil
}

const ticketTypeColumns = `id, event_id, number, name, kind, price_amount, price_currency,
	capacity, sale_starts, sale_ends, per_order_max, created_at, rotating_code, per_buyer_max, max_held_per_buyer, hidden`

// CreateTicketType implements catalog.Store. The event must exist; the
// type's Number is replaced by one more than the event's highest so far,
// read while holding the event's row lock so concurrent creates queue.
func (s *DB) CreateTicketType(ctx context.Context, t catalog.TicketType) (catalog.TicketType, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM events WHERE id = $1 FOR NO KEY UPDATE`, t.EventID).Scan(&one)
		if err != nil {
			return fmt.Errorf("event %s: %w", t.EventID, catalogErr(err))
		}
		var last int
		err = tx.QueryRow(ctx, `SELECT coalesce(max(number), 0) FROM ticket_types WHERE event_id = $1`, t.EventID).Scan(&last)
		if err != nil {
			return err
		}
		if last >= math.MaxUint16 {
			return fmt.Errorf("event %s has %d ticket types, the most a token can name: %w", t.EventID, last, catalog.ErrInvalid)
		}
		t.Number = uint16(last + 1)
		t.SaleStarts, t.SaleEnds = storedTime(t.SaleStarts), storedTime(t.SaleEnds)
		t.CreatedAt = storedTime(t.CreatedAt)
		_, err = tx.Exec(ctx, `INSERT INTO ticket_types (`+ticketTypeColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			t.ID, t.EventID, int32(t.Number), t.Name, string(t.Kind), t.Price.Amount, t.Price.Currency,
			t.Capacity, nullTime(t.SaleStarts), nullTime(t.SaleEnds), t.PerOrderMax, t.CreatedAt, t.RotatingCode, t.PerBuyerMax,
			t.MaxHeldPerBuyer, t.Hidden)
		return catalogErr(err)
	})
	if err != nil {
		return catalog.TicketType{}, fmt.Errorf("create ticket type %s: %w", t.ID, err)
	}
	return t, nil
}

// TicketTypes implements catalog.Store: an event's types in number order;
// none (not an error) for an unknown event.
func (s *DB) TicketTypes(ctx context.Context, eventID string) ([]catalog.TicketType, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+ticketTypeColumns+` FROM ticket_types
		WHERE event_id = $1 ORDER BY number`, eventID)
	if err != nil {
		return nil, fmt.Errorf("ticket types of %s: %w", eventID, err)
	}
	types, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (catalog.TicketType, error) { return scanTicketType(row) })
	if err != nil {
		return nil, fmt.Errorf("ticket types of %s: %w", eventID, err)
	}
	if len(types) == 0 {
		return nil, nil
	}
	return types, nil
}

// scanTicketType reads a row of ticketTypeColumns.
func scanTicketType(row pgx.Row) (catalog.TicketType, error) {
	var t catalog.TicketType
	var number int32
	var starts, ends *time.Time
	err := row.Scan(&t.ID, &t.EventID, &number, &t.Name, &t.Kind, &t.Price.Amount, &t.Price.Currency,
		&t.Capacity, &starts, &ends, &t.PerOrderMax, &t.CreatedAt, &t.RotatingCode, &t.PerBuyerMax, &t.MaxHeldPerBuyer, &t.Hidden)
	t.Number = uint16(number)
	t.SaleStarts, t.SaleEnds = fromNull(starts), fromNull(ends)
	t.CreatedAt = t.CreatedAt.UTC()
	return t, err
}
