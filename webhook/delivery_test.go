package webhook_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	gosync "sync"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/testclock"
	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/storage/bolt"
	"github.com/admitone/admitone/webhook"
)

var t0 = time.Date(2030, 5, 1, 18, 0, 0, 0, time.UTC)

// fixture is the webhook service and the outbox worker over a real
// bbolt store, on an injected clock.
type fixture struct {
	db     *bolt.DB
	clock  *testclock.Clock
	svc    *webhook.Service
	worker *notify.Worker
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var key ticketcrypto.SealKey
	rand.Read(key[:])
	c := testclock.New(t0)
	f := &fixture{db: db, clock: c}
	f.svc = &webhook.Service{Store: db, Outbox: db, Seal: &key, Insecure: true, Now: c.Now,
		EventOrg: func(context.Context, string) (string, error) { return "org_1", nil }}
	f.worker = &notify.Worker{Store: db, Now: c.Now, Backoff: 30 * time.Second, MaxAttempts: 4, Senders: map[string]notify.Sender{
		webhook.ChannelWebhook: &webhook.Sender{Endpoints: db, Seal: &key, Insecure: true, Now: c.Now},
	}}
	return f
}

// run runs the worker once and returns how many deliveries it finished.
func (f *fixture) run(t *testing.T) int {
	t.Helper()
	n, err := f.worker.RunOnce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// got is one request a receiver got, and the clock when it came.
type got struct {
	header http.Header
	body   []byte
	at     time.Time
}

// receiver is a webhook receiver on loopback that verifies each request
// with webhook.Receiver and answers the statuses in turn (the last one
// from then on).
type receiver struct {
	srv      *httptest.Server
	mu       gosync.Mutex
	got      []got
	verdicts []error
	statuses []int
	check    *webhook.Receiver
}

func newReceiver(t *testing.T, clock *testclock.Clock, statuses ...int) *receiver {
	rc := &receiver{statuses: statuses, check: &webhook.Receiver{Now: clock.Now}}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.got = append(rc.got, got{header: r.Header.Clone(), body: body, at: clock.Now()})
		err := rc.check.Verify(r.Header, body)
		rc.verdicts = append(rc.verdicts, err)
		status := rc.statuses[min(len(rc.got), len(rc.statuses))-1]
		if err == nil && status != http.StatusOK {
			rc.check.Forget(r.Header.Get(webhook.DeliveryHeader)) // not processed: its retry must be accepted
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) requests() ([]got, []error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]got(nil), rc.got...), append([]error(nil), rc.verdicts...)
}

// first is the first of two results.
func first[T, U any](v T, _ U) T { return v }

func paidOrder() purchase.Order {
	return purchase.Order{ID: "ord_1", EventID: "ev_1", BuyerID: "usr_1", Status: purchase.StatusPaid,
		Total: catalog.Money{Amount: 5000, Currency: "EUR"}, Lines: []purchase.OrderLine{{Quantity: 2}}, PaidAt: t0}
}

