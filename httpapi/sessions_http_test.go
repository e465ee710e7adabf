package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/admitone/admitone/account"
)

type sessionsJSON struct {
	Sessions []struct {
		ID         string  `json:"id"`
		CreatedAt  string  `json:"created_at"`
		LastUsedAt *string `json:"last_used_at"`
		ExpiresAt  string  `json:"expires_at"`
		Current    bool    `json:"current"`
	} `json:"sessions"`
}

// wantAPIError checks a refusal's status and error code.
func wantAPIError(t *testing.T, what string, res response, status int, code string) {
	t.Helper()
	if res.status != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, res.status, status, res.short())
	}
	if got := res.apiErr(t).Code; got != code {
		t.Errorf("%s: code %q, want %q", what, got, code)
	}
}

// TestStolenSessionCannotTakeOverAccount walks issue 9 item 9 through the
// API: a session stolen from a user neither enrols 2FA nor changes the
// password without the password, and the owner's enrolment, password
// change and 2FA removal each end every other session.
func TestStolenSessionCannotTakeOverAccount(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		u := h.newUser(t, "victim")
		stolen := &user{Email: u.Email}
		h.login(t, stolen)
		alive := func(tok string) bool {
			t.Helper()
			res := h.do(t, "GET", "/v1/tickets", tok, nil)
			if res.status != http.StatusOK && res.status != http.StatusUnauthorized {
				t.Fatalf("GET /v1/tickets: status %d; body %s", res.status, res.short())
			}
			return res.status == http.StatusOK
		}

		t.Run("a stolen session cannot enrol 2FA without the password", func(t *testing.T) {
			mark := h.spy.mark()
			res := h.do(t, "POST", "/v1/auth/totp/enroll", stolen.Token, map[string]any{})
			if res.status == http.StatusOK {
				t.Fatalf("enrolment without the password answered 200 with a TOTP secret: %s", res.short())
			}
			wantAPIError(t, "enrol without password", res, http.StatusUnprocessableEntity, "invalid")
			if f := res.apiErr(t).Field; f != "password" {
				t.Errorf("field %q, want password", f)
			}
			wantAPIError(t, "enrol with a wrong password",
				h.do(t, "POST", "/v1/auth/totp/enroll", stolen.Token, map[string]any{"password": "guessed wrongly"}), http.StatusForbidden, "bad_password")
			if w := h.spy.since(mark); len(w) > 0 {
				t.Errorf("refused enrolments wrote %v", w)
			}
		})

		t.Run("a stolen session cannot change the password", func(t *testing.T) {
			mark := h.spy.mark()
			wantAPIError(t, "change with a wrong password", h.do(t, "POST", "/v1/auth/password", stolen.Token,
				map[string]any{"current_password": "guessed wrongly", "new_password": "the thief's passphrase"}), http.StatusForbidden, "bad_password")
			if w := h.spy.since(mark); len(w) > 0 {
				t.Errorf("a refused change wrote %v", w)
			}
			decodeAs[loginJSON](t, h.loginResponse(t, u.Email, nil), http.StatusOK)
		})

		t.Run("sessions are listed without secrets", func(t *testing.T) {
			res := h.do(t, "GET", "/v1/auth/sessions", u.Token, nil)
			l := decodeAs[sessionsJSON](t, res, http.StatusOK)
			if strings.Contains(string(res.body), u.Token) || strings.Contains(string(res.body), stolen.Token) {
				t.Fatalf("the session list shows a bearer secret: %s", res.short())
			}
			current := 0
			for _, s := range l.Sessions {
				if s.Current {
					current++
					if s.ID != account.HashSecret(u.Token) {
						t.Errorf("session %s is marked current, want the caller's", s.ID)
					}
				}
				if s.LastUsedAt == nil || s.CreatedAt == "" || s.ExpiresAt == "" {
					t.Errorf("session %+v lacks a time", s)
				}
			}
			// The caller's, the stolen one and the logins above.
			if len(l.Sessions) < 2 || current != 1 {
				t.Errorf("%d sessions, %d current: want at least 2, one current", len(l.Sessions), current)
			}
			if cc := res.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
		})

		t.Run("enrolling 2FA ends the other sessions", func(t *testing.T) {
			h.enrollTOTP(t, u)
			if alive(stolen.Token) {
				t.Error("a session from before 2FA was turned on still works")
			}
			if !alive(u.Token) {
				t.Error("the session that enrolled was ended")
			}
			l := decodeAs[sessionsJSON](t, h.do(t, "GET", "/v1/auth/sessions", u.Token, nil), http.StatusOK)
			if len(l.Sessions) != 1 || !l.Sessions[0].Current {
				t.Errorf("sessions after enrolment: %+v, want only the caller's", l.Sessions)
			}
		})

		const newPassword = "a brand new passphrase"
		t.Run("changing the password ends the other sessions", func(t *testing.T) {
			other := &user{Email: u.Email, TOTPSecret: u.TOTPSecret}
			h.login(t, other)
			wantAPIError(t, "change to a short password", h.do(t, "POST", "/v1/auth/password", u.Token,
				map[string]any{"current_password": testPassword, "new_password": "short"}), http.StatusUnprocessableEntity, "invalid")
			h.do(t, "POST", "/v1/auth/password", u.Token,
				map[string]any{"current_password": testPassword, "new_password": newPassword}).want(t, http.StatusNoContent)
			if alive(other.Token) {
				t.Error("another session outlived the password change")
			}
			if !alive(u.Token) {
				t.Error("the session that changed the password was ended")
			}
			h.nextTOTPStep()
			wantAPIError(t, "login with the old password", h.loginResponse(t, u.Email,
				map[string]any{"totp": totpCode(t, u.TOTPSecret, h.clock.Now())}), http.StatusUnauthorized, "bad_login")
			h.nextTOTPStep()
			decodeAs[loginJSON](t, h.loginResponse(t, u.Email,
				map[string]any{"password": newPassword, "totp": totpCode(t, u.TOTPSecret, h.clock.Now())}), http.StatusOK)
		})

		t.Run("turning 2FA off takes the password and ends the other sessions", func(t *testing.T) {
			h.nextTOTPStep()
			other := decodeAs[loginJSON](t, h.loginResponse(t, u.Email,
				map[string]any{"password": newPassword, "totp": totpCode(t, u.TOTPSecret, h.clock.Now())}), http.StatusOK).Token
			h.nextTOTPStep()
			code := totpCode(t, u.TOTPSecret, h.clock.Now())
			wantAPIError(t, "turn off without the password", h.do(t, "DELETE", "/v1/auth/totp", other,
				map[string]any{"code": code}), http.StatusUnprocessableEntity, "invalid")
			wantAPIError(t, "turn off with a wrong password", h.do(t, "DELETE", "/v1/auth/totp", other,
				map[string]any{"password": testPassword, "code": code}), http.StatusForbidden, "bad_password")
			if got, _ := h.acctStore.UserByID(t.Context(), u.ID); got.TOTPSecret == "" {
				t.Fatal("a refused request turned 2FA off")
			}
			h.do(t, "DELETE", "/v1/auth/totp", u.Token, map[string]any{"password": newPassword, "code": code}).want(t, http.StatusNoContent)
			if alive(other) {
				t.Error("another session outlived turning 2FA off")
			}
			if !alive(u.Token) {
				t.Error("the session that turned 2FA off was ended")
			}
		})

		t.Run("a session is ended by its id", func(t *testing.T) {
			other := decodeAs[loginJSON](t, h.loginResponse(t, u.Email, map[string]any{"password": newPassword}), http.StatusOK).Token
			wantAPIError(t, "malformed id", h.do(t, "DELETE", "/v1/auth/sessions/not-an-id", u.Token, nil), http.StatusUnprocessableEntity, "invalid")
			h.do(t, "DELETE", "/v1/auth/sessions/"+account.HashSecret(other), u.Token, nil).want(t, http.StatusNoContent)
			if alive(other) || !alive(u.Token) {
				t.Errorf("after ending one session: it is alive %v, the caller's alive %v", alive(other), alive(u.Token))
			}
			wantAPIError(t, "end it again", h.do(t, "DELETE", "/v1/auth/sessions/"+account.HashSecret(other), u.Token, nil), http.StatusNotFound, "not_found")
		})
	})
}
