package main

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/scanner"
)

// TestBundleServerExport sells tickets through the real app, refunds one
// order, and exports a gate's bundle from the server's data: a gate that
// imports it admits a sold ticket and refuses the refunded one as revoked,
// with no network.
func TestBundleServerExport(t *testing.T) {
	cfg := serverConfig{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Payments: paymentConfig{Provider: "test"}}
	r := startApp(t, cfg)
	signIn := func(email string) string {
		r.call(t, "POST", "/v1/auth/signup", "", map[string]any{"email": email, "password": servePassword}, http.StatusCreated, nil)
		var login struct {
			Token string `json:"token"`
		}
		r.call(t, "POST", "/v1/auth/login", "", map[string]any{"email": email, "password": servePassword}, http.StatusOK, &login)
		return login.Token
	}
	org := signIn("organizer@example.com")
	var o, venue, ev, tt idJSON
	r.call(t, "POST", "/v1/orgs", org, map[string]any{"name": "Export Org"}, http.StatusCreated, &o)
	r.call(t, "POST", "/v1/orgs/"+o.ID+"/venues", org, map[string]any{"name": "Hall", "city": "Berlin", "country": "DE"}, http.StatusCreated, &venue)
	starts := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	r.call(t, "POST", "/v1/orgs/"+o.ID+"/events", org, map[string]any{"venue_id": venue.ID, "title": "Export Night", "category": "music",
		"time_zone": "Europe/Berlin", "starts_at": starts.Format(time.RFC3339), "ends_at": starts.Add(4 * time.Hour).Format(time.RFC3339)}, http.StatusCreated, &ev)
	r.call(t, "POST", "/v1/events/"+ev.ID+"/ticket-types", org, map[string]any{"name": "Standing", "kind": "admission",
		"price": map[string]any{"amount": 2000, "currency": "EUR"}, "capacity": 100, "per_order_max": 5}, http.StatusCreated, &tt)
	r.call(t, "POST", "/v1/events/"+ev.ID+"/publish", org, nil, http.StatusOK, nil)
	buyer := signIn("buyer@example.com")
	type paid struct {
		Order   idJSON `json:"order"`
		Tickets []struct {
			ID    string `json:"id"`
			Token string `json:"token"`
		} `json:"tickets"`
	}
	buy := func(n int) paid {
		var hold, order idJSON
		r.call(t, "POST", "/v1/holds", buyer, map[string]any{"event_id": ev.ID, "lines": []map[string]any{{"ticket_type_id": tt.ID, "quantity": n}}}, http.StatusCreated, &hold)
		r.call(t, "POST", "/v1/orders", buyer, map[string]any{"hold_id": hold.ID}, http.StatusCreated, &order)
		var p paid
		r.call(t, "POST", "/v1/orders/"+order.ID+"/pay", buyer, map[string]any{"test_card": "4242424242424242"}, http.StatusOK, &p)
		if len(p.Tickets) != n {
			t.Fatalf("paid order has %d tickets, want %d", len(p.Tickets), n)
		}
		return p
	}
	kept, refunded := buy(2), buy(1)
	r.call(t, "POST", "/v1/orders/"+refunded.Order.ID+"/refund", buyer, map[string]any{}, http.StatusOK, nil)
	var gate struct {
		Gate idJSON `json:"gate"`
	}
	r.call(t, "POST", "/v1/events/"+ev.ID+"/gates", org, map[string]any{"name": "USB gate", "direction": "entry"}, http.StatusCreated, &gate)
	r.stop() // the embedded database is one process's at a time

	out := filepath.Join(t.TempDir(), "gate.bundle")
	pass := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(pass, []byte("a long bundle passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	msg, err := runSyncserver(t, "bundle", "server-export", "--data-dir", cfg.DataDir, "--gate", gate.Gate.ID, "--out", out,
		"--bundle-passphrase-file", pass, "--kdf-fast")
	if err != nil {
		t.Fatalf("server-export: %v\n%s", err, msg)
	}
	t.Log(msg)

	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	_, signer, err := bundle.Read(data, nil, []byte("a long bundle passphrase"))
	if err == nil {
		t.Fatal("a bundle read with no trusted signer was accepted")
	}
	// The gate trusts the signer the command printed.
	gs, err := scanner.OpenStore(filepath.Join(t.TempDir(), "gate"), scanner.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer gs.Close()
	p, signer, err := bundle.Read(data, []ticketcrypto.PublicKey{signer}, []byte("a long bundle passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Tickets) != 3 || len(p.Revocations) != 1 || len(p.RotationKeys) != 1 {
		t.Fatalf("bundle has %d tickets, %d revocations, %d rotation keys; want 3, 1, 1", len(p.Tickets), len(p.Revocations), len(p.RotationKeys))
	}
	if _, err := gs.Import(p, gate.Gate.ID, signer, time.Now()); err != nil {
		t.Fatal(err)
	}
	engine := &scanner.Engine{Store: gs}
	for _, c := range []struct {
		token string
		want  scanner.Verdict
	}{{kept.Tickets[0].Token, scanner.Accepted}, {refunded.Tickets[0].Token, scanner.Revoked}} {
		res, err := engine.Check(c.token, scanner.CheckOptions{})
		if err != nil || res.Verdict != c.want {
			t.Errorf("scan: %s (%s) %v, want %s", res.Verdict, res.Reason, err, c.want)
		}
	}
}
