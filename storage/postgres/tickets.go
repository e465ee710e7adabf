package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/purchase"
)

const ticketColumns = `id, event_id, ticket_type_id, type_number, order_id, holder_id, token, key_id,
	rotating, status, issued_at, revoked_at, revoke_reason, replaced_by, replaces, lineage, valid_until`

func scanTicket(row pgx.Row) (purchase.Ticket, error) {
	var t purchase.Ticket
	var number int32
	var revoked, until *time.Time
	err := row.Scan(&t.ID, &t.EventID, &t.TicketTypeID, &number, &t.OrderID, &t.HolderID, &t.Token, &t.KeyID,
		&t.Rotating, &t.Status, &t.IssuedAt, &revoked, &t.RevokeReason, &t.ReplacedBy, &t.Replaces, &t.Lineage, &until)
	t.TypeNumber = uint16(number)
	t.IssuedAt, t.RevokedAt, t.ValidUntil = t.IssuedAt.UTC(), fromNull(revoked), fromNull(until)
	return t, err
}

// queueTickets adds the insert of ts to b, in one statement (so the
// figures trigger of migration 0021 runs once for all of them, not once
// a ticket: a payment group's tickets cost 1.2 ms of database time each
// when inserted one by one), without their tokens (see purchase.Ticket):
// the token column stays empty.
func queueTickets(b *pgx.Batch, ts []purchase.Ticket) {
	if len(ts) == 0 {
		return
	}
	n := len(ts)
	ids, events, types, orders, holders, keys := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n)
	statuses, reasons, replacedBy, replaces, lineages := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n)
	numbers, rotating := make([]int32, n), make([]bool, n)
	issued, revoked, until := make([]time.Time, n), make([]*time.Time, n), make([]*time.Time, n)
	for i, t := range ts {
		ids[i], events[i], types[i], orders[i], holders[i], keys[i] = t.ID, t.EventID, t.TicketTypeID, t.OrderID, t.HolderID, t.KeyID
		statuses[i], reasons[i], replacedBy[i], replaces[i], lineages[i] = string(t.Status), t.RevokeReason, t.ReplacedBy, t.Replaces, t.Lineage
		numbers[i], rotating[i] = int32(t.TypeNumber), t.Rotating
		issued[i], revoked[i], until[i] = storedTime(t.IssuedAt), nullTime(t.RevokedAt), nullTime(storedTime(t.ValidUntil))
	}
	b.Queue(`INSERT INTO tickets (`+ticketColumns+`)
		SELECT v.id, v.event_id, v.ticket_type_id, v.type_number, v.order_id, v.holder_id, '', v.key_id,
			v.rotating, v.status, v.issued_at, v.revoked_at, v.revoke_reason, v.replaced_by, v.replaces, v.lineage, v.valid_until
		FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::text[], $6::text[], $7::text[],
			$8::boolean[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::text[], $14::text[],
			$15::text[], $16::timestamptz[]) WITH ORDINALITY
			AS v(id, event_id, ticket_type_id, type_number, order_id, holder_id, key_id, rotating, status, issued_at,
			revoked_at, revoke_reason, replaced_by, replaces, lineage, valid_until, n)
		ORDER BY v.n`,
		ids, events, types, numbers, orders, holders, keys, rotating, statuses, issued, revoked, reasons, replacedBy,
		replaces, lineages, until)
}

// queueRevokes adds the update of the revoked tickets ts to b, in one
// statement (one run of the figures trigger, as for queueTickets).
func queueRevokes(b *pgx.Batch, ts []purchase.Ticket) {
	if len(ts) == 0 {
		return
	}
	n := len(ts)
	ids, statuses, reasons, replacedBy := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	revoked := make([]*time.Time, n)
	for i, t := range ts {
		ids[i], statuses[i], reasons[i], replacedBy[i] = t.ID, string(t.Status), t.RevokeReason, t.ReplacedBy
		revoked[i] = nullTime(t.RevokedAt)
	}
	b.Queue(`UPDATE tickets SET status = v.status, revoked_at = v.revoked_at, revoke_reason = v.reason, replaced_by = v.replaced_by
		FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[]) AS v(id, status, revoked_at, reason, replaced_by)
		WHERE tickets.id = v.id`, ids, statuses, revoked, reasons, replacedBy)
}

