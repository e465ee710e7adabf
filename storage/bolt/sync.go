package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

var _ ticketsync.Store = (*DB)(nil)

// Sync buckets: gates, the check-ins they uploaded, which tickets are
// inside, and conflicts. A check-in's rows and its change log entry are
// written in one transaction.
var (
	bucketGates        = []byte("gates")         // gate id -> gateRecord JSON
	bucketGateCodes    = []byte("gate_codes")    // enrolment code hash -> gate id, until the gate enrolls
	bucketGateCreds    = []byte("gate_creds")    // device credential hash -> gate id
	bucketEventGates   = []byte("event_gates")   // event id, 0, created (8 bytes, see issuedKey), gate id -> nothing
	bucketCheckins     = []byte("checkins")      // check-in id -> checkinRecord JSON
	bucketTicketInside = []byte("ticket_inside") // event id, 0, lineage root -> sync.ConflictSide JSON of the entry that put it inside
	bucketConflicts    = []byte("conflicts")     // event id, 0, seq (big endian uint64) -> sync.Conflict JSON
	// bucketTicketEntered keeps a lineage's first entry for good, so a
	// ticket someone went in on is never transferred.
	bucketTicketEntered = []byte("ticket_entered") // event id, 0, lineage root -> purchase.Entry JSON
	bucketQuarantine    = []byte("quarantine")     // event id, 0, check-in id -> sync.Quarantined JSON
)

// gateRecord is a gate as stored: with the hashes that Gate keeps out of
// its JSON.
type gateRecord struct {
	ticketsync.Gate
	CodeHash       string `json:"code_hash,omitempty"`
	CredentialHash string `json:"credential_hash,omitempty"`
}

// checkinRecord is an uploaded check-in as stored.
type checkinRecord struct {
	changelog.Checkin
	ReceivedAt time.Time `json:"received_at"`
}

// storedGate is g as both backends return it.
func storedGate(g ticketsync.Gate) ticketsync.Gate {
	g.CodeExpiresAt, g.CreatedAt = storedTime(g.CodeExpiresAt), storedTime(g.CreatedAt)
	g.EnrolledAt, g.RevokedAt = storedTime(g.EnrolledAt), storedTime(g.RevokedAt)
	if len(g.Types) == 0 {
		g.Types = nil
	} else {
		g.Types = slices.Clone(g.Types)
	}
	return g
}

func putGate(tx *bbolt.Tx, g ticketsync.Gate) error {
	return put(tx.Bucket(bucketGates), []byte(g.ID), gateRecord{Gate: g, CodeHash: g.CodeHash, CredentialHash: g.CredentialHash})
}

// gateByID reads a gate, or returns ErrNotFound.
func gateByID(tx *bbolt.Tx, id []byte) (ticketsync.Gate, error) {
	var rec gateRecord
	ok, err := get(tx.Bucket(bucketGates), id, &rec)
	if err != nil {
		return ticketsync.Gate{}, err
	}
	if !ok {
		return ticketsync.Gate{}, fmt.Errorf("gate %s: %w", id, ticketsync.ErrNotFound)
	}
	g := rec.Gate
	g.CodeHash, g.CredentialHash = rec.CodeHash, rec.CredentialHash
	return g, nil
}

// gateByIndex reads the gate an index bucket names under key, or returns
// ErrNotFound.
func gateByIndex(tx *bbolt.Tx, index []byte, what, key string) (ticketsync.Gate, error) {
	id := tx.Bucket(index).Get([]byte(key))
	if key == "" || id == nil {
		return ticketsync.Gate{}, fmt.Errorf("%s: %w", what, ticketsync.ErrNotFound)
	}
	return gateByID(tx, id)
}

