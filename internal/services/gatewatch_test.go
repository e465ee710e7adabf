package services_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/internal/services"
	"github.com/admitone/admitone/internal/testclock"
	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/search"
	"github.com/admitone/admitone/storage"
	ticketsync "github.com/admitone/admitone/sync"
	"github.com/admitone/admitone/webhook"
)

// TestGateWatchAlertsOperator: with operator alerts on, the gate watch
// finds an enrolled gate that no server heard from while its event's
// doors are open and the operator's endpoint gets one signed
// alert.gate_offline naming it; a gate of an event whose doors are not
// open yet raises none.
func TestGateWatchAlertsOperator(t *testing.T) {
	ctx := t.Context()
	b, err := storage.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	idx, err := search.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })

	secret := []byte("operator-secret-for-the-gate-watch")
	var mu sync.Mutex
	var alerts []webhook.GateOfflineData
	clock := testclock.New(time.Date(2026, 12, 7, 19, 0, 0, 0, time.UTC))
	recv := &webhook.Receiver{Secret: secret, Now: clock.Now}
	op := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := recv.Verify(r.Header, body); err != nil {
			t.Errorf("operator alert refused: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if kind := r.Header.Get(webhook.KindHeader); kind != string(webhook.KindAlertGateOffline) {
			t.Errorf("operator got a %s, want only %s", kind, webhook.KindAlertGateOffline)
		}
		var env struct {
			Data webhook.GateOfflineData `json:"data"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Errorf("alert body %s: %v", body, err)
		}
		mu.Lock()
		alerts = append(alerts, env.Data)
		mu.Unlock()
	}))
	t.Cleanup(op.Close)

	var key ticketcrypto.SealKey
	rand.Read(key[:])
	svc := services.New(services.Config{
		Stores:  services.Stores{Accounts: b.Accounts, Catalog: b.Catalog, Purchases: b.Purchases, Secrets: b.Secrets, Sync: b.Sync, Notify: b.Notify},
		SealKey: &key, Index: idx, Now: clock.Now, Payments: payment.NewTestProvider(payment.TestConfig{Now: clock.Now}),
		WebhookInsecure: true, OperatorWebhook: &webhook.Operator{URL: op.URL, Secret: secret},
	})
	t.Cleanup(svc.Hub.Shutdown)

	org := catalog.Organization{ID: id.New("org"), Name: "Watch Org", CreatedAt: clock.Now()}
	if err := b.Catalog.CreateOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	venue := catalog.Venue{ID: id.New("ven"), OrgID: org.ID, Name: "Hall", City: "Berlin", Country: "DE", CreatedAt: clock.Now()}
	if err := b.Catalog.CreateVenue(ctx, venue); err != nil {
		t.Fatal(err)
	}
	// Doors of "open" opened ten minutes ago; "later" opens tomorrow.
	now := clock.Now()
	newEvent := func(title string, doors time.Time) catalog.Event {
		e := catalog.Event{ID: ticketcrypto.NewEventID().String(), OrgID: org.ID, VenueID: venue.ID, Title: title, Category: "music",
			Tags: []string{}, Images: []string{}, TimeZone: "Europe/Berlin", DoorsAt: doors, StartsAt: doors.Add(30 * time.Minute),
			EndsAt: doors.Add(4 * time.Hour), Status: catalog.StatusPublished, CreatedAt: now, UpdatedAt: now, Version: 1}
		if err := b.Catalog.CreateEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	open, later := newEvent("Open doors", now.Add(-10*time.Minute)), newEvent("Tomorrow", now.Add(24*time.Hour))
	enrolGate := func(e catalog.Event, name string) ticketsync.Gate {
		g, code, err := svc.Enroller.CreateGate(ctx, e.ID, ticketsync.GateSpec{Name: name, Direction: bundle.Entry}, "usr_test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Enroller.Enroll(ctx, code, ticketsync.EnrollOptions{}); err != nil {
			t.Fatal(err)
		}
		return g
	}
	north := enrolGate(open, "North door")
	enrolGate(later, "Early door")

	watch, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); svc.RunGateWatch(watch) }()
	defer func() { stop(); <-done }()

	got := func() []webhook.GateOfflineData {
		mu.Lock()
		defer mu.Unlock()
		return append([]webhook.GateOfflineData(nil), alerts...)
	}
	testenv.Poll(10*time.Second, 20*time.Millisecond, func() bool {
		if _, err := svc.Outbox.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		return len(got()) > 0
	})
	// Another pass of the outbox sends nothing more.
	if _, err := svc.Outbox.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	a := got()
	if len(a) != 1 || a[0].GateID != north.ID || a[0].EventID != open.ID || a[0].GateName != "North door" || a[0].Reason != ticketsync.QuietOffline {
		t.Fatalf("operator alerts %+v, want one alert.gate_offline of gate %s (North door) of event %s, reason offline", a, north.ID, open.ID)
	}
}
