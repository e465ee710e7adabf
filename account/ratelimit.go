package account

import (
	"container/list"
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// RateLimits configures the limits on logins, second-factor codes and
// sign-ups. Zero fields take the defaults given in their comments.
type RateLimits struct {
	// FreeFailures failed passwords for one account from one address
	// (keyed by the normalised email, whether or not an account has it,
	// and the address as AddrAttempts counts it) are allowed back to
	// back; after that each attempt from that address must wait
	// FailureDelay, doubled with every further failure up to
	// MaxFailureDelay. Other addresses are not slowed: no one can lock
	// an account's owner out by failing from elsewhere. A right password
	// clears the count, and so does FailureMemory without an attempt
	// once the wait is over. Default 5, 1s, 15m and 1h.
	FreeFailures    int
	FailureDelay    time.Duration
	MaxFailureDelay time.Duration
	FailureMemory   time.Duration
	// AccountFailures wrong second-factor codes (TOTP or recovery
	// codes, at login after the right password, or from a session)
	// within AccountWindow refuse further codes for the account until
	// the oldest of them is AccountWindow old. Only someone who has the
	// password or a session can fail a code. Default 5 and 15m.
	AccountFailures int
	AccountWindow   time.Duration
	// AddrAttempts logins, good or bad, from one remote address within
	// AddrWindow refuse further logins from it. IPv6 addresses count by
	// /64. Default 20 and 1m.
	AddrAttempts int
	AddrWindow   time.Duration
	// SignUpAttempts sign-ups (well-formed ones, which cost a password
	// hash) from one remote address within SignUpWindow refuse further
	// sign-ups from it. IPv6 addresses count by /64. Default 10 and 1h.
	SignUpAttempts int
	SignUpWindow   time.Duration
	// MaxKeys bounds the keys each limit remembers (accounts,
	// addresses, account and address pairs); the least recently touched
	// are forgotten first. Default 100000.
	MaxKeys int
}

func (r RateLimits) withDefaults() RateLimits {
	if r.FreeFailures <= 0 {
		r.FreeFailures = 5
	}
	if r.FailureDelay <= 0 {
		r.FailureDelay = time.Second
	}
	if r.MaxFailureDelay <= 0 {
		r.MaxFailureDelay = 15 * time.Minute
	}
	if r.FailureMemory <= 0 {
		r.FailureMemory = time.Hour
	}
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
	if r.SignUpAttempts <= 0 {
		r.SignUpAttempts = 10
	}
	if r.SignUpWindow <= 0 {
		r.SignUpWindow = time.Hour
	}
	if r.MaxKeys <= 0 {
		r.MaxKeys = 100000
	}
	return r
}

// RetryError is a refusal that time lifts: a rate limit (wrapping
// ErrRateLimited) or no free password-hashing slot (wrapping ErrBusy).
// Wait is how long to wait, in whole seconds, at least one; the message
// says the same, so an HTTP Retry-After can match it.
type RetryError struct {
	Err  error
	What string
	Wait time.Duration
}

func (e *RetryError) Error() string { return fmt.Sprintf("%s; try again in %v", e.What, e.Wait) }

func (e *RetryError) Unwrap() error { return e.Err }

// RetryAfter returns Wait.
func (e *RetryError) RetryAfter() time.Duration { return e.Wait }

func retryLater(err error, what string, d time.Duration) error {
	d = (d + time.Second - 1).Truncate(time.Second) // never "0s"
	return &RetryError{Err: err, What: what, Wait: d}
}

// lru is a map of at most max keys that forgets the least recently
// touched first. It is not safe for concurrent use.
type lru[V any] struct {
	max   int
	m     map[string]*list.Element
	order list.List // of *lruItem[V]; front is the most recently touched
}

type lruItem[V any] struct {
	key string
	v   V
}

func newLRU[V any](max int) *lru[V] { return &lru[V]{max: max, m: make(map[string]*list.Element)} }

// get returns key's value and marks it touched.
func (l *lru[V]) get(key string) (V, bool) {
	el, ok := l.m[key]
	if !ok {
		var zero V
		return zero, false
	}
	l.order.MoveToFront(el)
	return el.Value.(*lruItem[V]).v, true
}

// peek returns key's value without touching it.
func (l *lru[V]) peek(key string) (V, bool) {
	el, ok := l.m[key]
	if !ok {
		var zero V
		return zero, false
	}
	return el.Value.(*lruItem[V]).v, true
}

// getOrAdd returns key's value, adding the one mk makes if there is none,
// and marks it touched.
func (l *lru[V]) getOrAdd(key string, mk func() V) V {
	if v, ok := l.get(key); ok {
		return v
	}
	v := mk()
	l.m[key] = l.order.PushFront(&lruItem[V]{key: key, v: v})
	for len(l.m) > l.max {
		old := l.order.Back()
		l.order.Remove(old)
		delete(l.m, old.Value.(*lruItem[V]).key)
	}
	return v
}

func (l *lru[V]) remove(key string) {
	if el, ok := l.m[key]; ok {
		l.order.Remove(el)
		delete(l.m, key)
	}
}

// slidingWindow counts events per key and refuses a key that had limit
// events within span. It keeps the times of the last limit events per key,
// at most max keys (least recently touched evicted first), and is safe for
// concurrent use. Time comes from the caller, so tests control it.
type slidingWindow struct {
	limit int
	span  time.Duration

	mu sync.Mutex
	m  *lru[*[]time.Time] // per key, ascending, at most limit
}

func newSlidingWindow(limit int, span time.Duration, max int) *slidingWindow {
	return &slidingWindow{limit: limit, span: span, m: newLRU[*[]time.Time](max)}
}

// wait returns how long key must wait before its next event is allowed:
// zero if it is allowed now.
func (w *slidingWindow) wait(key string, now time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.waitLocked(key, now)
}

func (w *slidingWindow) waitLocked(key string, now time.Time) time.Duration {
	times, ok := w.m.peek(key)
	if !ok || len(*times) < w.limit {
		return 0
	}
	if d := (*times)[0].Add(w.span).Sub(now); d > 0 {
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
	times := w.m.getOrAdd(key, func() *[]time.Time { return new([]time.Time) })
	// Drop events that left the window, then the oldest beyond limit.
	keep := (*times)[:0]
	for _, t := range *times {
		if now.Sub(t) < w.span {
			keep = append(keep, t)
		}
	}
	keep = append(keep, now)
	if len(keep) > w.limit {
		keep = keep[len(keep)-w.limit:]
	}
	*times = keep
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
	w.m.remove(key)
}

// len returns the number of keys remembered.
func (w *slidingWindow) len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.m.m)
}

