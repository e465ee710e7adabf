package pageheader

import (
	"net/http"
	"testing"
)

func TestSet(t *testing.T) {
	h := http.Header{}
	Policy{CSP: "default-src 'self'", Permissions: NoFeatures, Cache: "no-store", Isolate: true, HSTS: true}.Set(h)
	want := map[string]string{
		"Content-Security-Policy":    "default-src 'self'",
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "no-referrer",
		"X-Frame-Options":            "DENY",
		"Permissions-Policy":         NoFeatures,
		"Cache-Control":              "no-store",
		"Cross-Origin-Opener-Policy": "same-origin",
		"Strict-Transport-Security":  "max-age=31536000",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if len(h) != len(want) {
		t.Errorf("%d headers set, want %d: %v", len(h), len(want), h)
	}

	plain := http.Header{}
	Policy{CSP: "default-src 'none'", Permissions: NoFeatures, Cache: "no-cache"}.Set(plain)
	for _, k := range []string{"Cross-Origin-Opener-Policy", "Strict-Transport-Security"} {
		if v := plain.Get(k); v != "" {
			t.Errorf("%s set to %q without being asked for", k, v)
		}
	}
}
