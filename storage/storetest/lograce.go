package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	gosync "sync"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// LogRace is what RunLogRace drives: the stores of one process, and
// what the backend adds beside them.
type LogRace struct {
	Catalog  catalog.Store
	Purchase purchase.Store
	Sync     ticketsync.Store
	// Writers is how many LogWriter goroutines this process runs.
	Writers int
	// Beside, if set, runs while this process's writers do, with the
	// race's fixture: more writers the backend has (another process, a
	// transaction held open, one that aborts). It returns the entries it
	// committed, as LogWriter does, once they are committed.
	Beside func(ctx context.Context, f LogFixture) ([]LogEntry, error)
}

// LogFixture is the event, ticket type and gate the writers use; Beside
// passes it to other processes.
type LogFixture struct {
	EventID, TicketTypeID string
	Gate                  ticketsync.Gate
}

// LogEntry is one entry a writer committed, in the order it committed
// the entries of one ticket.
type LogEntry struct {
	Kind     changelog.Kind
	TicketID string
}

// LogWriterRounds is how many purchases one LogWriter makes.
const LogWriterRounds = 12

// logReaders is how many readers resume from random cursors.
const logReaders = 20

// RunLogRace checks the change log's promise to gates with several
// writers appending to one event's log at once (issues, revocations and
// check-ins, through the stores' own methods) while logReaders readers
// resume from random cursors of what they have seen, over and over:
// every read continues exactly where the cursor was (the next seq, no
// gap), an entry read twice is the same entry, and at the end every
// reader's view equals the final log, which holds each committed entry
// once, in an order where the entries of one ticket follow their
// writer's order.
func RunLogRace(t *testing.T, r LogRace) {
	ctx := t.Context()
	sh := newShop(t, r.Catalog, 100_000)
	g := createGate(t, r.Sync, newGate(sh.event.ID, "Race gate", when(0)))
	f := LogFixture{EventID: sh.event.ID, TicketTypeID: sh.types[0].ID, Gate: g}

	writeCtx, stopWriters := context.WithCancel(ctx)
	defer stopWriters()
	var (
		mu        gosync.Mutex
		committed []LogEntry
		errs      []error
		wg        gosync.WaitGroup
	)
	done := func(es []LogEntry, err error) {
		mu.Lock()
		defer mu.Unlock()
		committed = append(committed, es...)
		if err != nil {
			errs = append(errs, err)
			stopWriters()
		}
	}
	for w := range r.Writers {
		wg.Go(func() { done(LogWriter(writeCtx, r.Purchase, r.Sync, f, fmt.Sprintf("w%d", w), LogWriterRounds)) })
	}
	if r.Beside != nil {
		wg.Go(func() { done(r.Beside(writeCtx, f)) })
	}
	writing := make(chan struct{})
	go func() { wg.Wait(); close(writing) }()

	views := make([][]changelog.Change, logReaders)
	readErrs := make(chan error, logReaders)
	var rg gosync.WaitGroup
	for i := range logReaders {
		rg.Go(func() { views[i], _ = readLog(ctx, r.Purchase, f.EventID, writing, readErrs) })
	}
	rg.Wait()
	close(readErrs)
	for err := range readErrs {
		t.Error(err)
	}
	for _, err := range errs {
		t.Errorf("writer: %v", err)
	}
	if t.Failed() {
		return
	}

	final := readAll(t, r.Purchase, f.EventID)
	for i, c := range final {
		if c.Seq != int64(i+1) {
			t.Fatalf("final log: entry %d has seq %d", i, c.Seq)
		}
	}
	// Each committed entry once, and the entries of a ticket in their
	// writer's order.
	type key struct {
		kind   changelog.Kind
		ticket string
	}
	inLog := make(map[key]int)
	perTicket := make(map[string][]changelog.Kind)
	for _, c := range final {
		inLog[key{c.Kind, c.TicketID}]++
		perTicket[c.TicketID] = append(perTicket[c.TicketID], c.Kind)
	}
	wantPerTicket := make(map[string][]changelog.Kind)
	want := make(map[key]int)
	for _, e := range committed {
		want[key{e.Kind, e.TicketID}]++
		wantPerTicket[e.TicketID] = append(wantPerTicket[e.TicketID], e.Kind)
	}
	equal(t, "entries in the final log (kind, ticket) -> count", inLog, want)
	for tk, kinds := range wantPerTicket {
		if !slices.Equal(perTicket[tk], kinds) {
			t.Errorf("ticket %s: log order %v, written %v", tk, perTicket[tk], kinds)
		}
	}
	for i, v := range views {
		if len(v) != len(final) {
			t.Errorf("reader %d saw %d entries, the log has %d", i, len(v), len(final))
			continue
		}
		for j := range v {
			if v[j] != final[j] {
				t.Errorf("reader %d: entry %d is %+v, the log has %+v", i, j+1, v[j], final[j])
				break
			}
		}
	}
	// Each round logs two issues and a check-in, every third two
	// revocations more.
	if min := r.Writers * (3*LogWriterRounds + 2*(LogWriterRounds/3)); len(final) < min {
		t.Errorf("final log has %d entries, want at least %d", len(final), min)
	}
}