// backoff slows a key down after repeated failures: after free failures
// each attempt must wait base, doubled per further failure up to max,
// counted from the last failure. A key idle for memory past its wait
// starts afresh. At most maxKeys keys are remembered (least recently
// touched evicted first). It is safe for concurrent use; time comes from
// the caller.
//
// take counts an attempt as a failure before it is checked and fail
// re-stamps the wait when the check has failed, so attempts racing each
// other cannot slip past the wait; reset clears a success and undo takes
// back an attempt that was never checked.
type backoff struct {
	free           int
	base, max, mem time.Duration

	mu sync.Mutex
	m  *lru[*backoffEntry]
}

type backoffEntry struct {
	failures    int
	until, prev time.Time // the next attempt's earliest time; until before the last take
}

func newBackoff(free int, base, max, mem time.Duration, maxKeys int) *backoff {
	return &backoff{free: free, base: base, max: max, mem: mem, m: newLRU[*backoffEntry](maxKeys)}
}

// delay is the wait after n failures.
func (b *backoff) delay(n int) time.Duration {
	if n < b.free {
		return 0
	}
	d := b.base
	for i := b.free; i < n && d < b.max; i++ {
		d *= 2
	}
	return min(d, b.max)
}

// take returns how long key must wait; if zero, it counts an attempt
// (as failed, until reset or undo says otherwise).
func (b *backoff) take(key string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.m.getOrAdd(key, func() *backoffEntry { return &backoffEntry{} })
	if d := e.until.Sub(now); d > 0 {
		return d
	}
	if now.Sub(e.until) >= b.mem {
		e.failures = 0
	}
	e.prev = e.until
	e.failures++
	e.until = now.Add(b.delay(e.failures))
	return 0
}

// fail records that the attempt take counted failed at now: the wait
// runs from now.
func (b *backoff) fail(key string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.m.getOrAdd(key, func() *backoffEntry { return &backoffEntry{failures: 1} })
	if t := now.Add(b.delay(e.failures)); t.After(e.until) {
		e.until = t
	}
}

// undo takes back the attempt take counted last, which was never checked.
func (b *backoff) undo(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e, ok := b.m.peek(key); ok && e.failures > 0 {
		e.failures--
		e.until = e.prev
	}
}

// reset forgets key.
func (b *backoff) reset(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m.remove(key)
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

// pairKey is the key of an account (normalised email) and a remote
// address; no address key contains "|".
func pairKey(email, remote string) string { return addrKey(remote) + "|" + email }

// limitAddr counts a login attempt from remote; an empty remote (a local
// caller such as the CLI) is not limited.
func (s *Service) limitAddr(remote string, now time.Time) error {
	if remote == "" {
		return nil
	}
	if d := s.addrLimit.take(addrKey(remote), now); d > 0 {
		return retryLater(ErrRateLimited, "too many sign-in attempts from this address", d)
	}
	return nil
}

// limitSignUp counts a sign-up from remote; an empty remote is not
// limited.
func (s *Service) limitSignUp(remote string, now time.Time) error {
	if remote == "" {
		return nil
	}
	if d := s.signUpLimit.take(addrKey(remote), now); d > 0 {
		return retryLater(ErrRateLimited, "too many sign-ups from this address", d)
	}
	return nil
}

// takePassword counts a password attempt for the account (normalised
// email) from remote, or refuses it while the pair must wait.
func (s *Service) takePassword(pair string, now time.Time) error {
	if d := s.pairLimit.take(pair, now); d > 0 {
		return retryLater(ErrRateLimited, "too many failed sign-ins for this account from this address", d)
	}
	return nil
}

// limitAccount refuses second-factor codes for an account (by normalised
// email) that failed too many lately.
func (s *Service) limitAccount(email string, now time.Time) error {
	if d := s.accountLimit.wait(email, now); d > 0 {
		return retryLater(ErrRateLimited, "too many wrong two-factor codes for this account", d)
	}
	return nil
}

func (s *Service) failAccount(email string, now time.Time) { s.accountLimit.add(email, now) }

func (s *Service) resetAccount(email string) { s.accountLimit.reset(email) }
