package bolt

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/voucher"
)

var _ voucher.Store = (*DB)(nil)

// Code buckets. A code is found by its lookup (voucher.Lookup), never by
// its text; its uses are counted in bucketInventory (purchase.CodeKey).
var (
	bucketCodes       = []byte("codes")        // code id -> voucher.Code JSON
	bucketCodeLookups = []byte("code_lookups") // lookup -> code id
	bucketEventCodes  = []byte("event_codes")  // event id, 0, code id -> nothing
)

// storedCode is c as both backends return it.
func storedCode(c voucher.Code) voucher.Code {
	c.TicketTypeIDs = slices.Clone(c.TicketTypeIDs)
	if c.TicketTypeIDs == nil {
		c.TicketTypeIDs = []string{}
	}
	c.ValidFrom, c.ValidUntil = storedTime(c.ValidFrom), storedTime(c.ValidUntil)
	c.DisabledAt, c.CreatedAt = storedTime(c.DisabledAt), storedTime(c.CreatedAt)
	return c
}

// CreateCode implements voucher.Store.
func (s *DB) CreateCode(ctx context.Context, c voucher.Code) error {
	c = storedCode(c)
	key := voucher.Lookup(c.EventID, c.Code)
	return s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketEvents).Get([]byte(c.EventID)) == nil {
			return fmt.Errorf("create code: event %s: %w", c.EventID, voucher.ErrNotFound)
		}
		codes, lookups := tx.Bucket(bucketCodes), tx.Bucket(bucketCodeLookups)
		if codes.Get([]byte(c.ID)) != nil || lookups.Get(key) != nil {
			return fmt.Errorf("create code %s: %w", c.ID, voucher.ErrExists)
		}
		events := tx.Bucket(bucketEventCodes)
		if len(keysWithPrefix(events, prefix(c.EventID))) >= voucher.MaxCodesPerEvent {
			return fmt.Errorf("create code: event %s has %d codes, the most it may have: %w", c.EventID, voucher.MaxCodesPerEvent, voucher.ErrInvalid)
		}
		if err := lookups.Put(key, []byte(c.ID)); err != nil {
			return err
		}
		if err := events.Put(join(c.EventID, c.ID), nil); err != nil {
			return err
		}
		return put(codes, []byte(c.ID), c)
	})
}

func findCode(tx *bbolt.Tx, id string, c *voucher.Code) error {
	ok, err := get(tx.Bucket(bucketCodes), []byte(id), c)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("code %s: %w", id, voucher.ErrNotFound)
	}
	return nil
}

// CodeByLookup implements voucher.Store.
func (s *DB) CodeByLookup(ctx context.Context, eventID string, key []byte) (voucher.Code, error) {
	var c voucher.Code
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		id := tx.Bucket(bucketCodeLookups).Get(key)
		if id == nil {
			return fmt.Errorf("code: %w", voucher.ErrNotFound)
		}
		if err := findCode(tx, string(id), &c); err != nil {
			return err
		}
		if c.EventID != eventID {
			return fmt.Errorf("code: %w", voucher.ErrNotFound)
		}
		return nil
	})
	return c, err
}

// Code implements voucher.Store.
func (s *DB) Code(ctx context.Context, id string) (voucher.Code, error) {
	var c voucher.Code
	err := s.view(ctx, func(tx *bbolt.Tx) error { return findCode(tx, id, &c) })
	return c, err
}

// CodesOfEvent implements voucher.Store.
func (s *DB) CodesOfEvent(ctx context.Context, eventID string) ([]voucher.Code, error) {
	var out []voucher.Code
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		p := prefix(eventID)
		for _, k := range keysWithPrefix(tx.Bucket(bucketEventCodes), p) {
			var c voucher.Code
			if err := findCode(tx, string(k[len(p):]), &c); err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b voucher.Code) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return bytes.Compare([]byte(a.ID), []byte(b.ID))
	})
	return out, err
}

// DisableCode implements voucher.Store.
func (s *DB) DisableCode(ctx context.Context, id string, at time.Time) (voucher.Code, error) {
	var c voucher.Code
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if err := findCode(tx, id, &c); err != nil {
			return err
		}
		if !c.DisabledAt.IsZero() {
			return nil
		}
		c.DisabledAt = storedTime(at)
		return put(tx.Bucket(bucketCodes), []byte(id), c)
	})
	return c, err
}

// deleteEventCodes removes event eventID's codes and their lookups (the
// event is being deleted: a draft nothing was held of, so no use of them
// is counted anywhere).
func deleteEventCodes(tx *bbolt.Tx, eventID string) error {
	codes, lookups, byEvent := tx.Bucket(bucketCodes), tx.Bucket(bucketCodeLookups), tx.Bucket(bucketEventCodes)
	p := prefix(eventID)
	var keys [][]byte
	c := byEvent.Cursor()
	for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		id := k[len(p):]
		var code voucher.Code
		if _, err := get(codes, id, &code); err != nil {
			return err
		}
		if err := lookups.Delete(voucher.Lookup(code.EventID, code.Code)); err != nil {
			return err
		}
		if err := codes.Delete(id); err != nil {
			return err
		}
		if err := byEvent.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
