package bolt

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/analytics"
	"github.com/admitone/admitone/purchase"
)

// An event's figures (analytics.Counts) are kept as they change, in the
// write transaction that changes them (bbolt has one writer, so a
// figure is never behind its records and two writes never race on it):
// indexOrder, indexTicket and recordCheckins (one apply for all the
// check-ins of a call) add what they change. EventCounts then reads a few hundred keys instead of walking
// every ticket and check-in of the event (walkCounts, which Open uses to
// build the figures of a file written before them, and tests to check
// the two agree).
//
// bucketEventFigures: event id, 0, figure kind (1 byte), part, 0, then
// for figures by time the minute or hour's Unix seconds (8 bytes, big
// endian) -> the figure (int64, big endian). A figure at zero has no key.
var bucketEventFigures = []byte("event_figures")

// Figure kinds, one byte each in a key; figureNames gives their names,
// and analytics.Figure their meaning.
const (
	figValid            = 'v'
	figRevoked          = 'r'
	figPaid             = 'p'
	figRefunded         = 'f'
	figSalesOrders      = 'o'
	figSalesUnits       = 'u'
	figEntries          = 'e'
	figCheckedIn        = 'c'
	figInside           = 'i'
	figConflicts        = 'x'
	figOfflineConflicts = 'y'
	figNeverEntered     = 'n'
)

// figureNames are the kinds' names in analytics.Counts.Set.
var figureNames = map[byte]analytics.Figure{
	figValid: analytics.FigureValid, figRevoked: analytics.FigureRevoked,
	figPaid: analytics.FigurePaid, figRefunded: analytics.FigureRefunded,
	figSalesOrders: analytics.FigureSalesOrders, figSalesUnits: analytics.FigureSalesUnits,
	figEntries: analytics.FigureEntries, figCheckedIn: analytics.FigureCheckedIn, figInside: analytics.FigureInside,
	figConflicts: analytics.FigureConflicts, figOfflineConflicts: analytics.FigureOfflineConflicts,
	figNeverEntered: analytics.FigureNeverEntered,
}

// figure names one of an event's figures.
type figure struct {
	kind byte
	part string
	at   time.Time // zero: not by time
}

func figureKey(eventID string, f figure) []byte {
	k := append(prefix(eventID), f.kind)
	k = append(append(k, f.part...), 0)
	if !f.at.IsZero() {
		k = binary.BigEndian.AppendUint64(k, uint64(f.at.Unix()))
	}
	return k
}

// figureDeltas collects what one change adds to an event's figures.
type figureDeltas map[figure]int64

// apply adds the deltas to the event's figures in tx.
func (d figureDeltas) apply(tx *bbolt.Tx, eventID string) error {
	b := tx.Bucket(bucketEventFigures)
	for f, n := range d {
		if n == 0 {
			continue
		}
		k := figureKey(eventID, f)
		if v := b.Get(k); len(v) == 8 {
			n += int64(binary.BigEndian.Uint64(v))
		}
		var err error
		if n == 0 {
			err = b.Delete(k)
		} else {
			err = b.Put(k, binary.BigEndian.AppendUint64(nil, uint64(n)))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// order adds (sign 1) or takes away (sign -1) what an order's fact
// counts.
func (d figureDeltas) order(f orderFact, sign int64) {
	if f.Status != purchase.StatusPaid && f.Status != purchase.StatusRefunded {
		return
	}
	d[figure{kind: figPaid, part: f.Currency}] += sign * f.Amount
	if f.Status == purchase.StatusRefunded {
		d[figure{kind: figRefunded, part: f.Currency}] += sign * f.Amount
	}
	hour := time.UnixMicro(f.PaidAt).UTC().Truncate(time.Hour)
	d[figure{kind: figSalesOrders, at: hour}] += sign
	d[figure{kind: figSalesUnits, at: hour}] += sign * int64(f.Tickets)
}

// ticket adds or takes away what a ticket's index value (state byte,
// ticket type id) counts; entered tells whether its lineage has an
// entry on record.
func (d figureDeltas) ticket(v []byte, entered bool, sign int64) {
	if len(v) < 1 {
		return
	}
	switch v[0] {
	case ticketStateValid:
		d[figure{kind: figValid, part: string(v[1:])}] += sign
		if !entered {
			d[figure{kind: figNeverEntered}] += sign
		}
	case ticketStateRevoked:
		d[figure{kind: figRevoked, part: string(v[1:])}] += sign
	}
}

// lineageEntered adds a lineage's first entry to d: one more lineage
// checked in, and its valid tickets (one, unless the records say
// otherwise) no longer never entered.
func lineageEntered(tx *bbolt.Tx, eventID, root string, d figureDeltas) {
	d[figure{kind: figCheckedIn}]++
	p := append(join(eventID, root), 0)
	c := tx.Bucket(bucketEventTickets).Cursor()
	for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
		if len(v) > 0 && v[0] == ticketStateValid {
			d[figure{kind: figNeverEntered}]--
		}
	}
}

// EventCounts implements analytics.Store: one read of the event's
// figures, kept as they change (see bucketEventFigures).
func (s *DB) EventCounts(ctx context.Context, eventID string, noShows bool) (analytics.Counts, error) {
	var c analytics.Counts
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		c, err = readFigures(tx, eventID)
		return err
	})
	if err != nil {
		return analytics.Counts{}, fmt.Errorf("figures of event %s: %w", eventID, err)
	}
	if !noShows {
		c.NeverEntered = 0
	}
	return c, nil
}

