package gateapi

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/admitone/admitone/scanner/gateauth"
)

// Session cookie names: over HTTPS the __Host- prefix makes a browser
// keep the cookie only if it is Secure, for Path=/ and this host alone.
const (
	sessionCookie    = "admitone_gate"
	sessionCookieTLS = "__Host-admitone_gate"
	csrfHeader       = "X-CSRF-Token"
	maxSessionBody   = 1 << 10
)

// authRequired reports whether /v1/ routes need a session or the token.
func (a *Server) authRequired() bool { return a.Staff != nil || a.Token != "" }

// protect applies authorize to every /v1/ route but /v1/session, so a
// route added later is behind it whether or not it is wrapped in auth.
func (a *Server) protect(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") && r.URL.Path != "/v1/session" && !a.authorize(w, r) {
			return
		}
		h.ServeHTTP(w, r)
	})
}

// authorize lets a request through with the bearer token, or with a
// live session whose CSRF token a state-changing request carries;
// otherwise it answers 401 or 403 and returns false.
func (a *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	if !a.authRequired() {
		return true
	}
	if authz := r.Header.Get("Authorization"); authz != "" && a.Token != "" {
		if a.bearerOK(authz) {
			return true
		}
		writeError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong bearer token")
		return false
	}
	if a.Staff == nil {
		writeError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong bearer token")
		return false
	}
	sess, ok := a.session(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "session_required", "sign in with the staff PIN first")
		return false
	}
	if !safeMethod(r.Method) && !csrfOK(r, sess) {
		writeError(w, http.StatusForbidden, "csrf", "the request lacks this session's "+csrfHeader+" header")
		return false
	}
	return true
}

func (a *Server) bearerOK(authz string) bool {
	got, ok := strings.CutPrefix(authz, "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(a.Token)) == 1
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func csrfOK(r *http.Request, sess gateauth.Session) bool {
	got := r.Header.Get(csrfHeader)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) == 1
}

func cookieName(r *http.Request) string {
	if r.TLS != nil {
		return sessionCookieTLS
	}
	return sessionCookie
}

// session returns the request's live session, if it has one.
func (a *Server) session(r *http.Request) (gateauth.Session, bool) {
	c, err := r.Cookie(cookieName(r))
	if err != nil {
		return gateauth.Session{}, false
	}
	return a.Staff.Sessions.Get(c.Value, a.Staff.Now())
}

func setSessionCookie(w http.ResponseWriter, r *http.Request, id string, expires time.Time) {
	c := &http.Cookie{Name: cookieName(r), Value: id, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode}
	if id == "" {
		c.MaxAge = -1
	} else {
		c.Expires, c.MaxAge = expires, int(time.Until(expires).Seconds())
	}
	http.SetCookie(w, c)
}

type sessionState struct {
	Required bool   `json:"required"`
	CSRF     string `json:"csrf,omitempty"`
	Expires  string `json:"expires,omitempty"`
}

func state(sess gateauth.Session) sessionState {
	return sessionState{Required: true, CSRF: sess.CSRF, Expires: sess.Expires.UTC().Format(time.RFC3339)}
}

// handleSessionGet tells the page whether it must ask for the PIN.
func (a *Server) handleSessionGet(w http.ResponseWriter, r *http.Request) {
	switch {
	case !a.authRequired():
		writeJSON(w, http.StatusOK, sessionState{Required: false})
	case a.Token != "" && r.Header.Get("Authorization") != "" && a.bearerOK(r.Header.Get("Authorization")):
		writeJSON(w, http.StatusOK, sessionState{Required: true})
	case a.Staff == nil:
		writeError(w, http.StatusUnauthorized, "session_required",
			"this gate takes only its API token; set a staff PIN (scannerd pin set) to use the screen")
	default:
		if sess, ok := a.session(r); ok {
			writeJSON(w, http.StatusOK, state(sess))
			return
		}
		writeError(w, http.StatusUnauthorized, "session_required", "sign in with the staff PIN")
	}
}

// handleSessionPost signs in with {"pin": "..."}.
func (a *Server) handleSessionPost(w http.ResponseWriter, r *http.Request) {
	if a.Staff == nil {
		writeError(w, http.StatusConflict, "pin_not_set", "this gate has no staff PIN; set one with scannerd pin set")
		return
	}
	if !contentType(w, r, "application/json") {
		return
	}
	body, ok := readBody(w, r, maxSessionBody)
	if !ok {
		return
	}
	var req struct {
		PIN string `json:"pin"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.PIN == "" {
		writeError(w, http.StatusBadRequest, "bad_json", `request body must be {"pin": "..."}`)
		return
	}
	id, sess, err := a.Staff.SignIn(r.Context(), r.RemoteAddr, req.PIN)
	var retry *gateauth.RetryError
	switch {
	case err == nil:
		setSessionCookie(w, r, id, sess.Expires)
		writeJSON(w, http.StatusOK, state(sess))
	case errors.Is(err, gateauth.ErrWrongPIN):
		writeError(w, http.StatusUnauthorized, "wrong_pin", "wrong PIN")
	case errors.As(err, &retry):
		w.Header().Set("Retry-After", strconv.Itoa(int(retry.Wait.Seconds())))
		writeError(w, http.StatusTooManyRequests, "rate_limited", err.Error())
	case errors.Is(err, gateauth.ErrPINNotSet):
		writeError(w, http.StatusConflict, "pin_not_set", err.Error())
	case r.Context().Err() != nil:
		writeError(w, http.StatusServiceUnavailable, "busy", "the request ended while another PIN was being checked")
	default:
		writeError(w, http.StatusInternalServerError, "pin_unreadable", "the staff PIN could not be read; see the gate's log")
	}
}

// handleSessionDelete signs out.
func (a *Server) handleSessionDelete(w http.ResponseWriter, r *http.Request) {
	if a.Staff != nil {
		if c, err := r.Cookie(cookieName(r)); err == nil {
			if sess, ok := a.Staff.Sessions.Get(c.Value, a.Staff.Now()); ok {
				if !csrfOK(r, sess) {
					writeError(w, http.StatusForbidden, "csrf", "the request lacks this session's "+csrfHeader+" header")
					return
				}
				a.Staff.Sessions.Delete(c.Value)
			}
		}
		setSessionCookie(w, r, "", time.Time{})
	}
	w.WriteHeader(http.StatusNoContent)
}