// queueChanges adds to b the insert of cs (all of one event) as
// unnumbered entries, in cs's order (their pos). It takes no lock: the
// caller numbers them after its commit with DB.numberChanges (see
// doc.go, "The change log").
func queueChanges(b *pgx.Batch, cs []changelog.Change) error {
	if len(cs) == 0 {
		return nil
	}
	n := len(cs)
	kinds, tickets, reasons, checkins, gates, dirs, replaces := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	types, ats, offline := make([]int32, n), make([]time.Time, n), make([]bool, n)
	for i, c := range cs {
		if c.EventID != cs[0].EventID {
			return fmt.Errorf("changes of two events in one call: %s, %s", cs[0].EventID, c.EventID)
		}
		kinds[i], tickets[i], reasons[i], checkins[i] = string(c.Kind), c.TicketID, c.Reason, c.CheckinID
		gates[i], dirs[i], replaces[i] = c.GateID, string(c.Direction), c.Replaces
		types[i], ats[i], offline[i] = int32(c.TypeNumber), storedTime(c.At), c.Offline
	}
	// ORDER BY n: the rows are inserted, and draw pos, in cs's order.
	b.Queue(`INSERT INTO changes (event_id, kind, ticket_id, type_number, reason, at, checkin_id, gate_id, direction, offline, replaces)
		SELECT $1, v.kind, v.ticket_id, v.type_number, v.reason, v.at, v.checkin_id, v.gate_id, v.direction, v.offline, v.replaces
		FROM unnest($2::text[], $3::text[], $4::integer[], $5::text[], $6::timestamptz[], $7::text[], $8::text[], $9::text[],
			$10::boolean[], $11::text[]) WITH ORDINALITY AS v(kind, ticket_id, type_number, reason, at, checkin_id, gate_id,
			direction, offline, replaces, n)
		ORDER BY v.n`,
		cs[0].EventID, kinds, tickets, types, reasons, ats, checkins, gates, dirs, offline, replaces)
	return nil
}

// sendBatch runs b, failing on the first statement that fails.
func sendBatch(ctx context.Context, tx pgx.Tx, b *pgx.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

// revokeOrderTickets revokes an order's valid tickets and logs it.
func revokeOrderTickets(ctx context.Context, tx pgx.Tx, orderID, reason string, at time.Time) error {
	rows, err := tx.Query(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE order_id = $1 AND status = $2
		ORDER BY issued_at, id FOR UPDATE`, orderID, string(purchase.TicketValid))
	if err != nil {
		return err
	}
	tickets, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (purchase.Ticket, error) { return scanTicket(row) })
	if err != nil {
		return fmt.Errorf("tickets of order %s: %w", orderID, err)
	}
	if err := lockLineages(ctx, tx, tickets); err != nil {
		return err
	}
	var b pgx.Batch
	changes := make([]changelog.Change, 0, len(tickets))
	for i := range tickets {
		purchase.Revoke(&tickets[i], reason, "", storedTime(at))
		changes = append(changes, purchase.RevokeChange(tickets[i]))
	}
	queueRevokes(&b, tickets)
	if err := queueChanges(&b, changes); err != nil {
		return err
	}
	return sendBatch(ctx, tx, &b)
}

// lockLineages locks the ticket_inside rows of the tickets' lineages,
// inserting those missing, in (event, root) order as RecordCheckins
// does, so that no entry of those lineages is recorded until the
// caller commits: the caller may change the tickets' states, and the
// event's figures count valid tickets by whether their lineage has an
// entry (see doc.go, "An event's figures"). The caller holds the
// tickets' own row locks already (taken before lineage locks, as
// Transfer does).
func lockLineages(ctx context.Context, tx pgx.Tx, tickets []purchase.Ticket) error {
	if len(tickets) == 0 {
		return nil
	}
	lineages := make(map[lineageKey]bool)
	for _, t := range tickets {
		lineages[lineageKey{t.EventID, t.Root()}] = true
	}
	keys := slices.SortedFunc(maps.Keys(lineages), compareLineage)
	events, roots := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		events[i], roots[i] = k.event, k.root
	}
	var b pgx.Batch
	b.Queue(customPlansSQL)
	b.Queue(insertLineagesSQL, events, roots)
	b.Queue(lockLineagesSQL, events, roots)
	return sendBatch(ctx, tx, &b)
}

// Ticket implements purchase.TicketStore.
func (s *DB) Ticket(ctx context.Context, id string) (purchase.Ticket, error) {
	t, err := scanTicket(s.pool.QueryRow(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE id = $1`, id))
	if err != nil {
		return purchase.Ticket{}, fmt.Errorf("ticket %s: %w", id, purchaseErr(err))
	}
	return t, nil
}

