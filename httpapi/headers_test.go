package httpapi

import (
	"net/http"
	"testing"
)

// TestSecurityHeaders checks the headers of the API's answers: every one
// carries X-Content-Type-Options: nosniff, the answers that carry a
// session token, a TOTP secret or recovery codes carry Cache-Control:
// no-store, and the API's listener does not serve /metrics.
func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t, "bolt")
	u := h.newUser(t, "headers")

	login := h.loginResponse(t, u.Email, nil).want(t, http.StatusOK)
	enroll := h.do(t, "POST", "/v1/auth/totp/enroll", u.Token, passwordBody()).want(t, http.StatusOK)
	e := decodeAs[enrollJSON](t, enroll, http.StatusOK)
	confirm := h.do(t, "POST", "/v1/auth/totp/confirm", u.Token, map[string]any{"code": totpCode(t, e.Secret, h.clock.Now())}).
		want(t, http.StatusOK)
	for name, res := range map[string]response{"login": login, "TOTP enrolment": enroll, "recovery codes": confirm} {
		if got := res.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s answer: Cache-Control %q, want no-store", name, got)
		}
	}

	metrics := h.do(t, "GET", "/metrics", "", nil)
	if metrics.status != http.StatusNotFound {
		t.Errorf("GET /metrics on the API: status %d, want 404 (metrics are served on --metrics-listen only)", metrics.status)
	}
	answers := map[string]response{
		"login":                login,
		"enrol":                enroll,
		"GET /metrics":         metrics,
		"GET /livez":           h.do(t, "GET", "/livez", "", nil).want(t, http.StatusOK),
		"GET /v1/openapi.json": h.do(t, "GET", "/v1/openapi.json", "", nil).want(t, http.StatusOK),
		"GET /v1/events":       h.do(t, "GET", "/v1/events", "", nil).want(t, http.StatusOK),
		"no sign-in":           h.do(t, "GET", "/v1/tickets", "", nil).want(t, http.StatusUnauthorized),
		"bad JSON":             h.do(t, "POST", "/v1/auth/signup", "", "{").want(t, http.StatusBadRequest),
	}
	for name, res := range answers {
		if got := res.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s answer (status %d): X-Content-Type-Options %q, want nosniff", name, res.status, got)
		}
	}
}
