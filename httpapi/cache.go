package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// PublicMaxAge is how long a shared cache (nginx, a CDN) may serve a
// public read (search answers, an event page to an anonymous caller)
// without asking again: short, since availability moves with every sale.
const PublicMaxAge = "5"

// writeCacheable answers v as JSON with an ETag (a digest of the body)
// and Cache-Control, and answers 304 Not Modified without the body when
// the request's If-None-Match names that ETag. shared marks an answer
// that is the same for everyone (a proxy may keep it for PublicMaxAge
// seconds); otherwise it is private to the caller and revalidated on
// each use.
func writeCacheable(w http.ResponseWriter, r *http.Request, v any, shared bool) {
	body, err := json.Marshal(emptyLists(v))
	if err != nil {
		writeJSON(w, http.StatusOK, v) // cannot happen for API types; answer uncached
		return
	}
	body = append(body, '\n')
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Add("Vary", "Authorization")
	if shared {
		h.Set("Cache-Control", "public, max-age="+PublicMaxAge)
	} else {
		h.Set("Cache-Control", "private, no-cache")
	}
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// etagMatches reports whether an If-None-Match header names etag (weak
// comparison, as RFC 9110 asks for If-None-Match) or is "*".
func etagMatches(header, etag string) bool {
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}
