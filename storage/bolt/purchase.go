package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/purchase"
)

var _ purchase.Store = (*DB)(nil)

// Purchase buckets. The inventory counters are the truth about what is
// taken; holds and orders record who took it.
var (
	bucketHolds       = []byte("purchase_holds")       // hold id -> holdRecord JSON
	bucketOrders      = []byte("purchase_orders")      // order id -> orderRecord JSON
	bucketExpiry      = []byte("purchase_expiry")      // expiry (8 bytes, see expiryKey), kind byte, id -> nothing: active holds and pending orders
	bucketInventory   = []byte("purchase_inventory")   // ticket type id or event id -> sold, held (big endian uint64 each)
	bucketEventTypes  = []byte("purchase_event_types") // event id, 0, ticket type id -> nothing: the types Taken reports
	bucketIdempotency = []byte("purchase_idempotency") // key -> idempotencyRecord JSON
)

// Kinds of entries in bucketExpiry.
const (
	expiryHold  = 'h'
	expiryOrder = 'o'
)

// Batching of Reserve (see DB.Reserve): bbolt's defaults are 10 ms and
// 1000; a shorter delay keeps a lone buyer's latency near one fsync.
const (
	reserveBatchDelay = time.Millisecond
	reserveBatchSize  = 1000
)

// sweepChunk bounds how many expired entries one transaction ends, so a
// long backlog does not hold the write lock for long.
const sweepChunk = 1000

// holdRecord is a hold as stored: with the quantity it took from the
// event's shared capacity, which its release gives back.
type holdRecord struct {
	purchase.Hold
	Shared int `json:"shared"`
}

// orderRecord is an order as stored, with its shared quantity.
type orderRecord struct {
	purchase.Order
	Shared int `json:"shared"`
}

type idempotencyRecord struct {
	RequestHash string `json:"request_hash"`
	Response    []byte `json:"response"`
}

// expiryKey orders entries by time: microseconds since 1970 with the sign
// bit flipped, so times before 1970 sort first too.
func expiryKey(t time.Time, kind byte, id string) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 9+len(id)), uint64(t.UnixMicro())^(1<<63))
	k = append(k, kind)
	return append(k, id...)
}

// inventory reads and writes the counters of one write transaction.
type inventory struct {
	counters, eventTypes *bbolt.Bucket
}

func inventoryOf(tx *bbolt.Tx) inventory {
	return inventory{tx.Bucket(bucketInventory), tx.Bucket(bucketEventTypes)}
}

func (inv inventory) get(id string) purchase.Counter {
	raw := inv.counters.Get([]byte(id))
	if len(raw) != 16 {
		return purchase.Counter{}
	}
	return purchase.Counter{
		Sold: int(binary.BigEndian.Uint64(raw)),
		Held: int(binary.BigEndian.Uint64(raw[8:])),
	}
}

func (inv inventory) taken(id string) int { return inv.get(id).Taken() }

// adjust applies f to every counter the lines, the shared quantity and
// the code's uses move (purchase.EachCounter), and records the event's
// ticket types.
func (inv inventory) adjust(eventID, buyerID string, lines []purchase.Line, shared int, code *purchase.CodeUse, f func(c *purchase.Counter, q int)) error {
	for _, l := range lines {
		if err := inv.eventTypes.Put(join(eventID, l.TicketTypeID), nil); err != nil {
			return err
		}
	}
	return purchase.EachCounter(eventID, buyerID, lines, shared, code, func(id string, q int, buyer bool) error {
		c := inv.get(id)
		f(&c, q)
		if buyer {
			// Holds made before per-buyer counters existed have none to
			// give back.
			c.Sold, c.Held = max(c.Sold, 0), max(c.Held, 0)
		}
		if c.Sold < 0 || c.Held < 0 {
			return fmt.Errorf("inventory of %s would go negative (sold %d, held %d): the store is inconsistent", id, c.Sold, c.Held)
		}
		v := binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(c.Sold))
		return inv.counters.Put([]byte(id), binary.BigEndian.AppendUint64(v, uint64(c.Held)))
	})
}

