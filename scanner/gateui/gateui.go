package gateui

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"

	"github.com/admitone/admitone/internal/pageheader"
)

//go:embed static
var static embed.FS

// CSP is the Content-Security-Policy of every response of the UI: the
// page loads only the gate's own files, never inline script or style,
// talks only to the gate, and may not be framed.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// Files is the UI's file tree: index.html, app.js, app.css and
// i18n/LANG.json.
func Files() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // static is embedded: it exists
	}
	return sub
}

// Handler serves the page at / and its files under /ui/.
func Handler() http.Handler {
	files := http.FileServerFS(Files())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The gate may be upgraded while a tablet keeps the page open:
		// revalidate, so a reload always gets the files of the running
		// binary.
		pageheader.Policy{CSP: CSP, Permissions: "camera=(self), microphone=(), geolocation=()", Cache: "no-cache"}.Set(w.Header())
		switch {
		case r.URL.Path == "/":
			http.ServeFileFS(w, r, Files(), "index.html")
		case strings.HasPrefix(r.URL.Path, "/ui/") && !strings.HasSuffix(r.URL.Path, "/"):
			http.StripPrefix("/ui", files).ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}
