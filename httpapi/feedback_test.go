package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/feedback"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// checkIn records an entry of ticket at a new entry gate of its event,
// as a gate's upload does.
func (h *harness) checkIn(t *testing.T, tk purchase.Ticket) {
	t.Helper()
	ctx := t.Context()
	g, _, err := h.api.Enroller.CreateGate(ctx, tk.EventID, ticketsync.GateSpec{Name: "Door", Direction: "entry"}, "usr_000000000000000000000000")
	if err != nil {
		t.Fatal(err)
	}
	c := changelog.Checkin{ID: "ci_" + strings.Repeat("0", 8) + tk.ID[3:], EventID: tk.EventID, GateID: g.ID, TicketID: tk.ID,
		TypeNumber: tk.TypeNumber, Direction: "entry", At: h.clock.Now()}
	if _, err := h.api.Sync.Store.RecordCheckins(ctx, g, []changelog.Checkin{c}, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
}

// TestFeedback is acceptance point 6's first half, on both backends: an
// attendee whose ticket was not checked in is refused (403
// not_checked_in), one checked in rates once (a second answer is 409
// feedback_given), bad answers are 400 naming the field, and the event's
// organizers and staff read the average, the distribution and the
// comments, paged, while the attendee may not.
func TestFeedback(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		f := newWalkFixture(t, h)
		path := "/v1/events/" + f.published.ID + "/feedback"
		ev := f.published.ID

		absent := h.newUser(t, "absent")
		f.ticket(t, absent) // bought, never scanned
		res := h.do(t, "POST", path, absent.Token, map[string]any{"rating": 5, "comment": "I was not there"}).want(t, http.StatusForbidden)
		if e := res.apiErr(t); e.Code != "not_checked_in" || !strings.Contains(e.Message, "checked in") {
			t.Errorf("an attendee who did not check in: %+v, want not_checked_in saying why", e)
		}
		nobody := h.newUser(t, "nobody")
		h.do(t, "POST", path, nobody.Token, map[string]any{"rating": 3}).want(t, http.StatusForbidden)

		ratings := []int{5, 2, 4}
		var comments []string
		for i, r := range ratings {
			u := h.newUser(t, fmt.Sprintf("guest%d", i))
			h.checkIn(t, f.ticket(t, u))
			comment := fmt.Sprintf("  Guest %d: <b>loud</b>\nand good  ", i)
			if i == 1 {
				comment = ""
			} else {
				comments = append(comments, strings.TrimSpace(comment))
			}
			got := decodeAs[feedback.Feedback](t, h.do(t, "POST", path, u.Token, map[string]any{"rating": r, "comment": comment}), http.StatusCreated)
			if got.Rating != r || got.EventID != ev || got.UserID != u.ID || got.Comment != strings.TrimSpace(comment) {
				t.Errorf("answer as stored: %+v", got)
			}
			res := h.do(t, "POST", path, u.Token, map[string]any{"rating": 1}).want(t, http.StatusConflict)
			if e := res.apiErr(t); e.Code != "feedback_given" {
				t.Errorf("second answer: %+v, want feedback_given", e)
			}
			h.clock.Advance(time.Minute)
		}
		late := h.newUser(t, "late")
		h.checkIn(t, f.ticket(t, late))
		for name, body := range map[string]any{
			"rating 0":       map[string]any{"rating": 0},
			"rating 6":       map[string]any{"rating": 6},
			"no rating":      map[string]any{"comment": "no number"},
			"long comment":   map[string]any{"rating": 4, "comment": strings.Repeat("x", feedback.MaxCommentBytes+1)},
			"control in it":  map[string]any{"rating": 4, "comment": "bell\x07"},
			"unknown field":  map[string]any{"rating": 4, "stars": 4},
			"rating as text": map[string]any{"rating": "5"},
		} {
			res := h.do(t, "POST", path, late.Token, body)
			if res.status != http.StatusBadRequest && res.status != http.StatusUnprocessableEntity {
				t.Errorf("%s: status %d, want 400 or 422; %s", name, res.status, res.short())
			}
		}

		for _, who := range []*user{f.callers[organizer], f.callers[staff], f.callers[admin]} {
			sum := decodeAs[feedbackSummary](t, h.do(t, "GET", path+"?limit=1", who.Token, nil), http.StatusOK)
			if sum.Count != 3 || sum.Average != 11.0/3 || sum.Distribution != [5]int{0, 1, 0, 1, 1} {
				t.Errorf("summary: count %d, average %v, distribution %v; want 3, 11/3, [0 1 0 1 1]", sum.Count, sum.Average, sum.Distribution)
			}
			if len(sum.Comments) != 1 || sum.Comments[0].Comment != comments[0] || sum.NextCursor == "" {
				t.Fatalf("first page: %+v, next %q", sum.Comments, sum.NextCursor)
			}
			next := decodeAs[feedbackSummary](t, h.do(t, "GET", path+"?limit=1&cursor="+url.QueryEscape(sum.NextCursor), who.Token, nil), http.StatusOK)
			if len(next.Comments) != 1 || next.Comments[0].Comment != comments[1] || next.NextCursor != "" {
				t.Errorf("second page: %+v, next %q", next.Comments, next.NextCursor)
			}
		}
		h.do(t, "GET", path+"?cursor=bm90LWFuLWlk", f.callers[organizer].Token, nil).want(t, http.StatusUnprocessableEntity)
		// An attendee or another organization's organizer learns nothing,
		// not even that the event has feedback.
		h.do(t, "GET", path, late.Token, nil).want(t, http.StatusNotFound)
		h.do(t, "GET", path, f.callers[otherOrg].Token, nil).want(t, http.StatusNotFound)
	})
}

func init() {
	authzCases = append(authzCases,
		authzCase{
			// Whoever holds a checked-in ticket rates the event once.
			route: "POST /v1/events/{id}/feedback",
			// Attendees of the event answer, whatever organization they
			// are in.
			public: true,
			fresh:  true,
			want:   row{401, 201, 201, 201, 201, 201, 403},
			req: func(t *testing.T, f *walkFixture, u *user) walkRequest {
				if u != nil {
					f.h.checkIn(t, f.ticket(t, u))
				}
				return walkRequest{path: "/v1/events/" + f.published.ID + "/feedback", body: map[string]any{"rating": 4}}
			},
		},
		authzCase{
			route: "GET /v1/events/{id}/feedback",
			want:  row{401, 404, 200, 200, 404, 200, 403},
			req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
				return walkRequest{path: "/v1/events/" + f.published.ID + "/feedback"}
			},
		},
	)
}
