package httpapi

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/storage/postgres/pgtest"
	ticketsync "github.com/admitone/admitone/sync"
)

// The stats benchmark's event (issue 13, acceptance 8): statsTickets
// tickets sold in orders of statsPerOrder over 30 days, and
// statsCheckins check-ins through four gates, one exit among every 20.
const (
	statsTickets  = 100_000
	statsPerOrder = 100
	statsCheckins = 100_000
)

// BenchmarkEventStats100k measures GET /v1/events/{id}/stats, one
// request at a time on loopback, for an event with 100,000 tickets and
// 100,000 check-ins, the stores filled directly (not through the API,
// which would take minutes). It reports p50 and p99. BENCHMARKS.md has
// the command and the figures.
func BenchmarkEventStats100k(b *testing.B) {
	b.Run("bolt", func(b *testing.B) { benchEventStats(b, "") })
	b.Run("postgres", func(b *testing.B) { benchEventStats(b, pgtest.FreshSchema(b)) })
}

func benchEventStats(b *testing.B, dsn string) {
	ctx := b.Context()
	svc, st := benchServices(b, dsn)
	const password = "correct horse battery staple"
	organizer, err := svc.Accounts.SignUp(ctx, account.SignUpRequest{Email: "stats-bench@example.com", Password: password, Name: "Organizer"})
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := svc.Accounts.Login(ctx, account.LoginRequest{Email: organizer.Email, Password: password})
	if err != nil {
		b.Fatal(err)
	}
	org, err := svc.Catalog.CreateOrgFor(ctx, catalog.Organization{Name: "Bench GmbH"}, organizer.ID)
	if err != nil {
		b.Fatal(err)
	}
	venue, err := svc.Catalog.CreateVenue(ctx, catalog.Venue{OrgID: org.ID, Name: "Arena", City: "Berlin", Country: "DE", Lat: 52.5, Lon: 13.38})
	if err != nil {
		b.Fatal(err)
	}
	starts := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
	ev, err := svc.Catalog.CreateEvent(ctx, catalog.Event{OrgID: org.ID, VenueID: venue.ID, Title: "Stadionkonzert", Category: "music",
		TimeZone: "Europe/Berlin", StartsAt: starts, EndsAt: starts.Add(4 * time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	tt, err := svc.Catalog.CreateTicketType(ctx, catalog.TicketType{EventID: ev.ID, Name: "Standing",
		Price: catalog.Money{Amount: 5900, Currency: "EUR"}, Capacity: statsTickets, PerOrderMax: statsPerOrder})
	if err != nil {
		b.Fatal(err)
	}
	limits := purchase.Limits{Types: map[string]purchase.TypeLimit{tt.ID: {Capacity: statsTickets, PerOrderMax: statsPerOrder, Shared: true}}}

	// Sales: orders paid over the 30 days before now.
	t0 := time.Now().Add(-30 * 24 * time.Hour)
	ticketIDs := make([]string, 0, statsTickets)
	for n := 0; n < statsTickets/statsPerOrder; n++ {
		at := t0.Add(time.Duration(n) * 30 * 24 * time.Hour / (statsTickets / statsPerOrder))
		h := purchase.Hold{ID: id.New("hld"), BuyerID: id.New("usr"), EventID: ev.ID, CreatedAt: at, ExpiresAt: at.Add(time.Hour),
			Lines: []purchase.Line{{TicketTypeID: tt.ID, Quantity: statsPerOrder}}}
		if err := st.Purchases.Reserve(ctx, h, limits); err != nil {
			b.Fatal(err)
		}
		o := purchase.Order{ID: id.New("ord"), HoldID: h.ID, BuyerID: h.BuyerID, EventID: ev.ID, Status: purchase.StatusPendingPayment,
			Lines:     []purchase.OrderLine{{TicketTypeID: tt.ID, Quantity: statsPerOrder, UnitPrice: tt.Price}},
			Total:     catalog.Money{Amount: statsPerOrder * tt.Price.Amount, Currency: "EUR"},
			CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
		if err := st.Purchases.CreateOrder(ctx, o); err != nil {
			b.Fatal(err)
		}
		tickets := make([]purchase.Ticket, statsPerOrder)
		for i := range tickets {
			tid := ticketcrypto.NewTicketID().String()
			tickets[i] = purchase.Ticket{ID: tid, EventID: ev.ID, TicketTypeID: tt.ID, TypeNumber: tt.Number, OrderID: o.ID,
				HolderID: o.BuyerID, KeyID: "kid_0011223344556677", Status: purchase.TicketValid, IssuedAt: at}
			ticketIDs = append(ticketIDs, tid)
		}
		if _, err := st.Purchases.MarkPaid(ctx, o.ID, "pi_"+o.ID, at, tickets); err != nil {
			b.Fatal(err)
		}
	}

	// Check-ins: entries through three doors over two hours, then exits.
	var gates []ticketsync.Gate
	for i, dir := range []bundle.Direction{bundle.Entry, bundle.Entry, bundle.Entry, bundle.Exit} {
		g, _, err := svc.Enroller.CreateGate(ctx, ev.ID, ticketsync.GateSpec{Name: fmt.Sprintf("Gate %d", i), Direction: dir}, organizer.ID)
		if err != nil {
			b.Fatal(err)
		}
		gates = append(gates, g)
	}
	exits := statsCheckins / 20
	entries := statsCheckins - exits
	doors := starts.Add(-2 * time.Hour)
	const batch = ticketsync.MaxBatch
	for from := 0; from < statsCheckins; from += batch {
		var g ticketsync.Gate
		var cs []changelog.Checkin
		for i := from; i < from+batch; i++ {
			if i < entries {
				g = gates[(i/batch)%3]
			} else {
				g = gates[3]
			}
			tk := i
			if i >= entries {
				tk = i - entries
			}
			cs = append(cs, changelog.Checkin{ID: fmt.Sprintf("ci_%032x", i), EventID: ev.ID, GateID: g.ID, TicketID: ticketIDs[tk],
				TypeNumber: tt.Number, Direction: g.Direction, At: doors.Add(time.Duration(i) * 2 * time.Hour / statsCheckins)})
		}
		if _, err := st.Sync.RecordCheckins(ctx, g, cs, time.Now()); err != nil {
			b.Fatal(err)
		}
	}

	if dsn != "" {
		// What autovacuum does to a live database after such a load:
		// statistics for the planner and the visibility map that lets
		// index-only scans skip the heap.
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		_, err = conn.Exec(ctx, "VACUUM ANALYZE tickets, orders, sync_checkins, ticket_inside, conflicts")
		conn.Close(ctx)
		if err != nil {
			b.Fatal(err)
		}
	}

	srv := httptest.NewServer(New(svc).Handler())
	b.Cleanup(srv.Close)
	client := srv.Client()
	url := srv.URL + "/v1/events/" + ev.ID + "/stats"
	get := func() error {
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(req)
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
	c, err := svc.Analytics.EventStats(ctx, ev.ID)
	if err != nil {
		b.Fatal(err)
	}
	if c.TicketTypes[0].Sold != statsTickets || c.CheckedIn != entries || c.Inside != entries-exits {
		b.Fatalf("the seeded event counts sold %d, checked in %d, inside %d; want %d, %d, %d",
			c.TicketTypes[0].Sold, c.CheckedIn, c.Inside, statsTickets, entries, entries-exits)
	}
	if err := get(); err != nil { // warm: the connection and the store's pages
		b.Fatal(err)
	}
	timed := func(b *testing.B) {
		var lat []time.Duration
		for b.Loop() {
			t0 := time.Now()
			if err := get(); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond) }
		b.ReportMetric(pct(0.50), "p50-ms")
		b.ReportMetric(pct(0.99), "p99-ms")
	}
	// Before the event ends (selling, doors open): every figure but the
	// no-shows.
	b.Run("live", timed)
	// After it ends the route adds the no-shows, which compares every
	// valid ticket with the lineages entered.
	svc.Analytics.Now = func() time.Time { return ev.EndsAt.Add(time.Hour) }
	b.Cleanup(func() { svc.Analytics.Now = nil })
	ended, err := svc.Analytics.EventStats(ctx, ev.ID)
	if err != nil {
		b.Fatal(err)
	}
	if ended.NoShows == nil || *ended.NoShows != statsTickets-entries {
		b.Fatalf("after the event the route counts %v no-shows, want %d", ended.NoShows, statsTickets-entries)
	}
	b.Run("ended", timed)
}
