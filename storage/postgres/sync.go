package postgres

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/changelog"
	ticketsync "github.com/admitone/admitone/sync"
)

var _ ticketsync.Store = (*DB)(nil)

func syncErr(err error) error { return translate(err, ticketsync.ErrNotFound, ticketsync.ErrExists) }

const gateColumns = `id, event_id, name, direction, allow_reentry, types, code_hash, code_expires_at,
	credential_hash, created_by, created_at, enrolled_at, revoked_at, purpose`

func scanGate(row pgx.Row) (ticketsync.Gate, error) {
	var g ticketsync.Gate
	var types []int32
	var expires, enrolled, revoked *time.Time
	err := row.Scan(&g.ID, &g.EventID, &g.Name, &g.Direction, &g.AllowReentry, &types, &g.CodeHash, &expires,
		&g.CredentialHash, &g.CreatedBy, &g.CreatedAt, &enrolled, &revoked, &g.Purpose)
	for _, n := range types {
		g.Types = append(g.Types, uint16(n))
	}
	g.CodeExpiresAt, g.CreatedAt, g.EnrolledAt, g.RevokedAt = fromNull(expires), g.CreatedAt.UTC(), fromNull(enrolled), fromNull(revoked)
	return g, err
}

// CreateGate implements sync.Store.
func (s *DB) CreateGate(ctx context.Context, g ticketsync.Gate) error {
	if err := ticketsync.CheckGate(g); err != nil {
		return fmt.Errorf("create gate: %w", err)
	}
	types := make([]int32, len(g.Types))
	for i, n := range g.Types {
		types[i] = int32(n)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO gates (`+gateColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		g.ID, g.EventID, g.Name, string(g.Direction), g.AllowReentry, types, g.CodeHash, nullTime(g.CodeExpiresAt),
		g.CredentialHash, g.CreatedBy, storedTime(g.CreatedAt), nullTime(g.EnrolledAt), nullTime(g.RevokedAt), g.Purpose)
	if err != nil {
		return fmt.Errorf("create gate %s: %w", g.ID, syncErr(err))
	}
	return nil
}

// Gate implements sync.Store.
func (s *DB) Gate(ctx context.Context, id string) (ticketsync.Gate, error) {
	g, err := scanGate(s.pool.QueryRow(ctx, `SELECT `+gateColumns+` FROM gates WHERE id = $1`, id))
	if err != nil {
		return ticketsync.Gate{}, fmt.Errorf("gate %s: %w", id, syncErr(err))
	}
	return g, nil
}

// GatesOfEvent implements sync.Store.
func (s *DB) GatesOfEvent(ctx context.Context, eventID string) ([]ticketsync.Gate, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+gateColumns+` FROM gates WHERE event_id = $1 ORDER BY created_at, id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("gates of event %s: %w", eventID, err)
	}
	gates, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ticketsync.Gate, error) { return scanGate(row) })
	if err != nil || len(gates) == 0 {
		return nil, err
	}
	return gates, nil
}

// EnrollGate implements sync.Store. The gate's row lock makes a code
// work once: a second enrolment with it waits, then finds the code gone.
func (s *DB) EnrollGate(ctx context.Context, codeHash, credentialHash string, at time.Time) (ticketsync.Gate, error) {
	if credentialHash == "" {
		return ticketsync.Gate{}, fmt.Errorf("enroll gate: no credential: %w", ticketsync.ErrInvalid)
	}
	if codeHash == "" {
		return ticketsync.Gate{}, fmt.Errorf("enroll gate: enrolment code: %w", ticketsync.ErrNotFound)
	}
	var g ticketsync.Gate
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		g, err = scanGate(tx.QueryRow(ctx, `SELECT `+gateColumns+` FROM gates WHERE code_hash = $1 FOR NO KEY UPDATE`, codeHash))
		if err != nil {
			return fmt.Errorf("enrolment code: %w", syncErr(err))
		}
		if err := ticketsync.CheckEnrollment(g, at); err != nil {
			return err
		}
		g.CodeHash, g.CredentialHash, g.EnrolledAt = "", credentialHash, storedTime(at)
		_, err = tx.Exec(ctx, `UPDATE gates SET code_hash = '', credential_hash = $2, enrolled_at = $3 WHERE id = $1`,
			g.ID, g.CredentialHash, g.EnrolledAt)
		if err != nil {
			return fmt.Errorf("gate %s: %w", g.ID, syncErr(err))
		}
		return nil
	})
	if err != nil {
		return ticketsync.Gate{}, fmt.Errorf("enroll gate: %w", err)
	}
	return g, nil
}

