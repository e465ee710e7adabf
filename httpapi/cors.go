package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// CORS lets a third-party front end on another origin call /v1/ from a
// browser. The API authenticates with bearer tokens, never cookies, so
// credentials stay off (no Access-Control-Allow-Credentials) and a
// listed origin gets exactly its own origin back, never "*".

// corsAllowHeaders are the request headers a client of the API sends.
const corsAllowHeaders = "Authorization, Content-Type, Idempotency-Key, AdmitOne-Admission"

// corsMaxAge is how long, in seconds, a browser may keep a preflight's
// answer.
const corsMaxAge = "600"

// ParseCORSOrigins checks a list of origins (scheme://host[:port], http
// or https, nothing after) and returns them in the form browsers send in
// Origin: lower case, without a default port. Empty entries are skipped.
func ParseCORSOrigins(list []string) ([]string, error) {
	var out []string
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		o, err := parseOrigin(s)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out, nil
}

func parseOrigin(s string) (string, error) {
	bad := func(why string) error {
		return fmt.Errorf("CORS origin %q %s; want scheme://host[:port], e.g. https://shop.example.com", s, why)
	}
	if len(s) > 253+len("https://:65535") {
		return "", bad("is too long")
	}
	if s == "*" || strings.Contains(s, "*") {
		return "", bad("is a wildcard, which this API never allows")
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", bad("is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", bad("is not http or https")
	case u.Host == "" || u.Hostname() == "":
		return "", bad("has no host")
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return "", bad("has more than scheme, host and port")
	}
	host := strings.ToLower(u.Host)
	if p := u.Port(); (u.Scheme == "https" && p == "443") || (u.Scheme == "http" && p == "80") {
		host = strings.ToLower(u.Hostname())
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	return u.Scheme + "://" + host, nil
}

// cors answers preflight requests to /v1/ and marks the answers of a
// listed Origin readable by it. Without listed origins it adds nothing.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(s.CORSOrigins) == 0 || !strings.HasPrefix(r.URL.Path, "/v1/") {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		// The answer depends on Origin, for every cache in between.
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		listed := origin != "" && slices.Contains(s.CORSOrigins, origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if !listed {
				writeAPIError(w, &apiError{status: http.StatusForbidden, code: "cors_origin",
					msg: "origin " + fmt.Sprintf("%q", truncate(origin, 100)) + " may not call this API from a browser; the server lists the origins it allows (--cors-origins)"})
				return
			}
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE")
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if listed {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", "Retry-After")
		}
		next.ServeHTTP(w, r)
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// hstsValue is the API's Strict-Transport-Security, the attendee app's:
// a year, this host only.
const hstsValue = "max-age=31536000"
