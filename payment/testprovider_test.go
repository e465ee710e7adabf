package payment_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/purchase"
)

var t0 = time.Date(2026, 3, 14, 18, 30, 0, 0, time.UTC)

// recorder collects the events a TestProvider delivers.
type recorder struct {
	mu   sync.Mutex
	evs  []payment.Event
	fail error // returned by the handler while set
}

func (r *recorder) handle(_ context.Context, ev payment.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.evs = append(r.evs, ev)
	return nil
}

func (r *recorder) events() []payment.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]payment.Event(nil), r.evs...)
}

func (r *recorder) setFail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = err
}

// newTestProvider returns a TestProvider on a fixed clock with a
// recording event handler.
func newTestProvider(t *testing.T) (*payment.TestProvider, *recorder) {
	t.Helper()
	p := payment.NewTestProvider(payment.TestConfig{Now: func() time.Time { return t0 }})
	rec := &recorder{}
	p.OnEvent(rec.handle)
	return p, rec
}

func mustCreate(t *testing.T, p payment.Provider, order string, amount int64) payment.Intent {
	t.Helper()
	in, err := p.CreateIntent(context.Background(), order, amount, "EUR", "")
	if err != nil {
		t.Fatalf("CreateIntent(%s, %d): %v", order, amount, err)
	}
	return in
}

func mustPay(t *testing.T, p *payment.TestProvider, order string, amount int64) payment.Intent {
	t.Helper()
	in := mustCreate(t, p, order, amount)
	in, err := p.Confirm(context.Background(), in.ID, payment.TestCardSucceeds)
	if err != nil {
		t.Fatalf("Confirm(%s): %v", in.ID, err)
	}
	return in
}

func TestTestProviderCreateIntent(t *testing.T) {
	p, _ := newTestProvider(t)
	in, err := p.CreateIntent(context.Background(), "ord_1", 8950, "EUR", "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(in.ID, "pi_test_") || !strings.HasPrefix(in.ClientSecret, in.ID+"_secret_") {
		t.Errorf("id %q, client secret %q: want pi_test_... and <id>_secret_...", in.ID, in.ClientSecret)
	}
	want := payment.Intent{ID: in.ID, ClientSecret: in.ClientSecret, Amount: 8950, Currency: "EUR",
		Status: payment.StatusRequiresPaymentMethod, OrderID: "ord_1"}
	if in != want {
		t.Errorf("got %+v, want %+v", in, want)
	}
	got, err := p.Intent(context.Background(), in.ID)
	if err != nil || got != in {
		t.Errorf("Intent(%s) = %+v, %v; want %+v", in.ID, got, err, in)
	}
	if _, err := p.Intent(context.Background(), "pi_test_nope"); !errors.Is(err, payment.ErrNotFound) {
		t.Errorf("Intent(unknown) error %v, want ErrNotFound", err)
	}
	if p.Name() != "test" {
		t.Errorf("Name() = %q", p.Name())
	}
}

func TestTestProviderInvalidInput(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		order    string
		amount   int64
		currency string
		key      string
		wantIn   string // in the error message
	}{
		{"empty order", "", 100, "EUR", "", "order id is required"},
		{"order with space", "ord 1", 100, "EUR", "", "order id"},
		{"order too long", strings.Repeat("o", payment.MaxOrderIDLen+1), 100, "EUR", "", "order id"},
		{"zero amount", "ord_1", 0, "EUR", "", "amount"},
		{"negative amount", "ord_1", -5, "EUR", "", "amount"},
		{"amount too large", "ord_1", payment.MaxAmount + 1, "EUR", "", "amount"},
		{"lower-case currency", "ord_1", 100, "eur", "", "currency"},
		{"four-letter currency", "ord_1", 100, "EURO", "", "currency"},
		{"key too long", "ord_1", 100, "EUR", strings.Repeat("k", payment.MaxIdempotencyKeyLen+1), "idempotency key"},
		{"key with space", "ord_1", 100, "EUR", "a key", "idempotency key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := newTestProvider(t)
			_, err := p.CreateIntent(ctx, tt.order, tt.amount, tt.currency, tt.key)
			if !errors.Is(err, payment.ErrInvalid) || !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("error %v, want ErrInvalid naming %q", err, tt.wantIn)
			}
		})
	}
}

