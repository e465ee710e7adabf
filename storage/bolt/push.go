package bolt

import (
	"context"
	"fmt"
	"sort"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/notify"
)

var _ notify.Store = (*DB)(nil)

var (
	bucketPushSubs      = []byte("push_subs")         // subscription id -> pushSub JSON
	bucketPushEndpoints = []byte("push_endpoints")    // endpoint -> subscription id
	bucketPushUserSubs  = []byte("push_user_subs")    // user id, 0, subscription id -> nothing
	bucketOutbox        = []byte("outbox")            // message id -> notify.Message JSON
	bucketOutboxPending = []byte("outbox_pending")    // message id -> nothing, while pending
	bucketUnsubscribed  = []byte("mail_unsubscribed") // user id -> when, RFC 3339
)

// pushSub is a subscription as stored: notify.Subscription's JSON form
// leaves out what the API must not show.
type pushSub struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id"`
	Endpoint  string    `json:"endpoint"`
	P256dh    []byte    `json:"p256dh"`
	Auth      []byte    `json:"auth"`
	CreatedAt time.Time `json:"created_at"`
}

func (p pushSub) sub() notify.Subscription {
	return notify.Subscription{ID: p.ID, UserID: p.UserID, Endpoint: p.Endpoint, P256dh: p.P256dh, Auth: p.Auth, CreatedAt: p.CreatedAt}
}

// PutSubscription stores s, or moves its endpoint's subscription to s's
// user and keys.
func (s *DB) PutSubscription(ctx context.Context, sub notify.Subscription) (notify.Subscription, error) {
	if err := notify.CheckSubscription(sub); err != nil {
		return notify.Subscription{}, err
	}
	rec := pushSub{ID: sub.ID, UserID: sub.UserID, Endpoint: sub.Endpoint, P256dh: sub.P256dh, Auth: sub.Auth, CreatedAt: storedTime(sub.CreatedAt)}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		subs, users := tx.Bucket(bucketPushSubs), tx.Bucket(bucketPushUserSubs)
		if id := tx.Bucket(bucketPushEndpoints).Get([]byte(rec.Endpoint)); id != nil {
			var old pushSub
			if _, err := get(subs, id, &old); err != nil {
				return err
			}
			if err := users.Delete(join(old.UserID, old.ID)); err != nil {
				return err
			}
			rec.ID, rec.CreatedAt = old.ID, old.CreatedAt
		} else if subs.Get([]byte(rec.ID)) != nil {
			return fmt.Errorf("subscription %s: id taken: %w", rec.ID, notify.ErrInvalid)
		}
		if err := tx.Bucket(bucketPushEndpoints).Put([]byte(rec.Endpoint), []byte(rec.ID)); err != nil {
			return err
		}
		if err := users.Put(join(rec.UserID, rec.ID), nil); err != nil {
			return err
		}
		return put(subs, []byte(rec.ID), rec)
	})
	if err != nil {
		return notify.Subscription{}, fmt.Errorf("put subscription: %w", err)
	}
	return rec.sub(), nil
}

// Subscription returns a subscription by id.
func (s *DB) Subscription(ctx context.Context, id string) (notify.Subscription, error) {
	var rec pushSub
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		ok, err := get(tx.Bucket(bucketPushSubs), []byte(id), &rec)
		if err == nil && !ok {
			err = notify.ErrNotFound
		}
		return err
	})
	if err != nil {
		return notify.Subscription{}, fmt.Errorf("subscription %s: %w", id, err)
	}
	return rec.sub(), nil
}

// Subscriptions lists a user's subscriptions, oldest first.
func (s *DB) Subscriptions(ctx context.Context, userID string) ([]notify.Subscription, error) {
	var out []notify.Subscription
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		p := prefix(userID)
		for _, k := range keysWithPrefix(tx.Bucket(bucketPushUserSubs), p) {
			var rec pushSub
			if _, err := get(tx.Bucket(bucketPushSubs), k[len(p):], &rec); err != nil {
				return err
			}
			out = append(out, rec.sub())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("subscriptions of %s: %w", userID, err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// DeleteSubscription removes a subscription.
func (s *DB) DeleteSubscription(ctx context.Context, id string) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		subs := tx.Bucket(bucketPushSubs)
		var rec pushSub
		ok, err := get(subs, []byte(id), &rec)
		if err != nil {
			return err
		}
		if !ok {
			return notify.ErrNotFound
		}
		if err := tx.Bucket(bucketPushEndpoints).Delete([]byte(rec.Endpoint)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketPushUserSubs).Delete(join(rec.UserID, rec.ID)); err != nil {
			return err
		}
		return subs.Delete([]byte(id))
	})
	if err != nil {
		return fmt.Errorf("delete subscription %s: %w", id, err)
	}
	return nil
}