// TicketsByID implements purchase.TicketStore.
func (s *DB) TicketsByID(ctx context.Context, ids []string) (map[string]purchase.Ticket, error) {
	if len(ids) > purchase.MaxTicketsByID {
		return nil, fmt.Errorf("tickets by id: %d ids, more than %d: %w", len(ids), purchase.MaxTicketsByID, purchase.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("tickets by id: %w", err)
	}
	tickets, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (purchase.Ticket, error) { return scanTicket(row) })
	if err != nil {
		return nil, fmt.Errorf("tickets by id: %w", err)
	}
	out := make(map[string]purchase.Ticket, len(tickets))
	for _, t := range tickets {
		out[t.ID] = t
	}
	return out, nil
}

func (s *DB) listTickets(ctx context.Context, where, arg string, limit int) ([]purchase.Ticket, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE `+where+` = $1
		ORDER BY issued_at, id LIMIT $2`, arg, limit)
	if err != nil {
		return nil, err
	}
	tickets, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (purchase.Ticket, error) { return scanTicket(row) })
	if err != nil || len(tickets) == 0 {
		return nil, err
	}
	return tickets, nil
}

// TicketsOfHolder implements purchase.TicketStore.
func (s *DB) TicketsOfHolder(ctx context.Context, holderID string, limit int) ([]purchase.Ticket, error) {
	t, err := s.listTickets(ctx, "holder_id", holderID, limit)
	if err != nil {
		return nil, fmt.Errorf("tickets of %s: %w", holderID, err)
	}
	return t, nil
}

// TicketsOfOrder implements purchase.TicketStore.
func (s *DB) TicketsOfOrder(ctx context.Context, orderID string) ([]purchase.Ticket, error) {
	t, err := s.listTickets(ctx, "order_id", orderID, purchase.MaxTicketsPerOrder)
	if err != nil {
		return nil, fmt.Errorf("tickets of order %s: %w", orderID, err)
	}
	return t, nil
}

// Transfer implements purchase.TicketStore.
func (s *DB) Transfer(ctx context.Context, oldID, fromHolder string, next purchase.Ticket, at time.Time) (purchase.Ticket, error) {
	next.IssuedAt, next.RevokedAt, next.ValidUntil, next.Token = storedTime(next.IssuedAt), time.Time{}, storedTime(next.ValidUntil), ""
	err := s.retry(ctx, func(tx pgx.Tx) error {
		old, err := scanTicket(tx.QueryRow(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE id = $1 FOR UPDATE`, oldID))
		if err != nil {
			return fmt.Errorf("ticket %s: %w", oldID, purchaseErr(err))
		}
		if old.HolderID != fromHolder {
			return fmt.Errorf("ticket %s: %w", oldID, purchase.ErrNotFound)
		}
		if err := purchase.CheckTransfer(old, next); err != nil {
			return err
		}
		// Lock the lineage's entry row as RecordCheckins does, so an
		// entry being recorded now is either seen here or recorded after
		// the transfer (and then counts for next, which shares the
		// lineage).
		if _, err := tx.Exec(ctx, `INSERT INTO ticket_inside (event_id, ticket_id) VALUES ($1, $2)
			ON CONFLICT (event_id, ticket_id) DO NOTHING`, old.EventID, old.Root()); err != nil {
			return err
		}
		entry, entered, err := scanEntry(tx.QueryRow(ctx, `SELECT `+entryColumns+` FROM ticket_inside
			WHERE event_id = $1 AND ticket_id = $2 FOR UPDATE`, old.EventID, old.Root()))
		if err != nil {
			return err
		}
		if entered {
			return purchase.UsedError("transfer", oldID, entry)
		}
		purchase.Revoke(&old, purchase.RevokedTransferred, next.ID, storedTime(at))
		var b pgx.Batch
		queueRevokes(&b, []purchase.Ticket{old})
		queueTickets(&b, []purchase.Ticket{next})
		if err := queueChanges(&b, []changelog.Change{purchase.RevokeChange(old), purchase.IssueChange(next)}); err != nil {
			return err
		}
		return purchaseErr(sendBatch(ctx, tx, &b))
	})
	if err != nil {
		return purchase.Ticket{}, fmt.Errorf("transfer ticket %s: %w", oldID, err)
	}
	s.numberAfterCommit(ctx, next.EventID)
	return next, nil
}

