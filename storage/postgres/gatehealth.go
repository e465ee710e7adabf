package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	ticketsync "github.com/admitone/admitone/sync"
)

// Gate health (sync.HealthStore): gate_health holds each gate's
// sync.GateHealth as JSON, gate_minutes the per-minute counts.

var _ ticketsync.HealthStore = (*DB)(nil)

// minuteKey is a gate_minutes row's key.
type minuteKey struct {
	event  string
	minute time.Time
	gate   string
}

// UpdateGates implements sync.HealthStore: its statements are the same
// for one gate or a thousand. The gates' health rows are locked in id
// order; while they are, nothing else adds to their gates' minutes.
func (s *DB) UpdateGates(ctx context.Context, updates []ticketsync.GateUpdate) ([]ticketsync.GateHealth, error) {
	if len(updates) == 0 {
		return nil, nil
	}
	ids := make([]string, 0, len(updates))
	for _, u := range updates {
		if err := u.Validate(); err != nil {
			return nil, err
		}
		ids = append(ids, u.GateID)
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	out := make([]ticketsync.GateHealth, len(updates))
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		healths, err := lockHealth(ctx, tx, ids)
		if err != nil {
			return err
		}
		incs := make(map[minuteKey]ticketsync.GateCounts)
		for i, u := range updates {
			h, inc := healths[u.GateID].Apply(u)
			if !inc.IsZero() {
				k := minuteKey{h.EventID, inc.Minute, h.GateID}
				incs[k] = incs[k].Add(inc.GateCounts)
			}
			healths[u.GateID], out[i] = h, h
		}
		if err := addMinutes(ctx, tx, incs); err != nil {
			return err
		}
		docs := make([]string, len(ids))
		for i, id := range ids {
			raw, err := json.Marshal(healths[id])
			if err != nil {
				return err
			}
			docs[i] = string(raw)
		}
		_, err = tx.Exec(ctx, `UPDATE gate_health SET health = v.health::jsonb
			FROM unnest($1::text[], $2::text[]) AS v(gate_id, health) WHERE gate_health.gate_id = v.gate_id`, ids, docs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update %d gates' health: %w", len(ids), syncErr(err))
	}
	return out, nil
}

// lockHealth locks the health rows of gates ids (sorted, distinct),
// making those missing, and returns them; an unknown gate is
// ErrNotFound.
func lockHealth(ctx context.Context, tx pgx.Tx, ids []string) (map[string]ticketsync.GateHealth, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO gate_health (gate_id, event_id, health)
		SELECT id, event_id, '{}' FROM gates WHERE id = ANY($1) ORDER BY id ON CONFLICT (gate_id) DO NOTHING`, ids); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT gate_id, event_id, health FROM gate_health WHERE gate_id = ANY($1) ORDER BY gate_id FOR UPDATE`, ids)
	if err != nil {
		return nil, err
	}
	healths := make(map[string]ticketsync.GateHealth, len(ids))
	for rows.Next() {
		var h ticketsync.GateHealth
		var id, eventID string
		var raw []byte
		if err := rows.Scan(&id, &eventID, &raw); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal(raw, &h); err != nil {
			rows.Close()
			return nil, fmt.Errorf("gate health of %s: %w", id, err)
		}
		h.GateID, h.EventID = id, eventID
		healths[id] = h
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, ok := healths[id]; !ok {
			return nil, fmt.Errorf("gate %s: %w", id, ticketsync.ErrNotFound)
		}
	}
	return healths, nil
}

