package main

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/admitone/admitone/internal/cliconf"
	"github.com/admitone/admitone/payment"
)

// parseServeFlags fills a serverConfig from args and ADMITONE_* variables,
// as syncserver serve does, with the developer's ADMITONE_PAYMENTS and
// hold limits kept out.
func parseServeFlags(t *testing.T, args ...string) serverConfig {
	t.Helper()
	for _, k := range []string{"ADMITONE_PAYMENTS", "ADMITONE_MAX_HELD_PER_BUYER", "ADMITONE_HOLDS_PER_MINUTE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	var c serverConfig
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	c.addFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := cliconf.ApplyEnv(fs); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestServeWithoutPayments: a server started without --payments takes no
// payments (the test provider, whose card 4242 pays for real tickets, must
// be asked for by name). It says so at start, refuses to hold priced
// tickets with 503 payments_unavailable, and still gives free ones.
func TestServeWithoutPayments(t *testing.T) {
	if c := parseServeFlags(t); c.Payments.Provider != "none" {
		t.Fatalf("--payments defaults to %q, want none", c.Payments.Provider)
	}
	withTest := parseServeFlags(t, "--payments", "test")
	if p, _, err := withTest.Payments.load(); err != nil {
		t.Fatal(err)
	} else if _, ok := p.(*payment.TestProvider); !ok {
		t.Fatalf("--payments test loads a %T, want the test provider", p)
	}

	r := startApp(t, parseServeFlags(t, "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0"))
	if l := r.logs.String(); !strings.Contains(l, "no payment provider is configured: priced tickets cannot be sold") {
		t.Errorf("the start log does not say that no payment provider is configured:\n%s", l)
	}

	const email = "organizer@example.com"
	r.call(t, "POST", "/v1/auth/signup", "", map[string]any{"email": email, "password": servePassword}, http.StatusCreated, nil)
	var login struct {
		Token string `json:"token"`
	}
	r.call(t, "POST", "/v1/auth/login", "", map[string]any{"email": email, "password": servePassword}, http.StatusOK, &login)
	tok := login.Token
	var org, venue, ev, priced, free, hold, order idJSON
	r.call(t, "POST", "/v1/orgs", tok, map[string]any{"name": "Free Events"}, http.StatusCreated, &org)
	r.call(t, "POST", "/v1/orgs/"+org.ID+"/venues", tok, map[string]any{"name": "Park", "city": "Berlin", "country": "DE"}, http.StatusCreated, &venue)
	starts := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	r.call(t, "POST", "/v1/orgs/"+org.ID+"/events", tok, map[string]any{"venue_id": venue.ID, "title": "Open Day", "category": "family",
		"time_zone": "Europe/Berlin", "starts_at": starts.Format(time.RFC3339), "ends_at": starts.Add(8 * time.Hour).Format(time.RFC3339)},
		http.StatusCreated, &ev)
	r.call(t, "POST", "/v1/events/"+ev.ID+"/ticket-types", tok, map[string]any{"name": "Day ticket",
		"price": map[string]any{"amount": 4900, "currency": "EUR"}, "capacity": 100, "per_order_max": 6}, http.StatusCreated, &priced)
	r.call(t, "POST", "/v1/events/"+ev.ID+"/ticket-types", tok, map[string]any{"name": "Guest list",
		"price": map[string]any{"amount": 0, "currency": "EUR"}, "capacity": 100, "per_order_max": 6}, http.StatusCreated, &free)
	r.call(t, "POST", "/v1/events/"+ev.ID+"/publish", tok, nil, http.StatusOK, nil)

	var refused struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	r.call(t, "POST", "/v1/holds", tok, map[string]any{"event_id": ev.ID, "lines": []map[string]any{{"ticket_type_id": priced.ID, "quantity": 1}}},
		http.StatusServiceUnavailable, &refused)
	if refused.Error.Code != "payments_unavailable" {
		t.Errorf("a priced hold answered %+v, want payments_unavailable", refused.Error)
	}
	r.call(t, "POST", "/v1/holds", tok, map[string]any{"event_id": ev.ID, "lines": []map[string]any{{"ticket_type_id": free.ID, "quantity": 2}}},
		http.StatusCreated, &hold)
	r.call(t, "POST", "/v1/orders", tok, map[string]any{"hold_id": hold.ID}, http.StatusCreated, &order)
	var paid struct {
		Tickets []idJSON `json:"tickets"`
	}
	r.call(t, "POST", "/v1/orders/"+order.ID+"/pay", tok, map[string]any{}, http.StatusOK, &paid)
	if len(paid.Tickets) != 2 {
		t.Errorf("a free order of 2 was issued %d tickets", len(paid.Tickets))
	}
}
