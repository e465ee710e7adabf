package purchase

import (
	"container/list"
	"sync"
	"time"
)

// DefaultHoldsPerMinute is how many holds one buyer may make a minute
// when the Service is not told otherwise (Service.HoldsPerMinute).
const DefaultHoldsPerMinute = 20

// maxLimitedBuyers bounds the buyers the hold rate limit remembers; the
// least recently seen are forgotten first (and so start afresh).
const maxLimitedBuyers = 100_000

// holdRate is a token bucket per buyer, perMinute holds at most, refilled
// at perMinute a minute, kept as the time its bucket is full again (the
// generic cell rate algorithm: exact, in integer time). Time comes from
// the caller, so tests control it. Safe for concurrent use.
type holdRate struct {
	mu      sync.Mutex
	buckets map[string]*list.Element
	lru     list.List // of *bucket; front is the most recently seen
}

type bucket struct {
	buyer string
	// full is when the bucket is full again: each hold adds one
	// interval after max(full, now).
	full time.Time
}

// take spends one of buyer's holds at now, or returns how long until one
// is there (leaving the bucket as it was).
func (r *holdRate) take(buyer string, perMinute int, now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.buckets == nil {
		r.buckets = make(map[string]*list.Element)
	}
	interval := time.Minute / time.Duration(perMinute)
	el, ok := r.buckets[buyer]
	if !ok {
		el = r.lru.PushFront(&bucket{buyer: buyer, full: now})
		r.buckets[buyer] = el
		for len(r.buckets) > maxLimitedBuyers {
			old := r.lru.Back()
			r.lru.Remove(old)
			delete(r.buckets, old.Value.(*bucket).buyer)
		}
	} else {
		r.lru.MoveToFront(el)
	}
	b := el.Value.(*bucket)
	full := b.full
	if full.Before(now) {
		full = now
	}
	full = full.Add(interval)
	if allowed := full.Add(-time.Duration(perMinute) * interval); now.Before(allowed) {
		return allowed.Sub(now)
	}
	b.full = full
	return 0
}
