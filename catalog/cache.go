package catalog

import (
	"hash/maphash"
	"slices"
	"sync"
	"time"
)

// DefaultCacheSize is the number of events a Cache made by the Service
// itself holds pages and availability for.
const DefaultCacheSize = 10_000

// stripes is the number of invalidation counters; a load is cached only if
// no invalidation hit its stripe while it ran.
const stripes = 256

// Cache is a bounded, least-recently-used cache of event pages and
// availability, keyed by event id. It is safe for concurrent use.
//
// A read-through load races with writes: a reader may load the old state,
// a writer commit and invalidate, and the reader then store what it read.
// Cache closes that window with invalidation counters: a reader takes a
// ticket before loading and Put stores only if no invalidation of the same
// stripe of ids happened since.
type Cache struct {
	seed  maphash.Seed
	mu    sync.Mutex
	gens  [stripes]uint64
	pages lru[pageEntry]
	avail lru[Availability]
}

type pageEntry struct {
	page    EventPage
	expires time.Time
}

// NewCache returns a cache that holds at most size event pages and size
// availability records (size < 1 means DefaultCacheSize).
func NewCache(size int) *Cache {
	if size < 1 {
		size = DefaultCacheSize
	}
	c := &Cache{seed: maphash.MakeSeed()}
	c.pages.init(size)
	c.avail.init(size)
	return c
}

func (c *Cache) stripe(id string) int { return int(maphash.String(c.seed, id) % stripes) }

// ticket returns the invalidation counter a load of id must see unchanged
// for its result to be cached.
func (c *Cache) ticket(id string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gens[c.stripe(id)]
}

// Invalidate drops everything cached for the event id.
func (c *Cache) Invalidate(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gens[c.stripe(id)]++
	c.pages.remove(id)
	c.avail.remove(id)
}

// InvalidateAll drops everything cached, of every event (after changes
// that went untold, e.g. while the channel that tells of other processes'
// changes was down).
func (c *Cache) InvalidateAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.gens {
		c.gens[i]++
	}
	c.pages.init(c.pages.max)
	c.avail.init(c.avail.max)
}

// InvalidateAvailability drops the cached availability of the event id and
// keeps its page.
func (c *Cache) InvalidateAvailability(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gens[c.stripe(id)]++
	c.avail.remove(id)
}

// Len returns the number of cached pages and availability records.
func (c *Cache) Len() (pages, availability int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pages.items), len(c.avail.items)
}

func (c *Cache) page(id string, now time.Time) (EventPage, bool) {
	c.mu.Lock()
	e, ok := c.pages.get(id)
	c.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		return EventPage{}, false
	}
	return e.page.clone(), true
}

func (c *Cache) putPage(id string, ticket uint64, p EventPage, expires time.Time) {
	p = p.clone()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gens[c.stripe(id)] == ticket {
		c.pages.put(id, pageEntry{p, expires})
	}
}

func (c *Cache) availability(id string, now time.Time) (Availability, bool) {
	c.mu.Lock()
	a, ok := c.avail.get(id)
	c.mu.Unlock()
	if !ok || !now.Before(a.Expires) {
		return Availability{}, false
	}
	a.TicketTypes = slices.Clone(a.TicketTypes)
	return a, true
}

func (c *Cache) putAvailability(id string, ticket uint64, a Availability) {
	a.TicketTypes = slices.Clone(a.TicketTypes)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gens[c.stripe(id)] == ticket {
		c.avail.put(id, a)
	}
}

// clone copies the slices of p, so a caller may change what it got without
// changing what the cache holds.
func (p EventPage) clone() EventPage {
	p.Event.Tags = slices.Clone(p.Event.Tags)
	p.Event.Images = slices.Clone(p.Event.Images)
	p.TicketTypes = slices.Clone(p.TicketTypes)
	return p
}

// lru is a map with a size limit that evicts the least recently used
// entry. The caller locks.
type lru[V any] struct {
	max   int
	items map[string]*node[V]
	head  node[V] // sentinel: head.next is the most recently used
}

type node[V any] struct {
	key        string
	val        V
	prev, next *node[V]
}

func (l *lru[V]) init(max int) {
	l.max = max
	l.items = make(map[string]*node[V])
	l.head.next, l.head.prev = &l.head, &l.head
}

func (l *lru[V]) get(key string) (V, bool) {
	n, ok := l.items[key]
	if !ok {
		var zero V
		return zero, false
	}
	l.unlink(n)
	l.pushFront(n)
	return n.val, true
}

func (l *lru[V]) put(key string, val V) {
	if n, ok := l.items[key]; ok {
		n.val = val
		l.unlink(n)
		l.pushFront(n)
		return
	}
	if len(l.items) >= l.max {
		oldest := l.head.prev
		l.unlink(oldest)
		delete(l.items, oldest.key)
	}
	n := &node[V]{key: key, val: val}
	l.items[key] = n
	l.pushFront(n)
}

func (l *lru[V]) remove(key string) {
	if n, ok := l.items[key]; ok {
		l.unlink(n)
		delete(l.items, key)
	}
}

func (l *lru[V]) unlink(n *node[V]) {
	n.prev.next = n.next
	n.next.prev = n.prev
	n.prev, n.next = nil, nil
}

func (l *lru[V]) pushFront(n *node[V]) {
	n.prev = &l.head
	n.next = l.head.next
	l.head.next.prev = n
	l.head.next = n
}
