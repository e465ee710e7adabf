package account

import (
	"container/list"
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// RateLimits configures login rate limiting. Zero fields take the
// defaults given in their comments.
type RateLimits struct {
	// AccountFailures failed logins or second-factor checks within
	// AccountWindow lock an account (by email, whether or not it exists)
	// until the oldest of them is AccountWindow old. Default 5 and 15m.
	AccountFailures int
	AccountWindow   time.Duration
	// AddrAttempts logins, good or bad, from one remote address within
	// AddrWindow refuse further logins from it. IPv6 addresses count by
	// /64. Default 20 and 1m.
	AddrAttempts int
	AddrWindow   time.Duration
	// MaxKeys bounds the accounts and the addresses remembered, each; the
	// least recently touched are forgotten first. Default 100000.
	MaxKeys int
}

func (r RateLimits) withDefaults() RateLimits {
	if r.AccountFailures <= 0 {
		r.AccountFailures = 5
	}
	if r.AccountWindow <= 0 {
		r.AccountWindow = 15 * time.Minute
	}
	if r.AddrAttempts <= 0 {
		r.AddrAttempts = 20
	}
	if r.AddrWindow <= 0 {
		r.AddrWindow = time.Minute
	}
	if r.MaxKeys <= 0 {
		r.MaxKeys = 100000
	}
	return r
}

// slidingWindow counts events per key and refuses a key that had limit
// events within span. It keeps the times of the last limit events per key,
// at most max keys (least recently touched evicted first), and is safe for
// concurrent use. Time comes from the caller, so tests control it.
type slidingWindow struct {
	limit int
	span  time.Duration
	max   int

	mu  sync.Mutex
	m   map[string]*list.Element
	lru list.List // of *windowEntry; front is the most recently touched
}

type windowEntry struct {
	key   string
	times []time.Time // ascending, at most limit
}

func newSlidingWindow(limit int, span time.Duration, max int) *slidingWindow {
	return &slidingWindow{limit: limit, span: span, max: max, m: make(map[string]*list.Element)}
}

// wait returns how long key must wait before its next event is allowed:
// zero if it is allowed now.
func (w *slidingWindow) wait(key string, now time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.waitLocked(key, now)
}

func (w *slidingWindow) waitLocked(key string, now time.Time) time.Duration {
	el, ok := w.m[key]
	if !ok {
		return 0
	}
	e := el.Value.(*windowEntry)
	if len(e.times) < w.limit {
		return 0
	}
	if d := e.times[0].Add(w.span).Sub(now); d > 0 {
		return d
	}
	return 0
}

// add records an event for key at now.
func (w *slidingWindow) add(key string, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.addLocked(key, now)
}

func (w *slidingWindow) addLocked(key string, now time.Time) {
	el, ok := w.m[key]
	if !ok {
		el = w.lru.PushFront(&windowEntry{key: key})
		w.m[key] = el
		for len(w.m) > w.max {
			old := w.lru.Back()
			w.lru.Remove(old)
			delete(w.m, old.Value.(*windowEntry).key)
		}
	} else {
		w.lru.MoveToFront(el)
	}
	e := el.Value.(*windowEntry)
	// Drop events that left the window, then the oldest beyond limit.
	keep := e.times[:0]
	for _, t := range e.times {
		if now.Sub(t) < w.span {
			keep = append(keep, t)
		}
	}
	e.times = append(keep, now)
	if len(e.times) > w.limit {
		e.times = e.times[len(e.times)-w.limit:]
	}
}

// take records an event for key if one is allowed now, and otherwise
// returns how long to wait.
func (w *slidingWindow) take(key string, now time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	if d := w.waitLocked(key, now); d > 0 {
		return d
	}
	w.addLocked(key, now)
	return 0
}

// reset forgets key.
func (w *slidingWindow) reset(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if el, ok := w.m[key]; ok {
		w.lru.Remove(el)
		delete(w.m, key)
	}
}

// len returns the number of keys remembered.
func (w *slidingWindow) len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.m)
}

// addrKey is the rate limit key of a remote address: the IP without the
// port, and for IPv6 its /64, since one client commonly holds a whole /64.
// An address that does not parse is its own key.
func addrKey(remote string) string {
	a, err := netip.ParseAddrPort(remote)
	ip := a.Addr()
	if err != nil {
		if ip, err = netip.ParseAddr(remote); err != nil {
			return remote
		}
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.WithZone("").Prefix(64)
		return p.String()
	}
	return ip.String()
}

func rateLimited(what string, d time.Duration) error {
	d = (d + time.Second - 1).Truncate(time.Second) // never "0s"
	return fmt.Errorf("%w: too many %s; try again in %v", ErrRateLimited, what, d)
}

// limitAddr counts a login attempt from remote; an empty remote (a local
// caller such as the CLI) is not limited.
func (s *Service) limitAddr(remote string, now time.Time) error {
	if remote == "" {
		return nil
	}
	if d := s.addrLimit.take(addrKey(remote), now); d > 0 {
		return rateLimited("sign-in attempts from this address", d)
	}
	return nil
}

// limitAccount refuses an account (by normalised email) that failed too
// often lately.
func (s *Service) limitAccount(email string, now time.Time) error {
	if d := s.accountLimit.wait(email, now); d > 0 {
		return rateLimited("failed attempts for this account", d)
	}
	return nil
}

func (s *Service) failAccount(email string, now time.Time) { s.accountLimit.add(email, now) }

func (s *Service) resetAccount(email string) { s.accountLimit.reset(email) }