// addMinutes adds incs to their gate_minutes rows: one read of the rows
// there are, one upsert of them all.
func addMinutes(ctx context.Context, tx pgx.Tx, incs map[minuteKey]ticketsync.GateCounts) error {
	if len(incs) == 0 {
		return nil
	}
	keys := slices.SortedFunc(maps.Keys(incs), func(a, b minuteKey) int {
		return cmp.Or(cmp.Compare(a.event, b.event), a.minute.Compare(b.minute), cmp.Compare(a.gate, b.gate))
	})
	events, minutes, gates := make([]string, len(keys)), make([]time.Time, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		events[i], minutes[i], gates[i] = k.event, k.minute, k.gate
	}
	rows, err := tx.Query(ctx, `SELECT m.event_id, m.minute, m.gate_id, m.scans, m.admits, m.refusals
		FROM gate_minutes AS m JOIN unnest($1::text[], $2::timestamptz[], $3::text[]) AS k(event_id, minute, gate_id)
			ON m.event_id = k.event_id AND m.minute = k.minute AND m.gate_id = k.gate_id`, events, minutes, gates)
	if err != nil {
		return err
	}
	stored := make(map[minuteKey]ticketsync.GateCounts)
	for rows.Next() {
		var k minuteKey
		var c ticketsync.GateCounts
		var raw []byte
		if err := rows.Scan(&k.event, &k.minute, &k.gate, &c.Scans, &c.Admits, &raw); err != nil {
			rows.Close()
			return err
		}
		if err := json.Unmarshal(raw, &c.Refusals); err != nil {
			rows.Close()
			return fmt.Errorf("gate minute refusals: %w", err)
		}
		k.minute = k.minute.UTC()
		stored[k] = c
	}
	if err := rows.Err(); err != nil {
		return err
	}
	scans, admits, refusals := make([]int64, len(keys)), make([]int64, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		c := stored[k].Add(incs[k])
		r := c.Refusals
		if r == nil {
			r = map[string]int64{}
		}
		raw, err := json.Marshal(r)
		if err != nil {
			return err
		}
		scans[i], admits[i], refusals[i] = c.Scans, c.Admits, string(raw)
	}
	_, err = tx.Exec(ctx, `INSERT INTO gate_minutes (event_id, minute, gate_id, scans, admits, refusals)
		SELECT event_id, minute, gate_id, scans, admits, refusals::jsonb
		FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::bigint[], $5::bigint[], $6::text[])
			AS v(event_id, minute, gate_id, scans, admits, refusals)
		ON CONFLICT (event_id, minute, gate_id) DO UPDATE SET scans = excluded.scans, admits = excluded.admits, refusals = excluded.refusals`,
		events, minutes, gates, scans, admits, refusals)
	return err
}

// GateHealthOfEvent implements sync.HealthStore.
func (s *DB) GateHealthOfEvent(ctx context.Context, eventID string) (map[string]ticketsync.GateHealth, error) {
	rows, err := s.pool.Query(ctx, `SELECT health FROM gate_health WHERE event_id = $1`, eventID)
	if err != nil {
		return nil, fmt.Errorf("gate health of %s: %w", eventID, err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ticketsync.GateHealth, error) {
		var raw []byte
		var h ticketsync.GateHealth
		if err := row.Scan(&raw); err != nil {
			return h, err
		}
		return h, json.Unmarshal(raw, &h)
	})
	if err != nil {
		return nil, fmt.Errorf("gate health of %s: %w", eventID, err)
	}
	out := make(map[string]ticketsync.GateHealth, len(list))
	for _, h := range list {
		out[h.GateID] = h
	}
	return out, nil
}

// GateMinutes implements sync.HealthStore.
func (s *DB) GateMinutes(ctx context.Context, eventID string, since time.Time) ([]ticketsync.GateMinute, error) {
	rows, err := s.pool.Query(ctx, `SELECT gate_id, minute, scans, admits, refusals FROM gate_minutes
		WHERE event_id = $1 AND minute >= $2 ORDER BY minute, gate_id`, eventID, since.Truncate(time.Minute))
	if err != nil {
		return nil, fmt.Errorf("gate minutes of %s: %w", eventID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ticketsync.GateMinute, error) {
		var m ticketsync.GateMinute
		var raw []byte
		if err := row.Scan(&m.GateID, &m.Minute, &m.Scans, &m.Admits, &raw); err != nil {
			return m, err
		}
		m.Minute = m.Minute.UTC()
		if err := json.Unmarshal(raw, &m.Refusals); err != nil {
			return m, err
		}
		if len(m.Refusals) == 0 {
			m.Refusals = nil
		}
		return m, nil
	})
	if err != nil {
		return nil, fmt.Errorf("gate minutes of %s: %w", eventID, err)
	}
	return out, nil
}

// RefusalsByReason implements sync.HealthStore.
func (s *DB) RefusalsByReason(ctx context.Context, eventID string) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT r.key, sum(r.value::bigint)::bigint FROM gate_minutes m, jsonb_each_text(m.refusals) r
		WHERE m.event_id = $1 GROUP BY r.key`, eventID)
	if err != nil {
		return nil, fmt.Errorf("refusals of %s: %w", eventID, err)
	}
	out := make(map[string]int64)
	var reason string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&reason, &n}, func() error { out[reason] = n; return nil })
	if err != nil {
		return nil, fmt.Errorf("refusals of %s: %w", eventID, err)
	}
	return out, nil
}
