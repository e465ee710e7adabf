package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	gosync "sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/purchase"
)

// Group commit of checkout (CreateOrder) and payment (MarkPaid): see
// doc.go, "Purchasing". Requests that arrive within orderDelay of each
// other, up to orderGroupSize, share one transaction; a request whose
// own answer is a refusal (a hold already ordered, an order already
// paid, a stored idempotency key) gets it without failing the others,
// and when the group's transaction fails each request is tried alone.
const (
	orderDelay     = time.Millisecond
	orderGroupSize = 500
)

// orderRequest is one CreateOrder waiting for its group.
type orderRequest struct {
	ctx     context.Context
	order   purchase.Order
	lines   string  // order.Lines as JSON
	code    *string // order.Code as JSON, nil for none
	eventID string  // the order's, whose inventory the group locks
	err     error   // set before done closes
	done    chan struct{}
}

func (r *orderRequest) weight() int               { return 1 }
func (r *orderRequest) answered() <-chan struct{} { return r.done }

// CreateOrder implements purchase.Store by group commit.
func (s *DB) CreateOrder(ctx context.Context, o purchase.Order) error {
	if err := purchase.CheckNewOrder(o); err != nil {
		return err
	}
	o.CreatedAt, o.ExpiresAt = storedTime(o.CreatedAt), storedTime(o.ExpiresAt)
	lines, err := json.Marshal(o.Lines)
	if err != nil {
		return err
	}
	code, err := codeJSON(o.Code)
	if err != nil {
		return err
	}
	// The group locks the order's event as the order names it; an order
	// whose event is not its hold's is refused (CheckOrder, under the
	// hold's row lock) before anything is written.
	r := &orderRequest{ctx: ctx, order: o, lines: string(lines), code: code, eventID: o.EventID, done: make(chan struct{})}
	if err := s.orders.do(ctx, r); err != nil {
		return fmt.Errorf("create order %s: %w", o.ID, err)
	}
	if r.err != nil {
		return fmt.Errorf("create order %s: %w", o.ID, r.err)
	}
	return nil
}

func (s *DB) newOrders() *batcher[*orderRequest] {
	return &batcher[*orderRequest]{delay: orderDelay, max: orderGroupSize, run: func(group []*orderRequest) {
		runGroup(s, group, func(r *orderRequest) context.Context { return r.ctx },
			func(ctx context.Context, tx pgx.Tx, g []*orderRequest) error { return createOrders(ctx, tx, g) },
			func(r *orderRequest, err error) {
				if err != nil {
					r.err = err
				}
				close(r.done)
			})
	}}
}

