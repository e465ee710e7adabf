package bolt

import (
	"context"
	"encoding/json"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/feedback"
)

var (
	bucketFeedback         = []byte("feedback")          // event id, 0, user id -> feedback.Feedback JSON
	bucketFeedbackComments = []byte("feedback_comments") // event id, 0, at (8 bytes, see issuedKey), feedback id -> event id, 0, user id
	bucketFeedbackIDs      = []byte("feedback_ids")      // feedback id -> its key in bucketFeedbackComments, for answers with a comment
)

var _ feedback.Store = (*DB)(nil)

// AddFeedback implements feedback.Store.
func (s *DB) AddFeedback(ctx context.Context, f feedback.Feedback) error {
	f.At = storedTime(f.At)
	return s.update(ctx, func(tx *bbolt.Tx) error {
		key := join(f.EventID, f.UserID)
		b := tx.Bucket(bucketFeedback)
		if b.Get(key) != nil {
			return fmt.Errorf("account %s: %w", f.UserID, feedback.ErrAnswered)
		}
		if err := put(b, key, f); err != nil {
			return err
		}
		if f.Comment == "" {
			return nil
		}
		ck := issuedKey(f.EventID, f.At, f.ID)
		if err := tx.Bucket(bucketFeedbackComments).Put(ck, key); err != nil {
			return err
		}
		return tx.Bucket(bucketFeedbackIDs).Put([]byte(f.ID), ck)
	})
}

// FeedbackCounts implements feedback.Store.
func (s *DB) FeedbackCounts(ctx context.Context, eventID string) ([5]int, error) {
	var counts [5]int
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketFeedback).Cursor()
		p := prefix(eventID)
		for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
			var f feedback.Feedback
			if err := json.Unmarshal(v, &f); err != nil {
				return fmt.Errorf("feedback %q: %w", k, err)
			}
			if f.Rating >= 1 && f.Rating <= 5 {
				counts[f.Rating-1]++
			}
		}
		return nil
	})
	return counts, err
}

// FeedbackComments implements feedback.Store.
func (s *DB) FeedbackComments(ctx context.Context, eventID, after string, limit int) ([]feedback.Feedback, error) {
	if limit < 1 || limit > feedback.MaxPage {
		return nil, fmt.Errorf("limit %d: %w", limit, feedback.ErrInvalid)
	}
	var out []feedback.Feedback
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		p := prefix(eventID)
		c := tx.Bucket(bucketFeedbackComments).Cursor()
		k, v := c.Seek(p)
		if after != "" {
			ak := tx.Bucket(bucketFeedbackIDs).Get([]byte(after))
			if ak == nil || !hasPrefix(ak, p) {
				return fmt.Errorf("after %s: no such answer with a comment for event %s: %w", after, eventID, feedback.ErrInvalid)
			}
			if k, v = c.Seek(ak); k != nil && string(k) == string(ak) {
				k, v = c.Next()
			}
		}
		for ; k != nil && hasPrefix(k, p) && len(out) < limit; k, v = c.Next() {
			var f feedback.Feedback
			if ok, err := get(tx.Bucket(bucketFeedback), v, &f); err != nil || !ok {
				return fmt.Errorf("feedback %q: missing (%v)", v, err)
			}
			out = append(out, f)
		}
		return nil
	})
	return out, err
}
