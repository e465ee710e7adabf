package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/purchase"
)

var _ purchase.Store = (*DB)(nil)

// Group commit of Reserve (see doc.go, "Purchasing"): the committer
// gathers requests for up to groupDelay after the first, or until
// groupSize, and decides them all in one transaction.
const (
	groupDelay = time.Millisecond
	groupSize  = 500
	// groupTimeout bounds one group's transaction.
	groupTimeout = 30 * time.Second
)

// SQLSTATE codes after which a transaction is retried.
const (
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
)

// maxAttempts bounds the retries of a transaction that deadlocked.
const maxAttempts = 5

// errClosed answers reservations made after Close.
var errClosed = errors.New("store closed")

func purchaseErr(err error) error { return translate(err, purchase.ErrNotFound, purchase.ErrConflict) }

// reserveRequest is one Reserve waiting for its group's commit.
type reserveRequest struct {
	ctx    context.Context
	hold   purchase.Hold
	limits purchase.Limits
	shared int
	lines  string  // hold.Lines as JSON
	code   *string // hold.Code as JSON, nil for none
	// result is set before done is closed.
	result error
	done   chan struct{}
}

// groupCommit queues reservations for the committer goroutine, started
// on first use.
type groupCommit struct {
	start  gosync.Once
	mu     gosync.RWMutex // guards closed against sends on a closed queue
	closed bool
	queue  chan *reserveRequest
	exited chan struct{}
	// events and rows remember event ids known to exist and inventory
	// rows known to be there, so a group usually needs no query for
	// them. Neither is ever deleted.
	events, rows gosync.Map
}

// close stops the committer after it has answered every queued request.
func (g *groupCommit) close() {
	g.mu.Lock()
	wasClosed := g.closed
	g.closed = true
	g.mu.Unlock()
	g.start.Do(func() {}) // a Reserve after this starts no committer
	if wasClosed || g.queue == nil {
		return
	}
	close(g.queue)
	<-g.exited
}