// CreateGate implements sync.Store.
func (s *DB) CreateGate(ctx context.Context, g ticketsync.Gate) error {
	if err := ticketsync.CheckGate(g); err != nil {
		return fmt.Errorf("create gate: %w", err)
	}
	g = storedGate(g)
	return s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketEvents).Get([]byte(g.EventID)) == nil {
			return fmt.Errorf("create gate %s: event %s: %w", g.ID, g.EventID, ticketsync.ErrNotFound)
		}
		if tx.Bucket(bucketGates).Get([]byte(g.ID)) != nil {
			return fmt.Errorf("create gate %s: id taken: %w", g.ID, ticketsync.ErrExists)
		}
		for _, idx := range []struct {
			bucket []byte
			hash   string
		}{{bucketGateCodes, g.CodeHash}, {bucketGateCreds, g.CredentialHash}} {
			if idx.hash == "" {
				continue
			}
			b := tx.Bucket(idx.bucket)
			if b.Get([]byte(idx.hash)) != nil {
				return fmt.Errorf("create gate %s: its %s hash is another gate's: %w", g.ID, idx.bucket, ticketsync.ErrExists)
			}
			if err := b.Put([]byte(idx.hash), []byte(g.ID)); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketEventGates).Put(issuedKey(g.EventID, g.CreatedAt, g.ID), nil); err != nil {
			return err
		}
		return putGate(tx, g)
	})
}

// Gate implements sync.Store.
func (s *DB) Gate(ctx context.Context, id string) (ticketsync.Gate, error) {
	var g ticketsync.Gate
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		g, err = gateByID(tx, []byte(id))
		return err
	})
	return g, err
}

// GatesOfEvent implements sync.Store.
func (s *DB) GatesOfEvent(ctx context.Context, eventID string) ([]ticketsync.Gate, error) {
	var out []ticketsync.Gate
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		p := prefix(eventID)
		c := tx.Bucket(bucketEventGates).Cursor()
		for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
			g, err := gateByID(tx, k[len(p)+8:])
			if err != nil {
				return fmt.Errorf("gates of event %s: %w", eventID, err)
			}
			out = append(out, g)
		}
		return nil
	})
	return out, err
}

// EnrollGate implements sync.Store.
func (s *DB) EnrollGate(ctx context.Context, codeHash, credentialHash string, at time.Time) (ticketsync.Gate, error) {
	if credentialHash == "" {
		return ticketsync.Gate{}, fmt.Errorf("enroll gate: no credential: %w", ticketsync.ErrInvalid)
	}
	var g ticketsync.Gate
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		var err error
		g, err = gateByIndex(tx, bucketGateCodes, "enrolment code", codeHash)
		if err != nil {
			return err
		}
		if err := ticketsync.CheckEnrollment(g, at); err != nil {
			return err
		}
		creds := tx.Bucket(bucketGateCreds)
		if creds.Get([]byte(credentialHash)) != nil {
			return fmt.Errorf("enroll gate %s: the credential is another gate's: %w", g.ID, ticketsync.ErrExists)
		}
		if g.CredentialHash != "" {
			if err := creds.Delete([]byte(g.CredentialHash)); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketGateCodes).Delete([]byte(codeHash)); err != nil {
			return err
		}
		if err := creds.Put([]byte(credentialHash), []byte(g.ID)); err != nil {
			return err
		}
		g.CodeHash, g.CredentialHash, g.EnrolledAt = "", credentialHash, storedTime(at)
		return putGate(tx, g)
	})
	if err != nil {
		return ticketsync.Gate{}, fmt.Errorf("enroll gate: %w", err)
	}
	return g, nil
}

// GateByCredential implements sync.Store.
func (s *DB) GateByCredential(ctx context.Context, credentialHash string) (ticketsync.Gate, error) {
	var g ticketsync.Gate
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		g, err = gateByIndex(tx, bucketGateCreds, "gate credential", credentialHash)
		return err
	})
	return g, err
}

// RevokeGate implements sync.Store.
func (s *DB) RevokeGate(ctx context.Context, id string, at time.Time) (ticketsync.Gate, error) {
	var g ticketsync.Gate
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		var err error
		g, err = gateByID(tx, []byte(id))
		if err != nil || !g.RevokedAt.IsZero() {
			return err
		}
		g.RevokedAt = storedTime(at)
		return putGate(tx, g)
	})
	if err != nil {
		return ticketsync.Gate{}, fmt.Errorf("revoke gate: %w", err)
	}
	return g, nil
}

