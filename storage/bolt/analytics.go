package bolt

import (
	"context"
	"encoding/json"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/analytics"
	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/purchase"
)

var _ analytics.Store = (*DB)(nil)

// EventCounts implements analytics.Store in one read transaction: the
// event's orders (a scan of all orders, as OrdersOfEvent), their
// tickets, its lineage records, conflicts and the check-ins in its
// change log.
func (s *DB) EventCounts(ctx context.Context, eventID string) (analytics.Counts, error) {
	c := analytics.Counts{Tickets: map[string]analytics.TicketCounts{}, Revenue: map[string]analytics.RevenueCounts{},
		Entries: map[string]int{}}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		tickets, entered := tx.Bucket(bucketTickets), tx.Bucket(bucketTicketEntered)
		err := tx.Bucket(bucketOrders).ForEach(func(k, v []byte) error {
			var o orderRecord
			if err := json.Unmarshal(v, &o); err != nil {
				return fmt.Errorf("order %s: %w", k, err)
			}
			if o.EventID != eventID || (o.Status != purchase.StatusPaid && o.Status != purchase.StatusRefunded) {
				return nil
			}
			r := c.Revenue[o.Total.Currency]
			r.Paid += o.Total.Amount
			if o.Status == purchase.StatusRefunded {
				r.Refunded += o.Total.Amount
			}
			c.Revenue[o.Total.Currency] = r
			for _, tk := range keysWithPrefix(tx.Bucket(bucketOrderTickets), prefix(o.ID)) {
				var t purchase.Ticket
				if ok, err := get(tickets, tk[len(o.ID)+1+8:], &t); err != nil || !ok {
					return fmt.Errorf("ticket %s of order %s: missing (%v)", tk[len(o.ID)+1+8:], o.ID, err)
				}
				tc := c.Tickets[t.TicketTypeID]
				switch {
				case t.Status == purchase.TicketValid:
					tc.Valid++
					if entered.Get(join(eventID, t.Root())) == nil {
						c.NeverEntered++
					}
				case t.ReplacedBy == "":
					tc.Revoked++
				}
				c.Tickets[t.TicketTypeID] = tc
			}
			return nil
		})
		if err != nil {
			return err
		}
		c.CheckedIn = len(keysWithPrefix(entered, prefix(eventID)))
		c.Inside = len(keysWithPrefix(tx.Bucket(bucketTicketInside), prefix(eventID)))
		c.Conflicts = len(keysWithPrefix(tx.Bucket(bucketConflicts), prefix(eventID)))
		p := prefix(eventID)
		cur := tx.Bucket(bucketChanges).Cursor()
		for k, v := cur.Seek(p); k != nil && hasPrefix(k, p); k, v = cur.Next() {
			var ch changelog.Change
			if err := json.Unmarshal(v, &ch); err != nil {
				return fmt.Errorf("change %q: %w", k, err)
			}
			if ch.Kind == changelog.KindCheckin && ch.Direction == bundle.Entry {
				c.Entries[ch.GateID]++
			}
		}
		return nil
	})
	return c, err
}
