package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

func TestCORS(t *testing.T) {
	h := newHarnessWith(t, "bolt", func(h *harness) {
		origins, err := ParseCORSOrigins([]string{"https://Shop.Example.com:443", " http://localhost:5173 "})
		if err != nil {
			t.Fatal(err)
		}
		h.api.CORSOrigins = origins
	})
	u := h.newUser(t, "cors")
	request := func(t *testing.T, method, path, origin string, header map[string]string) response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, h.srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		return h.send(t, req)
	}
	bearer := map[string]string{"Authorization": "Bearer " + u.Token}

	t.Run("listed origin reads the answer", func(t *testing.T) {
		for _, origin := range []string{"https://shop.example.com", "http://localhost:5173"} {
			res := request(t, "GET", "/v1/tickets", origin, bearer).want(t, http.StatusOK)
			if got := res.header.Get("Access-Control-Allow-Origin"); got != origin {
				t.Errorf("Origin %s: Access-Control-Allow-Origin %q, want the origin", origin, got)
			}
			if got := res.header.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("Access-Control-Allow-Credentials %q, want none: the API takes bearer tokens", got)
			}
			if !strings.Contains(strings.Join(res.header.Values("Vary"), ","), "Origin") {
				t.Errorf("Vary %q, want Origin", res.header.Values("Vary"))
			}
		}
	})

	t.Run("unlisted origin gets no CORS headers", func(t *testing.T) {
		for _, origin := range []string{"https://evil.example", "https://shop.example.com.evil.example", "null", "https://shop.example.com:8443", ""} {
			res := request(t, "GET", "/v1/tickets", origin, bearer).want(t, http.StatusOK)
			if got := res.header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("Origin %q: Access-Control-Allow-Origin %q, want none", origin, got)
			}
			if !strings.Contains(strings.Join(res.header.Values("Vary"), ","), "Origin") {
				t.Errorf("Origin %q: Vary %q, want Origin", origin, res.header.Values("Vary"))
			}
		}
		// Outside /v1/ nothing changes.
		res := request(t, "GET", "/livez", "https://shop.example.com", nil).want(t, http.StatusOK)
		if got := res.header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("/livez: Access-Control-Allow-Origin %q, want none", got)
		}
	})

	t.Run("preflight", func(t *testing.T) {
		pre := map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"}
		res := request(t, "OPTIONS", "/v1/holds", "https://shop.example.com", pre).want(t, http.StatusNoContent)
		for k, want := range map[string]string{
			"Access-Control-Allow-Origin":  "https://shop.example.com",
			"Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key, AdmitOne-Admission",
		} {
			if got := res.header.Get(k); got != want {
				t.Errorf("%s %q, want %q", k, got, want)
			}
		}
		if m := res.header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "POST") || !strings.Contains(m, "DELETE") {
			t.Errorf("Access-Control-Allow-Methods %q, want POST and DELETE among them", m)
		}
		res = request(t, "OPTIONS", "/v1/holds", "https://evil.example", pre).want(t, http.StatusForbidden)
		if got := res.header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("unlisted preflight: Access-Control-Allow-Origin %q", got)
		}
		if e := res.apiErr(t); e.Code != "cors_origin" {
			t.Errorf("unlisted preflight: code %q, want cors_origin", e.Code)
		}
	})
}

func TestCORSOff(t *testing.T) {
	h := newHarness(t, "bolt")
	req, _ := http.NewRequestWithContext(t.Context(), "GET", h.srv.URL+"/v1/events", nil)
	req.Header.Set("Origin", "https://shop.example.com")
	res := h.send(t, req).want(t, http.StatusOK)
	if got := res.header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("no origins listed: Access-Control-Allow-Origin %q", got)
	}
	if got := res.header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("HSTS off: Strict-Transport-Security %q", got)
	}
}

func TestHSTS(t *testing.T) {
	h := newHarnessWith(t, "bolt", func(h *harness) { h.api.HSTS = true })
	for _, path := range []string{"/v1/events", "/v1/nothing-here", "/app/"} {
		res := h.do(t, "GET", path, "", nil)
		if got := res.header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("GET %s: Strict-Transport-Security %q, want max-age=31536000", path, got)
		}
	}
}

func TestParseCORSOrigins(t *testing.T) {
	got, err := ParseCORSOrigins([]string{"https://A.example", "https://a.example:443", "", "http://[::1]:80", "http://127.0.0.1:8080"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://a.example http://[::1] http://127.0.0.1:8080"; strings.Join(got, " ") != want {
		t.Errorf("origins %q, want %q", got, want)
	}
	for _, bad := range []string{"*", "https://*.example.com", "shop.example.com", "ftp://a.example", "https://a.example/path",
		"https://user@a.example", "https://a.example?x=1", "https://", "https://a.example#f"} {
		if _, err := ParseCORSOrigins([]string{bad}); err == nil || !strings.Contains(err.Error(), "scheme://host") {
			t.Errorf("ParseCORSOrigins(%q) = %v, want an error saying the form", bad, err)
		}
	}
}

func FuzzParseCORSOrigins(f *testing.F) {
	for _, s := range []string{"https://a.example", "http://[::1]:80", "*", "https://a.example/x", "http://a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseCORSOrigins([]string{s})
		if err != nil || len(got) == 0 {
			return
		}
		// An accepted origin is its own normal form.
		again, err := ParseCORSOrigins(got)
		if err != nil || len(again) != 1 || again[0] != got[0] {
			t.Fatalf("%q -> %q -> %q, %v: not stable", s, got, again, err)
		}
		if strings.ContainsAny(got[0], "*?#@ ") {
			t.Fatalf("%q accepted as %q", s, got[0])
		}
	})
}
