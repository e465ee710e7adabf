package httpapi

import (
	"cmp"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/services"
	"github.com/admitone/admitone/search"
	"github.com/admitone/admitone/storage"
	"github.com/admitone/admitone/storage/postgres/pgtest"
)

// eventPageReaders is how many clients read the event page at once
// (issue 12, acceptance 6).
const eventPageReaders = 200

// BenchmarkEventPage200 measures GET /v1/events/{id} of one published
// event with eventPageReaders concurrent clients on loopback, the
// server in process with the services wired as syncserver wires them.
// b.N requests are shared among the clients; it reports p50, p99 and
// requests/s. BENCHMARKS.md has the command and the figures.
func BenchmarkEventPage200(b *testing.B) {
	b.Run("bolt", func(b *testing.B) { benchEventPage(b, "") })
	b.Run("postgres", func(b *testing.B) { benchEventPage(b, pgtest.FreshSchema(b)) })
}

// benchServices opens storage (PostgreSQL at dsn, else bbolt in a
// temporary directory) and wires the services over it as syncserver
// does, all closed when b ends.
func benchServices(b *testing.B, dsn string) (*services.Services, *storage.Backend) {
	st, err := storage.Open(b.Context(), dsn, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	idx, err := search.New()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { idx.Close() })
	var key ticketcrypto.SealKey
	rand.Read(key[:])
	svc := services.New(services.Config{
		Stores:  services.Stores{Accounts: st.Accounts, Catalog: st.Catalog, Purchases: st.Purchases, Secrets: st.Secrets, Sync: st.Sync},
		SealKey: &key, Index: idx, Issuer: "AdmitOne Bench",
	})
	b.Cleanup(svc.Hub.Shutdown)
	return svc, st
}

func benchEventPage(b *testing.B, dsn string) {
	ctx := b.Context()
	svc, _ := benchServices(b, dsn)
	org, err := svc.Catalog.CreateOrg(ctx, catalog.Organization{Name: "Bench GmbH"})
	if err != nil {
		b.Fatal(err)
	}
	venue, err := svc.Catalog.CreateVenue(ctx, catalog.Venue{OrgID: org.ID, Name: "Tempodrom", City: "Berlin", Country: "DE", Lat: 52.5, Lon: 13.38})
	if err != nil {
		b.Fatal(err)
	}
	starts := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
	ev, err := svc.Catalog.CreateEvent(ctx, catalog.Event{OrgID: org.ID, VenueID: venue.ID, Title: "Nachtmusik", Category: "music",
		TimeZone: "Europe/Berlin", StartsAt: starts, EndsAt: starts.Add(3 * time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"Standing", "Seated", "Pit"} {
		if _, err := svc.Catalog.CreateTicketType(ctx, catalog.TicketType{EventID: ev.ID, Name: name,
			Price: catalog.Money{Amount: 2500, Currency: "EUR"}, Capacity: 1000, PerOrderMax: 4}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := svc.Catalog.Publish(ctx, ev.ID); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(New(svc).Handler())
	b.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: eventPageReaders, MaxConnsPerHost: eventPageReaders}}
	b.Cleanup(client.CloseIdleConnections)
	url := srv.URL + "/v1/events/" + ev.ID

	get := func() error {
		res, err := client.Get(url)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if _, err := io.Copy(io.Discard, res.Body); err != nil {
			return err
		}
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: status %d", url, res.StatusCode)
		}
		return nil
	}
	if err := get(); err != nil { // warm: the connection pool and the page cache
		b.Fatal(err)
	}

	var (
		mu    sync.Mutex
		lat   = make([]time.Duration, 0, b.N)
		wg    sync.WaitGroup
		next  = make(chan struct{}, eventPageReaders)
		first error
	)
	b.ResetTimer()
	start := time.Now()
	for range eventPageReaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for range next {
				t0 := time.Now()
				err := get()
				mine = append(mine, time.Since(t0))
				if err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	for range b.N {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if first != nil {
		b.Fatal(first)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}
