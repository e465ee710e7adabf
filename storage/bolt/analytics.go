package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/analytics"
	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

var _ analytics.Store = (*DB)(nil)

// The analytics indexes: compact per-event keys written in the same
// transaction as the order, ticket or check-in they describe, so
// EventCounts walks an event's keys instead of decoding every order,
// ticket and change log entry. They are derived data: Open builds them
// from the records when a file written before them is first opened.
var (
	bucketEventOrders  = []byte("event_orders")  // event id, 0, order id -> orderFact
	bucketEventTickets = []byte("event_tickets") // event id, 0, lineage root, 0, ticket id -> ticket state byte, ticket type id
	bucketEventEntries = []byte("event_entries") // event id, 0, gate id, 0, minute (8 bytes, see minuteKey), check-in id -> nothing: entry check-ins
)

// Ticket states in bucketEventTickets.
const (
	ticketStateValid    = 'v'
	ticketStateRevoked  = 'r' // revoked and not replaced: a refund
	ticketStateReplaced = 't' // replaced by a transfer's new ticket
)

// orderFact is what EventCounts needs of an order, in a fixed layout:
// amount (8 bytes), paid at (Unix microseconds, 8 bytes, 0 if never),
// tickets (4 bytes), the currency's length (1 byte), the currency, then
// the status.
type orderFact struct {
	Amount   int64
	PaidAt   int64
	Tickets  uint32
	Currency string
	Status   purchase.Status
}

func (f orderFact) encode() []byte {
	b := make([]byte, 0, 21+len(f.Currency)+len(f.Status))
	b = binary.BigEndian.AppendUint64(b, uint64(f.Amount))
	b = binary.BigEndian.AppendUint64(b, uint64(f.PaidAt))
	b = binary.BigEndian.AppendUint32(b, f.Tickets)
	b = append(b, byte(len(f.Currency)))
	b = append(b, f.Currency...)
	return append(b, f.Status...)
}

func decodeOrderFact(b []byte) (orderFact, error) {
	if len(b) < 21 || len(b) < 21+int(b[20]) {
		return orderFact{}, errors.New("order fact too short")
	}
	n := 21 + int(b[20])
	return orderFact{
		Amount: int64(binary.BigEndian.Uint64(b)), PaidAt: int64(binary.BigEndian.Uint64(b[8:])),
		Tickets: binary.BigEndian.Uint32(b[16:]), Currency: string(b[21:n]), Status: purchase.Status(b[n:]),
	}, nil
}

// putOrder stores an order and its analytics fact.
func putOrder(tx *bbolt.Tx, rec orderRecord) error {
	if err := put(tx.Bucket(bucketOrders), []byte(rec.ID), rec); err != nil {
		return err
	}
	return indexOrder(tx, rec.Order)
}

func indexOrder(tx *bbolt.Tx, o purchase.Order) error {
	f := orderFact{Amount: o.Total.Amount, Currency: o.Total.Currency, Status: o.Status}
	if !o.PaidAt.IsZero() {
		f.PaidAt = o.PaidAt.UnixMicro()
	}
	for _, l := range o.Lines {
		f.Tickets += uint32(l.Quantity)
	}
	b, k := tx.Bucket(bucketEventOrders), join(o.EventID, o.ID)
	d := figureDeltas{}
	if v := b.Get(k); v != nil {
		was, err := decodeOrderFact(v)
		if err != nil {
			return fmt.Errorf("order %s: %w", o.ID, err)
		}
		d.order(was, -1)
	}
	d.order(f, 1)
	if err := d.apply(tx, o.EventID); err != nil {
		return err
	}
	return b.Put(k, f.encode())
}

// indexTicket records t's state under its event and lineage.
func indexTicket(tx *bbolt.Tx, t purchase.Ticket) error {
	state := byte(ticketStateValid)
	switch {
	case t.Status == purchase.TicketValid:
	case t.ReplacedBy == "":
		state = ticketStateRevoked
	default:
		state = ticketStateReplaced
	}
	b, k, v := tx.Bucket(bucketEventTickets), join(t.EventID, t.Root(), t.ID), append([]byte{state}, t.TicketTypeID...)
	entered := tx.Bucket(bucketTicketEntered).Get(join(t.EventID, t.Root())) != nil
	d := figureDeltas{}
	d.ticket(b.Get(k), entered, -1)
	d.ticket(v, entered, 1)
	if err := d.apply(tx, t.EventID); err != nil {
		return err
	}
	return b.Put(k, v)
}

// minuteKey is a time's minute as 8 big-endian bytes that sort as the
// times do.
func minuteKey(at time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(at.Unix()/60)^(1<<63))
}

// indexEntry records an entry check-in under its event, gate and minute,
// and adds it to the event's entries in d (which the caller applies).
func indexEntry(tx *bbolt.Tx, c changelog.Checkin, d figureDeltas) error {
	if c.Direction != bundle.Entry {
		return nil
	}
	k := append(join(c.EventID, c.GateID), 0)
	k = append(append(k, minuteKey(c.At)...), c.ID...)
	b := tx.Bucket(bucketEventEntries)
	if b.Get(k) != nil {
		return nil
	}
	// The minute as minuteKey has it.
	d[figure{kind: figEntries, part: c.GateID, at: time.Unix(c.At.Unix()/60*60, 0).UTC()}]++
	return b.Put(k, nil)
}

