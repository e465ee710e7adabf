package catalog_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/storage/bolt"
)

// benchPageEvents is how many published events the page benchmarks read,
// uniformly at random; all fit in the default cache.
const benchPageEvents = 2_000

// The bolt store for the page benchmarks is filled once per process.
var pageBench struct {
	once  sync.Once
	dir   string
	store *bolt.DB
	ids   []string
	err   error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pageBench.store != nil {
		pageBench.store.Close()
	}
	if pageBench.dir != "" {
		os.RemoveAll(pageBench.dir)
	}
	os.Exit(code)
}

func pageStore(b *testing.B) (*bolt.DB, []string) {
	b.Helper()
	pageBench.once.Do(func() {
		ctx := context.Background()
		if pageBench.dir, pageBench.err = os.MkdirTemp("", "admitone-catalog-bench-"); pageBench.err != nil {
			return
		}
		if pageBench.store, pageBench.err = bolt.Open(pageBench.dir); pageBench.err != nil {
			return
		}
		svc := &catalog.Service{Store: pageBench.store, Now: func() time.Time { return t0 }, NoCache: true}
		org, err := svc.CreateOrg(ctx, catalog.Organization{Name: "Bench"})
		if err != nil {
			pageBench.err = err
			return
		}
		venue, err := svc.CreateVenue(ctx, validVenue(org.ID))
		if err != nil {
			pageBench.err = err
			return
		}
		for i := range benchPageEvents {
			e, err := svc.CreateEvent(ctx, catalog.Event{
				OrgID: org.ID, VenueID: venue.ID, Title: fmt.Sprintf("Event %d", i),
				Description: "An evening of music, comedy and surprises. " + fmt.Sprint(i),
				Category:    "music", Tags: []string{"live", "evening"},
				Images:   []string{"https://img.example.com/a.jpg"},
				TimeZone: "Europe/Berlin", StartsAt: t0.Add(time.Duration(i+1) * time.Hour),
				EndsAt: t0.Add(time.Duration(i+4) * time.Hour),
			})
			if err != nil {
				pageBench.err = err
				return
			}
			for _, name := range []string{"Standing", "Seated"} {
				tt := validTicketType(e.ID)
				tt.Name = name
				if _, err := svc.CreateTicketType(ctx, tt); err != nil {
					pageBench.err = err
					return
				}
			}
			if _, err := svc.Publish(ctx, e.ID); err != nil {
				pageBench.err = err
				return
			}
			pageBench.ids = append(pageBench.ids, e.ID)
		}
	})
	if pageBench.err != nil {
		b.Fatal(pageBench.err)
	}
	return pageBench.store, pageBench.ids
}

// benchmarkEventPage reads random event pages from all cores and reports
// reads per second.
func benchmarkEventPage(b *testing.B, noCache bool) {
	store, ids := pageStore(b)
	svc := &catalog.Service{Store: store, NoCache: noCache}
	ctx := context.Background()
	for _, id := range ids { // warm the cache (a no-op without it)
		if _, err := svc.EventPage(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
	var seed atomic.Uint64
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		// A cheap per-goroutine xorshift: math/rand would contend.
		x := seed.Add(0x9e3779b97f4a7c15) | 1
		for pb.Next() {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			p, err := svc.EventPage(ctx, ids[x%uint64(len(ids))])
			if err != nil || len(p.TicketTypes) != 2 {
				b.Errorf("EventPage: %d types, %v", len(p.TicketTypes), err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reads/s")
}

// BenchmarkEventPageCached reads event pages through the cache (every read
// a hit after the warm-up).
func BenchmarkEventPageCached(b *testing.B) { benchmarkEventPage(b, false) }

// BenchmarkEventPageUncached reads event pages from bolt every time: three
// read transactions and JSON decoding per page.
func BenchmarkEventPageUncached(b *testing.B) { benchmarkEventPage(b, true) }
