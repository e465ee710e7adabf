package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/storage"
	"github.com/admitone/admitone/storage/postgres/pgtest"
)

// TestDatabaseUnreachableIs503 serves the API over PostgreSQL reached
// through a relay, cuts the relay, and expects 503 unavailable with
// Retry-After (not 500) on routes that need the database, without the
// driver's text; with the relay back, the same requests succeed.
func TestDatabaseUnreachableIs503(t *testing.T) {
	proxy, dsn := pgtest.NewProxy(t, pgtest.FreshSchema(t))
	b, err := storage.Open(t.Context(), dsn, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	logs := &testenv.LockedBuffer{}
	api := &Server{Accounts: &account.Service{Store: b.Accounts, Limits: account.RateLimits{AddrAttempts: 1 << 20, AccountFailures: 1000}},
		Ready: b.Ping, Log: slog.New(slog.NewTextHandler(logs, nil))}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)

	post := func(path, token string, body any) (*http.Response, []byte) {
		t.Helper()
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", srv.URL+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp, out
	}
	creds := map[string]any{"email": "down@example.com", "password": testPassword}
	if resp, out := post("/v1/auth/signup", "", map[string]any{"email": "down@example.com", "password": testPassword, "name": "Down"}); resp.StatusCode != http.StatusCreated {
		t.Fatalf("signup: %d %s", resp.StatusCode, out)
	}
	resp, out := post("/v1/auth/login", "", creds)
	var login struct{ Token string }
	if json.Unmarshal(out, &login); resp.StatusCode != http.StatusOK || login.Token == "" {
		t.Fatalf("login: %d %s", resp.StatusCode, out)
	}

	proxy.Cut()
	for _, c := range []struct {
		path, token string
		body        any
	}{
		{"/v1/auth/login", "", creds},
		{"/v1/auth/signup", "", map[string]any{"email": "other@example.com", "password": testPassword, "name": "O"}},
		{"/v1/orgs", login.Token, map[string]any{"name": "Org"}}, // authenticating the token needs the database
	} {
		resp, out := post(c.path, c.token, c.body)
		var e errorBody
		json.Unmarshal(out, &e)
		if resp.StatusCode != http.StatusServiceUnavailable || e.Error.Code != "unavailable" || resp.Header.Get("Retry-After") == "" {
			t.Errorf("POST %s with the database unreachable: %d Retry-After %q %s; want 503 unavailable with Retry-After",
				c.path, resp.StatusCode, resp.Header.Get("Retry-After"), out)
		}
		if s := string(out); strings.Contains(s, "dial") || strings.Contains(s, "connect") || strings.Contains(s, "127.0.0.1") {
			t.Errorf("POST %s: the driver's error reached the client: %s", c.path, out)
		}
	}
	if !strings.Contains(logs.String(), "connection refused") && !strings.Contains(logs.String(), "EOF") {
		t.Errorf("the log lacks the driver's error:\n%s", logs.String())
	}
	if res, err := srv.Client().Get(srv.URL + "/readyz"); err != nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database unreachable: %v %v", res, err)
	}

	proxy.Restore()
	if resp, out := post("/v1/auth/login", "", creds); resp.StatusCode != http.StatusOK {
		t.Errorf("login with the database back: %d %s", resp.StatusCode, out)
	}
}
