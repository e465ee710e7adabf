package postgres

import (
	"context"
	"fmt"
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

// UpdateGate implements sync.Store: the row stays locked from read to
// write.
func (s *DB) UpdateGate(ctx context.Context, id string, fn func(*ticketsync.Gate) error) (ticketsync.Gate, error) {
	var next ticketsync.Gate
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old, err := scanGate(tx.QueryRow(ctx, `SELECT `+gateColumns+` FROM gates WHERE id = $1 FOR NO KEY UPDATE`, id))
		if err != nil {
			return fmt.Errorf("gate %s: %w", id, syncErr(err))
		}
		next = old
		next.Types = slices.Clone(old.Types)
		if err := fn(&next); err != nil {
			return err
		}
		if err := ticketsync.CheckGateChange(old, next); err != nil {
			return err
		}
		types := make([]int32, 0, len(next.Types))
		for _, n := range next.Types {
			types = append(types, int32(n))
		}
		_, err = tx.Exec(ctx, `UPDATE gates SET name = $2, direction = $3, allow_reentry = $4, types = $5 WHERE id = $1`,
			id, next.Name, string(next.Direction), next.AllowReentry, types)
		return syncErr(err)
	})
	if err != nil {
		return ticketsync.Gate{}, err
	}
	return next, nil
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
		FROM conflicts WHERE event_id = $1 ORDER BY pos LIMIT $2`, eventID, limit)
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