// Reserve implements purchase.Store by group commit: the request joins
// the current group, and returns once the group's transaction has
// committed (or failed). If ctx ends first Reserve returns ctx's error,
// and the hold may or may not have been stored; Hold tells.
func (s *DB) Reserve(ctx context.Context, h purchase.Hold, l purchase.Limits) error {
	req, err := newReserveRequest(ctx, h, l)
	if err != nil {
		return err
	}
	g := &s.reservations
	g.start.Do(func() {
		g.queue = make(chan *reserveRequest, 4*groupSize)
		g.exited = make(chan struct{})
		go s.commitGroups()
	})
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return fmt.Errorf("reserve %s: %w", h.ID, errClosed)
	}
	select {
	case g.queue <- req:
		g.mu.RUnlock()
	case <-ctx.Done():
		g.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case <-req.done:
		return req.result
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reserveOneTx reserves in a transaction of its own: the naive baseline
// the benchmarks compare group commit with.
func (s *DB) reserveOneTx(ctx context.Context, h purchase.Hold, l purchase.Limits) error {
	req, err := newReserveRequest(ctx, h, l)
	if err != nil {
		return err
	}
	s.reserveGroup(ctx, []*reserveRequest{req})
	return req.result
}

func newReserveRequest(ctx context.Context, h purchase.Hold, l purchase.Limits) (*reserveRequest, error) {
	if err := purchase.CheckHold(h, l); err != nil {
		return nil, fmt.Errorf("reserve: %w", err)
	}
	if err := purchase.CheckIdempotency(h.Idempotency); err != nil {
		return nil, fmt.Errorf("reserve %s: %w", h.ID, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h.Status, h.OrderID = purchase.HoldActive, ""
	h.Lines = slices.Clone(h.Lines)
	h.CreatedAt, h.ExpiresAt = storedTime(h.CreatedAt), storedTime(h.ExpiresAt)
	lines, err := json.Marshal(h.Lines)
	if err != nil {
		return nil, err
	}
	code, err := codeJSON(h.Code)
	if err != nil {
		return nil, err
	}
	return &reserveRequest{ctx: ctx, hold: h, limits: l, shared: purchase.Shared(h, l), lines: string(lines), code: code, done: make(chan struct{})}, nil
}

// codeJSON is a hold's or order's code as stored: JSON, or NULL.
func codeJSON(c *purchase.CodeUse) (*string, error) {
	if c == nil {
		return nil, nil
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}

// decodeCode reads a stored code column.
func decodeCode(raw []byte) (*purchase.CodeUse, error) {
	if raw == nil {
		return nil, nil
	}
	var c purchase.CodeUse
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("decode code: %w", err)
	}
	return &c, nil
}

// commitGroups is the committer goroutine: it takes the first queued
// request, gathers more for up to groupDelay or until groupSize, runs the
// group, and repeats until the queue is closed and drained.
func (s *DB) commitGroups() {
	g := &s.reservations
	defer close(g.exited)
	timer := time.NewTimer(0)
	<-timer.C
	for first := range g.queue {
		group := []*reserveRequest{first}
		timer.Reset(groupDelay)
	gather:
		for len(group) < groupSize {
			select {
			case req, ok := <-g.queue:
				if !ok {
					break gather
				}
				group = append(group, req)
			case <-timer.C:
				break gather
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
		s.reserveGroup(ctx, group)
		cancel()
	}
}

// answer sets a request's result and wakes its caller.
func (r *reserveRequest) answer(err error) {
	r.result = err
	close(r.done)
}

// reserveGroup decides a group of reservations in one transaction and
// answers each after the commit.
func (s *DB) reserveGroup(ctx context.Context, group []*reserveRequest) {
	live := group[:0:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.answer(err)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	live, err := s.prepareGroup(ctx, live)
	if err != nil {
		for _, r := range live {
			r.answer(fmt.Errorf("reserve %s: %w", r.hold.ID, err))
		}
		return
	}
	// refused holds a request's answer decided inside the transaction
	// that must survive a retry: an id found taken, an idempotency key
	// found stored.
	refused := make(map[*reserveRequest]error)
	var outcome map[*reserveRequest]error
	err = s.retry(ctx, func(tx pgx.Tx) error {
		var err error
		outcome, err = decideGroup(ctx, tx, live, refused)
		return err
	})
	for _, r := range live {
		switch {
		case err != nil:
			r.answer(fmt.Errorf("reserve %s: %w", r.hold.ID, err))
		case refused[r] != nil:
			r.answer(refused[r])
		default:
			r.answer(outcome[r])
		}
	}
}

// prepareGroup answers requests for events that do not exist and makes
// sure every inventory row the rest need exists, outside the group's
// transaction, so that it locks only rows that are there. It returns the
// requests left.
func (s *DB) prepareGroup(ctx context.Context, group []*reserveRequest) ([]*reserveRequest, error) {
	g := &s.reservations
	var unknown []string
	for _, r := range group {
		if _, ok := g.events.Load(r.hold.EventID); !ok && !slices.Contains(unknown, r.hold.EventID) {
			unknown = append(unknown, r.hold.EventID)
		}
	}
	if len(unknown) > 0 {
		rows, err := s.pool.Query(ctx, `SELECT id FROM events WHERE id = ANY($1)`, unknown)
		if err != nil {
			return group, err
		}
		found, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return group, err
		}
		for _, id := range found {
			g.events.Store(id, true)
		}
		left := group[:0:0]
		for _, r := range group {
			if _, ok := g.events.Load(r.hold.EventID); !ok {
				r.answer(fmt.Errorf("reserve %s: event %s: %w", r.hold.ID, r.hold.EventID, purchase.ErrNotFound))
				continue
			}
			left = append(left, r)
		}
		group = left
	}
	missing := make(map[string]string) // inventory row id -> event id
	for _, r := range group {
		for _, key := range rowKeys(r.hold) {
			if _, ok := g.rows.Load(key); !ok {
				missing[key] = r.hold.EventID
			}
		}
	}
	if len(missing) == 0 {
		return group, nil
	}
	ids := make([]string, 0, len(missing))
	for id := range missing {
		ids = append(ids, id)
	}
	slices.Sort(ids) // concurrent inserters queue, rather than deadlock
	events := make([]string, len(ids))
	for i, id := range ids {
		events[i] = missing[id]
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO inventory (id, event_id)
		SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (id) DO NOTHING`, ids, events)
	if err != nil {
		return group, fmt.Errorf("create inventory rows: %w", err)
	}
	for _, id := range ids {
		g.rows.Store(id, true)
	}
	return group, nil
}

// rowKeys are the inventory rows a hold changes: its event's, its
// types', its buyer's per-type and per-event counters
// (purchase.BuyerKey), and its code's (purchase.CodeKey).
func rowKeys(h purchase.Hold) []string {
	keys := []string{h.EventID, purchase.BuyerKey(h.BuyerID, h.EventID)}
	if h.Code != nil {
		keys = append(keys, purchase.CodeKey(h.Code.ID))
	}
	for _, l := range h.Lines {
		keys = append(keys, l.TicketTypeID, purchase.BuyerKey(h.BuyerID, l.TicketTypeID))
	}
	return keys
}

// counters are inventory rows read (and locked) in a transaction, and the
// changes made to them so far.
type counters struct {
	now      map[string]purchase.Counter
	changed  map[string]bool
	capacity map[string]int // -1: keep the stored capacity
}

func (c *counters) add(id string, d purchase.Counter) {
	v := c.now[id]
	v.Sold += d.Sold
	v.Held += d.Held
	c.now[id] = v
	c.changed[id] = true
}

// lockCounters locks and reads inventory rows: event rows first, then
// ticket types, each in id order (see doc.go for why this order cannot
// deadlock).
func lockCounters(ctx context.Context, tx pgx.Tx, ids []string, into *counters) error {
	rows, err := tx.Query(ctx, `SELECT id, sold, held FROM inventory WHERE id = ANY($1)
		ORDER BY id = event_id DESC, id FOR UPDATE`, ids)
	if err != nil {
		return err
	}
	var id string
	var c purchase.Counter
	_, err = pgx.ForEachRow(rows, []any{&id, &c.Sold, &c.Held}, func() error {
		into.now[id] = c
		return nil
	})
	return err
}

// decideGroup is the group's transaction: answer the requests whose
// idempotency key is stored already, lock the rows, decide each request in
// order, insert the accepted holds and their idempotency records, update
// the counters. Requests found to have a taken id are put in refused and
// the transaction is retried without them; so is the group when another
// transaction stored one of its idempotency keys meanwhile.
func decideGroup(ctx context.Context, tx pgx.Tx, group []*reserveRequest, refused map[*reserveRequest]error) (map[*reserveRequest]error, error) {
	if err := replayGroup(ctx, tx, group, refused); err != nil {
		return nil, err
	}
	var keys, events []string
	seen := make(map[string]bool)
	var latest time.Time
	for _, r := range group {
		if refused[r] != nil {
			continue
		}
		if !seen[r.hold.EventID] {
			events = append(events, r.hold.EventID)
		}
		for _, k := range rowKeys(r.hold) {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		if r.hold.CreatedAt.After(latest) {
			latest = r.hold.CreatedAt
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	c := &counters{now: make(map[string]purchase.Counter), changed: make(map[string]bool), capacity: make(map[string]int)}
	if err := lockCounters(ctx, tx, keys, c); err != nil {
		return nil, fmt.Errorf("lock inventory: %w", err)
	}
	locked := maps.Clone(c.now)
	outcome, accepted := decide(group, refused, c)
	if soldOut(outcome) {
		// Some did not fit. Holds past their expiry do not count:
		// release those of the group's events (whose rows this
		// transaction holds) due at the group's latest creation time,
		// which is not after now, and decide again from the start.
		deltas, n, err := sweep(ctx, tx, events, latest)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			var extra []string
			for id := range deltas {
				if _, ok := locked[id]; !ok {
					extra = append(extra, id)
				}
			}
			c.now = maps.Clone(locked)
			if err := lockCounters(ctx, tx, extra, c); err != nil {
				return nil, fmt.Errorf("lock inventory: %w", err)
			}
			clear(c.changed)
			for id, d := range deltas {
				c.add(id, d)
				c.capacity[id] = -1
			}
			outcome, accepted = decide(group, refused, c)
		}
	}
	if len(accepted) > 0 {
		n := len(accepted)
		ids, buyers, evs, lines := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		codes := make([]*string, n)
		shared := make([]int64, n)
		expires, created := make([]time.Time, n), make([]time.Time, n)
		for i, r := range accepted {
			h := r.hold
			ids[i], buyers[i], evs[i], lines[i] = h.ID, h.BuyerID, h.EventID, r.lines
			shared[i], expires[i], created[i] = int64(r.shared), h.ExpiresAt, h.CreatedAt
			codes[i] = r.code
		}
		rows, err := tx.Query(ctx, `INSERT INTO holds (id, buyer_id, event_id, lines, shared, status, expires_at, created_at, code)
			SELECT id, buyer_id, event_id, lines::jsonb, shared, 'active', expires_at, created_at, code::jsonb
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[], $7::timestamptz[], $8::text[])
				AS t(id, buyer_id, event_id, lines, shared, expires_at, created_at, code)
			ON CONFLICT (id) DO NOTHING RETURNING id`, ids, buyers, evs, lines, shared, expires, created, codes)
		if err != nil {
			return nil, fmt.Errorf("insert holds: %w", err)
		}
		inserted, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("insert holds: %w", err)
		}
		if len(inserted) < n {
			for _, r := range accepted {
				if !slices.Contains(inserted, r.hold.ID) { // rare: ids are random
					refused[r] = fmt.Errorf("reserve %s: the id is taken: %w", r.hold.ID, purchase.ErrConflict)
				}
			}
			return nil, errRetry
		}
		var recs []*purchase.Idempotency
		for _, r := range accepted {
			if r.hold.Idempotency != nil {
				recs = append(recs, r.hold.Idempotency)
			}
		}
		if err := insertIdempotency(ctx, tx, recs); err != nil {
			return nil, err
		}
	}
	if err := writeCounters(ctx, tx, c); err != nil {
		return nil, err
	}
	return outcome, nil
}

// replayGroup puts in refused the requests (not refused already) whose
// idempotency key is stored, answering each with the stored record.
func replayGroup(ctx context.Context, tx pgx.Tx, group []*reserveRequest, refused map[*reserveRequest]error) error {
	var keys []string
	for _, r := range group {
		if refused[r] == nil && r.hold.Idempotency != nil {
			keys = append(keys, r.hold.Idempotency.Key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	stored, err := storedIdempotency(ctx, tx, keys)
	if err != nil {
		return err
	}
	for _, r := range group {
		if refused[r] == nil && r.hold.Idempotency != nil {
			if rec, ok := stored[r.hold.Idempotency.Key]; ok {
				refused[r] = &purchase.Replayed{Stored: rec}
			}
		}
	}
	return nil
}

// storedIdempotency reads the stored records of keys, by key.
func storedIdempotency(ctx context.Context, tx pgx.Tx, keys []string) (map[string]purchase.Idempotency, error) {
	rows, err := tx.Query(ctx, `SELECT key, request_hash, response FROM idempotency_keys WHERE key = ANY($1)`, keys)
	if err != nil {
		return nil, fmt.Errorf("idempotency keys: %w", err)
	}
	out := make(map[string]purchase.Idempotency)
	var rec purchase.Idempotency
	_, err = pgx.ForEachRow(rows, []any{&rec.Key, &rec.RequestHash, &rec.Response}, func() error {
		out[rec.Key] = purchase.Idempotency{Key: rec.Key, RequestHash: rec.RequestHash, Response: slices.Clone(rec.Response)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("idempotency keys: %w", err)
	}
	return out, nil
}

// insertIdempotency stores recs in the transaction of what they record.
// A key another transaction stored since this one looked is errRetry: the
// retry finds it and answers with it.
func insertIdempotency(ctx context.Context, tx pgx.Tx, recs []*purchase.Idempotency) error {
	if len(recs) == 0 {
		return nil
	}
	keys, hashes, responses := make([]string, len(recs)), make([]string, len(recs)), make([][]byte, len(recs))
	for i, r := range recs {
		keys[i], hashes[i], responses[i] = r.Key, r.RequestHash, r.Response
	}
	tag, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (key, request_hash, response)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[]) ON CONFLICT (key) DO NOTHING`, keys, hashes, responses)
	if err != nil {
		return fmt.Errorf("insert idempotency keys: %w", err)
	}
	if int(tag.RowsAffected()) < len(recs) {
		return errRetry
	}
	return nil
}

// errRetry makes retry run the transaction again at once.
var errRetry = errors.New("retry the transaction")

// soldOut reports whether any outcome is ErrSoldOut, ErrBuyerLimit or
// ErrHoldLimit: refusals that releasing expired holds may undo.
func soldOut(outcome map[*reserveRequest]error) bool {
	for _, err := range outcome {
		if errors.Is(err, purchase.ErrSoldOut) || errors.Is(err, purchase.ErrBuyerLimit) || errors.Is(err, purchase.ErrHoldLimit) ||
			errors.Is(err, purchase.ErrCodeUsedUp) {
			return true
		}
	}
	return false
}

// decide judges each request in order against the counters, adding the
// accepted ones' quantities, and returns every request's outcome and the
// accepted requests.
func decide(group []*reserveRequest, refused map[*reserveRequest]error, c *counters) (map[*reserveRequest]error, []*reserveRequest) {
	outcome := make(map[*reserveRequest]error, len(group))
	var accepted []*reserveRequest
	ids := make(map[string]bool, len(group))
	keys := make(map[string]*purchase.Idempotency) // of the accepted requests
	for _, r := range group {
		if refused[r] != nil {
			continue
		}
		h := r.hold
		if rec := h.Idempotency; rec != nil && keys[rec.Key] != nil {
			// A duplicate of an accepted request: its answer.
			outcome[r] = &purchase.Replayed{Stored: *keys[rec.Key]}
			continue
		}
		if ids[h.ID] {
			outcome[r] = fmt.Errorf("reserve %s: the id is taken: %w", h.ID, purchase.ErrConflict)
			continue
		}
		if err := purchase.Fit(h, r.limits, func(id string) purchase.Counter { return c.now[id] }); err != nil {
			outcome[r] = fmt.Errorf("reserve %s: %w", h.ID, err)
			continue
		}
		ids[h.ID] = true
		for _, l := range h.Lines {
			c.add(l.TicketTypeID, purchase.Counter{Held: l.Quantity})
			c.capacity[l.TicketTypeID] = r.limits.Types[l.TicketTypeID].Capacity
			c.add(purchase.BuyerKey(h.BuyerID, l.TicketTypeID), purchase.Counter{Held: l.Quantity})
		}
		c.add(h.EventID, purchase.Counter{Held: r.shared})
		c.capacity[h.EventID] = r.limits.EventCapacity
		if h.Idempotency != nil {
			keys[h.Idempotency.Key] = h.Idempotency
		}
		if r.shared != 0 {
			c.add(purchase.BuyerKey(h.BuyerID, h.EventID), purchase.Counter{Held: r.shared})
		}
		if h.Code != nil {
			key := purchase.CodeKey(h.Code.ID)
			c.add(key, purchase.Counter{Held: h.Code.Uses})
			c.capacity[key] = r.limits.CodeMaxUses
		}
		accepted = append(accepted, r)
	}
	return outcome, accepted
}

// writeCounters stores the changed counters.
func writeCounters(ctx context.Context, tx pgx.Tx, c *counters) error {
	var ids []string
	var sold, held, capacity []int64
	for id := range c.changed {
		v := c.now[id]
		if strings.HasPrefix(id, purchase.BuyerKeyPrefix) {
			v.Sold, v.Held = max(v.Sold, 0), max(v.Held, 0)
		}
		cp, ok := c.capacity[id]
		if !ok {
			cp = -1
		}
		ids = append(ids, id)
		sold, held, capacity = append(sold, int64(v.Sold)), append(held, int64(v.Held)), append(capacity, int64(cp))
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE inventory AS i
		SET sold = v.sold, held = v.held, capacity = CASE WHEN v.capacity < 0 THEN i.capacity ELSE v.capacity END
		FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) AS v(id, sold, held, capacity)
		WHERE i.id = v.id`, ids, sold, held, capacity)
	if err != nil {
		return fmt.Errorf("update inventory: %w", err)
	}
	return nil
}

// addCounters adds deltas to inventory rows; the caller holds the rows'
// events' locks.
func addCounters(ctx context.Context, tx pgx.Tx, deltas map[string]purchase.Counter) error {
	var ids []string
	var sold, held []int64
	for id, d := range deltas {
		ids = append(ids, id)
		sold, held = append(sold, int64(d.Sold)), append(held, int64(d.Held))
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids) // only for a stable statement; the event locks prevent deadlocks
	for i, id := range ids {
		sold[i], held[i] = int64(deltas[id].Sold), int64(deltas[id].Held)
	}
	// A buyer's counter is floored at zero: holds made before per-buyer
	// counters existed have none to give back.
	_, err := tx.Exec(ctx, `UPDATE inventory AS i
		SET sold = CASE WHEN i.id LIKE 'by:%' THEN greatest(i.sold + v.sold, 0) ELSE i.sold + v.sold END,
		    held = CASE WHEN i.id LIKE 'by:%' THEN greatest(i.held + v.held, 0) ELSE i.held + v.held END
		FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(id, sold, held) WHERE i.id = v.id`, ids, sold, held)
	if err != nil {
		return fmt.Errorf("update inventory: %w", purchaseErr(err))
	}
	return nil
}

// moveDeltas are the counter changes of moving a hold's or order's
// quantities (purchase.EachCounter) into sold or held.
func moveDeltas(into map[string]purchase.Counter, eventID, buyerID string, lines []purchase.Line, shared int, code *purchase.CodeUse, f func(*purchase.Counter, int)) {
	purchase.EachCounter(eventID, buyerID, lines, shared, code, func(id string, q int, _ bool) error {
		d := into[id]
		f(&d, q)
		into[id] = d
		return nil
	})
}

// sweep ends the active holds and pending orders of events that are due
// at now, returning the counter changes (not yet written) and how many it
// ended. The transaction must hold the events' inventory locks.
func sweep(ctx context.Context, tx pgx.Tx, events []string, now time.Time) (map[string]purchase.Counter, int, error) {
	now = storedTime(now)
	deltas := make(map[string]purchase.Counter)
	n := 0
	collect := func(sql string, f func(*purchase.Counter, int)) error {
		rows, err := tx.Query(ctx, sql, events, now)
		if err != nil {
			return err
		}
		var eventID, buyerID string
		var raw, rawCode []byte
		var shared int
		_, err = pgx.ForEachRow(rows, []any{&eventID, &buyerID, &raw, &shared, &rawCode}, func() error {
			var lines []purchase.Line
			if err := json.Unmarshal(raw, &lines); err != nil {
				return fmt.Errorf("decode lines: %w", err)
			}
			code, err := decodeCode(rawCode)
			if err != nil {
				return err
			}
			moveDeltas(deltas, eventID, buyerID, lines, shared, code, f)
			n++
			return nil
		})
		return err
	}
	err := collect(`UPDATE holds SET status = 'expired'
		WHERE event_id = ANY($1) AND status = 'active' AND expires_at <= $2
		RETURNING event_id, buyer_id, lines, shared, code`, (*purchase.Counter).Release)
	if err != nil {
		return nil, 0, fmt.Errorf("expire holds: %w", err)
	}
	err = collect(`UPDATE orders SET status = 'cancelled', cancelled_at = $2
		WHERE event_id = ANY($1) AND status = 'pending_payment' AND expires_at <= $2
		RETURNING event_id, buyer_id, lines, shared, code`, (*purchase.Counter).Unsell)
	if err != nil {
		return nil, 0, fmt.Errorf("cancel unpaid orders: %w", err)
	}
	return deltas, n, nil
}

// lockEvents takes the inventory locks of events, in id order.
func lockEvents(ctx context.Context, tx pgx.Tx, events []string) error {
	_, err := tx.Exec(ctx, `SELECT 1 FROM inventory WHERE id = ANY($1) ORDER BY id FOR UPDATE`, events)
	if err != nil {
		return fmt.Errorf("lock inventory: %w", err)
	}
	return nil
}

// retry runs fn in a transaction, again when it deadlocks or fails to
// serialize (or asks to with errRetry), at most maxAttempts times.
func (s *DB) retry(ctx context.Context, fn func(pgx.Tx) error) error {
	var err error
	for range maxAttempts {
		err = s.inTx(ctx, fn)
		var pgErr *pgconn.PgError
		if errors.Is(err, errRetry) || errors.As(err, &pgErr) && (pgErr.Code == deadlockDetected || pgErr.Code == serializationFailure) {
			continue
		}
		return err
	}
	return err
}

// eventOf returns the event of a hold or order: it never changes, so it
// is read before the transaction that locks the event.
func (s *DB) eventOf(ctx context.Context, table, what, id string) (string, error) {
	var eventID string
	err := s.pool.QueryRow(ctx, `SELECT event_id FROM `+table+` WHERE id = $1`, id).Scan(&eventID)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", what, id, purchaseErr(err))
	}
	return eventID, nil
}

const holdColumns = `id, buyer_id, event_id, lines, status, coalesce(order_id, ''), expires_at, created_at, shared, code`

func scanHold(row pgx.Row) (purchase.Hold, int, error) {
	var h purchase.Hold
	var lines, code []byte
	var shared int
	if err := row.Scan(&h.ID, &h.BuyerID, &h.EventID, &lines, &h.Status, &h.OrderID, &h.ExpiresAt, &h.CreatedAt, &shared, &code); err != nil {
		return purchase.Hold{}, 0, err
	}
	var err error
	if h.Code, err = decodeCode(code); err != nil {
		return purchase.Hold{}, 0, fmt.Errorf("hold %s: %w", h.ID, err)
	}
	if err := json.Unmarshal(lines, &h.Lines); err != nil {
		return purchase.Hold{}, 0, fmt.Errorf("decode lines of hold %s: %w", h.ID, err)
	}
	h.ExpiresAt, h.CreatedAt = h.ExpiresAt.UTC(), h.CreatedAt.UTC()
	return h, shared, nil
}

// Hold implements purchase.Store.
func (s *DB) Hold(ctx context.Context, id string) (purchase.Hold, error) {
	h, _, err := scanHold(s.pool.QueryRow(ctx, `SELECT `+holdColumns+` FROM holds WHERE id = $1`, id))
	if err != nil {
		return purchase.Hold{}, fmt.Errorf("hold %s: %w", id, purchaseErr(err))
	}
	return h, nil
}

// Release implements purchase.Store.
func (s *DB) Release(ctx context.Context, holdID string) error {
	eventID, err := s.eventOf(ctx, "holds", "hold", holdID)
	if err != nil {
		return err
	}
	return s.retry(ctx, func(tx pgx.Tx) error {
		if err := lockEvents(ctx, tx, []string{eventID}); err != nil {
			return err
		}
		h, shared, err := scanHold(tx.QueryRow(ctx, `SELECT `+holdColumns+` FROM holds WHERE id = $1 FOR UPDATE`, holdID))
		if err != nil {
			return fmt.Errorf("hold %s: %w", holdID, purchaseErr(err))
		}
		switch h.Status {
		case purchase.HoldReleased, purchase.HoldExpired:
			return nil
		case purchase.HoldOrdered:
			return fmt.Errorf("release hold %s: it is order %s: %w", holdID, h.OrderID, purchase.ErrState)
		}
		if _, err := tx.Exec(ctx, `UPDATE holds SET status = 'released' WHERE id = $1`, holdID); err != nil {
			return err
		}
		deltas := make(map[string]purchase.Counter)
		moveDeltas(deltas, h.EventID, h.BuyerID, h.Lines, shared, h.Code, (*purchase.Counter).Release)
		return addCounters(ctx, tx, deltas)
	})
}

// expireBatch bounds how many events one ExpireHolds transaction sweeps.
const expireBatch = 100

// ExpireHolds implements purchase.Store: it finds the events with due
// holds or orders and sweeps them, up to expireBatch events per
// transaction, each holding the events' locks.
func (s *DB) ExpireHolds(ctx context.Context, now time.Time) (int, error) {
	now = storedTime(now)
	total := 0
	for {
		rows, err := s.pool.Query(ctx, `SELECT event_id FROM holds WHERE status = 'active' AND expires_at <= $1
			UNION SELECT event_id FROM orders WHERE status = 'pending_payment' AND expires_at <= $1
			ORDER BY 1 LIMIT $2`, now, expireBatch)
		if err != nil {
			return total, fmt.Errorf("expire holds: %w", err)
		}
		events, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return total, fmt.Errorf("expire holds: %w", err)
		}
		if len(events) == 0 {
			return total, nil
		}
		var n int
		err = s.retry(ctx, func(tx pgx.Tx) error {
			if err := lockEvents(ctx, tx, events); err != nil {
				return err
			}
			deltas, swept, err := sweep(ctx, tx, events, now)
			if err != nil {
				return err
			}
			n = swept
			return addCounters(ctx, tx, deltas)
		})
		if err != nil {
			return total, fmt.Errorf("expire holds: %w", err)
		}
		total += n
		if len(events) < expireBatch {
			return total, nil
		}
	}
}

const orderColumns = `id, hold_id, buyer_id, event_id, lines, total_amount, total_currency, status,
	payment_intent_id, created_at, expires_at, paid_at, refunded_at, cancelled_at, shared, buyer_city, code, discount_amount`

func scanOrder(row pgx.Row) (purchase.Order, int, error) {
	var o purchase.Order
	var lines, code []byte
	var shared int
	var paid, refunded, cancelled *time.Time
	err := row.Scan(&o.ID, &o.HoldID, &o.BuyerID, &o.EventID, &lines, &o.Total.Amount, &o.Total.Currency, &o.Status,
		&o.PaymentIntentID, &o.CreatedAt, &o.ExpiresAt, &paid, &refunded, &cancelled, &shared, &o.BuyerCity, &code, &o.Discount.Amount)
	if err != nil {
		return purchase.Order{}, 0, err
	}
	if o.Code, err = decodeCode(code); err != nil {
		return purchase.Order{}, 0, fmt.Errorf("order %s: %w", o.ID, err)
	}
	if o.Discount.Amount != 0 {
		o.Discount.Currency = o.Total.Currency
	}
	if err := json.Unmarshal(lines, &o.Lines); err != nil {
		return purchase.Order{}, 0, fmt.Errorf("decode lines of order %s: %w", o.ID, err)
	}
	o.CreatedAt, o.ExpiresAt = o.CreatedAt.UTC(), o.ExpiresAt.UTC()
	o.PaidAt, o.RefundedAt, o.CancelledAt = fromNull(paid), fromNull(refunded), fromNull(cancelled)
	return o, shared, nil
}

// Order implements purchase.Store.
func (s *DB) Order(ctx context.Context, id string) (purchase.Order, error) {
	o, _, err := scanOrder(s.pool.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, id))
	if err != nil {
		return purchase.Order{}, fmt.Errorf("order %s: %w", id, purchaseErr(err))
	}
	return o, nil
}

// updateOrder applies u to an order in one transaction. If u moves
// quantities, the transaction first takes the event's inventory lock.
// When the order changed, then (if not nil) runs in the same
// transaction.
func (s *DB) updateOrder(ctx context.Context, id string, u purchase.OrderUpdate, then func(pgx.Tx, purchase.Order) error) (purchase.Order, error) {
	moves := u.Move != nil
	var eventID string
	if moves {
		var err error
		if eventID, err = s.eventOf(ctx, "orders", "order", id); err != nil {
			return purchase.Order{}, err
		}
	}
	var out purchase.Order
	err := s.retry(ctx, func(tx pgx.Tx) error {
		if moves {
			if err := lockEvents(ctx, tx, []string{eventID}); err != nil {
				return err
			}
		}
		o, shared, err := scanOrder(tx.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return fmt.Errorf("order %s: %w", id, purchaseErr(err))
		}
		changed, err := u.Apply(&o)
		if err != nil {
			return err
		}
		out = o
		if !changed {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE orders SET status = $2, payment_intent_id = $3, paid_at = $4,
			refunded_at = $5, cancelled_at = $6 WHERE id = $1`,
			o.ID, string(o.Status), o.PaymentIntentID, nullTime(o.PaidAt), nullTime(o.RefundedAt), nullTime(o.CancelledAt))
		if err != nil {
			return err
		}
		if then != nil {
			if err := then(tx, o); err != nil {
				return err
			}
		}
		if !moves {
			return nil
		}
		deltas := make(map[string]purchase.Counter)
		moveDeltas(deltas, o.EventID, o.BuyerID, o.HoldLines(), shared, u.CodeMoved(o), u.Move)
		return addCounters(ctx, tx, deltas)
	})
	if err != nil {
		return purchase.Order{}, err
	}
	return out, nil
}

// Refund implements purchase.Store.
func (s *DB) Refund(ctx context.Context, orderID string, at time.Time) (purchase.Order, error) {
	o, err := s.updateOrder(ctx, orderID, purchase.RefundUpdate(storedTime(at)), func(tx pgx.Tx, o purchase.Order) error {
		return revokeOrderTickets(ctx, tx, o.ID, purchase.RevokedRefunded, at)
	})
	if err == nil {
		s.numberAfterCommit(ctx, o.EventID)
	}
	return o, err
}

// CancelOrder implements purchase.Store.
func (s *DB) CancelOrder(ctx context.Context, orderID string, at time.Time) (purchase.Order, error) {
	return s.updateOrder(ctx, orderID, purchase.CancelUpdate(storedTime(at)), nil)
}

// Taken implements purchase.Store and catalog.Inventory.
func (s *DB) Taken(ctx context.Context, eventID string) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, sold + held FROM inventory
		WHERE event_id = $1 AND id <> event_id AND id NOT LIKE 'by:%' AND id NOT LIKE 'cd:%' AND sold + held > 0`, eventID)
	if err != nil {
		return nil, fmt.Errorf("taken of %s: %w", eventID, err)
	}
	taken := make(map[string]int)
	var id string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&id, &n}, func() error { taken[id] = n; return nil }); err != nil {
		return nil, fmt.Errorf("taken of %s: %w", eventID, err)
	}
	return taken, nil
}

var _ catalog.Inventory = (*DB)(nil)

// Counts implements purchase.Store.
func (s *DB) Counts(ctx context.Context, ticketTypeID string) (sold, held int, err error) {
	err = s.pool.QueryRow(ctx, `SELECT sold, held FROM inventory WHERE id = $1`, ticketTypeID).Scan(&sold, &held)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("counts of %s: %w", ticketTypeID, err)
	}
	return sold, held, nil
}

// PutIdempotent implements purchase.Store.
func (s *DB) PutIdempotent(ctx context.Context, key, requestHash string, response []byte) ([]byte, bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO idempotency_keys (key, request_hash, response) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO NOTHING`, key, requestHash, response)
	if err != nil {
		return nil, false, fmt.Errorf("idempotency key: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return nil, false, nil
	}
	hash, existing, err := s.Idempotent(ctx, key)
	if err != nil {
		return nil, false, err
	}
	return existing, hash != requestHash, nil
}

// Idempotent implements purchase.Store.
func (s *DB) Idempotent(ctx context.Context, key string) (string, []byte, error) {
	var hash string
	var response []byte
	err := s.pool.QueryRow(ctx, `SELECT request_hash, response FROM idempotency_keys WHERE key = $1`, key).Scan(&hash, &response)
	if err != nil {
		return "", nil, fmt.Errorf("idempotency key: %w", purchaseErr(err))
	}
	return hash, response, nil
}

// OrdersOfEvent implements purchase.Store.
func (s *DB) OrdersOfEvent(ctx context.Context, eventID, after string, limit int) ([]purchase.Order, error) {
	if limit < 1 || limit > purchase.MaxOrdersPage {
		return nil, fmt.Errorf("orders of %s: limit %d outside 1..%d: %w", eventID, limit, purchase.MaxOrdersPage, purchase.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+orderColumns+` FROM orders WHERE event_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		eventID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("orders of %s: %w", eventID, err)
	}
	orders, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (purchase.Order, error) {
		o, _, err := scanOrder(row)
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("orders of %s: %w", eventID, err)
	}
	return orders, nil
}
