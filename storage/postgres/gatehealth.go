package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	ticketsync "github.com/admitone/admitone/sync"
)

// Gate health (sync.HealthStore): gate_health holds each gate's
// sync.GateHealth as JSON, gate_minutes the per-minute counts.

var _ ticketsync.HealthStore = (*DB)(nil)

// updateHealth runs fn on gate g's health (zero if none yet) with its
// row locked and saves what it returns; an unknown gate is ErrNotFound.
func updateHealth(ctx context.Context, tx pgx.Tx, g ticketsync.Gate, fn func(ticketsync.GateHealth) ticketsync.GateHealth) (ticketsync.GateHealth, error) {
	var h ticketsync.GateHealth
	if _, err := tx.Exec(ctx, `INSERT INTO gate_health (gate_id, event_id, health)
		SELECT id, event_id, '{}' FROM gates WHERE id = $1 ON CONFLICT (gate_id) DO NOTHING`, g.ID); err != nil {
		return h, err
	}
	var eventID string
	var raw []byte
	err := tx.QueryRow(ctx, `SELECT event_id, health FROM gate_health WHERE gate_id = $1 FOR UPDATE`, g.ID).Scan(&eventID, &raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, fmt.Errorf("gate %s: %w", g.ID, ticketsync.ErrNotFound)
	}
	if err != nil {
		return h, err
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return h, fmt.Errorf("gate health of %s: %w", g.ID, err)
	}
	h.GateID, h.EventID = g.ID, eventID
	h = fn(h)
	if raw, err = json.Marshal(h); err != nil {
		return h, err
	}
	_, err = tx.Exec(ctx, `UPDATE gate_health SET health = $2 WHERE gate_id = $1`, g.ID, raw)
	return h, err
}

// TouchGates implements sync.HealthStore: three statements for any
// number of gates, their rows locked in id order.
func (s *DB) TouchGates(ctx context.Context, touches []ticketsync.GateTouchOf) error {
	if len(touches) == 0 {
		return nil
	}
	ids := make([]string, 0, len(touches))
	for _, t := range touches {
		ids = append(ids, t.GateID)
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO gate_health (gate_id, event_id, health)
			SELECT id, event_id, '{}' FROM gates WHERE id = ANY($1) ORDER BY id ON CONFLICT (gate_id) DO NOTHING`, ids); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT gate_id, event_id, health FROM gate_health WHERE gate_id = ANY($1) ORDER BY gate_id FOR UPDATE`, ids)
		if err != nil {
			return err
		}
		healths := make(map[string]ticketsync.GateHealth, len(ids))
		for rows.Next() {
			var h ticketsync.GateHealth
			var id, eventID string
			var raw []byte
			if err := rows.Scan(&id, &eventID, &raw); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal(raw, &h); err != nil {
				rows.Close()
				return fmt.Errorf("gate health of %s: %w", id, err)
			}
			h.GateID, h.EventID = id, eventID
			healths[id] = h
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			if _, ok := healths[id]; !ok {
				return fmt.Errorf("gate %s: %w", id, ticketsync.ErrNotFound)
			}
		}
		for _, t := range touches {
			healths[t.GateID] = healths[t.GateID].Touch(t.GateTouch)
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
		return fmt.Errorf("touch %d gates: %w", len(ids), err)
	}
	return nil
}

// ReportGate implements sync.HealthStore.
func (s *DB) ReportGate(ctx context.Context, g ticketsync.Gate, r ticketsync.GateReport, t ticketsync.GateTouch) (ticketsync.GateHealth, error) {
	if err := r.Validate(); err != nil {
		return ticketsync.GateHealth{}, err
	}
	var out ticketsync.GateHealth
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var inc ticketsync.GateMinute
		h, err := updateHealth(ctx, tx, g, func(h ticketsync.GateHealth) ticketsync.GateHealth {
			h, inc = h.Touch(t).ApplyReport(r, t.At)
			return h
		})
		if err != nil {
			return err
		}
		out = h
		if inc.IsZero() {
			return nil
		}
		// The gate's health row is locked: nothing else adds to its
		// minutes now.
		var m ticketsync.GateCounts
		var raw []byte
		err = tx.QueryRow(ctx, `SELECT scans, admits, refusals FROM gate_minutes WHERE event_id = $1 AND minute = $2 AND gate_id = $3`,
			h.EventID, inc.Minute, h.GateID).Scan(&m.Scans, &m.Admits, &raw)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		default:
			if err := json.Unmarshal(raw, &m.Refusals); err != nil {
				return fmt.Errorf("gate minute refusals: %w", err)
			}
		}
		m = m.Add(inc.GateCounts)
		refusals := m.Refusals
		if refusals == nil {
			refusals = map[string]int64{}
		}
		if raw, err = json.Marshal(refusals); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO gate_minutes (event_id, minute, gate_id, scans, admits, refusals) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (event_id, minute, gate_id) DO UPDATE SET scans = excluded.scans, admits = excluded.admits, refusals = excluded.refusals`,
			h.EventID, inc.Minute, h.GateID, m.Scans, m.Admits, raw)
		return err
	})
	if err != nil {
		return ticketsync.GateHealth{}, fmt.Errorf("report of gate %s: %w", g.ID, syncErr(err))
	}
	return out, nil
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
