package catalog_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
)

func TestEventPageReadThrough(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	e := f.publishedEvent(t)

	p1, err := f.svc.EventPage(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p1.Event.ID != e.ID || p1.Venue.ID != f.venue.ID || len(p1.TicketTypes) != 1 {
		t.Fatalf("page = %+v", p1)
	}
	reads := f.store.Reads()
	for range 3 {
		if _, err := f.svc.EventPage(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.store.Reads(); got != reads {
		t.Errorf("cached reads went to the store: %d reads, want %d", got, reads)
	}

	// A page expires after PageTTL, so other instances' changes show.
	f.clock.Advance(catalog.DefaultPageTTL)
	if _, err := f.svc.EventPage(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.store.Reads(); got != reads+1 {
		t.Errorf("after the TTL: %d store reads, want 1", got-reads)
	}

	// A caller changing its copy does not change the cache.
	p1.Event.Tags[0] = "changed"
	p1.TicketTypes[0].Name = "changed"
	p2, _ := f.svc.EventPage(ctx, e.ID)
	if p2.Event.Tags[0] == "changed" || p2.TicketTypes[0].Name == "changed" {
		t.Error("changing a returned page changed the cached page")
	}
}

func TestCacheInvalidatedOnChange(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	e := f.createEvent(t)
	f.addType(t, e.ID)

	steps := []struct {
		name   string
		change func() error
		check  func(p catalog.EventPage) error
	}{
		{"update", func() error {
			title := "Metallica, second night"
			_, err := f.svc.UpdateEvent(ctx, e.ID, catalog.EventPatch{Title: &title})
			return err
		}, func(p catalog.EventPage) error {
			if p.Event.Title != "Metallica, second night" {
				return fmt.Errorf("title %q", p.Event.Title)
			}
			return nil
		}},
		{"new ticket type", func() error {
			_, err := f.svc.CreateTicketType(ctx, validTicketType(e.ID))
			return err
		}, func(p catalog.EventPage) error {
			if len(p.TicketTypes) != 2 {
				return fmt.Errorf("%d ticket types", len(p.TicketTypes))
			}
			return nil
		}},
		{"publish", func() error {
			_, err := f.svc.Publish(ctx, e.ID)
			return err
		}, func(p catalog.EventPage) error {
			if p.Event.Status != catalog.StatusPublished {
				return fmt.Errorf("status %s", p.Event.Status)
			}
			return nil
		}},
		{"cancel", func() error {
			_, err := f.svc.Cancel(ctx, e.ID)
			return err
		}, func(p catalog.EventPage) error {
			if p.Event.Status != catalog.StatusCancelled {
				return fmt.Errorf("status %s", p.Event.Status)
			}
			return nil
		}},
	}
	for _, s := range steps {
		// Warm the cache, change, read again.
		if _, err := f.svc.EventPage(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.change(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		p, err := f.svc.EventPage(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.check(p); err != nil {
			t.Errorf("read after %s is stale: %v", s.name, err)
		}
	}
}

func TestNoCache(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	e := f.createEvent(t)
	f.svc.NoCache = true
	before := f.store.Reads()
	for range 3 {
		if _, err := f.svc.EventPage(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.store.Reads() - before; got != 3 {
		t.Errorf("NoCache: %d store reads for 3 page reads, want 3", got)
	}
	if pages, _ := f.svc.Cache.Len(); pages != 0 {
		t.Errorf("NoCache: %d pages cached", pages)
	}
}

func TestCacheBounded(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.svc.Cache = catalog.NewCache(3)
	var ids []string
	for range 5 {
		ids = append(ids, f.createEvent(t).ID)
	}
	for _, id := range ids {
		if _, err := f.svc.EventPage(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if pages, _ := f.svc.Cache.Len(); pages != 3 {
		t.Fatalf("%d pages cached, want 3", pages)
	}
	// The three most recent are cached; the first was evicted.
	before := f.store.Reads()
	for _, id := range ids[2:] {
		f.svc.EventPage(ctx, id)
	}
	if got := f.store.Reads(); got != before {
		t.Errorf("recent pages were not cached (%d store reads)", got-before)
	}
	f.svc.EventPage(ctx, ids[0])
	if got := f.store.Reads(); got != before+1 {
		t.Errorf("evicted page: %d store reads, want 1", got-before)
	}
}

// fakeInventory reports taken counts set by the test.
type fakeInventory struct {
	mu    sync.Mutex
	taken map[string]int
	calls int
}

func (i *fakeInventory) Taken(ctx context.Context, eventID string) (map[string]int, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.calls++
	out := make(map[string]int, len(i.taken))
	for k, v := range i.taken {
		out[k] = v
	}
	return out, nil
}

func (i *fakeInventory) set(id string, n int) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.taken[id] = n
}

func TestAvailability(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	inv := &fakeInventory{taken: map[string]int{}}
	f.svc.Inventory = inv
	e := f.createEvent(t)
	tt := f.addType(t, e.ID)
	later := validTicketType(e.ID)
	later.SaleStarts = t0.Add(24 * time.Hour)
	later.Capacity = 10
	tt2, err := f.svc.CreateTicketType(ctx, later)
	if err != nil {
		t.Fatal(err)
	}

	a, err := f.svc.Availability(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.TicketTypes) != 2 || a.TicketTypes[0].OnSale || a.TicketTypes[0].Remaining != tt.Capacity {
		t.Fatalf("draft: availability %+v", a)
	}
	if _, err := f.svc.Publish(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	inv.set(tt.ID, 100)
	inv.set(tt2.ID, 12) // more than capacity: held and sold overlap
	a, _ = f.svc.Availability(ctx, e.ID)
	want := []catalog.TypeAvailability{
		{TicketTypeID: tt.ID, Remaining: tt.Capacity - 100, OnSale: true},
		{TicketTypeID: tt2.ID, Remaining: 0, OnSale: false},
	}
	if fmt.Sprint(a.TicketTypes) != fmt.Sprint(want) {
		t.Errorf("published: availability %+v, want %+v", a.TicketTypes, want)
	}

	// Cached until invalidated or expired.
	calls := inv.calls
	inv.set(tt.ID, 200)
	a, _ = f.svc.Availability(ctx, e.ID)
	if inv.calls != calls || a.TicketTypes[0].Remaining != tt.Capacity-100 {
		t.Errorf("availability not served from the cache")
	}
	f.svc.InvalidateAvailability(e.ID)
	a, _ = f.svc.Availability(ctx, e.ID)
	if a.TicketTypes[0].Remaining != tt.Capacity-200 {
		t.Errorf("after invalidation: remaining %d, want %d", a.TicketTypes[0].Remaining, tt.Capacity-200)
	}
	inv.set(tt.ID, 300)
	f.clock.Advance(catalog.DefaultAvailabilityTTL)
	a, _ = f.svc.Availability(ctx, e.ID)
	if a.TicketTypes[0].Remaining != tt.Capacity-300 {
		t.Errorf("after the TTL: remaining %d, want %d", a.TicketTypes[0].Remaining, tt.Capacity-300)
	}
	f.clock.Advance(24 * time.Hour)
	a, _ = f.svc.Availability(ctx, e.ID)
	if !a.TicketTypes[1].OnSale {
		t.Errorf("after the sale start: %+v", a.TicketTypes[1])
	}
}

// TestCacheConcurrentReadsAndWrites runs page reads against updates (run
// it with -race); when the writers are done, a read sees the last write.
func TestCacheConcurrentReadsAndWrites(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	e := f.publishedEvent(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := f.svc.EventPage(ctx, e.ID); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var writers sync.WaitGroup
	for w := range 2 {
		writers.Go(func() {
			for i := range 50 {
				title := fmt.Sprintf("Metallica %d-%d", w, i)
				if _, err := f.svc.UpdateEvent(ctx, e.ID, catalog.EventPatch{Title: &title}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	wg.Wait()
	stored, _ := f.svc.Event(ctx, e.ID)
	p, _ := f.svc.EventPage(ctx, e.ID)
	if p.Event.Version != stored.Version || p.Event.Title != stored.Title {
		t.Errorf("cached page is %q v%d, store has %q v%d", p.Event.Title, p.Event.Version, stored.Title, stored.Version)
	}
}
