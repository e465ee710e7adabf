package bolt

import (
	"context"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/merch"
)

var bucketPickups = []byte("pickups") // order id, 0, ticket type id -> merch.Pickup JSON

var _ merch.Store = (*DB)(nil)

// ClaimPickups implements merch.Store in one write transaction, which
// bbolt runs one at a time: two desks claiming one line are serialised,
// and the second finds the first's pickup.
func (s *DB) ClaimPickups(ctx context.Context, ps []merch.Pickup) (claimed, earlier []merch.Pickup, err error) {
	if err := merch.CheckClaim(ps); err != nil {
		return nil, nil, err
	}
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		claimed, earlier = nil, nil
		b := tx.Bucket(bucketPickups)
		for _, p := range ps {
			key := join(p.OrderID, p.TicketTypeID)
			var old merch.Pickup
			if ok, err := get(b, key, &old); err != nil {
				return err
			} else if ok {
				earlier = append(earlier, old)
				continue
			}
			p.At = storedTime(p.At)
			if err := put(b, key, p); err != nil {
				return err
			}
			claimed = append(claimed, p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("claim pickups of order %s: %w", ps[0].OrderID, err)
	}
	return claimed, earlier, nil
}