// Reserve implements purchase.Store. Concurrent calls share write
// transactions through bbolt's Batch, so many buyers pay for one fsync;
// the closure is run again, alone, if another call in its batch fails, so
// it sets its outcome afresh on every run and reports a refusal (sold
// out, unknown event, id taken) as an outcome rather than as an error,
// which would roll back the whole batch.
func (s *DB) Reserve(ctx context.Context, h purchase.Hold, l purchase.Limits) error {
	return s.reserve(ctx, h, l, s.db.Batch)
}

// reserve is Reserve with the transaction runner given: Batch, or Update
// for the one-transaction-per-call baseline in the benchmarks.
func (s *DB) reserve(ctx context.Context, h purchase.Hold, l purchase.Limits, run func(func(*bbolt.Tx) error) error) error {
	if err := purchase.CheckHold(h, l); err != nil {
		return fmt.Errorf("reserve: %w", err)
	}
	if err := purchase.CheckIdempotency(h.Idempotency); err != nil {
		return fmt.Errorf("reserve %s: %w", h.ID, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	idem := h.Idempotency
	h.Status, h.OrderID = purchase.HoldActive, ""
	h.Lines = slices.Clone(h.Lines)
	h.CreatedAt, h.ExpiresAt = storedTime(h.CreatedAt), storedTime(h.ExpiresAt)
	rec := holdRecord{Hold: h, Shared: purchase.Shared(h, l)}
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	var outcome error
	err = run(func(tx *bbolt.Tx) error {
		outcome = nil
		if replayed, err := storedIdempotency(tx, idem); err != nil {
			return err
		} else if replayed != nil {
			outcome = replayed
			return nil
		}
		if tx.Bucket(bucketEvents).Get([]byte(h.EventID)) == nil {
			outcome = fmt.Errorf("reserve %s: event %s: %w", h.ID, h.EventID, purchase.ErrNotFound)
			return nil
		}
		holds := tx.Bucket(bucketHolds)
		if holds.Get([]byte(h.ID)) != nil {
			outcome = fmt.Errorf("reserve %s: the id is taken: %w", h.ID, purchase.ErrConflict)
			return nil
		}
		inv := inventoryOf(tx)
		fit := purchase.Fit(h, l, inv.get)
		if errors.Is(fit, purchase.ErrSoldOut) || errors.Is(fit, purchase.ErrBuyerLimit) || errors.Is(fit, purchase.ErrHoldLimit) || errors.Is(fit, purchase.ErrCodeUsedUp) {
			n, _, err := sweep(tx, h.CreatedAt, sweepChunk)
			if err != nil {
				return err
			}
			if n > 0 {
				fit = purchase.Fit(h, l, inv.get)
			}
		}
		if fit != nil {
			outcome = fmt.Errorf("reserve %s: %w", h.ID, fit)
			return nil
		}
		if err := inv.adjust(h.EventID, h.BuyerID, h.Lines, rec.Shared, h.Code, (*purchase.Counter).Hold); err != nil {
			return err
		}
		if err := tx.Bucket(bucketExpiry).Put(expiryKey(h.ExpiresAt, expiryHold, h.ID), nil); err != nil {
			return err
		}
		if err := putIdempotency(tx, idem); err != nil {
			return err
		}
		return holds.Put([]byte(h.ID), raw)
	})
	if err != nil {
		return fmt.Errorf("reserve %s: %w", h.ID, err)
	}
	return outcome
}

// sweep ends up to limit active holds and pending orders whose expiry is
// not after now, returning how many it ended and whether it stopped at
// the limit.
func sweep(tx *bbolt.Tx, now time.Time, limit int) (ended int, more bool, err error) {
	expiry := tx.Bucket(bucketExpiry)
	bound := expiryKey(now, 0, "")[:8]
	var keys [][]byte
	c := expiry.Cursor()
	for k, _ := c.First(); k != nil && len(keys) < limit && bytes.Compare(k[:8], bound) <= 0; k, _ = c.Next() {
		keys = append(keys, slices.Clone(k))
	}
	more = len(keys) == limit
	now = storedTime(now)
	inv := inventoryOf(tx)
	for _, k := range keys {
		if err := expiry.Delete(k); err != nil {
			return ended, more, err
		}
		if len(k) < 9 {
			continue
		}
		id := string(k[9:])
		switch k[8] {
		case expiryHold:
			var rec holdRecord
			if err := findHold(tx, id, &rec); err != nil {
				return ended, more, err
			}
			if rec.Status != purchase.HoldActive {
				continue
			}
			rec.Status = purchase.HoldExpired
			if err := inv.adjust(rec.EventID, rec.BuyerID, rec.Lines, rec.Shared, rec.Code, (*purchase.Counter).Release); err != nil {
				return ended, more, err
			}
			if err := put(tx.Bucket(bucketHolds), []byte(id), rec); err != nil {
				return ended, more, err
			}
		case expiryOrder:
			var rec orderRecord
			if err := findOrder(tx, id, &rec); err != nil {
				return ended, more, err
			}
			if rec.Status != purchase.StatusPendingPayment {
				continue
			}
			rec.Status, rec.CancelledAt = purchase.StatusCancelled, now
			if err := inv.adjust(rec.EventID, rec.BuyerID, rec.HoldLines(), rec.Shared, rec.Code, (*purchase.Counter).Unsell); err != nil {
				return ended, more, err
			}
			if err := putOrder(tx, rec); err != nil {
				return ended, more, err
			}
		default:
			continue
		}
		ended++
	}
	return ended, more, nil
}

func findHold(tx *bbolt.Tx, id string, rec *holdRecord) error {
	ok, err := get(tx.Bucket(bucketHolds), []byte(id), rec)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("hold %s: %w", id, purchase.ErrNotFound)
	}
	return nil
}

func findOrder(tx *bbolt.Tx, id string, rec *orderRecord) error {
	ok, err := get(tx.Bucket(bucketOrders), []byte(id), rec)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("order %s: %w", id, purchase.ErrNotFound)
	}
	return nil
}