// SetValidity implements purchase.TicketStore.
func (s *DB) SetValidity(ctx context.Context, eventID string, validUntil time.Time) (int, error) {
	validUntil = storedTime(validUntil)
	n := 0
	err := s.retry(ctx, func(tx pgx.Tx) error {
		// A token stored before tokens were derived says the old time:
		// drop it, the fields sign the new one.
		tag, err := tx.Exec(ctx, `UPDATE tickets SET valid_until = $2, token = '' WHERE event_id = $1 AND status = $3
			AND (valid_until IS DISTINCT FROM $2 OR token <> '')`, eventID, validUntil, string(purchase.TicketValid))
		if err != nil {
			return err
		}
		n = int(tag.RowsAffected())
		if n == 0 {
			return nil
		}
		var b pgx.Batch
		if err := queueChanges(&b, []changelog.Change{changelog.ValidityChange(eventID, validUntil)}); err != nil {
			return err
		}
		return sendBatch(ctx, tx, &b)
	})
	if err != nil {
		return 0, fmt.Errorf("set validity of %s: %w", eventID, err)
	}
	if n > 0 {
		s.numberAfterCommit(ctx, eventID)
	}
	return n, nil
}

const entryColumns = `entered_ticket_id, entered_checkin_id, entered_gate_id, entered_at`

// scanEntry reads entryColumns: ok is false for a lineage never entered.
func scanEntry(row pgx.Row) (e purchase.Entry, ok bool, err error) {
	var at *time.Time
	if err := row.Scan(&e.TicketID, &e.CheckinID, &e.GateID, &at); err != nil {
		return purchase.Entry{}, false, err
	}
	e.At = fromNull(at)
	return e, e.CheckinID != "", nil
}

// Entered implements purchase.TicketStore.
func (s *DB) Entered(ctx context.Context, eventID, root string) (purchase.Entry, bool, error) {
	e, ok, err := scanEntry(s.pool.QueryRow(ctx, `SELECT `+entryColumns+` FROM ticket_inside
		WHERE event_id = $1 AND ticket_id = $2`, eventID, root))
	if errors.Is(err, pgx.ErrNoRows) {
		return purchase.Entry{}, false, nil
	}
	if err != nil {
		return purchase.Entry{}, false, fmt.Errorf("entry of ticket %s: %w", root, err)
	}
	return e, ok, nil
}

// Changes implements purchase.TicketStore.
func (s *DB) Changes(ctx context.Context, eventID string, after int64, limit int) ([]changelog.Change, error) {
	if limit < 1 || limit > changelog.MaxChanges {
		return nil, fmt.Errorf("changes of %s: limit %d outside 1..%d: %w", eventID, limit, changelog.MaxChanges, purchase.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT event_id, seq, kind, ticket_id, type_number, reason, at,
		checkin_id, gate_id, direction, offline, replaces FROM changes
		WHERE event_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, eventID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("changes of %s: %w", eventID, err)
	}
	changes, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (changelog.Change, error) {
		var c changelog.Change
		var number int32
		err := row.Scan(&c.EventID, &c.Seq, &c.Kind, &c.TicketID, &number, &c.Reason, &c.At,
			&c.CheckinID, &c.GateID, &c.Direction, &c.Offline, &c.Replaces)
		c.TypeNumber, c.At = uint16(number), c.At.UTC()
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("changes of %s: %w", eventID, err)
	}
	if len(changes) == 0 {
		return nil, nil
	}
	return changes, nil
}

// LastSeq implements purchase.TicketStore.
func (s *DB) LastSeq(ctx context.Context, eventID string) (int64, error) {
	var head int64
	err := s.pool.QueryRow(ctx, `SELECT last FROM change_seq WHERE event_id = $1`, eventID).Scan(&head)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("log head of %s: %w", eventID, err)
	}
	return head, nil
}