// Enqueue stores the messages whose ids are new.
func (s *DB) Enqueue(ctx context.Context, msgs []notify.Message) (int, error) {
	if err := notify.CheckMessages(msgs); err != nil {
		return 0, err
	}
	n := 0
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		n = 0
		out, pending := tx.Bucket(bucketOutbox), tx.Bucket(bucketOutboxPending)
		for _, m := range msgs {
			if out.Get([]byte(m.ID)) != nil {
				continue
			}
			m.Status, m.Attempts, m.LeaseUntil, m.DoneAt, m.LastError = notify.StatusPending, 0, time.Time{}, time.Time{}, ""
			m.NextAt, m.CreatedAt = storedTime(m.NextAt), storedTime(m.CreatedAt)
			if err := put(out, []byte(m.ID), m); err != nil {
				return err
			}
			if err := pending.Put([]byte(m.ID), nil); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue: %w", err)
	}
	return n, nil
}

// Claim leases due pending messages. bbolt has one writer at a time, so
// a scan and its leases are atomic.
func (s *DB) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]notify.Message, error) {
	if limit < 1 || limit > notify.MaxClaim || lease < notify.MinLease {
		return nil, fmt.Errorf("claim: limit %d, lease %s: %w", limit, lease, notify.ErrInvalid)
	}
	now = storedTime(now)
	var out []notify.Message
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		out = nil
		b := tx.Bucket(bucketOutbox)
		var due []notify.Message
		c := tx.Bucket(bucketOutboxPending).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			var m notify.Message
			if _, err := get(b, k, &m); err != nil {
				return err
			}
			if !m.NextAt.After(now) && !m.LeaseUntil.After(now) {
				due = append(due, m)
			}
		}
		sort.SliceStable(due, func(i, j int) bool {
			if !due[i].NextAt.Equal(due[j].NextAt) {
				return due[i].NextAt.Before(due[j].NextAt)
			}
			return due[i].ID < due[j].ID
		})
		for _, m := range due[:min(limit, len(due))] {
			m.LeaseUntil = storedTime(now.Add(lease))
			m.Attempts++
			if err := put(b, []byte(m.ID), m); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	return out, nil
}

// Finish records how a claimed message ended.
func (s *DB) Finish(ctx context.Context, id string, status notify.Status, at, next time.Time, lastError string) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		var m notify.Message
		ok, err := get(b, []byte(id), &m)
		if err != nil {
			return err
		}
		if !ok {
			return notify.ErrNotFound
		}
		m.Status, m.LeaseUntil, m.LastError = status, time.Time{}, notify.FinishText(lastError)
		switch status {
		case notify.StatusPending:
			m.NextAt = storedTime(next)
		case notify.StatusSent, notify.StatusFailed:
			m.DoneAt = storedTime(at)
			if err := tx.Bucket(bucketOutboxPending).Delete([]byte(id)); err != nil {
				return err
			}
		default:
			return fmt.Errorf("status %q: %w", status, notify.ErrInvalid)
		}
		return put(b, []byte(id), m)
	})
	if err != nil {
		return fmt.Errorf("finish message %s: %w", id, err)
	}
	return nil
}

// Message returns a message by id.
func (s *DB) Message(ctx context.Context, id string) (notify.Message, error) {
	var m notify.Message
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		ok, err := get(tx.Bucket(bucketOutbox), []byte(id), &m)
		if err == nil && !ok {
			err = notify.ErrNotFound
		}
		return err
	})
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
	return s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketUnsubscribed)
		if b.Get([]byte(userID)) != nil {
			return nil
		}
		return b.Put([]byte(userID), []byte(storedTime(at).Format(time.RFC3339Nano)))
	})
}

// Unsubscribed reports whether userID opted out.
func (s *DB) Unsubscribed(ctx context.Context, userID string) (bool, error) {
	var off bool
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		off = tx.Bucket(bucketUnsubscribed).Get([]byte(userID)) != nil
		return nil
	})
	return off, err
}

// Pending implements notify.Store: the keys of the pending index.
func (s *DB) Pending(ctx context.Context) (int, error) {
	n := 0
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		n = tx.Bucket(bucketOutboxPending).Stats().KeyN
		return nil
	})
	return n, err
}