// Release implements purchase.Store.
func (s *DB) Release(ctx context.Context, holdID string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		var rec holdRecord
		if err := findHold(tx, holdID, &rec); err != nil {
			return err
		}
		switch rec.Status {
		case purchase.HoldReleased, purchase.HoldExpired:
			return nil
		case purchase.HoldOrdered:
			return fmt.Errorf("release hold %s: it is order %s: %w", holdID, rec.OrderID, purchase.ErrState)
		}
		rec.Status = purchase.HoldReleased
		if err := inventoryOf(tx).adjust(rec.EventID, rec.BuyerID, rec.Lines, rec.Shared, rec.Code, (*purchase.Counter).Release); err != nil {
			return err
		}
		if err := tx.Bucket(bucketExpiry).Delete(expiryKey(rec.ExpiresAt, expiryHold, rec.ID)); err != nil {
			return err
		}
		return put(tx.Bucket(bucketHolds), []byte(holdID), rec)
	})
}

// ExpireHolds implements purchase.Store, in transactions of up to
// sweepChunk entries each.
func (s *DB) ExpireHolds(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		var n int
		var more bool
		err := s.update(ctx, func(tx *bbolt.Tx) error {
			var err error
			n, more, err = sweep(tx, now, sweepChunk)
			return err
		})
		total += n
		if err != nil {
			return total, fmt.Errorf("expire holds: %w", err)
		}
		if !more {
			return total, nil
		}
	}
}

// CreateOrder implements purchase.Store.
func (s *DB) CreateOrder(ctx context.Context, o purchase.Order) error {
	if err := purchase.CheckNewOrder(o); err != nil {
		return err
	}
	idem := o.Idempotency
	o = storedOrder(o)
	o.Status = purchase.StatusPendingPayment
	o.PaymentIntentID = ""
	o.PaidAt, o.RefundedAt, o.CancelledAt = time.Time{}, time.Time{}, time.Time{}
	err := s.batch(ctx, func(tx *bbolt.Tx) error {
		if replayed, err := storedIdempotency(tx, idem); err != nil {
			return err
		} else if replayed != nil {
			return replayed
		}
		orders := tx.Bucket(bucketOrders)
		if orders.Get([]byte(o.ID)) != nil {
			return fmt.Errorf("the id is taken: %w", purchase.ErrConflict)
		}
		var h holdRecord
		if err := findHold(tx, o.HoldID, &h); err != nil {
			return err
		}
		if err := purchase.CheckOrder(o, h.Hold); err != nil {
			return err
		}
		h.Status, h.OrderID = purchase.HoldOrdered, o.ID
		if err := inventoryOf(tx).adjust(h.EventID, h.BuyerID, h.Lines, h.Shared, h.Code, (*purchase.Counter).Sell); err != nil {
			return err
		}
		expiry := tx.Bucket(bucketExpiry)
		if err := expiry.Delete(expiryKey(h.ExpiresAt, expiryHold, h.ID)); err != nil {
			return err
		}
		if err := expiry.Put(expiryKey(o.ExpiresAt, expiryOrder, o.ID), nil); err != nil {
			return err
		}
		if err := put(tx.Bucket(bucketHolds), []byte(h.ID), h); err != nil {
			return err
		}
		if err := putIdempotency(tx, idem); err != nil {
			return err
		}
		return putOrder(tx, orderRecord{Order: o, Shared: h.Shared})
	})
	if err != nil {
		return fmt.Errorf("create order %s: %w", o.ID, err)
	}
	return nil
}

