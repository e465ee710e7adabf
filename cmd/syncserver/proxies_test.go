package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// --trusted-proxies (or ADMITONE_TRUSTED_PROXIES) reaches the login limits:
// behind the trusted proxy, one client's wrong passwords slow that client
// only, and the account's owner at another address signs in.
func TestTrustedProxies(t *testing.T) {
	t.Run("bad entry refused at start", func(t *testing.T) {
		for _, tc := range []struct{ flag, env string }{{flag: "10.0.0.0/8,proxy.internal"}, {env: "10.0.0.0/8,proxy.internal"}} {
			t.Setenv("ADMITONE_TRUSTED_PROXIES", tc.env)
			args := []string{"serve", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0"}
			if tc.flag != "" {
				args = append(args, "--trusted-proxies", tc.flag)
			}
			out, err := runSyncserver(t, args...)
			if err == nil || !strings.Contains(err.Error(), `"proxy.internal"`) || !strings.Contains(err.Error(), "--trusted-proxies") {
				t.Fatalf("serve with trusted proxies %+v = %v; want an error naming the entry\n%s", tc, err, out)
			}
		}
	})

	r := startApp(t, serverConfig{DataDir: t.TempDir(), Listen: "127.0.0.1:0", TrustedProxies: []string{"127.0.0.1"}})
	const email = "owner@example.com"
	r.call(t, "POST", "/v1/auth/signup", "", map[string]any{"email": email, "password": servePassword}, http.StatusCreated, nil)
	login := func(client, password string) (int, http.Header) {
		b, _ := json.Marshal(map[string]any{"email": email, "password": password})
		req, err := http.NewRequestWithContext(t.Context(), "POST", r.base+"/v1/auth/login", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Forwarded-For", client)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode, res.Header
	}
	// Wrong passwords until the client must wait: after the 5th, unless
	// this machine takes longer than the growing waits between requests.
	for i := 0; ; i++ {
		st, h := login("203.0.113.9", "wrong password")
		if st == http.StatusTooManyRequests {
			if i < 5 || h.Get("Retry-After") == "" {
				t.Fatalf("429 after %d wrong passwords, Retry-After %q; want it after 5, with a Retry-After", i, h.Get("Retry-After"))
			}
			break
		}
		if st != http.StatusUnauthorized || i == 12 {
			t.Fatalf("wrong password %d: status %d", i+1, st)
		}
	}
	if st, _ := login("198.51.100.7", servePassword); st != http.StatusOK {
		t.Fatalf("the owner from another address: status %d, want 200", st)
	}
}