func TestTestProviderConfirmCards(t *testing.T) {
	tests := []struct {
		name       string
		card       string
		wantErr    error
		wantStatus payment.Status
		wantEvent  string // "" for none
	}{
		{"succeeds", payment.TestCardSucceeds, nil, payment.StatusSucceeded, purchase.EventPaymentSucceeded},
		{"declined", payment.TestCardDeclined, payment.ErrDeclined, payment.StatusFailed, purchase.EventPaymentFailed},
		{"requires action", payment.TestCardRequiresAction, nil, payment.StatusRequiresAction, ""},
		{"other card", "4111111111111111", payment.ErrInvalid, payment.StatusRequiresPaymentMethod, ""},
		{"empty card", "", payment.ErrInvalid, payment.StatusRequiresPaymentMethod, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, rec := newTestProvider(t)
			in := mustCreate(t, p, "ord_1", 2500)
			got, err := p.Confirm(context.Background(), in.ID, tt.card)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Confirm error %v, want %v", err, tt.wantErr)
			}
			if err != nil && tt.card != "" && strings.Contains(err.Error(), tt.card) {
				t.Errorf("error %q repeats the card number", err)
			}
			if got.Status != tt.wantStatus {
				t.Errorf("returned status %s, want %s", got.Status, tt.wantStatus)
			}
			stored, _ := p.Intent(context.Background(), in.ID)
			if stored.Status != tt.wantStatus {
				t.Errorf("stored status %s, want %s", stored.Status, tt.wantStatus)
			}
			evs := rec.events()
			if tt.wantEvent == "" {
				if len(evs) != 0 {
					t.Errorf("events %+v, want none", evs)
				}
				return
			}
			if len(evs) != 1 {
				t.Fatalf("events %+v, want one %s", evs, tt.wantEvent)
			}
			ev := evs[0]
			want := payment.Event{ID: ev.ID, Type: tt.wantEvent, IntentID: in.ID, OrderID: "ord_1",
				Amount: 2500, Currency: "EUR", Created: t0}
			if ev != want || !strings.HasPrefix(ev.ID, "evt_test_") {
				t.Errorf("event %+v, want %+v", ev, want)
			}
		})
	}
}

func TestTestProviderRequiresAction(t *testing.T) {
	ctx := context.Background()
	p, rec := newTestProvider(t)
	in := mustCreate(t, p, "ord_3ds", 4000)
	if _, err := p.CompleteAction(ctx, in.ID); !errors.Is(err, payment.ErrInvalid) {
		t.Errorf("CompleteAction before confirming: %v, want ErrInvalid", err)
	}
	if _, err := p.Confirm(ctx, in.ID, payment.TestCardRequiresAction); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Confirm(ctx, in.ID, payment.TestCardSucceeds); !errors.Is(err, payment.ErrInvalid) {
		t.Errorf("Confirm while requires_action: %v, want ErrInvalid", err)
	}
	if n := len(rec.events()); n != 0 {
		t.Fatalf("%d events before the action completed", n)
	}
	got, err := p.CompleteAction(ctx, in.ID)
	if err != nil || got.Status != payment.StatusSucceeded {
		t.Fatalf("CompleteAction = %s, %v; want succeeded", got.Status, err)
	}
	if evs := rec.events(); len(evs) != 1 || evs[0].Type != purchase.EventPaymentSucceeded || evs[0].IntentID != in.ID {
		t.Errorf("events %+v, want one payment_intent.succeeded", evs)
	}
	if _, err := p.CompleteAction(ctx, in.ID); !errors.Is(err, payment.ErrInvalid) {
		t.Errorf("second CompleteAction: %v, want ErrInvalid", err)
	}
	if _, err := p.CompleteAction(ctx, "pi_test_nope"); !errors.Is(err, payment.ErrNotFound) {
		t.Errorf("CompleteAction(unknown): %v, want ErrNotFound", err)
	}
}