// readFigures reads an event's figures.
func readFigures(tx *bbolt.Tx, eventID string) (analytics.Counts, error) {
	c := analytics.NewCounts()
	p := prefix(eventID)
	cur := tx.Bucket(bucketEventFigures).Cursor()
	for k, v := cur.Seek(p); k != nil && hasPrefix(k, p); k, v = cur.Next() {
		rest := k[len(p):]
		end := -1
		for i := 1; i < len(rest); i++ {
			if rest[i] == 0 {
				end = i
				break
			}
		}
		if len(rest) < 2 || end < 0 || len(v) != 8 || (len(rest) != end+1 && len(rest) != end+9) {
			return c, fmt.Errorf("figure key %q: malformed", k)
		}
		kind, part, n := rest[0], string(rest[1:end]), int64(binary.BigEndian.Uint64(v))
		var at time.Time
		if len(rest) == end+9 {
			at = time.Unix(int64(binary.BigEndian.Uint64(rest[end+1:])), 0).UTC()
		}
		name, ok := figureNames[kind]
		if !ok {
			return c, fmt.Errorf("figure key %q: unknown kind %q", k, kind)
		}
		if err := c.Set(name, part, at, n); err != nil {
			return c, err
		}
	}
	return c, nil
}

// writeCounts stores counts as an event's figures (which must have none).
func writeCounts(tx *bbolt.Tx, eventID string, c analytics.Counts) error {
	d := figureDeltas{
		{kind: figCheckedIn}: int64(c.CheckedIn), {kind: figInside}: int64(c.Inside),
		{kind: figConflicts}: int64(c.Conflicts), {kind: figOfflineConflicts}: int64(c.OfflineConflicts),
		{kind: figNeverEntered}: int64(c.NeverEntered),
	}
	for id, tc := range c.Tickets {
		d[figure{kind: figValid, part: id}] = int64(tc.Valid)
		d[figure{kind: figRevoked, part: id}] = int64(tc.Revoked)
	}
	for cur, rc := range c.Revenue {
		d[figure{kind: figPaid, part: cur}] = rc.Paid
		d[figure{kind: figRefunded, part: cur}] = rc.Refunded
	}
	for hour, sc := range c.Sales {
		d[figure{kind: figSalesOrders, at: hour}] = int64(sc.Orders)
		d[figure{kind: figSalesUnits, at: hour}] = int64(sc.Units)
	}
	for gm, n := range c.EntryMinutes {
		d[figure{kind: figEntries, part: gm.GateID, at: gm.Minute}] = int64(n)
	}
	return d.apply(tx, eventID)
}

// buildFigures counts the figures of every event from its records: run
// by Open when the figures are new in the file.
func buildFigures(tx *bbolt.Tx) error {
	if err := tx.DeleteBucket(bucketEventFigures); err != nil {
		return err
	}
	if _, err := tx.CreateBucket(bucketEventFigures); err != nil {
		return err
	}
	return tx.Bucket(bucketEvents).ForEach(func(k, _ []byte) error {
		c, err := walkCounts(tx, string(k))
		if err != nil {
			return fmt.Errorf("event %s: %w", k, err)
		}
		return writeCounts(tx, string(k), c)
	})
}
