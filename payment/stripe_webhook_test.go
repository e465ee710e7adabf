package payment_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/purchase"
)

const (
	testSecretKey     = "sk_test_admitone0123456789"
	testWebhookSecret = "whsec_admitoneTestSecret0123456789"
)

// newWebhookStripe returns a Stripe provider for webhook tests; it never
// talks to an API.
func newWebhookStripe(t testing.TB, replay payment.ReplayGuard) *payment.Stripe {
	t.Helper()
	s, err := payment.NewStripe(payment.StripeConfig{
		SecretKey:     testSecretKey,
		WebhookSecret: testWebhookSecret,
		Replay:        replay,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sign returns a header signed with secret at t, using stripe-go's own
// signing code so that our verifier is checked against Stripe's.
func sign(secret string, t time.Time, payload []byte) http.Header {
	h := http.Header{}
	sig := hex.EncodeToString(webhook.ComputeSignature(t, payload, secret))
	h.Set("Stripe-Signature", fmt.Sprintf("t=%d,v1=%s", t.Unix(), sig))
	return h
}

func intentEvent(id, typ string) []byte {
	return fmt.Appendf(nil, `{
  "id": %q, "object": "event", "api_version": "2025-08-27.basil", "created": %d,
  "livemode": false, "type": %q,
  "data": {"object": {
    "id": "pi_3Abc", "object": "payment_intent", "amount": 8950, "amount_received": 8950,
    "currency": "eur", "status": "succeeded", "client_secret": "pi_3Abc_secret_xyz",
    "metadata": {"order_id": "ord_42"}
  }}
}`, id, t0.Unix(), typ)
}

func failedEvent(id string) []byte {
	return fmt.Appendf(nil, `{"id": %q, "object": "event", "created": %d, "type": "payment_intent.payment_failed",
  "data": {"object": {"id": "pi_3Abc", "object": "payment_intent", "amount": 8950, "amount_received": 0,
    "currency": "eur", "status": "requires_payment_method", "metadata": {"order_id": "ord_42"},
    "last_payment_error": {"type": "card_error", "code": "card_declined"}}}}`, id, t0.Unix())
}

func refundEvent(id, intentField string) []byte {
	return fmt.Appendf(nil, `{"id": %q, "object": "event", "created": %d, "type": "charge.refunded",
  "data": {"object": {"id": "ch_3Abc", "object": "charge", "amount": 8950, "amount_refunded": 3000,
    "currency": "eur", "refunded": false, "metadata": {"order_id": "ord_42"}, "payment_intent": %s}}}`, id, t0.Unix(), intentField)
}

func TestParseWebhookEvents(t *testing.T) {
	want := func(id, typ string, amount int64) payment.Event {
		return payment.Event{ID: id, Type: typ, IntentID: "pi_3Abc", OrderID: "ord_42", Amount: amount, Currency: "EUR", Created: t0}
	}
	tests := []struct {
		name    string
		payload []byte
		want    payment.Event
	}{
		{"succeeded", intentEvent("evt_1", purchase.EventPaymentSucceeded), want("evt_1", purchase.EventPaymentSucceeded, 8950)},
		{"payment failed", failedEvent("evt_2"), want("evt_2", purchase.EventPaymentFailed, 8950)},
		{"charge refunded, intent id", refundEvent("evt_3", `"pi_3Abc"`), want("evt_3", purchase.EventChargeRefunded, 3000)},
		{"charge refunded, expanded intent", refundEvent("evt_4", `{"id": "pi_3Abc", "object": "payment_intent"}`), want("evt_4", purchase.EventChargeRefunded, 3000)},
	}
	s := newWebhookStripe(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ParseWebhook(tt.payload, sign(testWebhookSecret, t0, tt.payload), t0.Add(time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseWebhookRejects(t *testing.T) {
	good := intentEvent("evt_r", purchase.EventPaymentSucceeded)
	goodSig := hex.EncodeToString(webhook.ComputeSignature(t0, good, testWebhookSecret))
	header := func(v ...string) http.Header {
		h := http.Header{}
		for _, s := range v {
			h.Add("Stripe-Signature", s)
		}
		return h
	}
	tests := []struct {
		name    string
		payload []byte
		header  http.Header
		now     time.Time
		wantErr error
		wantIn  string
	}{
		{"signed with another secret", good, sign("whsec_other", t0, good), t0, payment.ErrBadSignature, "does not match"},
		{"payload changed after signing", []byte(strings.Replace(string(good), "8950", "1", 1)), sign(testWebhookSecret, t0, good), t0, payment.ErrBadSignature, "does not match"},
		{"timestamp changed after signing", good, header(fmt.Sprintf("t=%d,v1=%s", t0.Unix()+1, goodSig)), t0, payment.ErrBadSignature, "does not match"},
		{"stale", good, sign(testWebhookSecret, t0, good), t0.Add(5*time.Minute + time.Second), payment.ErrStaleWebhook, "ago"},
		{"far in the future", good, sign(testWebhookSecret, t0, good), t0.Add(-5*time.Minute - time.Second), payment.ErrStaleWebhook, "future"},
		{"no header", good, http.Header{}, t0, payment.ErrBadSignature, "no Stripe-Signature"},
		{"two headers", good, header("t=1,v1="+goodSig, "t=1,v1="+goodSig), t0, payment.ErrBadSignature, "2 Stripe-Signature"},
		{"empty header", good, header(""), t0, payment.ErrBadSignature, "malformed"},
		{"garbage", good, header("garbage"), t0, payment.ErrBadSignature, "malformed"},
		{"no timestamp", good, header("v1=" + goodSig), t0, payment.ErrBadSignature, "no timestamp"},
		{"two timestamps", good, header(fmt.Sprintf("t=%d,t=%d,v1=%s", t0.Unix(), t0.Unix(), goodSig)), t0, payment.ErrBadSignature, "more than one"},
		{"timestamp not a number", good, header("t=abc,v1=" + goodSig), t0, payment.ErrBadSignature, "timestamp"},
		{"negative timestamp", good, header("t=-5,v1=" + goodSig), t0, payment.ErrBadSignature, "timestamp"},
		{"huge timestamp", good, header("t=99999999999999999999999,v1=" + goodSig), t0, payment.ErrBadSignature, "timestamp"},
		{"no v1", good, header(fmt.Sprintf("t=%d,v0=%s", t0.Unix(), goodSig)), t0, payment.ErrBadSignature, "no v1"},
		{"v1 not hex", good, header(fmt.Sprintf("t=%d,v1=zz", t0.Unix())), t0, payment.ErrBadSignature, "no v1"},
		{"v1 truncated", good, header(fmt.Sprintf("t=%d,v1=%s", t0.Unix(), goodSig[:62])), t0, payment.ErrBadSignature, "no v1"},
		{"header too long", good, header(fmt.Sprintf("t=%d,v1=%s,", t0.Unix(), goodSig) + strings.Repeat("x=y,", 1100)), t0, payment.ErrBadSignature, "too long"},
		{"oversized payload", make([]byte, payment.DefaultMaxWebhookBytes+1), header("t=1,v1=" + goodSig), t0, payment.ErrInvalid, "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newWebhookStripe(t, nil)
			ev, err := s.ParseWebhook(tt.payload, tt.header, tt.now)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantIn) {
				t.Fatalf("error %v, want %v containing %q", err, tt.wantErr, tt.wantIn)
			}
			if ev != (payment.Event{}) {
				t.Errorf("an unverified request returned event %+v", ev)
			}
			if strings.Contains(err.Error(), testWebhookSecret) || strings.Contains(err.Error(), goodSig) {
				t.Errorf("error %q repeats a secret or signature", err)
			}
		})
	}
}

func TestParseWebhookTolerance(t *testing.T) {
	payload := intentEvent("evt_tol", purchase.EventPaymentSucceeded)
	tests := []struct {
		name    string
		offset  time.Duration // now - signed
		wantErr error
	}{
		{"just signed", 0, nil},
		{"at the tolerance", 5 * time.Minute, nil},
		{"past the tolerance", 5*time.Minute + time.Second, payment.ErrStaleWebhook},
		{"a day old", 24 * time.Hour, payment.ErrStaleWebhook},
		{"slightly in the future", -5 * time.Minute, nil},
		{"far in the future", -5*time.Minute - time.Second, payment.ErrStaleWebhook},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newWebhookStripe(t, nil)
			_, err := s.ParseWebhook(payload, sign(testWebhookSecret, t0, payload), t0.Add(tt.offset))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
		})
	}
	t.Run("configured tolerance", func(t *testing.T) {
		s, err := payment.NewStripe(payment.StripeConfig{SecretKey: testSecretKey, WebhookSecret: testWebhookSecret, WebhookTolerance: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ParseWebhook(payload, sign(testWebhookSecret, t0, payload), t0.Add(61*time.Second)); !errors.Is(err, payment.ErrStaleWebhook) {
			t.Errorf("61 s with a 1 min tolerance: %v, want ErrStaleWebhook", err)
		}
	})
}

func TestParseWebhookSignatureVariants(t *testing.T) {
	payload := intentEvent("evt_sig", purchase.EventPaymentSucceeded)
	good := hex.EncodeToString(webhook.ComputeSignature(t0, payload, testWebhookSecret))
	old := hex.EncodeToString(webhook.ComputeSignature(t0, payload, "whsec_rolledAway"))
	tests := []struct {
		name   string
		header string
	}{
		{"ours is the second of several v1 (secret being rolled)", fmt.Sprintf("t=%d,v1=%s,v1=%s", t0.Unix(), old, good)},
		{"ours is first", fmt.Sprintf("t=%d,v1=%s,v1=%s", t0.Unix(), good, old)},
		{"with v0 and unknown schemes", fmt.Sprintf("v0=abc,t=%d,v9=x,v1=%s", t0.Unix(), good)},
		{"spaces after commas", fmt.Sprintf("t=%d, v1=%s", t0.Unix(), good)},
		{"upper-case hex", fmt.Sprintf("t=%d,v1=%s", t0.Unix(), strings.ToUpper(good))},
		{"an undecodable v1 beside a good one", fmt.Sprintf("t=%d,v1=nothex,v1=%s", t0.Unix(), good)},
		{"our own StripeSignature", payment.StripeSignature(testWebhookSecret, t0, payload)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newWebhookStripe(t, nil)
			h := http.Header{}
			h.Set("Stripe-Signature", tt.header)
			if _, err := s.ParseWebhook(payload, h, t0); err != nil {
				t.Errorf("header %q: %v", tt.header, err)
			}
		})
	}
}

func TestParseWebhookReplay(t *testing.T) {
	payload := intentEvent("evt_replay", purchase.EventPaymentSucceeded)
	s := newWebhookStripe(t, nil)
	first, err := s.ParseWebhook(payload, sign(testWebhookSecret, t0, payload), t0)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("same request again", func(t *testing.T) {
		ev, err := s.ParseWebhook(payload, sign(testWebhookSecret, t0, payload), t0.Add(time.Minute))
		if !errors.Is(err, payment.ErrReplayedWebhook) {
			t.Fatalf("error %v, want ErrReplayedWebhook", err)
		}
		if ev != first {
			t.Errorf("replay returned %+v, want the event %+v", ev, first)
		}
	})
	t.Run("same event id freshly signed (a Stripe retry)", func(t *testing.T) {
		later := t0.Add(2 * time.Hour)
		if _, err := s.ParseWebhook(payload, sign(testWebhookSecret, later, payload), later); !errors.Is(err, payment.ErrReplayedWebhook) {
			t.Errorf("error %v, want ErrReplayedWebhook", err)
		}
	})
	t.Run("another event is accepted", func(t *testing.T) {
		other := intentEvent("evt_other", purchase.EventPaymentSucceeded)
		if _, err := s.ParseWebhook(other, sign(testWebhookSecret, t0, other), t0); err != nil {
			t.Error(err)
		}
	})
	t.Run("accepted again after ForgetWebhook", func(t *testing.T) {
		if err := s.ForgetWebhook("evt_replay"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ParseWebhook(payload, sign(testWebhookSecret, t0, payload), t0); err != nil {
			t.Errorf("after Forget: %v", err)
		}
		if _, err := s.ParseWebhook(payload, sign(testWebhookSecret, t0, payload), t0); !errors.Is(err, payment.ErrReplayedWebhook) {
			t.Errorf("second time after Forget: %v, want ErrReplayedWebhook", err)
		}
	})
	t.Run("a bad signature does not record the id", func(t *testing.T) {
		p := intentEvent("evt_unsigned", purchase.EventPaymentSucceeded)
		if _, err := s.ParseWebhook(p, sign("whsec_wrong", t0, p), t0); !errors.Is(err, payment.ErrBadSignature) {
			t.Fatalf("error %v", err)
		}
		if _, err := s.ParseWebhook(p, sign(testWebhookSecret, t0, p), t0); err != nil {
			t.Errorf("the properly signed event after a forged one: %v", err)
		}
	})
}

// storeGuard is a ReplayGuard as a caller backed by its store would
// write it.
type storeGuard struct {
	mu   sync.Mutex
	seen map[string]bool
	err  error
}

func (g *storeGuard) Seen(id string, _ time.Time) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return false, g.err
	}
	was := g.seen[id]
	g.seen[id] = true
	return was, nil
}

func (g *storeGuard) Forget(id string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.seen, id)
	return nil
}

func TestParseWebhookReplayGuardHook(t *testing.T) {
	g := &storeGuard{seen: map[string]bool{"evt_known": true}}
	s := newWebhookStripe(t, g)
	known := intentEvent("evt_known", purchase.EventPaymentSucceeded)
	if _, err := s.ParseWebhook(known, sign(testWebhookSecret, t0, known), t0); !errors.Is(err, payment.ErrReplayedWebhook) {
		t.Errorf("id already in the store: %v, want ErrReplayedWebhook", err)
	}
	fresh := intentEvent("evt_fresh", purchase.EventPaymentSucceeded)
	if _, err := s.ParseWebhook(fresh, sign(testWebhookSecret, t0, fresh), t0); err != nil {
		t.Fatal(err)
	}
	if !g.seen["evt_fresh"] {
		t.Error("the guard did not record the accepted event")
	}
	g.err = errors.New("store unavailable")
	other := intentEvent("evt_x", purchase.EventPaymentSucceeded)
	_, err := s.ParseWebhook(other, sign(testWebhookSecret, t0, other), t0)
	if err == nil || !strings.Contains(err.Error(), "store unavailable") || errors.Is(err, payment.ErrReplayedWebhook) {
		t.Errorf("guard failure: %v, want the store's error", err)
	}
}

func TestParseWebhookBodies(t *testing.T) {
	ev := func(typ, object string) []byte {
		return fmt.Appendf(nil, `{"id":"evt_b","object":"event","created":%d,"type":%q,"data":{"object":%s}}`, t0.Unix(), typ, object)
	}
	tests := []struct {
		name    string
		payload []byte
		wantErr error
		wantIn  string
	}{
		{"unknown event type", ev("customer.created", `{"id":"cus_1","object":"customer"}`), payment.ErrIgnoredEvent, "customer.created"},
		{"refund of a charge without intent", refundEvent("evt_b", "null"), payment.ErrIgnoredEvent, "no payment intent"},
		{"not JSON", []byte("hello"), payment.ErrInvalid, "not a JSON event"},
		{"empty", []byte{}, payment.ErrInvalid, "not a JSON event"},
		{"not an event", []byte(`{"id":"pi_1","object":"payment_intent"}`), payment.ErrInvalid, "not a Stripe event"},
		{"event without id", []byte(`{"object":"event","type":"payment_intent.succeeded"}`), payment.ErrInvalid, "not a Stripe event"},
		{"wrong object for the type", ev(purchase.EventPaymentSucceeded, `{"id":"ch_1","object":"charge"}`), payment.ErrInvalid, "not a payment_intent"},
		{"object is a string", ev(purchase.EventPaymentSucceeded, `"pi_1"`), payment.ErrInvalid, "not a JSON object"},
		{"intent without id", ev(purchase.EventPaymentSucceeded, `{"object":"payment_intent","amount":1,"currency":"eur"}`), payment.ErrInvalid, "payment intent id"},
		{"bad currency", ev(purchase.EventPaymentSucceeded, `{"id":"pi_1","object":"payment_intent","amount":1,"currency":"euro"}`), payment.ErrInvalid, "currency"},
		{"amount not a number", ev(purchase.EventPaymentSucceeded, `{"id":"pi_1","object":"payment_intent","amount":"1","currency":"eur"}`), payment.ErrInvalid, "data.object"},
		{"negative amount", ev(purchase.EventPaymentSucceeded, `{"id":"pi_1","object":"payment_intent","amount":-1,"currency":"eur"}`), payment.ErrInvalid, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newWebhookStripe(t, nil)
			got, err := s.ParseWebhook(tt.payload, sign(testWebhookSecret, t0, tt.payload), t0)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantIn) {
				t.Fatalf("error %v, want %v containing %q", err, tt.wantErr, tt.wantIn)
			}
			if errors.Is(err, payment.ErrIgnoredEvent) && (got.ID != "evt_b" || got.Type == "" || !got.Created.Equal(t0)) {
				t.Errorf("ignored event returned %+v, want its id, type and time", got)
			}
		})
	}
	t.Run("an ignored event is not recorded as seen", func(t *testing.T) {
		s := newWebhookStripe(t, nil)
		p := ev("customer.created", `{"id":"cus_1","object":"customer"}`)
		for range 2 {
			if _, err := s.ParseWebhook(p, sign(testWebhookSecret, t0, p), t0); !errors.Is(err, payment.ErrIgnoredEvent) {
				t.Errorf("error %v, want ErrIgnoredEvent both times", err)
			}
		}
	})
}

