package desk

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/admitone/admitone/account"
)

// The desk's cookies: the session (the account service's session secret,
// as the API's bearer token is) and, before sign-in, the login form's
// CSRF token.
const (
	sessionCookie = "admitone_desk"
	loginCookie   = "admitone_desk_login"
	// maxForm bounds a form's body.
	maxForm = 64 << 10
	// maxSecret bounds a cookie's value before it is looked up.
	maxSecret = 256
)

// session is a signed-in request's principal and its CSRF token.
type session struct {
	P      account.Principal
	secret string
	csrf   string
}

// Email is the signed-in account's, for the layout.
func (s *session) Email() string { return s.P.User.Email }

// csrfToken is the session's CSRF token: an HMAC of a fixed label under
// the session secret, so it is bound to the session, needs no storage,
// works on every server process and tells nothing of the secret.
func csrfToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("admitone desk csrf v1"))
	return hex.EncodeToString(m.Sum(nil))
}

// sameToken compares a token a form sent with the expected one in
// constant time.
func sameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// secure reports whether cookies must be Secure: the request came over
// TLS, or the server is reached over TLS through a proxy (HSTS).
func (d *Desk) secure(r *http.Request) bool { return r.TLS != nil || d.HSTS }

func (d *Desk) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/desk/", MaxAge: maxAge, HttpOnly: true,
		Secure: d.secure(r), SameSite: http.SameSiteStrictMode})
}

// session reads the request's session, nil when it has none that works.
func (d *Desk) session(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > maxSecret {
		return nil
	}
	p, err := d.Accounts.Authenticate(r.Context(), c.Value)
	if err != nil || p.TokenKind != account.TokenSession {
		return nil
	}
	return &session{P: p, secret: c.Value, csrf: csrfToken(c.Value)}
}

// signedIn runs h for a signed-in request: others are sent to sign in
// (a page) or refused (a change, the live feed). A change (POST) must
// carry the session's CSRF token in its form, and its body is bounded.
func (d *Desk) signedIn(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := d.session(r)
		if s == nil {
			if r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/live") {
				http.Redirect(w, r, "/desk/login", http.StatusSeeOther)
				return
			}
			d.fail(w, r, nil, account.ErrUnauthorized)
			return
		}
		if s.P.MustEnroll2FA {
			d.render(w, r, http.StatusForbidden, "error", s, map[string]any{"Status": http.StatusForbidden, "StatusText": "Two-factor authentication needed",
				"Message": "this account must enrol two-factor authentication before it may use the desk"})
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if err := r.ParseForm(); err != nil || !sameToken(r.PostForm.Get("csrf"), s.csrf) {
				d.render(w, r, http.StatusForbidden, "error", s, map[string]any{"Status": http.StatusForbidden, "StatusText": "Form expired",
					"Message": "this form did not come from a page of your current session; reload the page and try again"})
				return
			}
		}
		h(w, r, s)
	}
}

// loginPage shows the sign-in form with a fresh login CSRF token in a
// cookie and the form (a signed-in visitor goes home).
func (d *Desk) loginPage(w http.ResponseWriter, r *http.Request) {
	if d.session(r) != nil {
		http.Redirect(w, r, "/desk/", http.StatusSeeOther)
		return
	}
	d.showLogin(w, r, http.StatusOK, "", "")
}

func (d *Desk) showLogin(w http.ResponseWriter, r *http.Request, status int, email, msg string) {
	b := make([]byte, 32)
	rand.Read(b)
	tok := hex.EncodeToString(b)
	d.setCookie(w, r, loginCookie, tok, 3600)
	d.render(w, r, status, "login", nil, map[string]any{"LoginCSRF": tok, "Email": email, "Message": msg})
}

// login signs in with email, password and, when the account has it, a
// TOTP or recovery code, through the account service and its limits.
func (d *Desk) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	c, cookieErr := r.Cookie(loginCookie)
	if err := r.ParseForm(); err != nil || cookieErr != nil || !sameToken(r.PostForm.Get("csrf"), c.Value) {
		d.showLogin(w, r, http.StatusForbidden, "", "the sign-in form expired; please try again")
		return
	}
	addr := r.RemoteAddr
	if d.ClientAddr != nil {
		addr = d.ClientAddr(r)
	}
	f := r.PostForm
	code := strings.TrimSpace(f.Get("totp"))
	req := account.LoginRequest{Email: f.Get("email"), Password: f.Get("password"), RemoteAddr: addr}
	if len(code) > 6 {
		req.RecoveryCode = code
	} else {
		req.TOTP = code
	}
	secret, _, err := d.Accounts.Login(r.Context(), req)
	if err != nil {
		status, msg := http.StatusUnauthorized, "wrong email or password"
		var re *account.RetryError
		switch {
		case errors.As(err, &re):
			status, msg = http.StatusTooManyRequests, re.Error()
			w.Header().Set("Retry-After", strconv.Itoa(int(re.Wait.Seconds())))
		case errors.Is(err, account.ErrTOTPRequired):
			msg = "this account has two-factor authentication: enter the code from your authenticator app"
		case errors.Is(err, account.ErrBadTOTP):
			msg = "that authentication code is wrong or was used already"
		case errors.Is(err, account.ErrBadLogin):
		default:
			d.fail(w, r, nil, err)
			return
		}
		d.showLogin(w, r, status, f.Get("email"), msg)
		return
	}
	d.setCookie(w, r, loginCookie, "", -1)
	d.setCookie(w, r, sessionCookie, secret, 0)
	http.Redirect(w, r, "/desk/", http.StatusSeeOther)
}

// logout ends the session everywhere and clears the cookie.
func (d *Desk) logout(w http.ResponseWriter, r *http.Request, s *session) {
	if err := d.Accounts.Logout(r.Context(), s.secret); err != nil {
		d.fail(w, r, s, err)
		return
	}
	d.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/desk/login", http.StatusSeeOther)
}
