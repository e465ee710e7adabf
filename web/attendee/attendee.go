package attendee

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
	"sync"

	"github.com/admitone/admitone/internal/pageheader"
)

//go:embed static
var static embed.FS

// CSP is the Content-Security-Policy of every page and file of the app:
// its own files only, no inline script or style, API calls to its own
// origin, no framing. StripeCSP widens it for Stripe's Payment Element
// when the server takes payments through Stripe.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// StripeCSP is CSP plus what Stripe.js needs (its script, frames and API),
// sent only by a server started with --payments stripe.
const StripeCSP = "default-src 'self'; script-src 'self' https://js.stripe.com; style-src 'self'; " +
	"img-src 'self' data: blob: https://*.stripe.com; connect-src 'self' https://api.stripe.com; " +
	"frame-src https://js.stripe.com https://hooks.stripe.com; worker-src 'self'; manifest-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Files is the app's file tree.
func Files() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // static is embedded: it exists
	}
	return sub
}

// Options configure the handler.
type Options struct {
	// Stripe: the server takes payments through Stripe, so pages may
	// load Stripe.js (StripeCSP instead of CSP).
	Stripe bool
	// HSTS: the server is reached over TLS (directly or through a
	// proxy that terminates it), so answers carry
	// Strict-Transport-Security.
	HSTS bool
}

// Handler serves the app under /app/ (mount it at "GET /app/").
func Handler(o Options) http.Handler {
	files := http.StripPrefix("/app", http.FileServerFS(Files()))
	csp := CSP
	if o.Stripe {
		csp = StripeCSP
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The service worker decides what is kept offline; the HTTP
		// cache must not serve an old page after an upgrade.
		h := w.Header()
		pageheader.Policy{CSP: csp, Permissions: pageheader.NoFeatures, Cache: "no-cache", HSTS: o.HSTS}.Set(h)
		if r.URL.Path == "/app/shell.json" {
			h.Set("Content-Type", "application/json")
			w.Write(shellJSON())
			return
		}
		if strings.HasSuffix(r.URL.Path, "/sw.js") {
			// The service worker controls all of /app/.
			h.Set("Service-Worker-Allowed", "/app/")
		}
		files.ServeHTTP(w, r)
	})
}

// Shell is what the service worker keeps for offline use: every file of
// the app (its URL under /app/, index.html as /app/ too) and a version
// that changes with any file's content.
type Shell struct {
	Version string   `json:"version"`
	Files   []string `json:"files"`
}

// AppShell lists the app's files for the service worker (served as
// /app/shell.json), so a page added to static/ is kept offline without
// editing sw.js.
var AppShell = sync.OnceValue(func() Shell {
	h := sha256.New()
	s := Shell{Files: []string{"/app/"}}
	err := fs.WalkDir(Files(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Files(), p)
		if err != nil {
			return err
		}
		h.Write([]byte(p))
		h.Write(b)
		if p != "index.html" { // served as /app/ (the file server redirects its own name there)
			s.Files = append(s.Files, "/app/"+p)
		}
		return nil
	})
	if err != nil {
		panic(err) // static is embedded: it reads
	}
	s.Version = hex.EncodeToString(h.Sum(nil)[:8])
	return s
})

var shellJSON = sync.OnceValue(func() []byte {
	b, err := json.Marshal(AppShell())
	if err != nil {
		panic(err)
	}
	return b
})