func TestStripeSignatureMatchesStripeGo(t *testing.T) {
	payload := []byte(`{"id":"evt_1"}`)
	want := fmt.Sprintf("t=%d,v1=%s", t0.Unix(), hex.EncodeToString(webhook.ComputeSignature(t0, payload, testWebhookSecret)))
	if got := payment.StripeSignature(testWebhookSecret, t0, payload); got != want {
		t.Errorf("StripeSignature = %s, want %s", got, want)
	}
}

// FuzzParseWebhook feeds arbitrary headers and payloads, the payloads
// also correctly signed so that the JSON normalization is reached. It
// must never panic, and whatever it accepts must be a complete event.
func FuzzParseWebhook(f *testing.F) {
	f.Add(intentEvent("evt_f1", purchase.EventPaymentSucceeded), "", true)
	f.Add(failedEvent("evt_f2"), "", true)
	f.Add(refundEvent("evt_f3", `"pi_1"`), "", true)
	f.Add(refundEvent("evt_f4", `{"id":"pi_1"}`), "", true)
	f.Add([]byte(`{"id":"evt_f5","object":"event","type":"x","data":{"object":null}}`), "", true)
	f.Add([]byte(`{}`), "t=1,v1=00", false)
	f.Add([]byte(`{}`), "t=1700000000,v1="+strings.Repeat("ab", 32)+",v0=1", false)
	f.Add([]byte(nil), ",,,==,t=,v1=", false)
	s := newWebhookStripe(f, nil)
	now := t0
	f.Fuzz(func(t *testing.T, payload []byte, header string, signIt bool) {
		h := http.Header{}
		if signIt {
			h.Set("Stripe-Signature", payment.StripeSignature(testWebhookSecret, now, payload))
		} else {
			h["Stripe-Signature"] = []string{header}
		}
		ev, err := s.ParseWebhook(payload, h, now)
		if err != nil {
			return
		}
		if !signIt {
			t.Fatalf("accepted a header we did not sign: %q", header)
		}
		switch ev.Type {
		case purchase.EventPaymentSucceeded, purchase.EventPaymentFailed, purchase.EventChargeRefunded:
		default:
			t.Fatalf("accepted event type %q", ev.Type)
		}
		if ev.ID == "" || ev.IntentID == "" || len(ev.Currency) != 3 || ev.Amount < 0 {
			t.Fatalf("accepted an incomplete event %+v", ev)
		}
	})
}
