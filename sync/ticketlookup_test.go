package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	gosync "sync"
	"testing"
	"time"
)

// countingLookup is a TicketLookup that knows every id it is asked for,
// records each call's ids, and holds each call until release yields.
type countingLookup struct {
	mu      gosync.Mutex
	calls   [][]string
	release chan struct{}
	err     error
}

func (l *countingLookup) IssuedTickets(ctx context.Context, ids []string) (map[string]IssuedTicket, error) {
	l.mu.Lock()
	l.calls = append(l.calls, slices.Clone(ids))
	l.mu.Unlock()
	<-l.release
	if l.err != nil {
		return nil, l.err
	}
	out := make(map[string]IssuedTicket, len(ids))
	for _, id := range ids {
		out[id] = IssuedTicket{EventID: "evt_" + id}
	}
	return out, nil
}

func (l *countingLookup) callIDs() [][]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

// queuedIDs is how many ids wait in rounds not started yet.
func (l *ticketLookups) queuedIDs() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.queued {
		n += len(r.ids)
	}
	return n
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: %s", what)
		}
	}
}

// TestTicketLookupsCoalesce checks that uploads arriving while a lookup
// runs share the next one: one store call for all their tickets, each
// upload answered with its own.
func TestTicketLookupsCoalesce(t *testing.T) {
	src := &countingLookup{release: make(chan struct{})}
	var l ticketLookups
	ctx := t.Context()
	type answer struct {
		ids []string
		got map[string]IssuedTicket
		err error
	}
	answers := make(chan answer, 4)
	ask := func(ids ...string) {
		go func() {
			got, err := l.lookup(ctx, src, ids)
			answers <- answer{ids, got, err}
		}()
	}
	ask("tk_a")
	waitUntil(t, "the first lookup reached the store", func() bool { return len(src.callIDs()) == 1 })
	ask("tk_c", "tk_b")
	ask("tk_d")
	ask("tk_a", "tk_b") // ids another upload asked for too
	waitUntil(t, "three uploads queued behind the first", func() bool { return l.queuedIDs() == 5 })
	close(src.release)
	for range 4 {
		a := <-answers
		if a.err != nil {
			t.Fatalf("lookup %v: %v", a.ids, a.err)
		}
		for _, id := range a.ids {
			if a.got[id].EventID != "evt_"+id {
				t.Errorf("lookup %v: ticket %s is %+v, want the store's", a.ids, id, a.got[id])
			}
		}
	}
	calls := src.callIDs()
	want := [][]string{{"tk_a"}, {"tk_a", "tk_b", "tk_c", "tk_d"}}
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Errorf("the store was asked %v, want %v: one call for the first upload, one for the three behind it", calls, want)
	}
	waitUntil(t, "the lookups stopped running", func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return !l.running
	})
	// An idle hub asks at once, in a call of its own.
	if _, err := l.lookup(ctx, src, []string{"tk_e"}); err != nil {
		t.Fatal(err)
	}
	if calls := src.callIDs(); len(calls) != 3 || fmt.Sprint(calls[2]) != "[tk_e]" {
		t.Errorf("after the queue emptied the store was asked %v, want a third call [tk_e]", calls)
	}
}

// TestTicketLookupsBounded checks that a round asks for at most
// maxLookupIDs ids, that a store error reaches every upload of its round
// and no other, and that an upload whose context ends stops waiting.
func TestTicketLookupsBounded(t *testing.T) {
	src := &countingLookup{release: make(chan struct{})}
	var l ticketLookups
	ctx := t.Context()
	ids := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s%04d", prefix, i)
		}
		return out
	}
	errs := make(chan error, 4)
	go func() { _, err := l.lookup(ctx, src, []string{"tk_first"}); errs <- err }()
	waitUntil(t, "the first lookup reached the store", func() bool { return len(src.callIDs()) == 1 })
	go func() { _, err := l.lookup(ctx, src, ids("tk_x", 600)); errs <- err }()
	waitUntil(t, "600 ids queued", func() bool { return l.queuedIDs() == 600 })
	go func() { _, err := l.lookup(ctx, src, ids("tk_y", 600)); errs <- err }()
	waitUntil(t, "1,200 ids queued", func() bool { return l.queuedIDs() == 1200 })
	gone, cancel := context.WithCancel(ctx)
	go func() { _, err := l.lookup(gone, src, []string{"tk_gone"}); errs <- err }()
	waitUntil(t, "1,201 ids queued", func() bool { return l.queuedIDs() == 1201 })
	cancel()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("the upload whose context ended got %v, want context.Canceled", err)
	}
	src.err = errors.New("database unavailable")
	close(src.release)
	for range 3 {
		if err := <-errs; !errors.Is(err, src.err) {
			t.Errorf("an upload got %v, want the store's error", err)
		}
	}
	calls := src.callIDs()
	if len(calls) != 3 {
		t.Fatalf("the store was called %d times, want 3 (the first, then 600 ids, then 600 + 1)", len(calls))
	}
	for i, c := range calls[1:] {
		if len(c) > maxLookupIDs {
			t.Errorf("call %d asked for %d ids, more than %d", i+2, len(c), maxLookupIDs)
		}
	}
	if len(calls[1]) != 600 || len(calls[2]) != 601 {
		t.Errorf("the queued rounds asked for %d and %d ids, want 600 and 601", len(calls[1]), len(calls[2]))
	}
}