// UpdateGate implements sync.Store.
func (s *DB) UpdateGate(ctx context.Context, id string, fn func(*ticketsync.Gate) error) (ticketsync.Gate, error) {
	var next ticketsync.Gate
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		old, err := gateByID(tx, []byte(id))
		if err != nil {
			return err
		}
		next = old
		next.Types = slices.Clone(old.Types)
		if err := fn(&next); err != nil {
			return err
		}
		if err := ticketsync.CheckGateChange(old, next); err != nil {
			return err
		}
		return putGate(tx, next)
	})
	if err != nil {
		return ticketsync.Gate{}, err
	}
	return next, nil
}

// RecordCheckins implements sync.Store. Concurrent uploads share write
// transactions through bbolt's Batch, as Reserve does; the closure may
// run again (alone) if another in its batch fails, so it sets its result
// afresh each time and reports an unknown gate as an outcome, not as an
// error that would roll the batch back.
func (s *DB) RecordCheckins(ctx context.Context, g ticketsync.Gate, cs []changelog.Checkin, receivedAt time.Time) (ticketsync.RecordResult, error) {
	if err := ticketsync.CheckCheckins(g, cs); err != nil {
		return ticketsync.RecordResult{}, fmt.Errorf("record check-ins: %w", err)
	}
	if len(cs) == 0 {
		return ticketsync.RecordResult{}, nil
	}
	if err := ctx.Err(); err != nil {
		return ticketsync.RecordResult{}, err
	}
	receivedAt = storedTime(receivedAt)
	var res ticketsync.RecordResult
	var outcome error
	err := s.db.Batch(func(tx *bbolt.Tx) error {
		res, outcome = ticketsync.RecordResult{}, nil
		if tx.Bucket(bucketGates).Get([]byte(g.ID)) == nil {
			outcome = fmt.Errorf("record check-ins: gate %s: %w", g.ID, ticketsync.ErrNotFound)
			return nil
		}
		var err error
		res, err = recordCheckins(tx, g.EventID, cs, receivedAt)
		return err
	})
	if err == nil {
		err = outcome
	}
	if err != nil {
		return ticketsync.RecordResult{}, err
	}
	return res, nil
}

// recordCheckins stores the new check-ins of one event in order,
// updating which tickets are inside, and logs them.
func recordCheckins(tx *bbolt.Tx, eventID string, cs []changelog.Checkin, receivedAt time.Time) (ticketsync.RecordResult, error) {
	var res ticketsync.RecordResult
	checkins, inside, conflicts := tx.Bucket(bucketCheckins), tx.Bucket(bucketTicketInside), tx.Bucket(bucketConflicts)
	entered := tx.Bucket(bucketTicketEntered)
	// The i-th new check-in gets change seq last+1+i (appendChanges
	// numbers them so below); a conflict is keyed by its second
	// check-in's seq, so conflicts list in the log's order.
	var last uint64
	if raw := tx.Bucket(bucketChangeSeq).Get([]byte(eventID)); len(raw) == 8 {
		last = binary.BigEndian.Uint64(raw)
	}
	var changes []changelog.Change
	figures := figureDeltas{} // applied once, after the loop
	for _, c := range cs {
		if checkins.Get([]byte(c.ID)) != nil {
			continue // stored before: a resend
		}
		c.At = storedTime(c.At)
		if err := put(checkins, []byte(c.ID), checkinRecord{Checkin: c, ReceivedAt: receivedAt}); err != nil {
			return res, err
		}
		if err := indexEntry(tx, c, figures); err != nil {
			return res, err
		}
		root := lineageRoot(tx, c.TicketID)
		key := join(c.EventID, root)
		l := ticketsync.Lineage{Entered: entered.Get(key) != nil}
		var err error
		if l.Inside, err = get(inside, key, &l.Since); err != nil {
			return res, err
		}
		next, cf, first := ticketsync.ApplyCheckin(l, root, c, receivedAt)
		if first {
			lineageEntered(tx, c.EventID, root, figures)
			if err := put(entered, key, purchase.Entry{TicketID: c.TicketID, CheckinID: c.ID, GateID: c.GateID, At: c.At}); err != nil {
				return res, err
			}
		}
		if cf != nil {
			if err := put(conflicts, changeKey(c.EventID, last+uint64(len(changes))+1), *cf); err != nil {
				return res, err
			}
			res.Conflicts = append(res.Conflicts, *cf)
			figures[figure{kind: figConflicts}]++
			if cf.First.Offline || cf.Second.Offline {
				figures[figure{kind: figOfflineConflicts}]++
			}
		}
		switch {
		case next.Inside && !l.Inside:
			figures[figure{kind: figInside}]++
			if err := put(inside, key, next.Since); err != nil {
				return res, err
			}
		case !next.Inside:
			if l.Inside {
				figures[figure{kind: figInside}]--
			}
			if err := inside.Delete(key); err != nil {
				return res, err
			}
		}
		changes = append(changes, c.Change())
	}
	res.New = len(changes)
	if err := figures.apply(tx, eventID); err != nil {
		return res, err
	}
	return res, appendChanges(tx, changes...)
}