// LogWriter makes rounds purchases of two tickets on f's event, buyer
// names from name: each is paid (two issues), one of its tickets checks
// in at f's gate (a check-in), and every third is refunded (two
// revocations). It returns the entries it committed.
func LogWriter(ctx context.Context, p purchase.Store, s ticketsync.Store, f LogFixture, name string, rounds int) ([]LogEntry, error) {
	sh := shop{event: catalog.Event{ID: f.EventID}, types: []catalog.TicketType{{ID: f.TicketTypeID, Capacity: 100_000, PerOrderMax: 6, Number: 1}}}
	var out []LogEntry
	for i := range rounds {
		h := sh.hold(0, 2)
		h.BuyerID = fmt.Sprintf("usr_%s%0*d", name, 24-len(name), i)
		if err := p.Reserve(ctx, h, sh.limits(0)); err != nil {
			return out, fmt.Errorf("%s: reserve: %w", name, err)
		}
		o := sh.order(h)
		if err := p.CreateOrder(ctx, o); err != nil {
			return out, fmt.Errorf("%s: order: %w", name, err)
		}
		tickets := ticketsFor(sh, o, 2, when(0))
		if _, err := p.MarkPaid(ctx, o.ID, "pi_"+o.ID, when(0), tickets); err != nil {
			return out, fmt.Errorf("%s: pay: %w", name, err)
		}
		for _, tk := range tickets {
			out = append(out, LogEntry{changelog.KindIssue, tk.ID})
		}
		c := checkin(f.Gate, tickets[0].ID, when(0).Add(time.Hour))
		res, err := s.RecordCheckins(ctx, f.Gate, []changelog.Checkin{c}, when(0).Add(time.Hour))
		if err != nil || res.New != 1 {
			return out, fmt.Errorf("%s: check-in: %d new, %v", name, res.New, err)
		}
		out = append(out, LogEntry{changelog.KindCheckin, tickets[0].ID})
		if i%3 == 2 {
			if _, err := p.Refund(ctx, o.ID, when(0).Add(2*time.Hour)); err != nil {
				return out, fmt.Errorf("%s: refund: %w", name, err)
			}
			for _, tk := range tickets {
				out = append(out, LogEntry{changelog.KindRevoke, tk.ID})
			}
		}
	}
	return out, nil
}

// readLog is one reader: it reads on from its cursor in small pages and,
// now and then, resumes from a random cursor among the entries it has,
// checking that every page continues at the next seq and repeats what
// it saw identically. Once writing is closed it reads to the end and
// returns its view.
func readLog(ctx context.Context, p purchase.Store, eventID string, writing <-chan struct{}, errs chan<- error) ([]changelog.Change, error) {
	var view []changelog.Change
	cursor := int64(0)
	last := false
	for {
		select {
		case <-writing:
			last = true
		default:
		}
		for {
			page, err := p.Changes(ctx, eventID, cursor, 1+rand.IntN(40))
			if err != nil {
				errs <- fmt.Errorf("reader: Changes after %d: %v", cursor, err)
				return view, err
			}
			if len(page) == 0 {
				break
			}
			for _, c := range page {
				if c.Seq != cursor+1 {
					err := fmt.Errorf("reader: after %d came seq %d", cursor, c.Seq)
					errs <- err
					return view, err
				}
				if c.Seq <= int64(len(view)) {
					if view[c.Seq-1] != c {
						err := fmt.Errorf("reader: seq %d read again as %+v, first %+v", c.Seq, c, view[c.Seq-1])
						errs <- err
						return view, err
					}
				} else {
					view = append(view, c)
				}
				cursor = c.Seq
			}
		}
		if last {
			return view, nil
		}
		// A gate reconnecting resumes from the cursor it last stored,
		// which may be behind what it had read.
		if len(view) > 0 && rand.IntN(3) == 0 {
			cursor = rand.Int64N(int64(len(view)) + 1)
		}
		time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
	}
}

// readAll reads an event's whole log.
func readAll(t *testing.T, p purchase.Store, eventID string) []changelog.Change {
	t.Helper()
	var out []changelog.Change
	for {
		page, err := p.Changes(t.Context(), eventID, int64(len(out)), changelog.MaxChanges)
		must(t, "Changes", err)
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
	}
}
