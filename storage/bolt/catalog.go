package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	bbolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
)

var _ catalog.Store = (*DB)(nil)

// CreateOrg implements catalog.Store.
func (s *DB) CreateOrg(ctx context.Context, o catalog.Organization) error {
	o.CreatedAt = storedTime(o.CreatedAt)
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		return create(tx.Bucket(bucketOrgs), o.ID, o)
	})
	if err != nil {
		return fmt.Errorf("create org %s: %w", o.ID, err)
	}
	return nil
}

// CreateOrgWithOrganizer implements catalog.Store.
func (s *DB) CreateOrgWithOrganizer(ctx context.Context, o catalog.Organization, userID string) error {
	o.CreatedAt = storedTime(o.CreatedAt)
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if _, err := getUser(tx, userID); err != nil {
			return err
		}
		if err := create(tx.Bucket(bucketOrgs), o.ID, o); err != nil {
			return err
		}
		m := account.Membership{UserID: userID, OrgID: o.ID, Role: account.RoleOrganizer}
		return put(tx.Bucket(bucketMemberships), join(m.UserID, m.OrgID), m)
	})
	if err != nil {
		return fmt.Errorf("create org %s with organizer %s: %w", o.ID, userID, err)
	}
	return nil
}

// Org implements catalog.Store.
func (s *DB) Org(ctx context.Context, id string) (catalog.Organization, error) {
	var o catalog.Organization
	err := s.view(ctx, func(tx *bbolt.Tx) error { return find(tx, bucketOrgs, "org", id, &o) })
	return o, err
}

// CreateVenue implements catalog.Store. The venue's organization must
// exist.
func (s *DB) CreateVenue(ctx context.Context, v catalog.Venue) error {
	v.CreatedAt = storedTime(v.CreatedAt)
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if err := mustExist(tx, bucketOrgs, "org", v.OrgID); err != nil {
			return err
		}
		return create(tx.Bucket(bucketVenues), v.ID, v)
	})
	if err != nil {
		return fmt.Errorf("create venue %s: %w", v.ID, err)
	}
	return nil
}

// Venue implements catalog.Store.
func (s *DB) Venue(ctx context.Context, id string) (catalog.Venue, error) {
	var v catalog.Venue
	err := s.view(ctx, func(tx *bbolt.Tx) error { return find(tx, bucketVenues, "venue", id, &v) })
	return v, err
}

func storedEvent(e catalog.Event) catalog.Event {
	e.Tags = storedSlice(e.Tags)
	e.Images = storedSlice(e.Images)
	e.StartsAt = storedTime(e.StartsAt)
	e.EndsAt = storedTime(e.EndsAt)
	e.DoorsAt = storedTime(e.DoorsAt)
	e.CreatedAt = storedTime(e.CreatedAt)
	e.UpdatedAt = storedTime(e.UpdatedAt)
	return e
}

// eventRefs checks that an event's organization and venue (if any) exist.
func eventRefs(tx *bbolt.Tx, e catalog.Event) error {
	if err := mustExist(tx, bucketOrgs, "org", e.OrgID); err != nil {
		return err
	}
	if e.VenueID == "" {
		return nil
	}
	return mustExist(tx, bucketVenues, "venue", e.VenueID)
}

// CreateEvent implements catalog.Store. The event's organization and its
// venue, when set, must exist.
func (s *DB) CreateEvent(ctx context.Context, e catalog.Event) error {
	e = storedEvent(e)
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if err := eventRefs(tx, e); err != nil {
			return err
		}
		return create(tx.Bucket(bucketEvents), e.ID, e)
	})
	if err != nil {
		return fmt.Errorf("create event %s: %w", e.ID, err)
	}
	return nil
}

// Event implements catalog.Store.
func (s *DB) Event(ctx context.Context, id string) (catalog.Event, error) {
	var e catalog.Event
	err := s.view(ctx, func(tx *bbolt.Tx) error { return find(tx, bucketEvents, "event", id, &e) })
	return e, err
}

// UpdateEvent implements catalog.Store. An error from fn is returned as it
// is; changing ID fails with catalog.ErrInvalid. Version becomes the
// stored version plus one, whatever fn set.
func (s *DB) UpdateEvent(ctx context.Context, id string, fn func(*catalog.Event) error) (catalog.Event, error) {
	var next catalog.Event
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		var old catalog.Event
		if err := find(tx, bucketEvents, "event", id, &old); err != nil {
			return err
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
		next = storedEvent(next)
		next.Version = old.Version + 1
		if err := eventRefs(tx, next); err != nil {
			return fmt.Errorf("update event %s: %w", id, err)
		}
		return put(tx.Bucket(bucketEvents), []byte(id), next)
	})
	if err != nil {
		return catalog.Event{}, err
	}
	return next, nil
}

