package payment_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/payment"
)

// stripeMockURL returns the URL of the stripe-mock that
// .ci/stripe-mock.sh started. Without one the test fails in CI
// (CI=true) and is skipped on a laptop.
func stripeMockURL(t *testing.T) string {
	t.Helper()
	return testenv.StripeMock(t)
}

// recordingTransport keeps every request it passes on, body included.
type recordingTransport struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method, path string
	header       http.Header
	form         url.Values
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
		r.Body.Close()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
	}
	form, _ := url.ParseQuery(string(body))
	rt.mu.Lock()
	rt.reqs = append(rt.reqs, recorded{r.Method, r.URL.Path, r.Header.Clone(), form})
	rt.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (rt *recordingTransport) last(t *testing.T) recorded {
	t.Helper()
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.reqs) == 0 {
		t.Fatal("no request was made")
	}
	return rt.reqs[len(rt.reqs)-1]
}

func newStripeAt(t *testing.T, base string, rt http.RoundTripper) *payment.Stripe {
	t.Helper()
	cfg := payment.StripeConfig{SecretKey: testSecretKey, WebhookSecret: testWebhookSecret, APIBase: base}
	if rt != nil {
		cfg.HTTPClient = &http.Client{Transport: rt}
	}
	s, err := payment.NewStripe(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStripeMock runs the provider against stripe-mock, which checks
// every request against Stripe's OpenAPI specification and answers with
// fixtures (it echoes some parameters, such as amount and currency, but
// not metadata; the request itself is checked for those).
func TestStripeMock(t *testing.T) {
	base := stripeMockURL(t)
	rt := &recordingTransport{}
	s := newStripeAt(t, base, rt)
	ctx := context.Background()

	var created payment.Intent
	t.Run("create intent", func(t *testing.T) {
		in, err := s.CreateIntent(ctx, "ord_mock", 1500, "EUR", "create-ord_mock")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(in.ID, "pi_") || !strings.Contains(in.ClientSecret, "_secret_") {
			t.Errorf("id %q, client secret %q: want pi_... and a client secret", in.ID, in.ClientSecret)
		}
		if in.Amount != 1500 || in.Currency != "EUR" || in.Status != payment.StatusRequiresPaymentMethod {
			t.Errorf("got %d %s %s, want 1500 EUR requires_payment_method", in.Amount, in.Currency, in.Status)
		}
		req := rt.last(t)
		want := map[string]string{
			"amount":                             "1500",
			"currency":                           "eur",
			"metadata[order_id]":                 "ord_mock",
			"automatic_payment_methods[enabled]": "true",
		}
		for k, v := range want {
			if got := req.form.Get(k); got != v {
				t.Errorf("request %s = %q, want %q", k, got, v)
			}
		}
		if req.method != http.MethodPost || req.path != "/v1/payment_intents" {
			t.Errorf("request %s %s, want POST /v1/payment_intents", req.method, req.path)
		}
		if got := req.header.Get("Idempotency-Key"); got != "create-ord_mock" {
			t.Errorf("Idempotency-Key %q", got)
		}
		if got := req.header.Get("Authorization"); got != "Bearer "+testSecretKey {
			t.Errorf("Authorization header %q, want the secret key as bearer", got)
		}
		created = in
	})

	t.Run("retrieve intent", func(t *testing.T) {
		id := created.ID
		if id == "" {
			id = "pi_mock"
		}
		in, err := s.Intent(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		// stripe-mock answers with a fixture carrying the requested id.
		if in.ID != id || in.ClientSecret == "" || in.Amount <= 0 || len(in.Currency) != 3 || in.Status == "" {
			t.Errorf("got %+v", in)
		}
		if req := rt.last(t); req.method != http.MethodGet || req.path != "/v1/payment_intents/"+id {
			t.Errorf("request %s %s", req.method, req.path)
		}
	})

	t.Run("refund", func(t *testing.T) {
		rf, err := s.Refund(ctx, "pi_mock", 500, "refund-1")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(rf.ID, "re_") || rf.IntentID != "pi_mock" || rf.Amount != 500 || rf.Status == "" {
			t.Errorf("got %+v", rf)
		}
		req := rt.last(t)
		if req.path != "/v1/refunds" || req.form.Get("payment_intent") != "pi_mock" || req.form.Get("amount") != "500" {
			t.Errorf("request %s %v", req.path, req.form)
		}
		if got := req.header.Get("Idempotency-Key"); got != "refund-1" {
			t.Errorf("Idempotency-Key %q", got)
		}
	})

	t.Run("full refund sends no amount", func(t *testing.T) {
		if _, err := s.Refund(ctx, "pi_mock", 0, ""); err != nil {
			t.Fatal(err)
		}
		req := rt.last(t)
		if _, ok := req.form["amount"]; ok {
			t.Errorf("full refund sent amount %q", req.form.Get("amount"))
		}
	})

	t.Run("input is checked before calling Stripe", func(t *testing.T) {
		rt.mu.Lock()
		n := len(rt.reqs)
		rt.mu.Unlock()
		if _, err := s.CreateIntent(ctx, "ord_1", 100, "eur", ""); !errors.Is(err, payment.ErrInvalid) {
			t.Errorf("lower-case currency: %v, want ErrInvalid", err)
		}
		if _, err := s.Intent(ctx, ""); !errors.Is(err, payment.ErrInvalid) {
			t.Errorf("empty id: %v, want ErrInvalid", err)
		}
		rt.mu.Lock()
		defer rt.mu.Unlock()
		if len(rt.reqs) != n {
			t.Errorf("invalid input reached Stripe")
		}
	})

	t.Run("bad key is a provider error without the key", func(t *testing.T) {
		bad, err := payment.NewStripe(payment.StripeConfig{SecretKey: "sk_live_notatestkey", WebhookSecret: testWebhookSecret, APIBase: base})
		if err != nil {
			t.Fatal(err)
		}
		_, err = bad.Intent(ctx, "pi_mock")
		if !errors.Is(err, payment.ErrProvider) {
			t.Fatalf("error %v, want ErrProvider", err)
		}
		if strings.Contains(err.Error(), "notatestkey") {
			t.Errorf("error repeats the key: %v", err)
		}
	})
}

// fakeStripe answers every request with status and body.
func fakeStripe(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_fake")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestStripeErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		wantErr error
		wantIn  []string
	}{
		{"missing intent", 404, `{"error":{"type":"invalid_request_error","code":"resource_missing","param":"intent","message":"No such payment_intent: 'pi_x'"}}`,
			payment.ErrNotFound, []string{"No such payment_intent", "resource_missing", "req_fake"}},
		{"declined", 402, `{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds.",
			"payment_intent":{"id":"pi_x","object":"payment_intent","client_secret":"pi_x_secret_TOPSECRET"}}}`,
			payment.ErrDeclined, []string{"insufficient_funds"}},
		{"idempotency key reused", 400, `{"error":{"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters they were first used with."}}`,
			payment.ErrInvalid, []string{"idempotency_error"}},
		{"refund too large", 400, `{"error":{"type":"invalid_request_error","code":"charge_exceeds_source_limit","message":"Refund amount (€20.00) is greater than unrefunded amount on charge (€15.00)"}}`,
			payment.ErrInvalid, []string{"greater than unrefunded"}},
		{"bad key", 401, `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_admitone0123456789"}}`,
			payment.ErrProvider, []string{"Invalid API Key", "[redacted]"}},
		{"not JSON", 200, `<html>bad gateway sk_live_abcdef</html>`, payment.ErrProvider, []string{"[redacted]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStripeAt(t, fakeStripe(t, tt.status, tt.body), nil)
			_, err := s.Intent(context.Background(), "pi_x")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			for _, w := range tt.wantIn {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, secret := range []string{testSecretKey, "TOPSECRET", "sk_live_abcdef", testWebhookSecret} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q carries a secret", err)
				}
			}
		})
	}
	t.Run("canceled context", func(t *testing.T) {
		s := newStripeAt(t, fakeStripe(t, 200, `{}`), nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := s.Intent(ctx, "pi_x")
		if !errors.Is(err, context.Canceled) || !errors.Is(err, payment.ErrProvider) {
			t.Errorf("error %v, want context.Canceled and ErrProvider", err)
		}
	})
}

func TestStripeIntentStatus(t *testing.T) {
	tests := []struct {
		name string
		json string
		want payment.Status
	}{
		{"new", `"status":"requires_payment_method"`, payment.StatusRequiresPaymentMethod},
		{"declined", `"status":"requires_payment_method","last_payment_error":{"type":"card_error","code":"card_declined"}`, payment.StatusFailed},
		{"other last error", `"status":"requires_payment_method","last_payment_error":{"type":"invalid_request_error"}`, payment.StatusRequiresPaymentMethod},
		{"requires confirmation", `"status":"requires_confirmation"`, payment.StatusRequiresPaymentMethod},
		{"requires action", `"status":"requires_action"`, payment.StatusRequiresAction},
		{"processing", `"status":"processing"`, payment.StatusProcessing},
		{"requires capture", `"status":"requires_capture"`, payment.StatusProcessing},
		{"succeeded", `"status":"succeeded"`, payment.StatusSucceeded},
		{"canceled", `"status":"canceled"`, payment.StatusCanceled},
		{"unknown", `"status":"something_new"`, payment.StatusProcessing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"id":"pi_s","object":"payment_intent","amount":700,"currency":"usd","client_secret":"pi_s_secret_1","metadata":{"order_id":"ord_s"},` + tt.json + `}`
			s := newStripeAt(t, fakeStripe(t, 200, body), nil)
			got, err := s.Intent(context.Background(), "pi_s")
			if err != nil {
				t.Fatal(err)
			}
			want := payment.Intent{ID: "pi_s", ClientSecret: "pi_s_secret_1", Amount: 700, Currency: "USD", Status: tt.want, OrderID: "ord_s"}
			if got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestStripeConfigValidate(t *testing.T) {
	good := payment.StripeConfig{SecretKey: testSecretKey, WebhookSecret: testWebhookSecret}
	tests := []struct {
		name   string
		modify func(*payment.StripeConfig)
		wantIn string // "" means valid
	}{
		{"defaults", func(*payment.StripeConfig) {}, ""},
		{"restricted key", func(c *payment.StripeConfig) { c.SecretKey = "rk_test_abc" }, ""},
		{"https base", func(c *payment.StripeConfig) { c.APIBase = "https://stripe.example.com" }, ""},
		{"http on loopback", func(c *payment.StripeConfig) { c.APIBase = "http://127.0.0.1:12111" }, ""},
		{"http on localhost", func(c *payment.StripeConfig) { c.APIBase = "http://localhost:12111/" }, ""},
		{"no key", func(c *payment.StripeConfig) { c.SecretKey = "" }, "secret key is required"},
		{"publishable key", func(c *payment.StripeConfig) { c.SecretKey = "pk_test_SECRETISH" }, "sk_ or rk_"},
		{"no webhook secret", func(c *payment.StripeConfig) { c.WebhookSecret = "" }, "webhook signing secret"},
		{"http elsewhere", func(c *payment.StripeConfig) { c.APIBase = "http://stripe.example.com" }, "plain http"},
		{"other scheme", func(c *payment.StripeConfig) { c.APIBase = "ftp://127.0.0.1" }, "https"},
		{"base with path", func(c *payment.StripeConfig) { c.APIBase = "https://api.stripe.com/v1" }, "API base"},
		{"base with credentials", func(c *payment.StripeConfig) { c.APIBase = "https://u:p@api.stripe.com" }, "API base"},
		{"negative tolerance", func(c *payment.StripeConfig) { c.WebhookTolerance = -1 }, "tolerance"},
		{"negative payload limit", func(c *payment.StripeConfig) { c.MaxWebhookBytes = -1 }, "payload limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.modify(&c)
			err := c.Validate()
			if tt.wantIn == "" {
				if err != nil {
					t.Errorf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, payment.ErrInvalid) || !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("Validate: %v, want ErrInvalid naming %q", err, tt.wantIn)
			}
			if strings.Contains(err.Error(), "SECRETISH") || strings.Contains(err.Error(), testWebhookSecret) {
				t.Errorf("error %q repeats a secret", err)
			}
			if _, nerr := payment.NewStripe(c); nerr == nil {
				t.Error("NewStripe accepted what Validate refused")
			}
		})
	}
}
