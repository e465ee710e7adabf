package catalog

import (
	"testing"
	"time"
)

func TestLRUEvictsLeastRecentlyUsed(t *testing.T) {
	var l lru[int]
	l.init(2)
	l.put("a", 1)
	l.put("b", 2)
	l.get("a") // b is now the least recently used
	l.put("c", 3)
	if _, ok := l.get("b"); ok {
		t.Error("b was not evicted")
	}
	for k, want := range map[string]int{"a": 1, "c": 3} {
		if got, ok := l.get(k); !ok || got != want {
			t.Errorf("get(%q) = %d, %v; want %d", k, got, ok, want)
		}
	}
	l.put("a", 10)
	if got, _ := l.get("a"); got != 10 || len(l.items) != 2 {
		t.Errorf("replace: a = %d, %d items", got, len(l.items))
	}
	l.remove("a")
	l.remove("missing")
	if _, ok := l.get("a"); ok || len(l.items) != 1 {
		t.Errorf("remove: %d items", len(l.items))
	}
}

// TestCacheRefusesLoadRacingAnInvalidation checks the window a read-through
// cache has: a load that started before an invalidation must not be
// stored after it.
func TestCacheRefusesLoadRacingAnInvalidation(t *testing.T) {
	c := NewCache(10)
	now := time.Now()
	later := now.Add(time.Minute)
	ticket := c.ticket("ev_1")
	old := EventPage{Event: Event{ID: "ev_1", Title: "old"}}
	c.Invalidate("ev_1") // a writer committed while the reader loaded
	c.putPage("ev_1", ticket, old, later)
	if _, ok := c.page("ev_1", now); ok {
		t.Fatal("a load older than an invalidation was cached")
	}
	ticket = c.ticket("ev_1")
	c.putPage("ev_1", ticket, EventPage{Event: Event{ID: "ev_1", Title: "new"}}, later)
	if p, ok := c.page("ev_1", now); !ok || p.Event.Title != "new" {
		t.Errorf("page = %+v, %v", p, ok)
	}
	if _, ok := c.page("ev_1", later); ok {
		t.Error("an expired page was served")
	}
	// An availability invalidation drops availability only.
	c.putAvailability("ev_1", c.ticket("ev_1"), Availability{EventID: "ev_1"})
	c.InvalidateAvailability("ev_1")
	if pages, avail := c.Len(); pages != 1 || avail != 0 {
		t.Errorf("Len = %d, %d; want 1, 0", pages, avail)
	}
}
