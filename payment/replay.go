package payment

import (
	"fmt"
	"sync"
	"time"
)

// ReplayGuard remembers the ids of accepted webhook events, so that a
// captured request sent again is refused. ParseWebhook consults it only
// after the signature and timestamp verified, so only the provider can
// add ids. Implement it on the store to share it between server
// instances.
type ReplayGuard interface {
	// Seen records id as seen at now and reports whether it was already
	// recorded.
	Seen(id string, now time.Time) (bool, error)
	// Forget removes id, so that the next delivery of the event is
	// accepted: call it when processing an accepted event failed and the
	// provider is told to retry.
	Forget(id string) error
}

// Defaults of SeenSet as NewStripe makes it.
const (
	// DefaultSeenTTL covers Stripe's duplicate deliveries, which come
	// within hours, and is far above the 2×tolerance that stopping
	// replays needs.
	DefaultSeenTTL = 24 * time.Hour
	// DefaultSeenMax bounds the memory to a few MiB.
	DefaultSeenMax = 100_000
)

// SeenSet is an in-memory ReplayGuard: a set of event ids, each
// forgotten ttl after it was recorded, holding at most limit ids (the
// oldest go first). It is safe for concurrent use.
type SeenSet struct {
	ttl   time.Duration
	limit int

	mu    sync.Mutex
	until map[string]time.Time // id -> expiry
	order []seenEntry          // insertion order; may hold stale entries
}

type seenEntry struct {
	id    string
	until time.Time
}

var _ ReplayGuard = (*SeenSet)(nil)

// NewSeenSet returns an empty SeenSet. The ttl must be positive and limit
// at least 1.
func NewSeenSet(ttl time.Duration, limit int) (*SeenSet, error) {
	if ttl <= 0 || limit < 1 {
		return nil, fmt.Errorf("seen set: ttl must be positive and limit at least 1 (got %v, %d): %w", ttl, limit, ErrInvalid)
	}
	return &SeenSet{ttl: ttl, limit: limit, until: make(map[string]time.Time)}, nil
}

// Seen records id as seen at now and reports whether it was recorded
// before and has not expired.
func (s *SeenSet) Seen(id string, now time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	if until, ok := s.until[id]; ok && now.Before(until) {
		return true, nil
	}
	until := now.Add(s.ttl)
	s.until[id] = until
	s.order = append(s.order, seenEntry{id, until})
	for len(s.until) > s.limit && len(s.order) > 0 {
		s.pop()
	}
	if len(s.order) > 2*s.limit {
		s.compact()
	}
	return false, nil
}

// Forget removes id.
func (s *SeenSet) Forget(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.until, id)
	return nil
}

// Len returns how many ids the set holds, expired ones included until
// the next Seen.
func (s *SeenSet) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.until)
}

// expire drops the entries at the front that expired by now. Entries are
// appended with now+ttl, so with a clock that does not run backwards
// the front is the oldest.
func (s *SeenSet) expire(now time.Time) {
	for len(s.order) > 0 && !now.Before(s.order[0].until) {
		s.pop()
	}
}

// pop removes the oldest entry, and its id unless the id was recorded
// again (or forgotten) since.
func (s *SeenSet) pop() {
	e := s.order[0]
	s.order[0] = seenEntry{}
	s.order = s.order[1:]
	if until, ok := s.until[e.id]; ok && until.Equal(e.until) {
		delete(s.until, e.id)
	}
}

// compact drops the stale entries left in order by Forget and
// re-recording.
func (s *SeenSet) compact() {
	live := make([]seenEntry, 0, len(s.until))
	for _, e := range s.order {
		if until, ok := s.until[e.id]; ok && until.Equal(e.until) {
			live = append(live, e)
		}
	}
	s.order = live
}
