package notify_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/storage/bolt"
)

// clock is a test's time, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

// newClock starts at the real time: the test push service checks the
// VAPID JWT's expiry against it.
func newClock() *clock { return &clock{now: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// server is the part of syncserver that notifies, over a bbolt store on
// disk: opened again after a "crash" it is a restarted server.
type server struct {
	db     *bolt.DB
	svc    *notify.Service
	worker *notify.Worker
}

var sealKey = &ticketcrypto.SealKey{1, 2, 3}

func start(t *testing.T, dir string, c *clock) *server {
	t.Helper()
	db, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	svc := &notify.Service{Store: db, Events: db, Orders: db, Secrets: db, Seal: sealKey, Subject: "mailto:ops@admitone.test",
		AllowHTTP: true, Now: c.Now}
	w := &notify.Worker{Store: db, Now: c.Now, Senders: map[string]notify.Sender{
		notify.ChannelWebPush: &notify.WebPush{Keys: svc.Keys, Subscriptions: db, Now: c.Now},
	}}
	s := &server{db: db, svc: svc, worker: w}
	t.Cleanup(func() { db.Close() })
	return s
}

func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
}

func subscribe(t *testing.T, s *server, user string, sub []byte) notify.Subscription {
	t.Helper()
	got, err := s.svc.Subscribe(t.Context(), user, sub)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	return got
}

// TestOutboxAcrossRestart: messages claimed by a server that then
// crashes are sent once by the restarted server, messages sent before a
// restart are not sent again, and a trigger repeated after the restart
// enqueues nothing new.
func TestOutboxAcrossRestart(t *testing.T) {
	ctx, dir, c, push := t.Context(), t.TempDir(), newClock(), newPushService(t)
	s := start(t, dir, c)
	phone := subscribe(t, s, "usr_ann", push.device("ann-phone"))
	laptop := subscribe(t, s, "usr_ann", push.device("ann-laptop"))
	bob := subscribe(t, s, "usr_bob", push.device("bob-phone"))

	paid := purchase.Order{ID: "ord_1", BuyerID: "usr_ann", EventID: "ev_1", Status: purchase.StatusPaid}
	refunded := purchase.Order{ID: "ord_2", BuyerID: "usr_bob", EventID: "ev_1", Status: purchase.StatusRefunded}
	s.svc.OrderPaid(ctx, paid)
	s.svc.OrderRefunded(ctx, refunded)

	// The first server claims everything, then crashes before sending.
	claimed, err := s.db.Claim(ctx, c.Now(), notify.DefaultLease, notify.MaxClaim)
	if err != nil || len(claimed) != 3 {
		t.Fatalf("Claim = %d messages, %v; want 3", len(claimed), err)
	}
	s.stop(t)
	if got := push.deliveries(); len(got) != 0 {
		t.Fatalf("delivered before any send: %v", got)
	}

	// Restarted before the leases ran out, it sends nothing: another
	// worker might still be at it.
	s = start(t, dir, c)
	if n, err := s.worker.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("RunOnce within the lease = %d, %v; want 0", n, err)
	}
	c.Add(notify.DefaultLease)
	if n, err := s.worker.RunOnce(ctx); err != nil || n != 3 {
		t.Fatalf("RunOnce after the lease = %d, %v; want 3", n, err)
	}
	want := map[string]int{
		"ann-phone paid/ord_1/" + phone.ID:   1,
		"ann-laptop paid/ord_1/" + laptop.ID: 1,
		"bob-phone refund/ord_2/" + bob.ID:   1,
	}
	equalMap(t, "deliveries after the restart", push.deliveries(), want)

	// Restart again; the same triggers again (a webhook retried).
	s.stop(t)
	s = start(t, dir, c)
	s.svc.OrderPaid(ctx, paid)
	s.svc.OrderRefunded(ctx, refunded)
	c.Add(time.Hour)
	if n, err := s.worker.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("RunOnce after sending everything = %d, %v; want 0", n, err)
	}
	equalMap(t, "deliveries after a second restart and repeated triggers", push.deliveries(), want)
	m, err := s.db.Message(ctx, "paid/ord_1/"+phone.ID)
	if err != nil || m.Status != notify.StatusSent || m.Attempts != 2 {
		t.Errorf("message = %+v, %v; want sent at the second attempt (the crashed claim counts)", m, err)
	}
}

// TestOutboxCrashAfterSend: a server that sent a message and crashed
// before marking it sent sends it again after the lease: the receiver
// gets the same message id twice and drops the second (the window
// doc.go describes).
func TestOutboxCrashAfterSend(t *testing.T) {
	ctx, dir, c, push := t.Context(), t.TempDir(), newClock(), newPushService(t)
	s := start(t, dir, c)
	phone := subscribe(t, s, "usr_ann", push.device("ann-phone"))
	s.svc.OrderPaid(ctx, purchase.Order{ID: "ord_1", BuyerID: "usr_ann", EventID: "ev_1"})
	claimed, err := s.db.Claim(ctx, c.Now(), notify.DefaultLease, 1)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("Claim = %v, %v", claimed, err)
	}
	if err := s.worker.Senders[notify.ChannelWebPush].Send(ctx, claimed[0]); err != nil {
		t.Fatal(err)
	}
	s.stop(t) // crashed before Finish
	s = start(t, dir, c)
	c.Add(notify.DefaultLease)
	if _, err := s.worker.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	id := "paid/ord_1/" + phone.ID
	equalMap(t, "deliveries (by payload id)", push.deliveries(), map[string]int{"ann-phone " + id: 2})
	if m, _ := s.db.Message(ctx, id); m.Status != notify.StatusSent {
		t.Errorf("status %s, want sent", m.Status)
	}
}

