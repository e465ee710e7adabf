package feedback

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/admitone/admitone/internal/errkind"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/purchase"
)

// Errors of the package, with their wire codes.
var (
	// ErrAnswered is a second answer of one account for one event.
	ErrAnswered = errkind.New(errkind.Conflict, "feedback_given", "feedback already given")
	// ErrNotCheckedIn is an answer from an account none of whose tickets
	// of the event was checked in.
	ErrNotCheckedIn = errkind.New(errkind.Forbidden, "not_checked_in",
		"only attendees whose ticket was checked in at the event may rate it")
	ErrInvalid = errkind.New(errkind.Invalid, "invalid", "invalid")
)

// Limits on answers and pages.
const (
	// MaxCommentBytes bounds a comment.
	MaxCommentBytes = 2000
	// MaxPage bounds one read of comments.
	MaxPage = 1000
	// maxHeld bounds the tickets of one account read to find a
	// check-in.
	maxHeld = 1000
)

// Feedback is one account's answer for one event.
type Feedback struct {
	ID      string    `json:"id"` // "fbk_" + 24 hex
	EventID string    `json:"event_id"`
	UserID  string    `json:"user_id"`
	Rating  int       `json:"rating"` // 1..5
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
}

// Store keeps answers. Implementations: storage/bolt and
// storage/postgres; storage/storetest checks both.
type Store interface {
	// AddFeedback stores f, or returns ErrAnswered if f.UserID answered
	// for f.EventID before (decided in the same transaction).
	AddFeedback(ctx context.Context, f Feedback) error
	// FeedbackCounts returns how many answers of an event gave each
	// rating: counts[0] is the number of 1s, counts[4] of 5s.
	FeedbackCounts(ctx context.Context, eventID string) ([5]int, error)
	// FeedbackComments lists an event's answers that have a comment,
	// oldest first (by At, then ID), after the answer with id after
	// ("" for the first page), at most limit (1..MaxPage). An after
	// that is not an answer of the event with a comment is ErrInvalid.
	FeedbackComments(ctx context.Context, eventID, after string, limit int) ([]Feedback, error)
}

// Tickets is what the Service reads of tickets (purchase.Store).
type Tickets interface {
	TicketsOfHolder(ctx context.Context, holderID string, limit int) ([]purchase.Ticket, error)
	Entered(ctx context.Context, eventID, root string) (purchase.Entry, bool, error)
}

// Service takes answers and sums them up.
type Service struct {
	Store   Store
	Tickets Tickets
	// Now defaults to time.Now.
	Now func() time.Time
}

// Answer is what an attendee sends.
type Answer struct {
	Rating  int    `json:"rating"`
	Comment string `json:"comment"`
}

// Validate checks an answer and returns it with its comment trimmed;
// errors name the field.
func (a Answer) Validate() (Answer, error) {
	if a.Rating < 1 || a.Rating > 5 {
		return a, fmt.Errorf("rating must be a whole number from 1 to 5, not %d: %w", a.Rating, ErrInvalid)
	}
	a.Comment = strings.TrimSpace(a.Comment)
	switch {
	case len(a.Comment) > MaxCommentBytes:
		return a, fmt.Errorf("comment is %d bytes; at most %d: %w", len(a.Comment), MaxCommentBytes, ErrInvalid)
	case !utf8.ValidString(a.Comment):
		return a, fmt.Errorf("comment is not valid UTF-8: %w", ErrInvalid)
	case strings.ContainsFunc(a.Comment, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }):
		return a, fmt.Errorf("comment must be plain text without control characters: %w", ErrInvalid)
	}
	return a, nil
}

// Give stores userID's answer for eventID: ErrNotCheckedIn unless a
// ticket of the event they hold has an entry on record, ErrAnswered for
// a second answer.
func (s *Service) Give(ctx context.Context, eventID, userID string, a Answer) (Feedback, error) {
	a, err := a.Validate()
	if err != nil {
		return Feedback{}, err
	}
	ok, err := s.checkedIn(ctx, eventID, userID)
	if err != nil {
		return Feedback{}, err
	}
	if !ok {
		return Feedback{}, fmt.Errorf("feedback for event %s: no ticket of yours was checked in there: %w", eventID, ErrNotCheckedIn)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	f := Feedback{ID: id.New("fbk"), EventID: eventID, UserID: userID, Rating: a.Rating, Comment: a.Comment,
		At: now().UTC().Truncate(time.Microsecond)}
	if err := s.Store.AddFeedback(ctx, f); err != nil {
		return Feedback{}, fmt.Errorf("feedback for event %s: %w", eventID, err)
	}
	return f, nil
}

// checkedIn reports whether a ticket of eventID held by userID (not
// given away by a transfer) has an entry on record.
func (s *Service) checkedIn(ctx context.Context, eventID, userID string) (bool, error) {
	held, err := s.Tickets.TicketsOfHolder(ctx, userID, maxHeld)
	if err != nil {
		return false, err
	}
	for _, t := range held {
		if t.EventID != eventID || t.ReplacedBy != "" {
			continue
		}
		_, entered, err := s.Tickets.Entered(ctx, eventID, t.Root())
		if err != nil || entered {
			return entered, err
		}
	}
	return false, nil
}

// Summary is what organizers read of an event's answers.
type Summary struct {
	EventID string `json:"event_id"`
	Count   int    `json:"count"`
	// Average is the mean rating, 0 with no answers.
	Average float64 `json:"average"`
	// Distribution counts each rating: Distribution[0] the 1s, ...,
	// Distribution[4] the 5s.
	Distribution [5]int `json:"distribution"`
	// Comments are answers with a comment, oldest first: the page
	// Summary was asked for.
	Comments []Feedback `json:"comments"`
}

// Summary sums up an event's answers, with at most limit (1..MaxPage)
// comments after the answer id after ("" from the first).
func (s *Service) Summary(ctx context.Context, eventID, after string, limit int) (Summary, error) {
	if after != "" && !ValidID(after) {
		return Summary{}, fmt.Errorf("after %q is not a feedback id (fbk_...): %w", clip(after), ErrInvalid)
	}
	if limit < 1 || limit > MaxPage {
		return Summary{}, fmt.Errorf("limit must be 1 to %d: %w", MaxPage, ErrInvalid)
	}
	counts, err := s.Store.FeedbackCounts(ctx, eventID)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{EventID: eventID, Distribution: counts}
	total := 0
	for i, n := range counts {
		sum.Count += n
		total += n * (i + 1)
	}
	if sum.Count > 0 {
		sum.Average = float64(total) / float64(sum.Count)
	}
	page, err := s.Store.FeedbackComments(ctx, eventID, after, limit)
	if err != nil {
		return Summary{}, err
	}
	if page == nil {
		page = []Feedback{}
	}
	sum.Comments = page
	return sum, nil
}

// ValidID reports whether s has the form of a Feedback.ID.
func ValidID(s string) bool { return id.Valid(s, "fbk") }

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