func TestTestProviderConfirmAfterDecline(t *testing.T) {
	ctx := context.Background()
	p, rec := newTestProvider(t)
	in := mustCreate(t, p, "ord_retry", 1000)
	if _, err := p.Confirm(ctx, in.ID, payment.TestCardDeclined); !errors.Is(err, payment.ErrDeclined) {
		t.Fatalf("declined card: %v", err)
	}
	got, err := p.Confirm(ctx, in.ID, payment.TestCardSucceeds)
	if err != nil || got.Status != payment.StatusSucceeded {
		t.Fatalf("retry with a good card = %s, %v", got.Status, err)
	}
	if _, err := p.Confirm(ctx, in.ID, payment.TestCardSucceeds); !errors.Is(err, payment.ErrInvalid) {
		t.Errorf("confirming a succeeded intent: %v, want ErrInvalid", err)
	}
	var types []string
	for _, ev := range rec.events() {
		types = append(types, ev.Type)
	}
	if want := []string{purchase.EventPaymentFailed, purchase.EventPaymentSucceeded}; fmt.Sprint(types) != fmt.Sprint(want) {
		t.Errorf("event types %v, want %v", types, want)
	}
	if _, err := p.Confirm(ctx, "pi_test_nope", payment.TestCardSucceeds); !errors.Is(err, payment.ErrNotFound) {
		t.Errorf("Confirm(unknown): %v, want ErrNotFound", err)
	}
}

func TestTestProviderIdempotency(t *testing.T) {
	ctx := context.Background()
	p, _ := newTestProvider(t)
	first, err := p.CreateIntent(ctx, "ord_1", 1500, "EUR", "key-1")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("replay", func(t *testing.T) {
		again, err := p.CreateIntent(ctx, "ord_1", 1500, "EUR", "key-1")
		if err != nil || again != first {
			t.Errorf("replay = %+v, %v; want %+v", again, err, first)
		}
	})
	t.Run("replay after payment returns the current state", func(t *testing.T) {
		p, _ := newTestProvider(t)
		in, _ := p.CreateIntent(ctx, "ord_1", 1500, "EUR", "k")
		if _, err := p.Confirm(ctx, in.ID, payment.TestCardSucceeds); err != nil {
			t.Fatal(err)
		}
		again, err := p.CreateIntent(ctx, "ord_1", 1500, "EUR", "k")
		if err != nil || again.ID != in.ID || again.Status != payment.StatusSucceeded {
			t.Errorf("replay = %+v, %v", again, err)
		}
	})
	conflicts := []struct {
		name     string
		order    string
		amount   int64
		currency string
	}{
		{"other order", "ord_2", 1500, "EUR"},
		{"other amount", "ord_1", 1600, "EUR"},
		{"other currency", "ord_1", 1500, "USD"},
	}
	for _, c := range conflicts {
		t.Run("conflict "+c.name, func(t *testing.T) {
			_, err := p.CreateIntent(ctx, c.order, c.amount, c.currency, "key-1")
			if !errors.Is(err, payment.ErrInvalid) || !strings.Contains(err.Error(), "idempotency key") {
				t.Errorf("error %v, want ErrInvalid about the idempotency key", err)
			}
		})
	}
	t.Run("no key makes a new intent each time", func(t *testing.T) {
		a := mustCreate(t, p, "ord_1", 1500)
		b := mustCreate(t, p, "ord_1", 1500)
		if a.ID == b.ID || a.ClientSecret == b.ClientSecret {
			t.Errorf("two intents share id or secret: %s %s", a.ID, b.ID)
		}
	})
}

