package scanner

import (
	gosync "sync"
	"sync/atomic"
)

// Feed fans every verdict of a gate out to whoever watches it: the gate's
// screens (each browser that has the page open) and the --on-verdict hook.
// Publish never blocks: a subscriber that does not keep up loses verdicts
// (counted in Dropped), so a slow screen or hook never slows a lane.
type Feed struct {
	mu   gosync.Mutex
	subs map[*Subscription]struct{}
}

// Subscription is one watcher of a Feed. Read verdicts from C; Close it
// when done.
type Subscription struct {
	C       <-chan Result
	c       chan Result
	feed    *Feed
	dropped atomic.Uint64
}

// Subscribe starts a subscription that buffers up to buffer verdicts
// (at least 1).
func (f *Feed) Subscribe(buffer int) *Subscription {
	if buffer < 1 {
		buffer = 1
	}
	c := make(chan Result, buffer)
	s := &Subscription{C: c, c: c, feed: f}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subs == nil {
		f.subs = make(map[*Subscription]struct{})
	}
	f.subs[s] = struct{}{}
	return s
}

// Publish hands r to every subscriber that has room for it. A nil Feed
// does nothing.
func (f *Feed) Publish(r Result) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		select {
		case s.c <- r:
		default:
			s.dropped.Add(1)
		}
	}
}

// Subscribers is how many subscriptions are open.
func (f *Feed) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// Dropped is how many verdicts this subscriber lost because its buffer
// was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription and closes C. It is safe to call twice.
func (s *Subscription) Close() {
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	if _, ok := s.feed.subs[s]; ok {
		delete(s.feed.subs, s)
		close(s.c)
	}
}
