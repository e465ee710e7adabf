package bolt

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/waitroom"
)

var _ waitroom.Store = (*DB)(nil)

// Waiting room buckets. A room's counters and every place's admission
// change in one bbolt transaction, which bbolt runs one at a time;
// joins and Admit's stamps go through Batch, many to a commit.
var (
	bucketRooms     = []byte("rooms")      // event id -> roomRecord JSON
	bucketPlaces    = []byte("places")     // event id, 0, user id -> placeRecord JSON
	bucketPlaceSeqs = []byte("place_seqs") // event id, 0, seq (big endian uint64) -> user id
)

// roomRecord is a waitroom.Room as stored: its fields the JSON of the
// API leaves out included.
type roomRecord struct {
	EventID        string    `json:"event_id"`
	Enabled        bool      `json:"enabled"`
	AdmitPerMinute int       `json:"admit_per_minute"`
	AdmissionTTLUS int64     `json:"admission_ttl_us"`
	OpensAt        time.Time `json:"opens_at"`
	Joined         int64     `json:"joined"`
	Admitted       int64     `json:"admitted"`
	CreditFrom     time.Time `json:"credit_from"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func (r roomRecord) room() waitroom.Room {
	return waitroom.Room{EventID: r.EventID, Enabled: r.Enabled, AdmitPerMinute: r.AdmitPerMinute,
		AdmissionTTL: time.Duration(r.AdmissionTTLUS) * time.Microsecond, OpensAt: r.OpensAt, Joined: r.Joined,
		Admitted: r.Admitted, CreditFrom: r.CreditFrom, UpdatedAt: r.UpdatedAt}
}

func recordOfRoom(r waitroom.Room) roomRecord {
	return roomRecord{EventID: r.EventID, Enabled: r.Enabled, AdmitPerMinute: r.AdmitPerMinute,
		AdmissionTTLUS: int64(r.AdmissionTTL / time.Microsecond), OpensAt: storedTime(r.OpensAt), Joined: r.Joined,
		Admitted: r.Admitted, CreditFrom: storedTime(r.CreditFrom), UpdatedAt: storedTime(r.UpdatedAt)}
}

type placeRecord struct {
	EventID    string    `json:"event_id"`
	UserID     string    `json:"user_id"`
	Seq        int64     `json:"seq"`
	JoinedAt   time.Time `json:"joined_at"`
	AdmittedAt time.Time `json:"admitted_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

func (p placeRecord) place() waitroom.Place {
	return waitroom.Place{EventID: p.EventID, UserID: p.UserID, Seq: p.Seq, JoinedAt: p.JoinedAt,
		AdmittedAt: p.AdmittedAt, ExpiresAt: p.ExpiresAt}
}

func seqKey(eventID string, seq int64) []byte {
	return binary.BigEndian.AppendUint64(prefix(eventID), uint64(seq))
}

func findRoom(tx *bbolt.Tx, eventID string) (roomRecord, bool, error) {
	var r roomRecord
	ok, err := get(tx.Bucket(bucketRooms), []byte(eventID), &r)
	return r, ok, err
}

// Room implements waitroom.Store.
func (s *DB) Room(ctx context.Context, eventID string) (waitroom.Room, error) {
	var r roomRecord
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var ok bool
		var err error
		if r, ok, err = findRoom(tx, eventID); err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("waiting room of event %s: %w", eventID, waitroom.ErrNotFound)
		}
		return nil
	})
	return r.room(), err
}

// UpdateRoom implements waitroom.Store.
func (s *DB) UpdateRoom(ctx context.Context, eventID string, now time.Time, fn func(*waitroom.Room) error) (waitroom.Room, error) {
	var out waitroom.Room
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketEvents).Get([]byte(eventID)) == nil {
			return fmt.Errorf("waiting room: event %s: %w", eventID, waitroom.ErrNotFound)
		}
		rec, ok, err := findRoom(tx, eventID)
		if err != nil {
			return err
		}
		old := rec.room()
		if !ok {
			old = waitroom.Room{EventID: eventID}
		}
		r := old
		if err := fn(&r); err != nil {
			return err
		}
		r.EventID, r.Joined = old.EventID, old.Joined
		if r.Admitted < old.Admitted || r.Admitted > r.Joined {
			return fmt.Errorf("waiting room of event %s: admitted %d, was %d of %d joined: %w", eventID, r.Admitted, old.Admitted, r.Joined, waitroom.ErrInvalid)
		}
		now = storedTime(now)
		r.UpdatedAt = now
		rec = recordOfRoom(r)
		places, seqs := tx.Bucket(bucketPlaces), tx.Bucket(bucketPlaceSeqs)
		for seq := old.Admitted + 1; seq <= r.Admitted; seq++ {
			user := seqs.Get(seqKey(eventID, seq))
			if user == nil {
				continue
			}
			key := join(eventID, string(user))
			var p placeRecord
			if ok, err := get(places, key, &p); err != nil || !ok || p.Seq != seq || p.place().Admitted() {
				if err != nil {
					return err
				}
				continue // replaced by a later place, or stamped by Admit
			}
			p.AdmittedAt = now
			p.ExpiresAt = now.Add(time.Duration(rec.AdmissionTTLUS) * time.Microsecond)
			if err := put(places, key, p); err != nil {
				return err
			}
		}
		out = rec.room()
		return put(tx.Bucket(bucketRooms), []byte(eventID), rec)
	})
	return out, err
}

