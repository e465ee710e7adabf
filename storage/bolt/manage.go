package bolt

import (
	"context"
	"encoding/json"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/catalog"
)

// The organizer's desk: an organization's venues, and editing and removing
// venues, ticket types and draft events (catalog.Store).

// OrgVenues implements catalog.Store. bbolt keeps no index of venues by
// organization: a page reads the venues bucket from after until it has
// limit venues of orgID, as OrgEvents does.
func (s *DB) OrgVenues(ctx context.Context, orgID, after string, limit int) ([]catalog.Venue, error) {
	if limit < 1 {
		return nil, fmt.Errorf("list venues of org %s: limit %d: %w", orgID, limit, catalog.ErrInvalid)
	}
	var venues []catalog.Venue
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return scanAfter(tx.Bucket(bucketVenues), after, func(k, v []byte) (bool, error) {
			var ven catalog.Venue
			if err := json.Unmarshal(v, &ven); err != nil {
				return false, fmt.Errorf("decode venue %q: %w", k, err)
			}
			if ven.OrgID == orgID {
				venues = append(venues, ven)
			}
			return len(venues) < limit, nil
		})
	})
	if err != nil {
		return nil, err
	}
	return venues, nil
}

// UpdateVenue implements catalog.Store.
func (s *DB) UpdateVenue(ctx context.Context, id string, fn func(*catalog.Venue) error) (catalog.Venue, error) {
	var next catalog.Venue
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		var old catalog.Venue
		if err := find(tx, bucketVenues, "venue", id, &old); err != nil {
			return err
		}
		next = old
		if err := fn(&next); err != nil {
			return err
		}
		if next.ID != old.ID || next.OrgID != old.OrgID || !next.CreatedAt.Equal(old.CreatedAt) {
			return fmt.Errorf("update venue %s: id, org_id and created_at cannot change: %w", id, catalog.ErrInvalid)
		}
		return put(tx.Bucket(bucketVenues), []byte(id), next)
	})
	if err != nil {
		return catalog.Venue{}, err
	}
	return next, nil
}

// DeleteVenue implements catalog.Store. Whether an event is at the venue
// is read from the whole events bucket (no index by venue), in the
// deleting transaction.
func (s *DB) DeleteVenue(ctx context.Context, id string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		if err := mustExist(tx, bucketVenues, "venue", id); err != nil {
			return err
		}
		var user string
		err := scanAfter(tx.Bucket(bucketEvents), "", func(k, v []byte) (bool, error) {
			var e struct {
				VenueID string `json:"venue_id"`
			}
			if err := json.Unmarshal(v, &e); err != nil {
				return false, fmt.Errorf("decode event %q: %w", k, err)
			}
			if e.VenueID == id {
				user = string(k)
			}
			return user == "", nil
		})
		if err != nil {
			return err
		}
		if user != "" {
			return fmt.Errorf("venue %s: event %s is there: %w", id, user, catalog.ErrInUse)
		}
		return tx.Bucket(bucketVenues).Delete([]byte(id))
	})
}

// ticketTypeByID finds ticket type id among the event's, with its key.
func ticketTypeByID(tx *bbolt.Tx, eventID, id string) ([]byte, catalog.TicketType, error) {
	p := prefix(eventID)
	c := tx.Bucket(bucketTicketTypes).Cursor()
	for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
		var t catalog.TicketType
		if err := json.Unmarshal(v, &t); err != nil {
			return nil, t, fmt.Errorf("decode ticket type %q: %w", k, err)
		}
		if t.ID == id {
			return append([]byte(nil), k...), t, nil
		}
	}
	return nil, catalog.TicketType{}, fmt.Errorf("ticket type %s of event %s: %w", id, eventID, catalog.ErrNotFound)
}

// UpdateTicketType implements catalog.Store.
func (s *DB) UpdateTicketType(ctx context.Context, eventID, id string, fn func(*catalog.TicketType) error) (catalog.TicketType, error) {
	var next catalog.TicketType
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		key, old, err := ticketTypeByID(tx, eventID, id)
		if err != nil {
			return err
		}
		next = old
		if err := fn(&next); err != nil {
			return err
		}
		if next.ID != old.ID || next.EventID != old.EventID || next.Number != old.Number || next.Kind != old.Kind || !next.CreatedAt.Equal(old.CreatedAt) {
			return fmt.Errorf("update ticket type %s: id, event, number, kind and created_at cannot change: %w", id, catalog.ErrInvalid)
		}
		next.SaleStarts, next.SaleEnds = storedTime(next.SaleStarts), storedTime(next.SaleEnds)
		return put(tx.Bucket(bucketTicketTypes), key, next)
	})
	if err != nil {
		return catalog.TicketType{}, err
	}
	return next, nil
}

// DeleteTicketType implements catalog.Store.
func (s *DB) DeleteTicketType(ctx context.Context, eventID, id string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		key, _, err := ticketTypeByID(tx, eventID, id)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketTicketIDs).Delete([]byte(id)); err != nil {
			return err
		}
		return tx.Bucket(bucketTicketTypes).Delete(key)
	})
}

// DeleteEvent implements catalog.Store: gates of the event (event_gates)
// or an inventory row of it (a hold was ever made) make it ErrInUse.
func (s *DB) DeleteEvent(ctx context.Context, id string, check func(catalog.Event) error) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		var e catalog.Event
		if err := find(tx, bucketEvents, "event", id, &e); err != nil {
			return err
		}
		if err := check(e); err != nil {
			return err
		}
		p := prefix(id)
		if k, _ := tx.Bucket(bucketEventGates).Cursor().Seek(p); k != nil && hasPrefix(k, p) {
			return fmt.Errorf("event %s has gates: %w", id, catalog.ErrInUse)
		}
		if tx.Bucket(bucketInventory).Get([]byte(id)) != nil {
			return fmt.Errorf("event %s has had holds: %w", id, catalog.ErrInUse)
		}
		types, ids := tx.Bucket(bucketTicketTypes), tx.Bucket(bucketTicketIDs)
		var keys [][]byte
		c := types.Cursor()
		for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
			var t catalog.TicketType
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("decode ticket type %q: %w", k, err)
			}
			if err := ids.Delete([]byte(t.ID)); err != nil {
				return err
			}
			keys = append(keys, append([]byte(nil), k...))
		}
		for _, k := range keys {
			if err := types.Delete(k); err != nil {
				return err
			}
		}
		if err := deleteRoom(tx, id); err != nil {
			return err
		}
		if err := deleteEventCodes(tx, id); err != nil {
			return err
		}
		return tx.Bucket(bucketEvents).Delete([]byte(id))
	})
}