// runGroup runs one group's transaction (retried on deadlock), or, if
// it fails, each request's alone, and answers every request: with err
// (nil when its transaction committed; its own refusal is already on
// the request).
func runGroup[R any](s *DB, group []R, ctxOf func(R) context.Context, tx func(context.Context, pgx.Tx, []R) error, answer func(R, error)) {
	live := group[:0:0]
	for _, r := range group {
		if err := ctxOf(r).Err(); err != nil {
			answer(r, err)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	err := s.retry(ctx, func(t pgx.Tx) error { return tx(ctx, t, live) })
	if err == nil || len(live) == 1 {
		for _, r := range live {
			answer(r, err)
		}
		return
	}
	for _, r := range live {
		one := []R{r}
		answer(r, s.retry(ctx, func(t pgx.Tx) error { return tx(ctx, t, one) }))
	}
}

// createOrders is one try of a checkout group: lock the group's events'
// inventory rows (in id order, as every counter-changing transaction
// does), read the stored idempotency keys and lock the holds (in id
// order), decide each request in arrival order, then insert the accepted
// orders, mark their holds ordered, store their idempotency records and
// move their quantities from held to sold, set-based.
func createOrders(ctx context.Context, tx pgx.Tx, group []*orderRequest) error {
	var events, keys, holdIDs []string
	for _, r := range group {
		r.err = nil
		events = append(events, r.eventID)
		holdIDs = append(holdIDs, r.order.HoldID)
		if rec := r.order.Idempotency; rec != nil {
			keys = append(keys, rec.Key)
		}
	}
	events = slices.Compact(slices.Sorted(slices.Values(events)))
	if err := lockEvents(ctx, tx, events); err != nil {
		return err
	}
	stored := map[string]purchase.Idempotency{}
	if len(keys) > 0 {
		var err error
		if stored, err = storedIdempotency(ctx, tx, keys); err != nil {
			return err
		}
	}
	rows, err := tx.Query(ctx, `SELECT `+holdColumns+` FROM holds WHERE id = ANY($1) ORDER BY id FOR UPDATE`, holdIDs)
	if err != nil {
		return err
	}
	type held struct {
		h      purchase.Hold
		shared int
	}
	holds := make(map[string]*held)
	for rows.Next() {
		h, shared, err := scanHold(rows)
		if err != nil {
			rows.Close()
			return err
		}
		holds[h.ID] = &held{h, shared}
	}
	if err := rows.Err(); err != nil {
		return err
	}

	var accepted []*orderRequest
	var recs []*purchase.Idempotency
	deltas := make(map[string]purchase.Counter)
	for _, r := range group {
		o := r.order
		if rec := o.Idempotency; rec != nil {
			if st, ok := stored[rec.Key]; ok {
				r.err = &purchase.Replayed{Stored: st}
				continue
			}
		}
		hd := holds[o.HoldID]
		if hd == nil {
			r.err = fmt.Errorf("hold %s: %w", o.HoldID, purchase.ErrNotFound)
			continue
		}
		if err := purchase.CheckOrder(o, hd.h); err != nil {
			r.err = err
			continue
		}
		// A later request of the group sees this one's effects.
		hd.h.Status, hd.h.OrderID = purchase.HoldOrdered, o.ID
		if rec := o.Idempotency; rec != nil {
			stored[rec.Key] = *rec
			recs = append(recs, rec)
		}
		moveDeltas(deltas, hd.h.EventID, hd.h.BuyerID, hd.h.Lines, hd.shared, hd.h.Code, (*purchase.Counter).Sell)
		accepted = append(accepted, r)
	}
	if len(accepted) == 0 {
		return nil
	}
	n := len(accepted)
	ids, holdsOf, buyers, evs, lines, currencies := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	cities, codes, discounts := make([]string, n), make([]*string, n), make([]int64, n)
	shared, amounts := make([]int32, n), make([]int64, n)
	created, expires := make([]time.Time, n), make([]time.Time, n)
	for i, r := range accepted {
		o := r.order
		ids[i], holdsOf[i], buyers[i], evs[i], lines[i], currencies[i] = o.ID, o.HoldID, o.BuyerID, o.EventID, r.lines, o.Total.Currency
		shared[i], amounts[i], created[i], expires[i] = int32(holds[o.HoldID].shared), o.Total.Amount, o.CreatedAt, o.ExpiresAt
		cities[i], codes[i], discounts[i] = o.BuyerCity, r.code, o.Discount.Amount
	}
	var b pgx.Batch
	b.Queue(`INSERT INTO orders (id, hold_id, buyer_id, event_id, lines, shared, total_amount, total_currency, status,
			created_at, expires_at, buyer_city, code, discount_amount)
		SELECT v.id, v.hold_id, v.buyer_id, v.event_id, v.lines::jsonb, v.shared, v.amount, v.currency, 'pending_payment',
			v.created, v.expires, v.city, v.code::jsonb, v.discount
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::integer[], $7::bigint[], $8::text[],
			$9::timestamptz[], $10::timestamptz[], $11::text[], $12::text[], $13::bigint[]) AS v(id, hold_id, buyer_id, event_id, lines,
			shared, amount, currency, created, expires, city, code, discount)`,
		ids, holdsOf, buyers, evs, lines, shared, amounts, currencies, created, expires, cities, codes, discounts)
	b.Queue(`UPDATE holds SET status = 'ordered', order_id = v.order_id
		FROM unnest($1::text[], $2::text[]) AS v(hold_id, order_id) WHERE holds.id = v.hold_id`, holdsOf, ids)
	if err := sendBatch(ctx, tx, &b); err != nil {
		return fmt.Errorf("insert orders: %w", purchaseErr(err))
	}
	if err := insertIdempotency(ctx, tx, recs); err != nil {
		return err
	}
	return addCounters(ctx, tx, deltas)
}

// payRequest is one MarkPaid waiting for its group.
type payRequest struct {
	ctx      context.Context
	orderID  string
	intentID string
	at       time.Time
	tickets  []purchase.Ticket
	out      purchase.Order // set before done closes
	err      error
	done     chan struct{}
}

func (r *payRequest) weight() int               { return 1 }
func (r *payRequest) answered() <-chan struct{} { return r.done }

// MarkPaid implements purchase.Store by group commit. It locks the
// orders' rows only, not the inventory: the counters do not change, and
// a sweep cancelling an order at the same time waits for it (or it for
// the sweep) on the order's row. The tickets' log entries are numbered
// after the commit, before MarkPaid returns.
func (s *DB) MarkPaid(ctx context.Context, orderID, intentID string, at time.Time, tickets []purchase.Ticket) (purchase.Order, error) {
	r := &payRequest{ctx: ctx, orderID: orderID, intentID: intentID, at: storedTime(at), tickets: tickets, done: make(chan struct{})}
	if err := s.payments.do(ctx, r); err != nil {
		return purchase.Order{}, err
	}
	return r.out, r.err
}

func (s *DB) newPayments() *batcher[*payRequest] {
	var numbering gosync.WaitGroup
	return &batcher[*payRequest]{delay: orderDelay, max: orderGroupSize, wait: numbering.Wait, run: func(group []*payRequest) {
		var paid []*payRequest
		runGroup(s, group, func(r *payRequest) context.Context { return r.ctx },
			func(ctx context.Context, tx pgx.Tx, g []*payRequest) error { return payOrders(ctx, tx, g) },
			func(r *payRequest, err error) {
				if err != nil {
					r.err = err
				}
				paid = append(paid, r)
			})
		// A payment's caller may rely on its tickets being in the log.
		var events []string
		for _, r := range paid {
			if r.err == nil && len(r.tickets) > 0 {
				events = append(events, r.out.EventID)
			}
		}
		s.numberThenAnswer(&numbering, events, func() {
			for _, r := range paid {
				close(r.done)
			}
		})
	}}
}

// payOrders is one try of a payment group: lock the orders' rows in id
// order, apply each payment in arrival order (a later one of the same
// order sees the earlier's effect), then update the paid orders, insert
// their tickets and log their issue (unnumbered), in one batch.
func payOrders(ctx context.Context, tx pgx.Tx, group []*payRequest) error {
	ids := make([]string, 0, len(group))
	for _, r := range group {
		r.err, r.out = nil, purchase.Order{}
		ids = append(ids, r.orderID)
	}
	rows, err := tx.Query(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
	if err != nil {
		return err
	}
	orders := make(map[string]purchase.Order)
	for rows.Next() {
		o, _, err := scanOrder(rows)
		if err != nil {
			rows.Close()
			return err
		}
		orders[o.ID] = o
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var b pgx.Batch
	changes := make(map[string][]changelog.Change)
	updated := make(map[string]bool)
	var issued []purchase.Ticket
	for _, r := range group {
		o, ok := orders[r.orderID]
		if !ok {
			r.err = fmt.Errorf("order %s: %w", r.orderID, purchase.ErrNotFound)
			continue
		}
		changed, err := purchase.PayUpdate(r.intentID, r.at).Apply(&o)
		if err != nil {
			r.err = err
			continue
		}
		r.out, orders[o.ID] = o, o
		if !changed {
			continue
		}
		updated[o.ID] = true
		issued = append(issued, r.tickets...)
		for _, t := range r.tickets {
			t.IssuedAt = storedTime(t.IssuedAt)
			changes[o.EventID] = append(changes[o.EventID], purchase.IssueChange(t))
		}
	}
	if len(updated) == 0 {
		return nil
	}
	var oids, statuses, intents []string
	var paidAt, refundedAt, cancelledAt []*time.Time
	for _, id := range slices.Sorted(maps.Keys(updated)) {
		o := orders[id]
		oids, statuses, intents = append(oids, o.ID), append(statuses, string(o.Status)), append(intents, o.PaymentIntentID)
		paidAt, refundedAt, cancelledAt = append(paidAt, nullTime(o.PaidAt)), append(refundedAt, nullTime(o.RefundedAt)), append(cancelledAt, nullTime(o.CancelledAt))
	}
	b.Queue(`UPDATE orders SET status = v.status, payment_intent_id = v.intent, paid_at = v.paid_at,
			refunded_at = v.refunded_at, cancelled_at = v.cancelled_at
		FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[])
			AS v(id, status, intent, paid_at, refunded_at, cancelled_at)
		WHERE orders.id = v.id`, oids, statuses, intents, paidAt, refundedAt, cancelledAt)
	queueTickets(&b, issued)
	for _, ev := range slices.Sorted(maps.Keys(changes)) {
		if err := queueChanges(&b, changes[ev]); err != nil {
			return err
		}
	}
	return purchaseErr(sendBatch(ctx, tx, &b))
}
