package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	ticketsync "github.com/admitone/admitone/sync"
)

// Gate health (sync.HealthStore).
var (
	bucketGateHealth  = []byte("gate_health")  // event id, 0, gate id -> sync.GateHealth JSON
	bucketGateMinutes = []byte("gate_minutes") // event id, 0, minute (minuteText), 0, gate id -> sync.GateMinute JSON
)

var _ ticketsync.HealthStore = (*DB)(nil)

// minuteText is a minute as sortable text.
func minuteText(t time.Time) string { return t.UTC().Format("20060102T1504") }

// updateHealth runs fn on gate gateID's health (zero if none yet) and
// saves what it returns; an unknown gate is ErrNotFound.
func updateHealth(tx *bbolt.Tx, gateID string, fn func(ticketsync.GateHealth) ticketsync.GateHealth) (ticketsync.GateHealth, error) {
	stored, err := gateByID(tx, []byte(gateID))
	if err != nil {
		return ticketsync.GateHealth{}, err
	}
	b := tx.Bucket(bucketGateHealth)
	key := join(stored.EventID, stored.ID)
	var h ticketsync.GateHealth
	if _, err := get(b, key, &h); err != nil {
		return h, err
	}
	h.GateID, h.EventID = stored.ID, stored.EventID
	h = fn(h)
	return h, put(b, key, h)
}

// UpdateGates implements sync.HealthStore.
func (s *DB) UpdateGates(ctx context.Context, updates []ticketsync.GateUpdate) ([]ticketsync.GateHealth, error) {
	if len(updates) == 0 {
		return nil, nil
	}
	for _, u := range updates {
		if err := u.Validate(); err != nil {
			return nil, err
		}
	}
	out := make([]ticketsync.GateHealth, len(updates))
	err := s.batch(ctx, func(tx *bbolt.Tx) error {
		for i, u := range updates {
			var inc ticketsync.GateMinute
			h, err := updateHealth(tx, u.GateID, func(h ticketsync.GateHealth) ticketsync.GateHealth {
				h, inc = h.Apply(u)
				return h
			})
			if err != nil {
				return err
			}
			out[i] = h
			if inc.IsZero() {
				continue
			}
			b := tx.Bucket(bucketGateMinutes)
			key := join(h.EventID, minuteText(inc.Minute), h.GateID)
			var m ticketsync.GateMinute
			if _, err := get(b, key, &m); err != nil {
				return err
			}
			m.GateID, m.Minute, m.GateCounts = inc.GateID, inc.Minute, m.GateCounts.Add(inc.GateCounts)
			if err := put(b, key, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update %d gates' health: %w", len(updates), err)
	}
	return out, nil
}

// GateHealthOfEvent implements sync.HealthStore.
func (s *DB) GateHealthOfEvent(ctx context.Context, eventID string) (map[string]ticketsync.GateHealth, error) {
	out := make(map[string]ticketsync.GateHealth)
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		p := prefix(eventID)
		c := tx.Bucket(bucketGateHealth).Cursor()
		for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
			var h ticketsync.GateHealth
			if err := json.Unmarshal(v, &h); err != nil {
				return fmt.Errorf("gate health %x: %w", k, err)
			}
			out[h.GateID] = h
		}
		return nil
	})
	return out, err
}

// GateMinutes implements sync.HealthStore.
func (s *DB) GateMinutes(ctx context.Context, eventID string, since time.Time) ([]ticketsync.GateMinute, error) {
	var out []ticketsync.GateMinute
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		p := prefix(eventID)
		c := tx.Bucket(bucketGateMinutes).Cursor()
		for k, v := c.Seek(join(eventID, minuteText(since.Truncate(time.Minute)))); k != nil && hasPrefix(k, p); k, v = c.Next() {
			var m ticketsync.GateMinute
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("gate minute %x: %w", k, err)
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// RefusalsByReason implements sync.HealthStore.
func (s *DB) RefusalsByReason(ctx context.Context, eventID string) (map[string]int64, error) {
	ms, err := s.GateMinutes(ctx, eventID, time.Time{})
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64)
	for _, m := range ms {
		for k, n := range m.Refusals {
			out[k] += n
		}
	}
	return out, nil
}
