package storetest

import (
	"errors"
	"fmt"
	gosync "sync"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/feedback"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// testFeedback: one answer per account and event (a second, even sent at
// the same time, is ErrAnswered), the counts per rating, and the answers
// with a comment paged oldest first.
func testFeedback(t *testing.T, _ ticketsync.Store, p purchase.Store, _ catalog.Store) {
	ctx := t.Context()
	fs, ok := p.(feedback.Store)
	if !ok {
		t.Fatalf("%T does not implement feedback.Store", p)
	}
	ev := "ev_00000000000000f1"
	answer := func(user string, rating int, comment string, at time.Time) feedback.Feedback {
		return feedback.Feedback{ID: id.New("fbk"), EventID: ev, UserID: user, Rating: rating, Comment: comment, At: at}
	}
	counts, err := fs.FeedbackCounts(ctx, ev)
	must(t, "FeedbackCounts of an event without answers", err)
	equal(t, "counts without answers", counts, [5]int{})

	var want []feedback.Feedback
	for i, r := range []int{5, 4, 5, 1, 3} {
		f := answer(fmt.Sprintf("usr_%024d", i), r, "", when(0).Add(time.Duration(i)*time.Minute))
		if i != 3 {
			f.Comment = fmt.Sprintf("comment %d\nsecond line", i)
		}
		must(t, "AddFeedback", fs.AddFeedback(ctx, f))
		if f.Comment != "" {
			f.At = stored(f.At)
			want = append(want, f)
		}
	}
	// Another event's answers count there only.
	other := answer("usr_000000000000000000000000", 2, "elsewhere", when(0))
	other.EventID = "ev_00000000000000f2"
	must(t, "AddFeedback of another event", fs.AddFeedback(ctx, other))

	// A second answer of one account, also two at once.
	err = fs.AddFeedback(ctx, answer("usr_000000000000000000000000", 1, "again", when(1)))
	if !errors.Is(err, feedback.ErrAnswered) {
		t.Errorf("second answer: %v, want ErrAnswered", err)
	}
	var wg gosync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = fs.AddFeedback(ctx, answer("usr_0000000000000000000000aa", 2, "", when(1))) })
	}
	wg.Wait()
	stored := 0
	for _, err := range errs {
		switch {
		case err == nil:
			stored++
		case !errors.Is(err, feedback.ErrAnswered):
			t.Errorf("concurrent answer: %v", err)
		}
	}
	equal(t, "concurrent answers of one account stored", stored, 1)

	counts, err = fs.FeedbackCounts(ctx, ev)
	must(t, "FeedbackCounts", err)
	equal(t, "counts", counts, [5]int{1, 1, 1, 1, 2})

	first, err := fs.FeedbackComments(ctx, ev, "", 3)
	must(t, "FeedbackComments", err)
	equal(t, "first page", first, want[:3])
	rest, err := fs.FeedbackComments(ctx, ev, first[2].ID, 3)
	must(t, "FeedbackComments after", err)
	equal(t, "second page", rest, want[3:])
	none, err := fs.FeedbackComments(ctx, "ev_00000000000000f3", "", 3)
	must(t, "FeedbackComments of an event without answers", err)
	equal(t, "comments of an event without answers", len(none), 0)
	if _, err := fs.FeedbackComments(ctx, ev, other.ID, 3); !errors.Is(err, feedback.ErrInvalid) {
		t.Errorf("comments after another event's answer: %v, want ErrInvalid", err)
	}
}
