package httpapi

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/admitone/admitone/analytics"
	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/internal/services"
	"github.com/admitone/admitone/storage"
	ticketsync "github.com/admitone/admitone/sync"
)

// TestEventStats checks the stats route against a scenario with known
// answers on both backends: 3 tickets and a bag sold in one order, 1
// ticket sold and refunded in another, one ticket entered and left, one
// entered and inside, one never used; no-shows only once the event
// ended; the same figures after the storage is opened again.
func TestEventStats(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		f := h.shopFixture(t, h.clock.Now().Add(30*24*time.Hour))
		ctx := t.Context()
		path := "/v1/events/" + f.event.ID + "/stats"

		empty := decodeAs[analytics.EventStats](t, h.do(t, "GET", path, f.org.Token, nil), http.StatusOK)
		if len(empty.Revenue) != 0 || empty.CheckedIn != 0 || empty.NoShows != nil || len(empty.TicketTypes) != 2 || empty.TicketTypes[0].Sold != 0 {
			t.Errorf("figures of an event without sales: %+v", empty)
		}

		kept := h.order(t, f, f.buyer, 3, 1)
		paid := h.pay(t, f.buyer, kept.ID, map[string]any{"test_card": "4242424242424242"}, http.StatusOK)
		gone := h.order(t, f, f.buyer, 1, 0)
		h.pay(t, f.buyer, gone.ID, map[string]any{"test_card": "4242424242424242"}, http.StatusOK)
		h.do(t, "POST", "/v1/orders/"+gone.ID+"/refund", f.buyer.Token, map[string]any{}).want(t, http.StatusOK)

		gate := func(name string, dir bundle.Direction) ticketsync.Gate {
			g, _, err := h.api.Enroller.CreateGate(ctx, f.event.ID, ticketsync.GateSpec{Name: name, Direction: dir}, f.org.ID)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
		north, south, exit := gate("North door", bundle.Entry), gate("South door", bundle.Entry), gate("Exit", bundle.Exit)
		n := 0
		offline := false
		scan := func(g ticketsync.Gate, ticketID string) {
			n++
			c := changelog.Checkin{ID: fmt.Sprintf("ci_%032x", n), EventID: f.event.ID, GateID: g.ID, TicketID: ticketID,
				TypeNumber: f.admission.Number, Direction: g.Direction, At: h.clock.Now(), Offline: offline}
			if _, err := h.api.Sync.Store.RecordCheckins(ctx, g, []changelog.Checkin{c}, h.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
		scan(north, paid.Tickets[0].ID)
		scan(exit, paid.Tickets[0].ID)
		scan(north, paid.Tickets[1].ID)
		offline = true
		scan(south, paid.Tickets[1].ID) // inside already: the one conflict

		minute, hour := h.clock.Now().UTC().Truncate(time.Minute), h.clock.Now().UTC().Truncate(time.Hour)
		want := analytics.EventStats{
			EventID: f.event.ID,
			TicketTypes: []analytics.TypeStats{
				{TicketTypeID: f.admission.ID, Name: f.admission.Name, Kind: f.admission.Kind, Capacity: f.admission.Capacity,
					Sold: 3, Revoked: 1, Remaining: f.admission.Capacity - 3},
				{TicketTypeID: f.merch.ID, Name: f.merch.Name, Kind: f.merch.Kind, Capacity: 50, Remaining: 49},
			},
			Revenue:   []analytics.Revenue{{Currency: "EUR", Paid: 3*2500 + 1500 + 2500, Refunded: 2500, Net: 3*2500 + 1500}},
			CheckedIn: 2,
			Inside:    1,
			Entries:   []analytics.GateEntries{{GateID: north.ID, Entries: 2}, {GateID: south.ID, Entries: 1}},
			EntriesPerMinute: []analytics.MinuteEntries{{GateID: north.ID, Minute: minute, Entries: 2},
				{GateID: south.ID, Minute: minute, Entries: 1}},
			SalesBucket: analytics.Hour,
			Sales:       []analytics.SalesBucket{{Start: hour, Orders: 2, Units: 5}},
			Refusals:    []analytics.Refusal{},
			Conflicts:   1, OfflineConflicts: 1,
		}
		if north.ID > south.ID {
			want.Entries[0], want.Entries[1] = want.Entries[1], want.Entries[0]
			want.EntriesPerMinute[0], want.EntriesPerMinute[1] = want.EntriesPerMinute[1], want.EntriesPerMinute[0]
		}
		check := func(what string, got analytics.EventStats) {
			t.Helper()
			got.AsOf = time.Time{}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
			}
		}
		check("figures before the event ends", decodeAs[analytics.EventStats](t, h.do(t, "GET", path, f.org.Token, nil), http.StatusOK))
		byDay := decodeAs[analytics.EventStats](t, h.do(t, "GET", path+"?bucket=day", f.org.Token, nil), http.StatusOK)
		day := time.Date(hour.Year(), hour.Month(), hour.Day(), 0, 0, 0, 0, time.UTC)
		if want := []analytics.SalesBucket{{Start: day, Orders: 2, Units: 5}}; byDay.SalesBucket != analytics.Day || !reflect.DeepEqual(byDay.Sales, want) {
			t.Errorf("sales by day = %s %+v, want %+v", byDay.SalesBucket, byDay.Sales, want)
		}
		h.do(t, "GET", path+"?bucket=week", f.org.Token, nil).want(t, http.StatusUnprocessableEntity)

		// Once the event has ended, the ticket never used is a no-show.
		h.clock.Set(f.event.EndsAt)
		h.login(t, f.org) // the session of a month ago has expired
		noShows := 1
		want.NoShows = &noShows
		check("figures after the event ended", decodeAs[analytics.EventStats](t, h.do(t, "GET", path, f.org.Token, nil), http.StatusOK))

		// A stranger learns nothing.
		stranger := h.newUser(t, "stranger")
		h.do(t, "GET", path, stranger.Token, nil).want(t, http.StatusNotFound)
		h.do(t, "GET", "/v1/events/ev_000000000000000000000000/stats", f.org.Token, nil).want(t, http.StatusNotFound)

		// A restart: the storage opened again, services built over it.
		if err := h.backend.Close(); err != nil {
			t.Fatal(err)
		}
		b, err := storage.Open(ctx, h.dsn, h.dir)
		if err != nil {
			t.Fatalf("open the storage again: %v", err)
		}
		t.Cleanup(func() { b.Close() })
		svc := services.New(services.Config{Stores: services.Stores{Accounts: b.Accounts, Catalog: b.Catalog, Purchases: b.Purchases,
			Secrets: b.Secrets, Sync: b.Sync}, Now: h.clock.Now})
		t.Cleanup(svc.Hub.Shutdown)
		after, err := svc.Analytics.EventStats(ctx, f.event.ID)
		if err != nil {
			t.Fatal(err)
		}
		check("figures after a restart", after)
	})
}
