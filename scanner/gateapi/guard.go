package gateapi

import (
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// guard refuses requests a browser was led to send from another site:
// a Host that is not an IP address, localhost or an allowed name (DNS
// rebinding), and an Origin that is neither the API's own nor allowed.
func (a *Server) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.hostAllowed(r.Host) {
			writeError(w, http.StatusForbidden, "host_not_allowed",
				"the Host header must be an IP address, localhost or a name given with --allowed-hosts")
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" && !a.originAllowed(origin, r.Host) {
			writeError(w, http.StatusForbidden, "origin_not_allowed",
				"cross-origin requests are refused; only the API's own origin or a name given with --allowed-hosts may call it")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// hostAllowed reports whether a Host header (host or host:port) names
// an IP address, localhost or one of AllowedHosts.
func (a *Server) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if host == "" {
		return false
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true // a rebinding page is always on a name, never on an address
	}
	return strings.EqualFold(host, "localhost") || a.allowedName(host)
}

func (a *Server) allowedName(host string) bool {
	for _, h := range a.AllowedHosts {
		if strings.EqualFold(strings.TrimSuffix(h, "."), host) {
			return true
		}
	}
	return false
}

// originAllowed reports whether an Origin header is the API's own (same
// scheme-less host:port as the request's Host) or an allowed name.
func (a *Server) originAllowed(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false // includes "null", sent by sandboxed and file: pages
	}
	return strings.EqualFold(u.Host, host) || a.allowedName(strings.TrimSuffix(u.Hostname(), "."))
}

// contentType checks that a POST body is of the route's media type; a
// cross-site form or text/plain POST is refused before it is read.
func contentType(w http.ResponseWriter, r *http.Request, want string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != want {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be "+want)
		return false
	}
	return true
}

// auth wraps a handler in authorize (session.go); protect already
// applies it to every /v1/ route, so wrapping is a second, harmless check.
func (a *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.authorize(w, r) {
			h(w, r)
		}
	}
}