// storedOrder is o as the store keeps it.
func storedOrder(o purchase.Order) purchase.Order {
	o.Lines = slices.Clone(o.Lines)
	o.CreatedAt, o.ExpiresAt = storedTime(o.CreatedAt), storedTime(o.ExpiresAt)
	o.PaidAt, o.RefundedAt, o.CancelledAt = storedTime(o.PaidAt), storedTime(o.RefundedAt), storedTime(o.CancelledAt)
	return o
}

// updateOrder applies u to an order in one transaction (batched with
// other callers' order changes: see DB.batch). When it changed, its
// counters move by u.Move and then (if not nil) runs in the same
// transaction.
func (s *DB) updateOrder(ctx context.Context, id string, u purchase.OrderUpdate, then func(tx *bbolt.Tx, o purchase.Order) error) (purchase.Order, error) {
	var out purchase.Order
	err := s.batch(ctx, func(tx *bbolt.Tx) error {
		var rec orderRecord
		if err := findOrder(tx, id, &rec); err != nil {
			return err
		}
		wasPending := rec.Status == purchase.StatusPendingPayment
		changed, err := u.Apply(&rec.Order)
		if err != nil {
			return err
		}
		out = rec.Order
		if !changed {
			return nil
		}
		if u.Move != nil {
			if err := inventoryOf(tx).adjust(rec.EventID, rec.BuyerID, rec.HoldLines(), rec.Shared, u.CodeMoved(rec.Order), u.Move); err != nil {
				return err
			}
		}
		if wasPending && rec.Status != purchase.StatusPendingPayment {
			if err := tx.Bucket(bucketExpiry).Delete(expiryKey(rec.ExpiresAt, expiryOrder, rec.ID)); err != nil {
				return err
			}
		}
		if then != nil {
			if err := then(tx, rec.Order); err != nil {
				return err
			}
		}
		return putOrder(tx, rec)
	})
	if err != nil {
		return purchase.Order{}, err
	}
	return out, nil
}

// MarkPaid implements purchase.Store.
func (s *DB) MarkPaid(ctx context.Context, orderID, intentID string, at time.Time, tickets []purchase.Ticket) (purchase.Order, error) {
	return s.updateOrder(ctx, orderID, purchase.PayUpdate(intentID, storedTime(at)),
		func(tx *bbolt.Tx, _ purchase.Order) error { return issueTickets(tx, tickets) })
}

// Refund implements purchase.Store.
func (s *DB) Refund(ctx context.Context, orderID string, at time.Time) (purchase.Order, error) {
	return s.updateOrder(ctx, orderID, purchase.RefundUpdate(storedTime(at)), func(tx *bbolt.Tx, o purchase.Order) error {
		return revokeOrderTickets(tx, o.ID, purchase.RevokedRefunded, at)
	})
}

// CancelOrder implements purchase.Store.
func (s *DB) CancelOrder(ctx context.Context, orderID string, at time.Time) (purchase.Order, error) {
	return s.updateOrder(ctx, orderID, purchase.CancelUpdate(storedTime(at)), nil)
}

// Hold implements purchase.Store.
func (s *DB) Hold(ctx context.Context, id string) (purchase.Hold, error) {
	var rec holdRecord
	err := s.view(ctx, func(tx *bbolt.Tx) error { return findHold(tx, id, &rec) })
	return rec.Hold, err
}

