package bolt

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/admitone/admitone/purchase"
)

// Ticket link buckets.
var (
	bucketLinks       = []byte("ticket_links")       // link hash -> purchase.Link JSON
	bucketTicketLinks = []byte("ticket_links_by_tk") // ticket id, 0, link hash -> nothing
)

var _ purchase.LinkStore = (*DB)(nil)

func ticketLinkKey(ticketID, hash string) []byte {
	return append(append([]byte(ticketID), 0), hash...)
}

// CreateLink implements purchase.LinkStore.
func (s *DB) CreateLink(ctx context.Context, l purchase.Link) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketTickets).Get([]byte(l.TicketID)) == nil {
			return fmt.Errorf("link to ticket %s: %w", l.TicketID, purchase.ErrNotFound)
		}
		links := tx.Bucket(bucketLinks)
		if links.Get([]byte(l.Hash)) != nil {
			return fmt.Errorf("link to ticket %s: hash taken: %w", l.TicketID, purchase.ErrConflict)
		}
		if err := put(links, []byte(l.Hash), l); err != nil {
			return err
		}
		return tx.Bucket(bucketTicketLinks).Put(ticketLinkKey(l.TicketID, l.Hash), nil)
	})
}

func getLink(tx *bbolt.Tx, hash string) (purchase.Link, error) {
	var l purchase.Link
	ok, err := get(tx.Bucket(bucketLinks), []byte(hash), &l)
	if err == nil && !ok {
		err = fmt.Errorf("ticket link: %w", purchase.ErrNotFound)
	}
	return l, err
}

// Link implements purchase.LinkStore.
func (s *DB) Link(ctx context.Context, hash string) (purchase.Link, error) {
	var l purchase.Link
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		l, err = getLink(tx, hash)
		return err
	})
	return l, err
}

// BindLink implements purchase.LinkStore.
func (s *DB) BindLink(ctx context.Context, hash, deviceHash string, at time.Time) (purchase.Link, error) {
	var l purchase.Link
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		var err error
		if l, err = getLink(tx, hash); err != nil || l.DeviceHash != "" {
			return err
		}
		l.DeviceHash, l.BoundAt = deviceHash, at.UTC().Truncate(time.Microsecond)
		return put(tx.Bucket(bucketLinks), []byte(hash), l)
	})
	return l, err
}

// eachTicketLink calls fn with every link of a ticket.
func eachTicketLink(tx *bbolt.Tx, ticketID string, fn func(purchase.Link) error) error {
	prefix := append([]byte(ticketID), 0)
	c := tx.Bucket(bucketTicketLinks).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		l, err := getLink(tx, string(k[len(prefix):]))
		if err != nil {
			return err
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	return nil
}

// RevokeLinks implements purchase.LinkStore.
func (s *DB) RevokeLinks(ctx context.Context, ticketID string, at time.Time) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		n = 0
		var revoke []purchase.Link
		if err := eachTicketLink(tx, ticketID, func(l purchase.Link) error {
			if l.RevokedAt.IsZero() {
				revoke = append(revoke, l)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, l := range revoke {
			l.RevokedAt = at.UTC().Truncate(time.Microsecond)
			if err := put(tx.Bucket(bucketLinks), []byte(l.Hash), l); err != nil {
				return err
			}
		}
		n = len(revoke)
		return nil
	})
	return n, err
}

// CountLinks implements purchase.LinkStore.
func (s *DB) CountLinks(ctx context.Context, ticketID string, now time.Time) (int, error) {
	n := 0
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		n = 0
		return eachTicketLink(tx, ticketID, func(l purchase.Link) error {
			if l.RevokedAt.IsZero() && l.ExpiresAt.After(now) {
				n++
			}
			return nil
		})
	})
	return n, err
}