// buildAnalyticsIndexes fills the analytics indexes from the records: run
// by Open when the indexes are new in the file.
func buildAnalyticsIndexes(tx *bbolt.Tx) error {
	err := tx.Bucket(bucketOrders).ForEach(func(k, v []byte) error {
		var rec orderRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("order %s: %w", k, err)
		}
		return indexOrder(tx, rec.Order)
	})
	if err != nil {
		return err
	}
	err = tx.Bucket(bucketTickets).ForEach(func(k, v []byte) error {
		var t purchase.Ticket
		if err := json.Unmarshal(v, &t); err != nil {
			return fmt.Errorf("ticket %s: %w", k, err)
		}
		return indexTicket(tx, t)
	})
	if err != nil {
		return err
	}
	return tx.Bucket(bucketCheckins).ForEach(func(k, v []byte) error {
		var rec checkinRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("check-in %s: %w", k, err)
		}
		// The figures are counted afresh after the indexes
		// (buildFigures).
		return indexEntry(tx, rec.Checkin, figureDeltas{})
	})
}

// walkCounts counts an event's figures by walking its keys in the
// analytics indexes, its lineage records and conflicts (only the
// conflicts are decoded from JSON): what the event's figures in
// bucketEventFigures must equal. Open uses it to build the figures of a
// file written before them; tests compare the two.
func walkCounts(tx *bbolt.Tx, eventID string) (analytics.Counts, error) {
	c := analytics.NewCounts()
	p := prefix(eventID)
	err := func() error {
		cur := tx.Bucket(bucketEventOrders).Cursor()
		for k, v := cur.Seek(p); k != nil && hasPrefix(k, p); k, v = cur.Next() {
			f, err := decodeOrderFact(v)
			if err != nil {
				return fmt.Errorf("order %s: %w", k[len(p):], err)
			}
			if f.Status != purchase.StatusPaid && f.Status != purchase.StatusRefunded {
				continue
			}
			r := c.Revenue[f.Currency]
			r.Paid += f.Amount
			if f.Status == purchase.StatusRefunded {
				r.Refunded += f.Amount
			}
			c.Revenue[f.Currency] = r
			hour := time.UnixMicro(f.PaidAt).UTC().Truncate(time.Hour)
			sc := c.Sales[hour]
			sc.Orders++
			sc.Units += int(f.Tickets)
			c.Sales[hour] = sc
		}

		// The event's tickets and its entered lineages, both in root
		// order: one merge counts the lineages entered and finds the
		// valid tickets never entered.
		entered := tx.Bucket(bucketTicketEntered).Cursor()
		ek, _ := entered.Seek(p)
		next := func() {
			c.CheckedIn++
			ek, _ = entered.Next()
		}
		types := map[string]*analytics.TicketCounts{}
		var lastType []byte
		var tc *analytics.TicketCounts
		cur = tx.Bucket(bucketEventTickets).Cursor()
		for k, v := cur.Seek(p); k != nil && hasPrefix(k, p); k, v = cur.Next() {
			rest := k[len(p):]
			i := bytes.IndexByte(rest, 0)
			if i < 0 || len(v) < 1 {
				return fmt.Errorf("ticket index key %q: malformed", k)
			}
			if tc == nil || !bytes.Equal(v[1:], lastType) {
				lastType = append(lastType[:0], v[1:]...)
				if tc = types[string(lastType)]; tc == nil {
					tc = &analytics.TicketCounts{}
					types[string(lastType)] = tc
				}
			}
			switch v[0] {
			case ticketStateValid:
				tc.Valid++
				root := rest[:i]
				for ek != nil && hasPrefix(ek, p) && bytes.Compare(ek[len(p):], root) < 0 {
					next()
				}
				if ek == nil || !hasPrefix(ek, p) || !bytes.Equal(ek[len(p):], root) {
					c.NeverEntered++
				}
			case ticketStateRevoked:
				tc.Revoked++
			}
		}
		for ek != nil && hasPrefix(ek, p) {
			next()
		}
		for id, tc := range types {
			c.Tickets[id] = *tc
		}
		c.Inside = countPrefix(tx.Bucket(bucketTicketInside), p)

		cur = tx.Bucket(bucketConflicts).Cursor()
		for k, v := cur.Seek(p); k != nil && hasPrefix(k, p); k, v = cur.Next() {
			var cf ticketsync.Conflict
			if err := json.Unmarshal(v, &cf); err != nil {
				return fmt.Errorf("conflict %q: %w", k, err)
			}
			c.Conflicts++
			if cf.First.Offline || cf.Second.Offline {
				c.OfflineConflicts++
			}
		}

		// Entries are keyed by gate, then minute: count runs of one
		// gate's minute.
		var run analytics.GateMinute
		n := 0
		flush := func() {
			if n > 0 {
				c.Entries[run.GateID] += n
				c.EntryMinutes[run] += n
			}
		}
		cur = tx.Bucket(bucketEventEntries).Cursor()
		for k, _ := cur.Seek(p); k != nil && hasPrefix(k, p); k, _ = cur.Next() {
			rest := k[len(p):]
			i := bytes.IndexByte(rest, 0)
			if i < 0 || len(rest) < i+1+8 {
				return fmt.Errorf("entry index key %q: malformed", k)
			}
			minute := time.Unix(int64(binary.BigEndian.Uint64(rest[i+1:])^(1<<63))*60, 0).UTC()
			if string(rest[:i]) != run.GateID || !minute.Equal(run.Minute) {
				flush()
				run, n = analytics.GateMinute{GateID: string(rest[:i]), Minute: minute}, 0
			}
			n++
		}
		flush()
		return nil
	}()
	if err != nil {
		return analytics.Counts{}, err
	}
	return c, nil
}

// countPrefix counts the keys that start with p.
func countPrefix(b *bbolt.Bucket, p []byte) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
		n++
	}
	return n
}
