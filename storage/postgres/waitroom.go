package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/waitroom"
)

var _ waitroom.Store = (*DB)(nil)

func roomErr(err error) error { return translate(err, waitroom.ErrNotFound, waitroom.ErrInvalid) }

const roomColumns = `event_id, enabled, admit_per_minute, admission_ttl_us, opens_at, joined, admitted, credit_from, updated_at`

func scanRoom(row pgx.Row) (waitroom.Room, error) {
	var r waitroom.Room
	var ttl int64
	var opens, credit *time.Time
	if err := row.Scan(&r.EventID, &r.Enabled, &r.AdmitPerMinute, &ttl, &opens, &r.Joined, &r.Admitted, &credit, &r.UpdatedAt); err != nil {
		return waitroom.Room{}, err
	}
	r.AdmissionTTL = time.Duration(ttl) * time.Microsecond
	r.OpensAt, r.CreditFrom, r.UpdatedAt = fromNull(opens), fromNull(credit), r.UpdatedAt.UTC()
	return r, nil
}

const placeColumns = `event_id, user_id, seq, joined_at, admitted_at, expires_at`

func scanPlace(row pgx.Row) (waitroom.Place, error) {
	var p waitroom.Place
	var admitted, expires *time.Time
	if err := row.Scan(&p.EventID, &p.UserID, &p.Seq, &p.JoinedAt, &admitted, &expires); err != nil {
		return waitroom.Place{}, err
	}
	p.JoinedAt, p.AdmittedAt, p.ExpiresAt = p.JoinedAt.UTC(), fromNull(admitted), fromNull(expires)
	return p, nil
}

// Room implements waitroom.Store.
func (s *DB) Room(ctx context.Context, eventID string) (waitroom.Room, error) {
	r, err := scanRoom(s.pool.QueryRow(ctx, `SELECT `+roomColumns+` FROM waiting_rooms WHERE event_id = $1`, eventID))
	if err != nil {
		return waitroom.Room{}, fmt.Errorf("waiting room of event %s: %w", eventID, roomErr(err))
	}
	return r, nil
}

// UpdateRoom implements waitroom.Store. The room's row lock orders it
// with joins and other updates, from any process.
func (s *DB) UpdateRoom(ctx context.Context, eventID string, now time.Time, fn func(*waitroom.Room) error) (waitroom.Room, error) {
	now = storedTime(now)
	var out waitroom.Room
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var inserted bool
		err := tx.QueryRow(ctx, `INSERT INTO waiting_rooms (event_id, updated_at) VALUES ($1, $2)
			ON CONFLICT (event_id) DO NOTHING RETURNING true`, eventID, now).Scan(&inserted)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("event %s: %w", eventID, roomErr(err))
		}
		old, err := scanRoom(tx.QueryRow(ctx, `SELECT `+roomColumns+` FROM waiting_rooms WHERE event_id = $1 FOR UPDATE`, eventID))
		if err != nil {
			return roomErr(err)
		}
		if inserted {
			old.UpdatedAt = time.Time{} // a new room, as fn sees it
		}
		r := old
		if err := fn(&r); err != nil {
			return err
		}
		r.EventID, r.Joined = old.EventID, old.Joined
		if r.Admitted < old.Admitted || r.Admitted > r.Joined {
			return fmt.Errorf("admitted %d, was %d of %d joined: %w", r.Admitted, old.Admitted, r.Joined, waitroom.ErrInvalid)
		}
		ttl := int64(r.AdmissionTTL / time.Microsecond)
		out, err = scanRoom(tx.QueryRow(ctx, `UPDATE waiting_rooms SET enabled = $2, admit_per_minute = $3, admission_ttl_us = $4,
			opens_at = $5, admitted = $6, credit_from = $7, updated_at = $8 WHERE event_id = $1 RETURNING `+roomColumns,
			eventID, r.Enabled, r.AdmitPerMinute, ttl, nullTime(r.OpensAt), r.Admitted, nullTime(r.CreditFrom), now))
		if err != nil {
			return err
		}
		if r.Admitted > old.Admitted {
			_, err = tx.Exec(ctx, `UPDATE waiting_places SET admitted_at = $4, expires_at = $5
				WHERE event_id = $1 AND seq > $2 AND seq <= $3 AND admitted_at IS NULL`,
				eventID, old.Admitted, r.Admitted, now, now.Add(time.Duration(ttl)*time.Microsecond))
		}
		return err
	})
	if err != nil {
		return waitroom.Room{}, fmt.Errorf("waiting room of event %s: %w", eventID, err)
	}
	return out, nil
}