// TestDeliveryRetriedSignedAndReplaySafe is acceptance point 3: a
// receiver on loopback that answers 500 twice and then 200 gets three
// attempts of one delivery, each signed with the endpoint's secret
// (another secret does not verify), the waits between them growing;
// the delivery then shows as sent after three attempts; and a replay of
// a delivery (the same id, or an old timestamp) is refused by the
// receiver's Verify.
func TestDeliveryRetriedSignedAndReplaySafe(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t)
	rc := newReceiver(t, f.clock, 500, 500, 200)
	ep, secret, err := f.svc.Create(ctx, "org_1", rc.srv.URL+"/hooks", []webhook.Kind{webhook.KindOrderPaid})
	if err != nil {
		t.Fatal(err)
	}
	rc.check.Secret = []byte(secret)
	f.svc.OrderPaid(ctx, paidOrder())
	f.svc.OrderPaid(ctx, paidOrder()) // told twice: one delivery

	var waits []time.Duration
	for attempt := 1; attempt <= 3; attempt++ {
		attemptAt := f.clock.Now()
		f.run(t)
		ds, err := f.svc.Deliveries(ctx, "org_1", ep.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 {
			t.Fatalf("attempt %d: %d deliveries listed, want 1", attempt, len(ds))
		}
		d := ds[0]
		if d.Attempts != attempt || d.Kind != webhook.KindOrderPaid {
			t.Fatalf("attempt %d: delivery shows %d attempts, kind %q", attempt, d.Attempts, d.Kind)
		}
		if attempt < 3 {
			if d.Status != notify.StatusPending || d.LastError != "receiver answered 500" || d.NextAt.IsZero() {
				t.Fatalf("attempt %d: delivery %+v, want pending after a 500 with a next attempt", attempt, d)
			}
			// Nothing goes before the next attempt is due.
			f.clock.Set(d.NextAt.Add(-time.Second))
			if f.run(t); len(first(rc.requests())) != attempt {
				t.Fatalf("attempt %d: %d requests before the retry was due", attempt, len(first(rc.requests())))
			}
			waits = append(waits, d.NextAt.Sub(attemptAt))
			f.clock.Set(d.NextAt)
			continue
		}
		if d.Status != notify.StatusSent || d.LastError != "" || !d.NextAt.IsZero() {
			t.Fatalf("after the 200: delivery %+v, want sent", d)
		}
		t.Logf("delivery %s: %s after %d attempts", d.ID, d.Status, d.Attempts)
	}
	reqs, verdicts := rc.requests()
	if len(reqs) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(reqs))
	}
	// The waits between attempts grow (the worker's backoff doubles);
	// measured on the injected clock, not the wall.
	t.Logf("waits between attempts (injected clock): %v", waits)
	if len(waits) != 2 || waits[1] <= waits[0] {
		t.Errorf("waits between attempts %v, want growing", waits)
	}
	var payload webhook.Payload
	for i, r := range reqs {
		if verdicts[i] != nil {
			t.Errorf("attempt %d: the receiver refused it: %v", i+1, verdicts[i])
		}
		id := r.header.Get(webhook.DeliveryHeader)
		if id != reqs[0].header.Get(webhook.DeliveryHeader) || id == "" {
			t.Errorf("attempt %d: delivery id %q, want the first attempt's", i+1, id)
		}
		sig := r.header.Get(webhook.SignatureHeader)
		if _, err := webhook.Verify([]byte(secret), sig, r.body, r.at, 0); err != nil {
			t.Errorf("attempt %d: signature does not verify with the endpoint's secret: %v", i+1, err)
		}
		if _, err := webhook.Verify([]byte("whsec_another"), sig, r.body, r.at, 0); !errors.Is(err, webhook.ErrSignature) {
			t.Errorf("attempt %d: signature under another secret: %v, want ErrSignature", i+1, err)
		}
		if err := json.Unmarshal(r.body, &payload); err != nil || payload.ID != id || payload.Kind != webhook.KindOrderPaid || payload.OrgID != "org_1" {
			t.Errorf("attempt %d: payload %s (%v)", i+1, r.body, err)
		}
		if r.header.Get(webhook.KindHeader) != string(webhook.KindOrderPaid) {
			t.Errorf("attempt %d: %s %q", i+1, webhook.KindHeader, r.header.Get(webhook.KindHeader))
		}
	}
	var data webhook.OrderData
	if err := json.Unmarshal(payload.Data, &data); err != nil || data.OrderID != "ord_1" || data.Quantity != 2 || data.Total.Amount != 5000 {
		t.Errorf("order data %s (%v)", payload.Data, err)
	}

	// Replays: the processed delivery sent again, as it was, is refused
	// by its id; an earlier attempt sent again after the tolerance is
	// refused by its timestamp.
	last := reqs[2]
	if err := rc.check.Verify(last.header, last.body); !errors.Is(err, webhook.ErrReplay) {
		t.Errorf("replay of the processed delivery: %v, want ErrReplay", err)
	}
	f.clock.Advance(webhook.DefaultTolerance + time.Second)
	if err := rc.check.Verify(reqs[0].header, reqs[0].body); !errors.Is(err, webhook.ErrStale) {
		t.Errorf("replay of the first attempt %v later: %v, want ErrStale", webhook.DefaultTolerance, err)
	}
	tampered := append([]byte(nil), last.body...)
	tampered[len(tampered)-2] ^= 1
	if _, err := webhook.Verify([]byte(secret), last.header.Get(webhook.SignatureHeader), tampered, last.at, 0); !errors.Is(err, webhook.ErrSignature) {
		t.Errorf("changed body: %v, want ErrSignature", err)
	}
}