// TestPushGone: a push service answering 410 (or 404) for a device
// removes its subscription and fails its message without retrying; the
// account's other devices still get theirs.
func TestPushGone(t *testing.T) {
	for _, status := range []int{http.StatusGone, http.StatusNotFound} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			ctx := t.Context()
			c := newClock()
			push := newPushService(t)
			s := start(t, t.TempDir(), c)
			gone := subscribe(t, s, "usr_ann", push.device("old-phone"))
			kept := subscribe(t, s, "usr_ann", push.device("new-phone"))
			push.mu.Lock()
			push.status["old-phone"] = status
			push.mu.Unlock()
			s.svc.OrderPaid(ctx, purchase.Order{ID: "ord_1", BuyerID: "usr_ann", EventID: "ev_1"})
			if n, err := s.worker.RunOnce(ctx); err != nil || n != 2 {
				t.Fatalf("RunOnce = %d, %v; want 2", n, err)
			}
			subs, err := s.svc.Subscriptions(ctx, "usr_ann")
			if err != nil || len(subs) != 1 || subs[0].ID != kept.ID {
				t.Errorf("subscriptions after a %d = %v, %v; want only %s", status, subs, err, kept.ID)
			}
			m, err := s.db.Message(ctx, "paid/ord_1/"+gone.ID)
			if err != nil || m.Status != notify.StatusFailed || m.Attempts != 1 {
				t.Errorf("message to the gone device = %+v, %v; want failed after 1 attempt", m, err)
			}
			equalMap(t, "deliveries", push.deliveries(), map[string]int{"new-phone paid/ord_1/" + kept.ID: 1})
		})
	}
}

// TestRetryBackoff: a push service failing with 503 gets the message
// again after Backoff, doubled each time, and the message fails after
// MaxAttempts.
func TestRetryBackoff(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	push := newPushService(t)
	s := start(t, t.TempDir(), c)
	s.worker.MaxAttempts, s.worker.Backoff = 3, time.Minute
	var outcomes []string
	s.worker.Outcome = func(channel, outcome string) { outcomes = append(outcomes, channel+" "+outcome) }
	sub := subscribe(t, s, "usr_ann", push.device("phone"))
	push.status["phone"] = http.StatusServiceUnavailable
	s.svc.OrderPaid(ctx, purchase.Order{ID: "ord_1", BuyerID: "usr_ann", EventID: "ev_1"})
	id := "paid/ord_1/" + sub.ID
	var waits []time.Duration
	for range 3 {
		if _, err := s.worker.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		m, err := s.db.Message(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != notify.StatusPending {
			if m.Status != notify.StatusFailed || m.Attempts != 3 {
				t.Fatalf("message %+v; want failed after 3 attempts", m)
			}
			break
		}
		waits = append(waits, m.NextAt.Sub(c.Now()))
		// Not due yet: nothing happens.
		if n, _ := s.worker.RunOnce(ctx); n != 0 {
			t.Fatalf("RunOnce before the retry is due finished %d", n)
		}
		c.Add(m.NextAt.Sub(c.Now()))
	}
	if !slices.Equal(waits, []time.Duration{time.Minute, 2 * time.Minute}) {
		t.Errorf("waits between attempts %v, want [1m 2m]", waits)
	}
	if m, _ := s.db.Message(ctx, id); m.Status != notify.StatusFailed {
		t.Errorf("status %s after MaxAttempts, want failed", m.Status)
	}
	if want := []string{"webpush retry", "webpush retry", "webpush failed"}; !slices.Equal(outcomes, want) {
		t.Errorf("outcomes told %v, want %v", outcomes, want)
	}
}

// TestVAPIDKeyKept: the VAPID key is made once, sealed, and the same
// after a restart; a server with another seal key cannot open it.
func TestVAPIDKeyKept(t *testing.T) {
	dir := t.TempDir()
	c := &clock{now: time.Now()}
	s := start(t, dir, c)
	k1, err := s.svc.Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.db.Secrets(t.Context(), "notify/vapid")
	// XChaCha20-Poly1305: a 24-byte nonce, the 32-byte scalar, a tag.
	if err != nil || len(sealed["notify/vapid"]) != 24+32+16 {
		t.Errorf("stored VAPID key: %d bytes, %v; want it sealed (72 bytes)", len(sealed["notify/vapid"]), err)
	}
	s.stop(t)
	s = start(t, dir, c)
	k2, err := s.svc.Keys(t.Context())
	if err != nil || k2.PublicKey() != k1.PublicKey() {
		t.Errorf("key after restart %v, %v; want %s", k2, err, k1.PublicKey())
	}
	s.svc = &notify.Service{Store: s.db, Secrets: s.db, Seal: &ticketcrypto.SealKey{9}}
	if _, err := s.svc.Keys(context.Background()); err == nil {
		t.Error("another seal key opened the VAPID key")
	}
}

func equalMap(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s:\n got %v\nwant %v", what, got, want)
			return
		}
	}
}