// GateByCredential implements sync.Store.
func (s *DB) GateByCredential(ctx context.Context, credentialHash string) (ticketsync.Gate, error) {
	if credentialHash == "" {
		return ticketsync.Gate{}, fmt.Errorf("gate credential: %w", ticketsync.ErrNotFound)
	}
	g, err := scanGate(s.pool.QueryRow(ctx, `SELECT `+gateColumns+` FROM gates WHERE credential_hash = $1`, credentialHash))
	if err != nil {
		return ticketsync.Gate{}, fmt.Errorf("gate credential: %w", syncErr(err))
	}
	return g, nil
}

// RevokeGate implements sync.Store.
func (s *DB) RevokeGate(ctx context.Context, id string, at time.Time) (ticketsync.Gate, error) {
	// coalesce keeps the first revocation's time; RETURNING shows the row
	// as updated.
	g, err := scanGate(s.pool.QueryRow(ctx, `UPDATE gates SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1
		RETURNING `+gateColumns, id, storedTime(at)))
	if err != nil {
		return ticketsync.Gate{}, fmt.Errorf("revoke gate %s: %w", id, syncErr(err))
	}
	return g, nil
}

// RecordCheckins implements sync.Store in one transaction (see doc.go,
// "Sync"): insert the check-ins, skipping ids already there; lock the
// rows of their tickets in ticket_inside, creating missing ones; decide
// in Go, in the given order, what each new check-in does to its ticket;
// then number the log entries (the event's change_seq lock, last) and
// write entries, ticket states and conflicts in one batch.
func (s *DB) RecordCheckins(ctx context.Context, g ticketsync.Gate, cs []changelog.Checkin, receivedAt time.Time) (ticketsync.RecordResult, error) {
	if err := ticketsync.CheckCheckins(g, cs); err != nil {
		return ticketsync.RecordResult{}, fmt.Errorf("record check-ins: %w", err)
	}
	// A repeated id within the batch is a resend too: the first counts.
	batch := make([]changelog.Checkin, 0, len(cs))
	seen := make(map[string]bool, len(cs))
	for _, c := range cs {
		if !seen[c.ID] {
			seen[c.ID] = true
			c.At = storedTime(c.At)
			batch = append(batch, c)
		}
	}
	if len(batch) == 0 {
		return ticketsync.RecordResult{}, nil
	}
	receivedAt = storedTime(receivedAt)
	// Rows are locked in key order, so two uploads never wait on each
	// other in opposite orders.
	byID := slices.SortedFunc(slices.Values(batch), func(a, b changelog.Checkin) int { return cmp.Compare(a.ID, b.ID) })
	n := len(byID)
	ids, tickets, dirs := make([]string, n), make([]string, n), make([]string, n)
	types, ats, offline := make([]int32, n), make([]time.Time, n), make([]bool, n)
	for i, c := range byID {
		ids[i], tickets[i], dirs[i] = c.ID, c.TicketID, string(c.Direction)
		types[i], ats[i], offline[i] = int32(c.TypeNumber), c.At, c.Offline
	}
	var res ticketsync.RecordResult
	err := s.retry(ctx, func(tx pgx.Tx) error {
		res = ticketsync.RecordResult{}
		// A transfer's ticket shares its lineage's entry state (see
		// ticketRoots); tickets never change lineage, so reading it
		// before the locks is safe.
		root, err := ticketRoots(ctx, tx, tickets)
		if err != nil {
			return err
		}
		roots := make([]string, 0, len(tickets))
		for _, t := range tickets {
			roots = append(roots, root(t))
		}
		roots = slices.Compact(slices.Sorted(slices.Values(roots)))
		var b pgx.Batch
		var inserted []string
		b.Queue(`INSERT INTO sync_checkins (id, event_id, gate_id, ticket_id, type_number, direction, at, offline, received_at)
			SELECT v.id, $1, $2, v.ticket_id, v.type_number, v.direction, v.at, v.offline, $3
			FROM unnest($4::text[], $5::text[], $6::integer[], $7::text[], $8::timestamptz[], $9::boolean[])
				WITH ORDINALITY AS v(id, ticket_id, type_number, direction, at, offline, n)
			ORDER BY v.n
			ON CONFLICT (id) DO NOTHING RETURNING id`,
			g.EventID, g.ID, receivedAt, ids, tickets, types, dirs, ats, offline).Query(func(rows pgx.Rows) error {
			var err error
			inserted, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		b.Queue(`INSERT INTO ticket_inside (event_id, ticket_id)
			SELECT $1, t FROM unnest($2::text[]) WITH ORDINALITY AS v(t, n) ORDER BY v.n
			ON CONFLICT (event_id, ticket_id) DO NOTHING`, g.EventID, roots)
		state := make(map[string]ticketsync.ConflictSide) // lineages inside, by root
		entered := make(map[string]bool)                  // lineages with an entry on record
		b.Queue(`SELECT ticket_id, inside_ticket_id, checkin_id, gate_id, at, offline, entered_checkin_id <> '' FROM ticket_inside
			WHERE event_id = $1 AND ticket_id = ANY($2) ORDER BY ticket_id FOR UPDATE`, g.EventID, roots).Query(func(rows pgx.Rows) error {
			var ticket string
			var side ticketsync.ConflictSide
			var at *time.Time
			var hasEntry bool
			_, err := pgx.ForEachRow(rows, []any{&ticket, &side.TicketID, &side.CheckinID, &side.GateID, &at, &side.Offline, &hasEntry}, func() error {
				if side.CheckinID != "" {
					side.At = fromNull(at)
					state[ticket] = side
				}
				entered[ticket] = hasEntry
				return nil
			})
			return err
		})
		if err := sendBatch(ctx, tx, &b); err != nil {
			return syncErr(err)
		}
		isNew := make(map[string]bool, len(inserted))
		for _, id := range inserted {
			isNew[id] = true
		}

		var changes []changelog.Change
		changed := make(map[string]bool)
		firstEntry := make(map[string]ticketsync.ConflictSide) // lineages entered for the first time now
		type conflict struct {
			ticketsync.Conflict
			index int // of the second check-in among the new ones
		}
		var conflicts []conflict
		for _, c := range batch {
			if !isNew[c.ID] {
				continue
			}
			r := root(c.TicketID)
			l := ticketsync.Lineage{Entered: entered[r]}
			l.Since, l.Inside = state[r]
			next, cf, first := ticketsync.ApplyCheckin(l, r, c, receivedAt)
			entered[r] = next.Entered
			if first {
				firstEntry[r] = ticketsync.Side(c)
			}
			if cf != nil {
				conflicts = append(conflicts, conflict{*cf, len(changes)})
			}
			if next.Inside != l.Inside {
				if next.Inside {
					state[r] = next.Since
				} else {
					delete(state, r)
				}
				changed[r] = true
			}
			changes = append(changes, c.Change())
		}
		res.New = len(changes)
		if len(changes) == 0 {
			return nil
		}

		b = pgx.Batch{}
		if err := queueChanges(ctx, tx, &b, changes); err != nil {
			return err
		}
		if len(changed) > 0 {
			var ts, tids, cids, gids []string
			var ats []*time.Time
			var offs []bool
			for _, t := range slices.Sorted(maps.Keys(changed)) {
				side := state[t] // zero: outside
				ts, tids, cids, gids = append(ts, t), append(tids, side.TicketID), append(cids, side.CheckinID), append(gids, side.GateID)
				ats, offs = append(ats, nullTime(side.At)), append(offs, side.Offline)
			}
			b.Queue(`UPDATE ticket_inside AS i SET inside_ticket_id = v.inside_ticket_id, checkin_id = v.checkin_id,
					gate_id = v.gate_id, at = v.at, offline = v.offline
				FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::boolean[])
					AS v(ticket_id, inside_ticket_id, checkin_id, gate_id, at, offline)
				WHERE i.event_id = $1 AND i.ticket_id = v.ticket_id`, g.EventID, ts, tids, cids, gids, ats, offs)
		}
		if len(firstEntry) > 0 {
			var ts, tids, cids, gids []string
			var ats []time.Time
			for _, t := range slices.Sorted(maps.Keys(firstEntry)) {
				e := firstEntry[t]
				ts, tids, cids, gids, ats = append(ts, t), append(tids, e.TicketID), append(cids, e.CheckinID), append(gids, e.GateID), append(ats, e.At)
			}
			b.Queue(`UPDATE ticket_inside AS i SET entered_ticket_id = v.ticket, entered_checkin_id = v.checkin_id,
					entered_gate_id = v.gate_id, entered_at = v.at
				FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS v(ticket_id, ticket, checkin_id, gate_id, at)
				WHERE i.event_id = $1 AND i.ticket_id = v.ticket_id`, g.EventID, ts, tids, cids, gids, ats)
		}
		if len(conflicts) > 0 {
			k := len(conflicts)
			back, ts := make([]int64, k), make([]string, k)
			fc, fg, sc, sg := make([]string, k), make([]string, k), make([]string, k), make([]string, k)
			ft, st := make([]string, k), make([]string, k)
			fa, sa := make([]time.Time, k), make([]time.Time, k)
			fo, so := make([]bool, k), make([]bool, k)
			for i, cf := range conflicts {
				// queueChanges numbered the new check-ins up to the
				// event's last seq; the conflict takes its second
				// check-in's.
				back[i], ts[i] = int64(len(changes)-1-cf.index), cf.TicketID
				fc[i], fg[i], fa[i], fo[i] = cf.First.CheckinID, cf.First.GateID, cf.First.At, cf.First.Offline
				sc[i], sg[i], sa[i], so[i] = cf.Second.CheckinID, cf.Second.GateID, cf.Second.At, cf.Second.Offline
				ft[i], st[i] = cf.First.TicketID, cf.Second.TicketID
				res.Conflicts = append(res.Conflicts, cf.Conflict)
			}
			b.Queue(`INSERT INTO conflicts (event_id, seq, ticket_id, first_checkin_id, first_gate_id, first_at, first_offline,
					second_checkin_id, second_gate_id, second_at, second_offline, detected_at, first_ticket_id, second_ticket_id)
				SELECT $1, (SELECT last FROM change_seq WHERE event_id = $1) - v.back, v.ticket_id,
					v.fc, v.fg, v.fa, v.fo, v.sc, v.sg, v.sa, v.so, $2, v.ft, v.st
				FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::boolean[],
					$9::text[], $10::text[], $11::timestamptz[], $12::boolean[], $13::text[], $14::text[])
					AS v(back, ticket_id, fc, fg, fa, fo, sc, sg, sa, so, ft, st)`,
				g.EventID, receivedAt, back, ts, fc, fg, fa, fo, sc, sg, sa, so, ft, st)
		}
		return syncErr(sendBatch(ctx, tx, &b))
	})
	if err != nil {
		return ticketsync.RecordResult{}, fmt.Errorf("record check-ins of gate %s: %w", g.ID, err)
	}
	return res, nil
}

// QuarantineCheckins implements sync.Store.
func (s *DB) QuarantineCheckins(ctx context.Context, g ticketsync.Gate, qs []ticketsync.Quarantined) (int, error) {
	if err := ticketsync.CheckQuarantine(g, qs); err != nil {
		return 0, fmt.Errorf("quarantine check-ins: %w", err)
	}
	if len(qs) == 0 {
		return 0, nil
	}
	n := len(qs)
	ids, tickets, dirs, reasons, details := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	types, ats, offline := make([]int32, n), make([]time.Time, n), make([]bool, n)
	for i, q := range qs {
		ids[i], tickets[i], dirs[i], reasons[i], details[i] = q.ID, q.TicketID, string(q.Direction), q.Reason, q.Detail
		types[i], ats[i], offline[i] = int32(q.TypeNumber), storedTime(q.At), q.Offline
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO sync_quarantine (checkin_id, event_id, gate_id, ticket_id, type_number, direction, at, offline, reason, detail, received_at)
		SELECT v.id, $1, $2, v.ticket_id, v.type_number, v.direction, v.at, v.offline, v.reason, v.detail, $3
		FROM unnest($4::text[], $5::text[], $6::integer[], $7::text[], $8::timestamptz[], $9::boolean[], $10::text[], $11::text[])
			AS v(id, ticket_id, type_number, direction, at, offline, reason, detail)
		ON CONFLICT (checkin_id) DO NOTHING`,
		g.EventID, g.ID, storedTime(qs[0].ReceivedAt), ids, tickets, types, dirs, ats, offline, reasons, details)
	if err != nil {
		return 0, fmt.Errorf("quarantine check-ins of gate %s: %w", g.ID, syncErr(err))
	}
	return int(tag.RowsAffected()), nil
}

// Quarantine implements sync.Store.
func (s *DB) Quarantine(ctx context.Context, eventID string, limit int) ([]ticketsync.Quarantined, error) {
	if limit < 1 {
		return nil, fmt.Errorf("quarantine of %s: limit %d: %w", eventID, limit, ticketsync.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT checkin_id, gate_id, ticket_id, type_number, direction, at, offline, reason, detail, received_at
		FROM sync_quarantine WHERE event_id = $1 ORDER BY checkin_id LIMIT $2`, eventID, limit)
	if err != nil {
		return nil, fmt.Errorf("quarantine of %s: %w", eventID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ticketsync.Quarantined, error) {
		q := ticketsync.Quarantined{Checkin: changelog.Checkin{EventID: eventID}}
		var number int32
		err := row.Scan(&q.ID, &q.GateID, &q.TicketID, &number, &q.Direction, &q.At, &q.Offline, &q.Reason, &q.Detail, &q.ReceivedAt)
		q.TypeNumber, q.At, q.ReceivedAt = uint16(number), q.At.UTC(), q.ReceivedAt.UTC()
		return q, err
	})
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return out, nil
}

// ticketRoots reads the lineage roots of the tickets a transfer issued
// among ids and returns the root of any id (itself for an original
// ticket or an id the server did not issue, e.g. a listed code).
func ticketRoots(ctx context.Context, tx pgx.Tx, ids []string) (func(string) string, error) {
	rows, err := tx.Query(ctx, `SELECT id, lineage FROM tickets WHERE id = ANY($1) AND lineage <> ''`, ids)
	if err != nil {
		return nil, err
	}
	lineage := make(map[string]string)
	var id, root string
	if _, err := pgx.ForEachRow(rows, []any{&id, &root}, func() error { lineage[id] = root; return nil }); err != nil {
		return nil, fmt.Errorf("ticket lineages: %w", err)
	}
	return func(t string) string {
		if r, ok := lineage[t]; ok {
			return r
		}
		return t
	}, nil
}

// Conflicts implements sync.Store.
func (s *DB) Conflicts(ctx context.Context, eventID string, limit int) ([]ticketsync.Conflict, error) {
	if limit < 1 {
		return nil, fmt.Errorf("conflicts of %s: limit %d: %w", eventID, limit, ticketsync.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT ticket_id, first_checkin_id, first_gate_id, first_at, first_offline,
			second_checkin_id, second_gate_id, second_at, second_offline, detected_at, first_ticket_id, second_ticket_id
		FROM conflicts WHERE event_id = $1 ORDER BY seq LIMIT $2`, eventID, limit)
	if err != nil {
		return nil, fmt.Errorf("conflicts of %s: %w", eventID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ticketsync.Conflict, error) {
		cf := ticketsync.Conflict{EventID: eventID}
		err := row.Scan(&cf.TicketID, &cf.First.CheckinID, &cf.First.GateID, &cf.First.At, &cf.First.Offline,
			&cf.Second.CheckinID, &cf.Second.GateID, &cf.Second.At, &cf.Second.Offline, &cf.DetectedAt,
			&cf.First.TicketID, &cf.Second.TicketID)
		cf.First.At, cf.Second.At, cf.DetectedAt = cf.First.At.UTC(), cf.Second.At.UTC(), cf.DetectedAt.UTC()
		return cf, err
	})
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return out, nil
}