// TestDeliveryFails: a receiver that never answers 2xx gets
// MaxAttempts attempts, and the delivery ends failed with the last
// status; a deleted endpoint's pending delivery fails at its next
// attempt without a request.
func TestDeliveryFails(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t)
	rc := newReceiver(t, f.clock, 503)
	ep, secret, err := f.svc.Create(ctx, "org_1", rc.srv.URL, []webhook.Kind{webhook.KindOrderRefunded, webhook.KindEventCancelled})
	if err != nil {
		t.Fatal(err)
	}
	rc.check.Secret = []byte(secret)
	f.svc.OrderPaid(ctx, paidOrder()) // not a kind it wants
	f.svc.OrderRefunded(ctx, paidOrder())
	for range 10 {
		f.run(t)
		f.clock.Advance(time.Hour)
	}
	ds, err := f.svc.Deliveries(ctx, "org_1", ep.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Kind != webhook.KindOrderRefunded || ds[0].Status != notify.StatusFailed || ds[0].Attempts != 4 || ds[0].LastError != "receiver answered 503" {
		t.Fatalf("deliveries %+v, want one refund delivery failed after 4 attempts", ds)
	}
	if reqs, _ := rc.requests(); len(reqs) != 4 {
		t.Errorf("receiver got %d requests, want 4", len(reqs))
	}

	f.svc.EventCancelled(ctx, "ev_1", nil)
	if err := f.svc.Delete(ctx, "org_1", ep.ID); err != nil {
		t.Fatal(err)
	}
	f.run(t)
	m, err := f.db.Message(ctx, webhook.DeliveryPrefix(ep.ID)+"event.cancelled/ev_1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != notify.StatusFailed || m.Attempts != 1 {
		t.Errorf("delivery to a deleted endpoint: %s after %d attempts (%s)", m.Status, m.Attempts, m.LastError)
	}
	if reqs, _ := rc.requests(); len(reqs) != 4 {
		t.Errorf("receiver got %d requests after its endpoint was deleted, want still 4", len(reqs))
	}
}

// TestEndpointsPerOrganization: another organization's endpoint is not
// found, a secret is not kept in the clear, and an organization has at
// most MaxEndpoints.
func TestEndpointsPerOrganization(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t)
	ep, secret, err := f.svc.Create(ctx, "org_1", "https://hooks.example/a", []webhook.Kind{webhook.KindOrderPaid})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := f.db.Endpoint(ctx, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.SealedSecret) == 0 || string(stored.SealedSecret) == secret || len(secret) < 40 {
		t.Errorf("secret %d bytes, stored as %d bytes", len(secret), len(stored.SealedSecret))
	}
	if err := f.svc.Delete(ctx, "org_2", ep.ID); !errors.Is(err, webhook.ErrNotFound) {
		t.Errorf("another organization deletes it: %v, want ErrNotFound", err)
	}
	if _, err := f.svc.Deliveries(ctx, "org_2", ep.ID, 10); !errors.Is(err, webhook.ErrNotFound) {
		t.Errorf("another organization lists its deliveries: %v, want ErrNotFound", err)
	}
	for i := 1; i < webhook.MaxEndpoints; i++ {
		if _, _, err := f.svc.Create(ctx, "org_1", "https://hooks.example/more", webhook.Kinds); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := f.svc.Create(ctx, "org_1", "https://hooks.example/one-more", webhook.Kinds); !errors.Is(err, webhook.ErrLimit) {
		t.Errorf("endpoint %d: %v, want ErrLimit", webhook.MaxEndpoints+1, err)
	}
	for name, kinds := range map[string][]webhook.Kind{"none": nil, "unknown": {"order.lost"}, "twice": {webhook.KindOrderPaid, webhook.KindOrderPaid},
		"too many": append(slices.Clone(webhook.Kinds), webhook.KindOrderPaid)} {
		if _, _, err := f.svc.Create(ctx, "org_3", "https://hooks.example/k", kinds); !errors.Is(err, webhook.ErrInvalid) {
			t.Errorf("kinds %s: %v, want ErrInvalid", name, err)
		}
	}
}

// TestPrivateAddressRefused: without Insecure (syncserver's
// --webhook-insecure) an endpoint on loopback is refused when
// registered, and a delivery to one (registered while allowed) fails
// for good without a request.
func TestPrivateAddressRefused(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t)
	rc := newReceiver(t, f.clock, 200)
	strict := *f.svc
	strict.Insecure = false
	if _, _, err := strict.Create(ctx, "org_1", rc.srv.URL, webhook.Kinds); !errors.Is(err, webhook.ErrInvalid) {
		t.Errorf("http on loopback, not insecure: %v, want ErrInvalid", err)
	}
	https := "https" + rc.srv.URL[len("http"):]
	if _, _, err := strict.Create(ctx, "org_1", https, webhook.Kinds); !errors.Is(err, webhook.ErrAddress) {
		t.Errorf("https on loopback, not insecure: %v, want ErrAddress", err)
	}
	ep, _, err := f.svc.Create(ctx, "org_1", rc.srv.URL, webhook.Kinds)
	if err != nil {
		t.Fatal(err)
	}
	sender := f.worker.Senders[webhook.ChannelWebhook].(*webhook.Sender)
	sender.Insecure = false
	f.svc.OrderPaid(ctx, paidOrder())
	f.run(t)
	m, err := f.db.Message(ctx, webhook.DeliveryPrefix(ep.ID)+"order.paid/ord_1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != notify.StatusFailed || m.Attempts != 1 {
		t.Errorf("delivery to loopback, not insecure: %s after %d attempts (%s)", m.Status, m.Attempts, m.LastError)
	}
	if reqs, _ := rc.requests(); len(reqs) != 0 {
		t.Errorf("the loopback receiver got %d requests", len(reqs))
	}
}
