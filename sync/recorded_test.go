package sync_test

import (
	"context"
	gosync "sync"
	"testing"
	"time"

	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/scanner"
	ticketsync "github.com/admitone/admitone/sync"
)

// TestRecordedHook: the hub reports each stored upload to Recorded (the
// webhooks' source): both gates' offline admissions of one ticket, and
// the conflict they make, once.
func TestRecordedHook(t *testing.T) {
	w := newWorld(t)
	var mu gosync.Mutex
	checkins := map[string]string{} // check-in id -> gate id
	var conflicts []ticketsync.Conflict
	w.hub.Recorded = func(_ context.Context, g ticketsync.Gate, cs []changelog.Checkin, res ticketsync.RecordResult) {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range cs {
			checkins[c.ID] = g.ID
		}
		conflicts = append(conflicts, res.Conflicts...)
	}
	token := w.ticket(t)
	a, b := w.enroll(t, "east"), w.enroll(t, "west")
	if ra, rb := a.scan(t, token, false), b.scan(t, token, false); ra.Verdict != scanner.Accepted || rb.Verdict != scanner.Accepted {
		t.Fatalf("offline gates: %s, %s; both should admit", ra.Verdict, rb.Verdict)
	}
	a.start(t)
	b.start(t)
	if !eventually(5*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(checkins) == 2 && len(conflicts) == 1
	}) {
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("Recorded saw check-ins %v and conflicts %+v; want 2 and 1", checkins, conflicts)
	}
	mu.Lock()
	defer mu.Unlock()
	gates := map[string]bool{}
	for _, g := range checkins {
		gates[g] = true
	}
	if !gates[a.id] || !gates[b.id] {
		t.Errorf("check-ins reported from gates %v, want %s and %s", gates, a.id, b.id)
	}
}