func TestTestProviderRefunds(t *testing.T) {
	ctx := context.Background()
	p, rec := newTestProvider(t)
	in := mustPay(t, p, "ord_r", 1000)

	steps := []struct {
		name      string
		amount    int64
		key       string
		wantErr   error
		wantGiven int64 // refund amount when no error
		wantTotal int64 // charge.refunded event amount
	}{
		{"partial", 300, "rk-1", nil, 300, 300},
		{"replay of the partial", 300, "rk-1", nil, 300, -1},
		{"same key other amount", 200, "rk-1", payment.ErrInvalid, 0, -1},
		{"more than left", 701, "", payment.ErrInvalid, 0, -1},
		{"negative", -1, "", payment.ErrInvalid, 0, -1},
		{"second partial", 200, "", nil, 200, 500},
		{"the rest", 0, "rk-rest", nil, 500, 1000},
		{"after full refund", 1, "", payment.ErrInvalid, 0, -1},
		{"rest again", 0, "", payment.ErrInvalid, 0, -1},
	}
	lastEvents := len(rec.events())
	var firstID string
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			rf, err := p.Refund(ctx, in.ID, s.amount, s.key)
			if !errors.Is(err, s.wantErr) || (s.wantErr == nil && err != nil) {
				t.Fatalf("Refund(%d) error %v, want %v", s.amount, err, s.wantErr)
			}
			if err == nil {
				if rf.Amount != s.wantGiven || rf.IntentID != in.ID || rf.Currency != "EUR" || rf.Status != payment.RefundSucceeded {
					t.Errorf("refund %+v, want %d EUR succeeded for %s", rf, s.wantGiven, in.ID)
				}
				if s.name == "partial" {
					firstID = rf.ID
				}
				if s.name == "replay of the partial" && rf.ID != firstID {
					t.Errorf("replay made refund %s, want %s", rf.ID, firstID)
				}
			}
			evs := rec.events()
			if s.wantTotal < 0 {
				if len(evs) != lastEvents {
					t.Errorf("an event was delivered: %+v", evs[len(evs)-1])
				}
			} else {
				if len(evs) != lastEvents+1 {
					t.Fatalf("%d new events, want 1", len(evs)-lastEvents)
				}
				ev := evs[len(evs)-1]
				if ev.Type != purchase.EventChargeRefunded || ev.Amount != s.wantTotal || ev.IntentID != in.ID || ev.OrderID != "ord_r" {
					t.Errorf("event %+v, want charge.refunded totalling %d", ev, s.wantTotal)
				}
			}
			lastEvents = len(evs)
		})
	}

	t.Run("unpaid intent", func(t *testing.T) {
		unpaid := mustCreate(t, p, "ord_u", 1000)
		if _, err := p.Refund(ctx, unpaid.ID, 0, ""); !errors.Is(err, payment.ErrInvalid) {
			t.Errorf("error %v, want ErrInvalid", err)
		}
	})
	t.Run("unknown intent", func(t *testing.T) {
		if _, err := p.Refund(ctx, "pi_test_nope", 0, ""); !errors.Is(err, payment.ErrNotFound) {
			t.Errorf("error %v, want ErrNotFound", err)
		}
	})
	t.Run("refund key on another intent", func(t *testing.T) {
		other := mustPay(t, p, "ord_o", 1000)
		if _, err := p.Refund(ctx, other.ID, 300, "rk-1"); !errors.Is(err, payment.ErrInvalid) {
			t.Errorf("error %v, want ErrInvalid", err)
		}
	})
	t.Run("create key used for a refund", func(t *testing.T) {
		paid, err := p.CreateIntent(ctx, "ord_k", 1000, "EUR", "ck-1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Confirm(ctx, paid.ID, payment.TestCardSucceeds); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Refund(ctx, paid.ID, 0, "ck-1"); !errors.Is(err, payment.ErrInvalid) {
			t.Errorf("error %v, want ErrInvalid", err)
		}
		if _, err := p.CreateIntent(ctx, "ord_k", 1000, "EUR", "rk-rest"); !errors.Is(err, payment.ErrInvalid) {
			t.Errorf("refund key reused to create: %v, want ErrInvalid", err)
		}
	})
}

