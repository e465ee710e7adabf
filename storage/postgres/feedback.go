package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/feedback"
)

var _ feedback.Store = (*DB)(nil)

// AddFeedback implements feedback.Store: the unique (event_id, user_id)
// refuses a second answer.
func (s *DB) AddFeedback(ctx context.Context, f feedback.Feedback) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO feedback (id, event_id, user_id, rating, comment, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		f.ID, f.EventID, f.UserID, f.Rating, f.Comment, storedTime(f.At))
	if err != nil {
		return fmt.Errorf("account %s: %w", f.UserID, unavailable(translate(err, feedback.ErrInvalid, feedback.ErrAnswered)))
	}
	return nil
}

// FeedbackCounts implements feedback.Store.
func (s *DB) FeedbackCounts(ctx context.Context, eventID string) ([5]int, error) {
	var counts [5]int
	rows, err := s.pool.Query(ctx, `SELECT rating, count(*) FROM feedback WHERE event_id = $1 GROUP BY rating`, eventID)
	if err != nil {
		return counts, unavailable(err)
	}
	var rating, n int
	_, err = pgx.ForEachRow(rows, []any{&rating, &n}, func() error {
		if rating >= 1 && rating <= 5 {
			counts[rating-1] = n
		}
		return nil
	})
	return counts, unavailable(err)
}

// FeedbackComments implements feedback.Store.
func (s *DB) FeedbackComments(ctx context.Context, eventID, after string, limit int) ([]feedback.Feedback, error) {
	if limit < 1 || limit > feedback.MaxPage {
		return nil, fmt.Errorf("limit %d: %w", limit, feedback.ErrInvalid)
	}
	if after != "" {
		var n int
		err := s.pool.QueryRow(ctx, `SELECT count(*) FROM feedback WHERE id = $1 AND event_id = $2 AND comment <> ''`, after, eventID).Scan(&n)
		if err != nil {
			return nil, unavailable(err)
		}
		if n == 0 {
			return nil, fmt.Errorf("after %s: no such answer with a comment for event %s: %w", after, eventID, feedback.ErrInvalid)
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT id, event_id, user_id, rating, comment, at FROM feedback
		WHERE event_id = $1 AND comment <> ''
		  AND ($2 = '' OR (at, id) > (SELECT at, id FROM feedback WHERE id = $2))
		ORDER BY at, id LIMIT $3`, eventID, after, limit)
	if err != nil {
		return nil, unavailable(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (feedback.Feedback, error) {
		var f feedback.Feedback
		err := row.Scan(&f.ID, &f.EventID, &f.UserID, &f.Rating, &f.Comment, &f.At)
		f.At = f.At.UTC()
		return f, err
	})
	if err != nil || len(out) == 0 {
		return nil, unavailable(err)
	}
	return out, nil
}
