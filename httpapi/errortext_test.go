package httpapi

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/payment"
)

// TestErrorTextStaysInLog: what a payment provider or a Go type says
// reaches the server's log, not the client. A provider that cannot be
// reached is 502 payment_provider with a message written for the buyer;
// the dial error is in the log. A JSON value of the wrong type names the
// field and the JSON type wanted, not a Go type.
func TestErrorTextStaysInLog(t *testing.T) {
	h := newHarness(t, "bolt")
	f := h.shopFixture(t, h.clock.Now().Add(30*24*time.Hour))

	// A Stripe whose API is a closed port.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	stripe, err := payment.NewStripe(payment.StripeConfig{SecretKey: "sk_test_errortext", WebhookSecret: "whsec_errortext",
		APIBase: dead, HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	h.purchase.Payments = stripe
	o := h.order(t, f, f.buyer, 1, 0)
	res := h.do(t, "POST", "/v1/orders/"+o.ID+"/pay", f.buyer.Token, map[string]any{})
	e := res.apiErr(t)
	if res.status != http.StatusBadGateway || e.Code != "payment_provider" {
		t.Fatalf("pay with the provider down: %d %s", res.status, res.short())
	}
	noneOf(t, "pay with the provider down", e.Message, l.Addr().String(), "dial", "refused", "stripe", o.ID, "payment provider error")
	if log := h.logs.String(); !strings.Contains(log, "refused") || !strings.Contains(log, o.ID) {
		t.Errorf("the server log lacks the provider's error:\n%s", log)
	}

	// The test provider's own words (an intent id) stay in the log too.
	h.purchase.Payments = h.payments
	res = h.do(t, "POST", "/v1/orders/"+o.ID+"/pay", f.buyer.Token, map[string]any{"test_card": "4000000000000000"})
	e = res.apiErr(t)
	if res.status != http.StatusUnprocessableEntity || e.Code != "invalid" {
		t.Fatalf("pay with a card the test provider does not know: %d %s", res.status, res.short())
	}
	noneOf(t, "pay with an unknown test card", e.Message, "pi_", "confirm", "invalid payment request")

	// JSON of the wrong type: the field and the JSON type.
	for _, c := range []struct {
		body        map[string]any
		field, want string
		not         []string
	}{
		{map[string]any{"name": "A", "kind": "admission", "price": "25 EUR", "capacity": 10}, "price", "object", []string{"catalog", "Money"}},
		{map[string]any{"name": "A", "kind": "admission", "price": map[string]any{"amount": "25", "currency": "EUR"}, "capacity": 10}, "price.amount", "whole number", []string{"int64"}},
		{map[string]any{"name": "A", "kind": "admission", "price": map[string]any{"amount": 2500, "currency": "EUR"}, "capacity": 1.5}, "capacity", "whole number", []string{"int"}},
		{map[string]any{"name": 7, "kind": "admission", "price": map[string]any{"amount": 2500, "currency": "EUR"}, "capacity": 10}, "name", "a string", nil},
	} {
		res := h.do(t, "POST", "/v1/events/"+f.event.ID+"/ticket-types", f.org.Token, c.body)
		e := res.apiErr(t)
		if res.status != http.StatusBadRequest || e.Code != "bad_json" || e.Field != c.field || !strings.Contains(e.Message, c.field) || !strings.Contains(e.Message, c.want) {
			t.Errorf("ticket type with %s of the wrong type: %d %s; want 400 bad_json naming %s and %q", c.field, res.status, res.short(), c.field, c.want)
		}
		noneOf(t, "ticket type with "+c.field+" of the wrong type", e.Message, c.not...)
	}

	// A time.Time field (none of the routes has one yet): Go's layout
	// and method names stay out.
	for _, body := range []string{`{"at":"next friday"}`, `{"at":5}`} {
		var v struct {
			At time.Time `json:"at"`
		}
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		e := decodeJSON(httptest.NewRecorder(), r, &v).(*apiError)
		if e.status != http.StatusBadRequest || !strings.Contains(e.msg, "RFC 3339") {
			t.Errorf("%s: %d %q", body, e.status, e.msg)
		}
		noneOf(t, body, e.msg, "2006", "parsing time", "UnmarshalJSON")
	}
}

// noneOf fails the test if msg contains any of the strings (case
// insensitive).
func noneOf(t *testing.T, what, msg string, not ...string) {
	t.Helper()
	for _, s := range not {
		if strings.Contains(strings.ToLower(msg), strings.ToLower(s)) {
			t.Errorf("%s: the message %q shows %q", what, msg, s)
		}
	}
}