func TestTestProviderConcurrency(t *testing.T) {
	ctx := context.Background()
	p, rec := newTestProvider(t)

	t.Run("one key, many creators", func(t *testing.T) {
		const n = 32
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				in, err := p.CreateIntent(ctx, "ord_c", 700, "EUR", "same-key")
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = in.ID
			})
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("one key made intents %s and %s", ids[0], id)
			}
		}
	})

	t.Run("refunds never exceed the payment", func(t *testing.T) {
		in := mustPay(t, p, "ord_cr", 1000)
		before := len(rec.events())
		const n = 25 // of 100 each: only 10 fit
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			total int64
			ok    int
		)
		for range n {
			wg.Go(func() {
				rf, err := p.Refund(ctx, in.ID, 100, "")
				if err != nil {
					if !errors.Is(err, payment.ErrInvalid) {
						t.Error(err)
					}
					return
				}
				mu.Lock()
				total += rf.Amount
				ok++
				mu.Unlock()
			})
		}
		wg.Wait()
		if ok != 10 || total != 1000 {
			t.Errorf("%d refunds totalling %d, want 10 totalling 1000", ok, total)
		}
		var maxTotal int64
		for _, ev := range rec.events()[before:] {
			maxTotal = max(maxTotal, ev.Amount)
		}
		if maxTotal != 1000 {
			t.Errorf("largest refunded total in events %d, want 1000", maxTotal)
		}
	})

	t.Run("confirms race: one wins", func(t *testing.T) {
		in := mustCreate(t, p, "ord_cc", 500)
		const n = 16
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range n {
			wg.Go(func() {
				if _, err := p.Confirm(ctx, in.ID, payment.TestCardSucceeds); err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else if !errors.Is(err, payment.ErrInvalid) {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("%d confirms succeeded, want 1", wins)
		}
	})
}

func TestTestProviderHandlerFailure(t *testing.T) {
	ctx := context.Background()
	p, rec := newTestProvider(t)
	rec.setFail(errors.New("database down"))
	in := mustCreate(t, p, "ord_h", 1200)
	got, err := p.Confirm(ctx, in.ID, payment.TestCardSucceeds)
	if err == nil || !strings.Contains(err.Error(), "database down") {
		t.Fatalf("Confirm error %v, want the handler's", err)
	}
	if got.Status != payment.StatusSucceeded {
		t.Errorf("status %s: the payment should stand", got.Status)
	}
	if p.Pending() != 1 {
		t.Fatalf("Pending() = %d, want 1", p.Pending())
	}
	if err := p.Redeliver(ctx); err == nil {
		t.Error("Redeliver with the handler still failing returned nil")
	}
	if p.Pending() != 1 {
		t.Fatalf("after a failed redelivery Pending() = %d, want 1", p.Pending())
	}
	rec.setFail(nil)
	if err := p.Redeliver(ctx); err != nil {
		t.Fatal(err)
	}
	if evs := rec.events(); len(evs) != 1 || evs[0].Type != purchase.EventPaymentSucceeded || evs[0].IntentID != in.ID {
		t.Errorf("events after Redeliver %+v", evs)
	}
	if p.Pending() != 0 {
		t.Errorf("Pending() = %d after a good redelivery", p.Pending())
	}
}

func TestTestProviderNoHandlerKeepsEvents(t *testing.T) {
	ctx := context.Background()
	p := payment.NewTestProvider(payment.TestConfig{})
	in := mustPay(t, p, "ord_nh", 300)
	if p.Pending() != 1 {
		t.Fatalf("Pending() = %d, want 1", p.Pending())
	}
	rec := &recorder{}
	p.OnEvent(rec.handle)
	if err := p.Redeliver(ctx); err != nil {
		t.Fatal(err)
	}
	if evs := rec.events(); len(evs) != 1 || evs[0].IntentID != in.ID {
		t.Errorf("events %+v", evs)
	}
}

func TestTestProviderPersistence(t *testing.T) {
	ctx := context.Background()
	var (
		mu      sync.Mutex
		saved   = map[string]payment.TestRecord{}
		failing bool
	)
	save := func(_ context.Context, r payment.TestRecord) error {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			return errors.New("disk full")
		}
		saved[r.Intent.ID] = r
		return nil
	}
	setFailing := func(v bool) { mu.Lock(); failing = v; mu.Unlock() }
	p := payment.NewTestProvider(payment.TestConfig{Now: func() time.Time { return t0 }, Save: save})

	in, err := p.CreateIntent(ctx, "ord_p", 2000, "EUR", "pk-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Confirm(ctx, in.ID, payment.TestCardSucceeds); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Refund(ctx, in.ID, 500, "pr-1"); err != nil {
		t.Fatal(err)
	}

	t.Run("a failed save changes nothing", func(t *testing.T) {
		other := mustCreate(t, p, "ord_s", 100)
		setFailing(true)
		defer setFailing(false)
		if _, err := p.CreateIntent(ctx, "ord_q", 100, "EUR", "pk-2"); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("CreateIntent error %v, want the save error", err)
		}
		if _, err := p.Refund(ctx, in.ID, 100, "pr-2"); err == nil {
			t.Error("Refund with a failing save succeeded")
		}
		if _, err := p.Confirm(ctx, other.ID, payment.TestCardSucceeds); err == nil {
			t.Error("Confirm with a failing save succeeded")
		}
		if got, _ := p.Intent(ctx, other.ID); got.Status != payment.StatusRequiresPaymentMethod {
			t.Errorf("status after a failed save %s", got.Status)
		}
		setFailing(false)
		// The keys of failed calls are free: the calls did not happen.
		if _, err := p.CreateIntent(ctx, "ord_other", 100, "EUR", "pk-2"); err != nil {
			t.Errorf("key of a failed create: %v", err)
		}
		if rf, err := p.Refund(ctx, in.ID, 100, "pr-2"); err != nil || rf.Amount != 100 {
			t.Errorf("key of a failed refund: %+v, %v", rf, err)
		}
	})

	t.Run("load restores intents, refunds and keys", func(t *testing.T) {
		mu.Lock()
		var records []payment.TestRecord
		for _, r := range saved {
			records = append(records, r)
		}
		mu.Unlock()
		q := payment.NewTestProvider(payment.TestConfig{})
		if err := q.Load(records); err != nil {
			t.Fatal(err)
		}
		got, err := q.Intent(ctx, in.ID)
		if err != nil || got.Status != payment.StatusSucceeded || got.ClientSecret != in.ClientSecret {
			t.Fatalf("Intent after Load = %+v, %v", got, err)
		}
		again, err := q.CreateIntent(ctx, "ord_p", 2000, "EUR", "pk-1")
		if err != nil || again.ID != in.ID {
			t.Errorf("create key after Load = %s, %v; want %s", again.ID, err, in.ID)
		}
		if _, err := q.Refund(ctx, in.ID, 500, "pr-1"); err != nil {
			t.Errorf("refund key replay after Load: %v", err)
		}
		// 2000 paid, 500 + 100 refunded: 1400 left.
		if _, err := q.Refund(ctx, in.ID, 1401, ""); !errors.Is(err, payment.ErrInvalid) {
			t.Errorf("over-refund after Load: %v, want ErrInvalid", err)
		}
		if rf, err := q.Refund(ctx, in.ID, 0, ""); err != nil || rf.Amount != 1400 {
			t.Errorf("refund the rest after Load = %+v, %v; want 1400", rf, err)
		}
	})

	t.Run("load refuses inconsistent records", func(t *testing.T) {
		q := payment.NewTestProvider(payment.TestConfig{})
		r := payment.TestRecord{Intent: payment.Intent{ID: "pi_x", Amount: 10}}
		for name, recs := range map[string][]payment.TestRecord{
			"duplicate":     {r, r},
			"no id":         {{}},
			"over-refunded": {{Intent: r.Intent, Refunds: []payment.TestRefund{{Refund: payment.Refund{ID: "re_1", Amount: 11}}}}},
		} {
			if err := q.Load(recs); !errors.Is(err, payment.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
	})
}

func TestTestProviderCanceledContext(t *testing.T) {
	p, _ := newTestProvider(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.CreateIntent(ctx, "ord_1", 100, "EUR", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateIntent: %v, want context.Canceled", err)
	}
}

func TestIntentHidesClientSecret(t *testing.T) {
	in := payment.Intent{ID: "pi_1", ClientSecret: "pi_1_secret_abc", Amount: 100, Currency: "EUR",
		Status: payment.StatusSucceeded, OrderID: "ord_1"}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("paid", "intent", in)
	//lint:ignore S1025 the case is fmt's %s verb itself, not the String method
	for name, s := range map[string]string{"fmt %v": fmt.Sprintf("%v", in), "fmt %s": fmt.Sprintf("%s", in), "slog": buf.String()} {
		if strings.Contains(s, "secret") {
			t.Errorf("%s shows the client secret: %s", name, s)
		}
		if !strings.Contains(s, "pi_1") || !strings.Contains(s, "ord_1") {
			t.Errorf("%s lost the ids: %s", name, s)
		}
	}
}