// Order implements purchase.Store.
func (s *DB) Order(ctx context.Context, id string) (purchase.Order, error) {
	var rec orderRecord
	err := s.view(ctx, func(tx *bbolt.Tx) error { return findOrder(tx, id, &rec) })
	return rec.Order, err
}

// Taken implements purchase.Store and catalog.Inventory.
func (s *DB) Taken(ctx context.Context, eventID string) (map[string]int, error) {
	taken := make(map[string]int)
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		inv := inventoryOf(tx)
		p := prefix(eventID)
		c := inv.eventTypes.Cursor()
		for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
			id := string(k[len(p):])
			if n := inv.taken(id); n > 0 {
				taken[id] = n
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return taken, nil
}

// Counts implements purchase.Store.
func (s *DB) Counts(ctx context.Context, ticketTypeID string) (sold, held int, err error) {
	var c purchase.Counter
	err = s.view(ctx, func(tx *bbolt.Tx) error {
		c = inventoryOf(tx).get(ticketTypeID)
		return nil
	})
	return c.Sold, c.Held, err
}

// storedIdempotency returns *purchase.Replayed when rec's key is stored
// already, nil when it is not (or rec is nil).
func storedIdempotency(tx *bbolt.Tx, rec *purchase.Idempotency) (*purchase.Replayed, error) {
	if rec == nil {
		return nil, nil
	}
	var stored idempotencyRecord
	ok, err := get(tx.Bucket(bucketIdempotency), []byte(rec.Key), &stored)
	if err != nil || !ok {
		return nil, err
	}
	return &purchase.Replayed{Stored: purchase.Idempotency{Key: rec.Key, RequestHash: stored.RequestHash, Response: stored.Response}}, nil
}

// putIdempotency stores rec (nil: nothing); the caller checked that its
// key is free.
func putIdempotency(tx *bbolt.Tx, rec *purchase.Idempotency) error {
	if rec == nil {
		return nil
	}
	return put(tx.Bucket(bucketIdempotency), []byte(rec.Key), idempotencyRecord{RequestHash: rec.RequestHash, Response: rec.Response})
}

// PutIdempotent implements purchase.Store.
func (s *DB) PutIdempotent(ctx context.Context, key, requestHash string, response []byte) ([]byte, bool, error) {
	var existing []byte
	var conflict bool
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketIdempotency)
		var rec idempotencyRecord
		ok, err := get(b, []byte(key), &rec)
		if err != nil {
			return err
		}
		if ok {
			existing, conflict = rec.Response, rec.RequestHash != requestHash
			return nil
		}
		return put(b, []byte(key), idempotencyRecord{RequestHash: requestHash, Response: response})
	})
	if err != nil {
		return nil, false, fmt.Errorf("idempotency key: %w", err)
	}
	return existing, conflict, nil
}

// Idempotent implements purchase.Store.
func (s *DB) Idempotent(ctx context.Context, key string) (string, []byte, error) {
	var rec idempotencyRecord
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		ok, err := get(tx.Bucket(bucketIdempotency), []byte(key), &rec)
		if err == nil && !ok {
			err = fmt.Errorf("idempotency key: %w", purchase.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return "", nil, err
	}
	return rec.RequestHash, rec.Response, nil
}

// OrdersOfEvent implements purchase.Store, in order id order through
// the event's order index (bucketEventOrders).
func (s *DB) OrdersOfEvent(ctx context.Context, eventID, after string, limit int) ([]purchase.Order, error) {
	if limit < 1 || limit > purchase.MaxOrdersPage {
		return nil, fmt.Errorf("orders of %s: limit %d outside 1..%d: %w", eventID, limit, purchase.MaxOrdersPage, purchase.ErrInvalid)
	}
	var out []purchase.Order
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		p := prefix(eventID)
		c := tx.Bucket(bucketEventOrders).Cursor()
		for k, _ := c.Seek(join(eventID, after)); k != nil && hasPrefix(k, p) && len(out) < limit; k, _ = c.Next() {
			if string(k[len(p):]) <= after {
				continue
			}
			var rec orderRecord
			if err := findOrder(tx, string(k[len(p):]), &rec); err != nil {
				return err
			}
			out = append(out, rec.Order)
		}
		return nil
	})
	return out, err
}