// Join implements waitroom.Store.
func (s *DB) Join(ctx context.Context, eventID, userID string, now time.Time, fn func(*waitroom.Room)) (waitroom.Place, bool, error) {
	now = storedTime(now)
	var out waitroom.Place
	var created bool
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		created = false
		r, err := scanRoom(tx.QueryRow(ctx, `SELECT `+roomColumns+` FROM waiting_rooms WHERE event_id = $1 FOR UPDATE`, eventID))
		if err != nil {
			return roomErr(err)
		}
		out, err = scanPlace(tx.QueryRow(ctx, `SELECT `+placeColumns+` FROM waiting_places WHERE event_id = $1 AND user_id = $2`, eventID, userID))
		switch {
		case err == nil && !out.Expired(now):
			return nil
		case err != nil && !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		fn(&r)
		seq := r.Joined + 1
		if _, err := tx.Exec(ctx, `UPDATE waiting_rooms SET joined = $2, credit_from = $3 WHERE event_id = $1`,
			eventID, seq, nullTime(r.CreditFrom)); err != nil {
			return err
		}
		out, err = scanPlace(tx.QueryRow(ctx, `INSERT INTO waiting_places (event_id, user_id, seq, joined_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (event_id, user_id) DO UPDATE SET seq = EXCLUDED.seq, joined_at = EXCLUDED.joined_at,
				admitted_at = NULL, expires_at = NULL
			RETURNING `+placeColumns, eventID, userID, seq, now))
		created = err == nil
		return err
	})
	if err != nil {
		return waitroom.Place{}, false, fmt.Errorf("join the queue of event %s: %w", eventID, err)
	}
	return out, created, nil
}

// Admit implements waitroom.Store. The room's row is locked shared
// (FOR SHARE): Admits of one room run side by side, while UpdateRoom
// and Join (FOR UPDATE) wait for them and they for those. The room's
// row is not updated.
func (s *DB) Admit(ctx context.Context, eventID, userID string, fn func(waitroom.Room, waitroom.Place) (time.Time, bool)) (waitroom.Place, error) {
	var out waitroom.Place
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		r, err := scanRoom(tx.QueryRow(ctx, `SELECT `+roomColumns+` FROM waiting_rooms WHERE event_id = $1 FOR SHARE`, eventID))
		if err != nil {
			return roomErr(err)
		}
		const place = `SELECT ` + placeColumns + ` FROM waiting_places WHERE event_id = $1 AND user_id = $2`
		if out, err = scanPlace(tx.QueryRow(ctx, place, eventID, userID)); err != nil {
			return roomErr(err)
		}
		if out.Admitted() {
			return nil
		}
		at, due := fn(r, out)
		if !due {
			return nil
		}
		at = storedTime(at)
		// Another Admit of the same place may have stamped it meanwhile:
		// its stamp stays (no row), and is read again.
		got, err := scanPlace(tx.QueryRow(ctx, `UPDATE waiting_places SET admitted_at = $4, expires_at = $5
			WHERE event_id = $1 AND user_id = $2 AND seq = $3 AND admitted_at IS NULL RETURNING `+placeColumns,
			eventID, userID, out.Seq, at, at.Add(r.AdmissionTTL)))
		if errors.Is(err, pgx.ErrNoRows) {
			got, err = scanPlace(tx.QueryRow(ctx, place, eventID, userID))
		}
		out = got
		return roomErr(err)
	})
	if err != nil {
		return waitroom.Place{}, fmt.Errorf("admit a place in the queue of event %s: %w", eventID, err)
	}
	return out, nil
}

// Place implements waitroom.Store.
func (s *DB) Place(ctx context.Context, eventID, userID string) (waitroom.Place, error) {
	p, err := scanPlace(s.pool.QueryRow(ctx, `SELECT `+placeColumns+` FROM waiting_places WHERE event_id = $1 AND user_id = $2`, eventID, userID))
	if err != nil {
		return waitroom.Place{}, fmt.Errorf("place in the queue of event %s: %w", eventID, roomErr(err))
	}
	return p, nil
}