// Events implements catalog.Store. A limit below 1 is catalog.ErrInvalid.
func (s *DB) Events(ctx context.Context, after string, limit int) ([]catalog.Event, error) {
	if limit < 1 {
		return nil, fmt.Errorf("list events: limit %d: %w", limit, catalog.ErrInvalid)
	}
	var events []catalog.Event
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		k, v := c.Seek([]byte(after))
		if k != nil && string(k) == after {
			k, v = c.Next()
		}
		for ; k != nil && len(events) < limit; k, v = c.Next() {
			var e catalog.Event
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode event %q: %w", k, err)
			}
			events = append(events, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return events, nil
}

// Orgs implements catalog.Store. A limit below 1 is catalog.ErrInvalid.
func (s *DB) Orgs(ctx context.Context, after string, limit int) ([]catalog.Organization, error) {
	if limit < 1 {
		return nil, fmt.Errorf("list orgs: limit %d: %w", limit, catalog.ErrInvalid)
	}
	var orgs []catalog.Organization
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return scanAfter(tx.Bucket(bucketOrgs), after, func(k, v []byte) (bool, error) {
			var o catalog.Organization
			if err := json.Unmarshal(v, &o); err != nil {
				return false, fmt.Errorf("decode org %q: %w", k, err)
			}
			orgs = append(orgs, o)
			return len(orgs) < limit, nil
		})
	})
	if err != nil {
		return nil, err
	}
	return orgs, nil
}

// OrgEvents implements catalog.Store. A limit below 1 is
// catalog.ErrInvalid. bbolt keeps no index of events by organization, so
// a page reads the events bucket from after until it has limit events
// of orgID: fine for the number of events one server holds.
func (s *DB) OrgEvents(ctx context.Context, orgID, after string, limit int) ([]catalog.Event, error) {
	if limit < 1 {
		return nil, fmt.Errorf("list events of org %s: limit %d: %w", orgID, limit, catalog.ErrInvalid)
	}
	var events []catalog.Event
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return scanAfter(tx.Bucket(bucketEvents), after, func(k, v []byte) (bool, error) {
			var e catalog.Event
			if err := json.Unmarshal(v, &e); err != nil {
				return false, fmt.Errorf("decode event %q: %w", k, err)
			}
			if e.OrgID == orgID {
				events = append(events, e)
			}
			return len(events) < limit, nil
		})
	})
	if err != nil {
		return nil, err
	}
	return events, nil
}

// scanAfter calls fn on the bucket's entries with keys greater than
// after, in key order, while fn returns true.
func scanAfter(b *bbolt.Bucket, after string, fn func(k, v []byte) (bool, error)) error {
	c := b.Cursor()
	k, v := c.Seek([]byte(after))
	if k != nil && string(k) == after {
		k, v = c.Next()
	}
	for ; k != nil; k, v = c.Next() {
		more, err := fn(k, v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// CreateTicketType implements catalog.Store. The event must exist; the
// type's Number is replaced by one more than the event's highest so far.
func (s *DB) CreateTicketType(ctx context.Context, t catalog.TicketType) (catalog.TicketType, error) {
	t.SaleStarts = storedTime(t.SaleStarts)
	t.SaleEnds = storedTime(t.SaleEnds)
	t.CreatedAt = storedTime(t.CreatedAt)
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if err := mustExist(tx, bucketEvents, "event", t.EventID); err != nil {
			return err
		}
		ids := tx.Bucket(bucketTicketIDs)
		if ids.Get([]byte(t.ID)) != nil {
			return catalog.ErrExists
		}
		types := tx.Bucket(bucketTicketTypes)
		last := lastTicketNumber(types, t.EventID)
		if last == math.MaxUint16 {
			return fmt.Errorf("event %s has %d ticket types, the most a token can name: %w", t.EventID, last, catalog.ErrInvalid)
		}
		t.Number = last + 1
		if err := ids.Put([]byte(t.ID), nil); err != nil {
			return err
		}
		return put(types, ticketTypeKey(t.EventID, t.Number), t)
	})
	if err != nil {
		return catalog.TicketType{}, fmt.Errorf("create ticket type %s: %w", t.ID, err)
	}
	return t, nil
}

func ticketTypeKey(eventID string, number uint16) []byte {
	return binary.BigEndian.AppendUint16(prefix(eventID), number)
}

// lastTicketNumber is the highest ticket type number of an event, 0 if it
// has none: the key just before the first key past the event's prefix.
func lastTicketNumber(types *bbolt.Bucket, eventID string) uint16 {
	p := prefix(eventID)
	past := append([]byte(eventID), 1)
	c := types.Cursor()
	var k []byte
	if k, _ = c.Seek(past); k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if k == nil || !hasPrefix(k, p) || len(k) != len(p)+2 {
		return 0
	}
	return binary.BigEndian.Uint16(k[len(p):])
}

// TicketTypes implements catalog.Store: an event's types in number order;
// none (not an error) for an unknown event.
func (s *DB) TicketTypes(ctx context.Context, eventID string) ([]catalog.TicketType, error) {
	var types []catalog.TicketType
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		p := prefix(eventID)
		c := tx.Bucket(bucketTicketTypes).Cursor()
		for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
			var t catalog.TicketType
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("decode ticket type %q: %w", k, err)
			}
			types = append(types, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return types, nil
}

// create stores v at id unless id is taken.
func create(b *bbolt.Bucket, id string, v any) error {
	if b.Get([]byte(id)) != nil {
		return catalog.ErrExists
	}
	return put(b, []byte(id), v)
}

// find decodes the entity at id into v, or returns catalog.ErrNotFound
// naming it.
func find(tx *bbolt.Tx, bucket []byte, what, id string, v any) error {
	ok, err := get(tx.Bucket(bucket), []byte(id), v)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s %s: %w", what, id, catalog.ErrNotFound)
	}
	return nil
}

// mustExist is find without decoding.
func mustExist(tx *bbolt.Tx, bucket []byte, what, id string) error {
	if tx.Bucket(bucket).Get([]byte(id)) == nil {
		return fmt.Errorf("%s %s: %w", what, id, catalog.ErrNotFound)
	}
	return nil
}