// Join implements waitroom.Store.
func (s *DB) Join(ctx context.Context, eventID, userID string, now time.Time, fn func(*waitroom.Room)) (waitroom.Place, bool, error) {
	var out placeRecord
	var created bool
	err := s.batch(ctx, func(tx *bbolt.Tx) error {
		created = false
		rec, ok, err := findRoom(tx, eventID)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("waiting room of event %s: %w", eventID, waitroom.ErrNotFound)
		}
		now = storedTime(now)
		places := tx.Bucket(bucketPlaces)
		key := join(eventID, userID)
		if ok, err := get(places, key, &out); err != nil {
			return err
		} else if ok && !out.place().Expired(now) {
			return nil
		}
		r := rec.room()
		fn(&r)
		rec.CreditFrom = storedTime(r.CreditFrom)
		rec.Joined++
		out = placeRecord{EventID: eventID, UserID: userID, Seq: rec.Joined, JoinedAt: now}
		if err := put(places, key, out); err != nil {
			return err
		}
		if err := tx.Bucket(bucketPlaceSeqs).Put(seqKey(eventID, out.Seq), []byte(userID)); err != nil {
			return err
		}
		created = true
		return put(tx.Bucket(bucketRooms), []byte(eventID), rec)
	})
	if err != nil {
		return waitroom.Place{}, false, err
	}
	return out.place(), created, nil
}

// Admit implements waitroom.Store. bbolt's single writer orders it with
// UpdateRoom and Join; Batch commits many Admits (and joins) at once.
func (s *DB) Admit(ctx context.Context, eventID, userID string, fn func(waitroom.Room, waitroom.Place) (time.Time, bool)) (waitroom.Place, error) {
	var out placeRecord
	err := s.batch(ctx, func(tx *bbolt.Tx) error {
		rec, ok, err := findRoom(tx, eventID)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("waiting room of event %s: %w", eventID, waitroom.ErrNotFound)
		}
		places, key := tx.Bucket(bucketPlaces), join(eventID, userID)
		out = placeRecord{}
		if ok, err := get(places, key, &out); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("place in the queue of event %s: %w", eventID, waitroom.ErrNotFound)
		}
		if out.place().Admitted() {
			return nil
		}
		at, due := fn(rec.room(), out.place())
		if !due {
			return nil
		}
		out.AdmittedAt = storedTime(at)
		out.ExpiresAt = out.AdmittedAt.Add(time.Duration(rec.AdmissionTTLUS) * time.Microsecond)
		return put(places, key, out)
	})
	if err != nil {
		return waitroom.Place{}, err
	}
	return out.place(), nil
}

// Place implements waitroom.Store.
func (s *DB) Place(ctx context.Context, eventID, userID string) (waitroom.Place, error) {
	var p placeRecord
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		ok, err := get(tx.Bucket(bucketPlaces), join(eventID, userID), &p)
		if err == nil && !ok {
			err = fmt.Errorf("place in the queue of event %s: %w", eventID, waitroom.ErrNotFound)
		}
		return err
	})
	return p.place(), err
}

// deleteRoom deletes an event's room and its places, with the event.
func deleteRoom(tx *bbolt.Tx, eventID string) error {
	for _, name := range [][]byte{bucketPlaces, bucketPlaceSeqs} {
		b := tx.Bucket(name)
		for _, k := range keysWithPrefix(b, prefix(eventID)) {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
	}
	return tx.Bucket(bucketRooms).Delete([]byte(eventID))
}