// QuarantineCheckins implements sync.Store.
func (s *DB) QuarantineCheckins(ctx context.Context, g ticketsync.Gate, qs []ticketsync.Quarantined) (int, error) {
	if err := ticketsync.CheckQuarantine(g, qs); err != nil {
		return 0, fmt.Errorf("quarantine check-ins: %w", err)
	}
	n := 0
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		n = 0
		b := tx.Bucket(bucketQuarantine)
		for _, q := range qs {
			key := join(q.EventID, q.ID)
			if b.Get(key) != nil {
				continue
			}
			q.At, q.ReceivedAt = storedTime(q.At), storedTime(q.ReceivedAt)
			if err := put(b, key, q); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// Quarantine implements sync.Store.
func (s *DB) Quarantine(ctx context.Context, eventID string, limit int) ([]ticketsync.Quarantined, error) {
	if limit < 1 {
		return nil, fmt.Errorf("quarantine of %s: limit %d: %w", eventID, limit, ticketsync.ErrInvalid)
	}
	var out []ticketsync.Quarantined
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		p := prefix(eventID)
		c := tx.Bucket(bucketQuarantine).Cursor()
		for k, v := c.Seek(p); k != nil && hasPrefix(k, p) && len(out) < limit; k, v = c.Next() {
			var q ticketsync.Quarantined
			if err := json.Unmarshal(v, &q); err != nil {
				return fmt.Errorf("quarantined %x: %w", k, err)
			}
			out = append(out, q)
		}
		return nil
	})
	return out, err
}

// lineageRoot is the original ticket of ticketID's lineage: ticketID
// itself unless a transfer issued it (or an unknown id, e.g. a listed
// code).
func lineageRoot(tx *bbolt.Tx, ticketID string) string {
	if root := tx.Bucket(bucketTicketLineage).Get([]byte(ticketID)); root != nil {
		return string(root)
	}
	return ticketID
}

// Entered implements purchase.TicketStore.
func (s *DB) Entered(ctx context.Context, eventID, root string) (purchase.Entry, bool, error) {
	var e purchase.Entry
	var ok bool
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		ok, err = get(tx.Bucket(bucketTicketEntered), join(eventID, root), &e)
		return err
	})
	return e, ok, err
}

// Conflicts implements sync.Store.
func (s *DB) Conflicts(ctx context.Context, eventID string, limit int) ([]ticketsync.Conflict, error) {
	if limit < 1 {
		return nil, fmt.Errorf("conflicts of %s: limit %d: %w", eventID, limit, ticketsync.ErrInvalid)
	}
	var out []ticketsync.Conflict
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		p := prefix(eventID)
		c := tx.Bucket(bucketConflicts).Cursor()
		for k, v := c.Seek(p); k != nil && hasPrefix(k, p) && len(out) < limit; k, v = c.Next() {
			var cf ticketsync.Conflict
			if err := json.Unmarshal(v, &cf); err != nil {
				return fmt.Errorf("conflict %x: %w", k, err)
			}
			out = append(out, cf)
		}
		return nil
	})
	return out, err
}
