package sync

import (
	"context"
	"slices"
	gosync "sync"
	"time"
)

// maxLookupIDs bounds the ticket ids one coalesced lookup asks for; it
// is purchase.MaxTicketsByID, the most a purchase store answers at once
// (package sync does not import purchase).
const maxLookupIDs = 1000

// lookupTimeout bounds one coalesced lookup.
const lookupTimeout = 30 * time.Second

// ticketLookups coalesces the hub's ticket lookups (sortUpload). Every
// upload reads the tickets it names, and 500 gates at 1,000 check-ins a
// second would otherwise ask the store 1,000 times a second, each call a
// round trip and, on PostgreSQL, a pooled connection of its own. Instead,
// at most one lookup runs at a time; the uploads that arrive while it
// runs join the next, which asks for all their tickets in one call (up
// to maxLookupIDs ids; more start another) as soon as the running one
// ends. An idle hub's lookup starts at once, so it waits for nothing; a
// busy one's lookups grow with the load instead of queueing one by one.
type ticketLookups struct {
	mu      gosync.Mutex
	running bool
	queued  []*lookupRound // rounds not started yet, in order
}

// lookupRound is one call of the store's IssuedTickets for the ids of
// every upload that joined it.
type lookupRound struct {
	ids  []string
	done chan struct{} // closed when got and err are set
	got  map[string]IssuedTicket
	err  error
}

// lookup returns the tickets among ids that src issued, by id, in a
// round shared with the uploads of other gates; the map may hold other
// uploads' tickets too.
func (l *ticketLookups) lookup(ctx context.Context, src TicketLookup, ids []string) (map[string]IssuedTicket, error) {
	if len(ids) > maxLookupIDs { // more than an upload holds (MaxBatch)
		return src.IssuedTickets(ctx, ids)
	}
	l.mu.Lock()
	var r *lookupRound
	if n := len(l.queued); n > 0 && len(l.queued[n-1].ids)+len(ids) <= maxLookupIDs {
		r = l.queued[n-1]
	} else {
		r = &lookupRound{done: make(chan struct{})}
		l.queued = append(l.queued, r)
	}
	r.ids = append(r.ids, ids...)
	if !l.running {
		l.running = true
		go l.run(src)
	}
	l.mu.Unlock()
	select {
	case <-r.done:
		return r.got, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// run starts the queued rounds one after another until none is left.
func (l *ticketLookups) run(src TicketLookup) {
	for {
		l.mu.Lock()
		if len(l.queued) == 0 {
			l.running = false
			l.mu.Unlock()
			return
		}
		r := l.queued[0]
		l.queued = slices.Delete(l.queued, 0, 1)
		l.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
		r.got, r.err = src.IssuedTickets(ctx, slices.Compact(slices.Sorted(slices.Values(r.ids))))
		cancel()
		close(r.done)
	}
}
