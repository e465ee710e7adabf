package attendee

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandlerServesFilesWithCSP(t *testing.T) {
	for _, tc := range []struct {
		opts       Options
		csp        string
		wantHSTS   bool
		wantStripe bool
	}{
		{Options{}, CSP, false, false},
		{Options{Stripe: true, HSTS: true}, StripeCSP, true, true},
	} {
		h := Handler(tc.opts)
		for _, path := range []string{"/app/", "/app/common.js", "/app/app.css"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: %d", path, rec.Code)
			}
			got := rec.Header().Get("Content-Security-Policy")
			if got != tc.csp || strings.Contains(got, "unsafe-inline") {
				t.Errorf("%s: CSP %q", path, got)
			}
			if strings.Contains(got, "stripe.com") != tc.wantStripe {
				t.Errorf("%s: Stripe in CSP = %v, want %v", path, !tc.wantStripe, tc.wantStripe)
			}
			if (rec.Header().Get("Strict-Transport-Security") != "") != tc.wantHSTS {
				t.Errorf("%s: HSTS header %q", path, rec.Header().Get("Strict-Transport-Security"))
			}
		}
	}
}

// TestNoInlineScript keeps every page's script in files: the CSP refuses
// inline script, so an inline one would not run.
func TestNoInlineScript(t *testing.T) {
	pages, _ := fs.Glob(Files(), "*.html")
	if len(pages) == 0 {
		t.Fatal("no pages")
	}
	for _, p := range pages {
		b, err := fs.ReadFile(Files(), p)
		if err != nil {
			t.Fatal(err)
		}
		html := strings.ToLower(string(b))
		for i := strings.Index(html, "<script"); i >= 0; i = strings.Index(html[i+1:], "<script") + i + 1 {
			tag := html[i : i+strings.Index(html[i:], ">")+1]
			if !strings.Contains(tag, "src=") {
				t.Errorf("%s: inline script %q", p, tag)
			}
			if !strings.Contains(html[i+1:], "<script") {
				break
			}
		}
		for _, bad := range []string{" style=", " onclick=", " onload=", " onsubmit=", "javascript:"} {
			if strings.Contains(html, bad) {
				t.Errorf("%s: inline %q", p, strings.TrimSpace(bad))
			}
		}
	}
}
