package pageheader

import "net/http"

// Policy is what differs between pages.
type Policy struct {
	// CSP is the Content-Security-Policy.
	CSP string
	// Permissions is the Permissions-Policy: the features the page may
	// use (e.g. "camera=(self), microphone=(), geolocation=()").
	Permissions string
	// Cache is the Cache-Control.
	Cache string
	// Isolate sets Cross-Origin-Opener-Policy: same-origin, so a page
	// opened from elsewhere cannot hold a reference to this one.
	Isolate bool
	// HSTS sets Strict-Transport-Security for a year: only for pages
	// served over TLS.
	HSTS bool
}

// NoFeatures is a Permissions-Policy that allows no camera, microphone
// or location.
const NoFeatures = "camera=(), microphone=(), geolocation=()"

// Set sets p's headers, and those every page carries, on h.
func (p Policy) Set(h http.Header) {
	h.Set("Content-Security-Policy", p.CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Permissions-Policy", p.Permissions)
	h.Set("Cache-Control", p.Cache)
	if p.Isolate {
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
	}
	if p.HSTS {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}
