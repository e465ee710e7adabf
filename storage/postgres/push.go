package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/notify"
)

var _ notify.Store = (*DB)(nil)

const pushSubColumns = `id, user_id, endpoint, p256dh, auth, created_at`

func scanPushSub(row pgx.Row) (notify.Subscription, error) {
	var s notify.Subscription
	err := row.Scan(&s.ID, &s.UserID, &s.Endpoint, &s.P256dh, &s.Auth, &s.CreatedAt)
	s.CreatedAt = s.CreatedAt.UTC()
	return s, err
}

// PutSubscription stores s, or moves its endpoint's subscription to s's
// user and keys.
func (s *DB) PutSubscription(ctx context.Context, sub notify.Subscription) (notify.Subscription, error) {
	if err := notify.CheckSubscription(sub); err != nil {
		return notify.Subscription{}, err
	}
	got, err := scanPushSub(s.pool.QueryRow(ctx, `
		INSERT INTO push_subscriptions (`+pushSubColumns+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth
		RETURNING `+pushSubColumns,
		sub.ID, sub.UserID, sub.Endpoint, sub.P256dh, sub.Auth, sub.CreatedAt.UTC().Truncate(time.Microsecond)))
	if err != nil {
		return notify.Subscription{}, fmt.Errorf("put subscription: %w", translate(err, notify.ErrNotFound, notify.ErrInvalid))
	}
	return got, nil
}

// Subscription returns a subscription by id.
func (s *DB) Subscription(ctx context.Context, id string) (notify.Subscription, error) {
	got, err := scanPushSub(s.pool.QueryRow(ctx, `SELECT `+pushSubColumns+` FROM push_subscriptions WHERE id = $1`, id))
	if err != nil {
		return notify.Subscription{}, fmt.Errorf("subscription %s: %w", id, translate(err, notify.ErrNotFound, notify.ErrInvalid))
	}
	return got, nil
}

// Subscriptions lists a user's subscriptions, oldest first.
func (s *DB) Subscriptions(ctx context.Context, userID string) ([]notify.Subscription, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pushSubColumns+` FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("subscriptions of %s: %w", userID, err)
	}
	defer rows.Close()
	var out []notify.Subscription
	for rows.Next() {
		sub, err := scanPushSub(rows)
		if err != nil {
			return nil, fmt.Errorf("subscriptions of %s: %w", userID, err)
		}
		out = append(out, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("subscriptions of %s: %w", userID, err)
	}
	return out, nil
}

// DeleteSubscription removes a subscription.
func (s *DB) DeleteSubscription(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM push_subscriptions WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete subscription %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete subscription %s: %w", id, notify.ErrNotFound)
	}
	return nil
}

// Enqueue stores the messages whose ids are new.
func (s *DB) Enqueue(ctx context.Context, msgs []notify.Message) (int, error) {
	if err := notify.CheckMessages(msgs); err != nil {
		return 0, err
	}
	n := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		n = 0
		for _, m := range msgs {
			tag, err := tx.Exec(ctx, `
				INSERT INTO outbox (id, channel, user_id, target, payload, status, next_at, created_at)
				VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7) ON CONFLICT (id) DO NOTHING`,
				m.ID, m.Channel, m.UserID, m.Target, m.Payload, m.NextAt.UTC().Truncate(time.Microsecond), m.CreatedAt.UTC().Truncate(time.Microsecond))
			if err != nil {
				return err
			}
			n += int(tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue: %w", err)
	}
	return n, nil
}

const outboxColumns = `id, channel, user_id, target, payload, status, attempts, next_at, coalesce(lease_until, 'epoch'), created_at, coalesce(done_at, 'epoch'), last_error`

var epoch = time.Unix(0, 0).UTC()

func scanMessage(row pgx.Row) (notify.Message, error) {
	var m notify.Message
	var status string
	err := row.Scan(&m.ID, &m.Channel, &m.UserID, &m.Target, &m.Payload, &status, &m.Attempts, &m.NextAt, &m.LeaseUntil, &m.CreatedAt, &m.DoneAt, &m.LastError)
	m.Status = notify.Status(status)
	m.NextAt, m.CreatedAt = m.NextAt.UTC(), m.CreatedAt.UTC()
	if m.LeaseUntil.Equal(epoch) {
		m.LeaseUntil = time.Time{}
	} else {
		m.LeaseUntil = m.LeaseUntil.UTC()
	}
	if m.DoneAt.Equal(epoch) {
		m.DoneAt = time.Time{}
	} else {
		m.DoneAt = m.DoneAt.UTC()
	}
	return m, err
}

// Claim leases due pending messages; SKIP LOCKED keeps concurrent
// claims apart.
func (s *DB) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]notify.Message, error) {
	if limit < 1 || limit > notify.MaxClaim || lease < notify.MinLease {
		return nil, fmt.Errorf("claim: limit %d, lease %s: %w", limit, lease, notify.ErrInvalid)
	}
	now = now.UTC().Truncate(time.Microsecond)
	rows, err := s.pool.Query(ctx, `
		WITH due AS (
			SELECT id FROM outbox
			WHERE status = 'pending' AND next_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
			ORDER BY next_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		UPDATE outbox o SET lease_until = $2, attempts = o.attempts + 1
		FROM due WHERE o.id = due.id
		RETURNING o.id, o.channel, o.user_id, o.target, o.payload, o.status, o.attempts, o.next_at, coalesce(o.lease_until, 'epoch'), o.created_at, coalesce(o.done_at, 'epoch'), o.last_error`,
		now, now.Add(lease).Truncate(time.Microsecond), limit)
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	defer rows.Close()
	var out []notify.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("claim: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	slices.SortFunc(out, func(a, b notify.Message) int {
		if c := a.NextAt.Compare(b.NextAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Finish records how a claimed message ended.
func (s *DB) Finish(ctx context.Context, id string, status notify.Status, at, next time.Time, lastError string) error {
	var tag interface{ RowsAffected() int64 }
	var err error
	text := notify.FinishText(lastError)
	switch status {
	case notify.StatusPending:
		tag, err = s.pool.Exec(ctx, `UPDATE outbox SET status = 'pending', lease_until = NULL, next_at = $2, last_error = $3 WHERE id = $1`,
			id, next.UTC().Truncate(time.Microsecond), text)
	case notify.StatusSent, notify.StatusFailed:
		tag, err = s.pool.Exec(ctx, `UPDATE outbox SET status = $2, lease_until = NULL, done_at = $3, last_error = $4 WHERE id = $1`,
			id, string(status), at.UTC().Truncate(time.Microsecond), text)
	default:
		return fmt.Errorf("finish message %s: status %q: %w", id, status, notify.ErrInvalid)
	}
	if err != nil {
		return fmt.Errorf("finish message %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("finish message %s: %w", id, notify.ErrNotFound)
	}
	return nil
}

// Message returns a message by id.
func (s *DB) Message(ctx context.Context, id string) (notify.Message, error) {
	m, err := scanMessage(s.pool.QueryRow(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return notify.Message{}, fmt.Errorf("message %s: %w", id, notify.ErrNotFound)
	}
	if err != nil {
		return notify.Message{}, fmt.Errorf("message %s: %w", id, err)
	}
	return m, nil
}

// SetUnsubscribed records userID's opt-out of Unsubscribable mail.
func (s *DB) SetUnsubscribed(ctx context.Context, userID string, at time.Time) error {
	if len(userID) == 0 || len(userID) > notify.MaxID {
		return fmt.Errorf("%w: user id", notify.ErrInvalid)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO mail_unsubscribed (user_id, at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING`,
		userID, at.UTC().Truncate(time.Microsecond))
	if err != nil {
		return fmt.Errorf("set unsubscribed: %w", translate(err, notify.ErrNotFound, notify.ErrInvalid))
	}
	return nil
}

// Unsubscribed reports whether userID opted out.
func (s *DB) Unsubscribed(ctx context.Context, userID string) (bool, error) {
	var off bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM mail_unsubscribed WHERE user_id = $1)`, userID).Scan(&off)
	if err != nil {
		return false, fmt.Errorf("unsubscribed: %w", translate(err, notify.ErrNotFound, notify.ErrInvalid))
	}
	return off, nil
}

// Pending implements notify.Store (the outbox_due index covers it).
func (s *DB) Pending(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE status = 'pending'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending messages: %w", err)
	}
	return n, nil
}
