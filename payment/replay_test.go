package payment_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/payment"
)

func newSeenSet(t *testing.T, ttl time.Duration, max int) *payment.SeenSet {
	t.Helper()
	s, err := payment.NewSeenSet(ttl, max)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustSeen(t *testing.T, s *payment.SeenSet, id string, now time.Time, want bool) {
	t.Helper()
	got, err := s.Seen(id, now)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Seen(%s, %s) = %v, want %v", id, now.Format(time.TimeOnly), got, want)
	}
}

func TestSeenSetExpiry(t *testing.T) {
	s := newSeenSet(t, 10*time.Minute, 100)
	mustSeen(t, s, "evt_1", t0, false)
	mustSeen(t, s, "evt_1", t0.Add(9*time.Minute), true)
	mustSeen(t, s, "evt_2", t0.Add(9*time.Minute), false)
	mustSeen(t, s, "evt_1", t0.Add(10*time.Minute), false) // expired, recorded anew
	mustSeen(t, s, "evt_1", t0.Add(11*time.Minute), true)
	mustSeen(t, s, "evt_2", t0.Add(18*time.Minute), true)
	mustSeen(t, s, "evt_3", t0.Add(30*time.Minute), false)
	if n := s.Len(); n != 1 {
		t.Errorf("Len() = %d after the others expired, want 1", n)
	}
}

func TestSeenSetBounded(t *testing.T) {
	s := newSeenSet(t, time.Hour, 3)
	for i := range 5 {
		mustSeen(t, s, fmt.Sprint("evt_", i), t0, false)
	}
	if n := s.Len(); n != 3 {
		t.Errorf("Len() = %d, want the bound 3", n)
	}
	mustSeen(t, s, "evt_4", t0, true)
	mustSeen(t, s, "evt_3", t0, true)
	mustSeen(t, s, "evt_0", t0, false) // evicted, the oldest
}

func TestSeenSetForget(t *testing.T) {
	s := newSeenSet(t, time.Hour, 2)
	mustSeen(t, s, "evt_a", t0, false)
	if err := s.Forget("evt_a"); err != nil {
		t.Fatal(err)
	}
	mustSeen(t, s, "evt_a", t0, false)
	mustSeen(t, s, "evt_a", t0, true)
	// Forgetting and re-recording many times keeps the set bounded and
	// correct.
	for i := range 50 {
		id := fmt.Sprint("evt_", i%3)
		_ = s.Forget(id)
		mustSeen(t, s, id, t0, false)
	}
	if n := s.Len(); n > 2 {
		t.Errorf("Len() = %d over the bound 2", n)
	}
	mustSeen(t, s, "evt_1", t0, true) // the last two recorded: evt_0 (i=48), evt_1 (i=49)
	mustSeen(t, s, "evt_0", t0, true)
}

func TestSeenSetConcurrent(t *testing.T) {
	s := newSeenSet(t, time.Hour, 1000)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		fresh int
	)
	for range 16 {
		wg.Go(func() {
			seen, err := s.Seen("evt_same", t0)
			if err != nil {
				t.Error(err)
			}
			if !seen {
				mu.Lock()
				fresh++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if fresh != 1 {
		t.Errorf("%d callers saw the id as new, want 1", fresh)
	}
}

func TestNewSeenSetInvalid(t *testing.T) {
	for _, c := range []struct {
		ttl time.Duration
		max int
	}{{0, 1}, {-time.Second, 1}, {time.Second, 0}} {
		if _, err := payment.NewSeenSet(c.ttl, c.max); !errors.Is(err, payment.ErrInvalid) {
			t.Errorf("NewSeenSet(%v, %d): %v, want ErrInvalid", c.ttl, c.max, err)
		}
	}
}
