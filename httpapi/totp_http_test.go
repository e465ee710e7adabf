package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
)

// TestTOTPOverHTTP walks two-factor authentication through the API:
// enrolment, confirmation, and what login then accepts and refuses. The
// clock is the harness's, so steps are exact.
func TestTOTPOverHTTP(t *testing.T) {
	h := newHarness(t, "bolt")
	u := h.newUser(t, "totp")

	e := decodeAs[enrollJSON](t, h.do(t, "POST", "/v1/auth/totp/enroll", u.Token, passwordBody()), http.StatusOK)
	if e.Secret == "" || !strings.HasPrefix(e.OTPAuthURL, "otpauth://totp/") || len(e.QRPNG) < 8 || string(e.QRPNG[1:4]) != "PNG" {
		t.Fatalf("enrolment: secret %q, url %q, %d bytes of QR code: want all three", e.Secret, e.OTPAuthURL, len(e.QRPNG))
	}

	// Until confirmed, login needs no code.
	decodeAs[loginJSON](t, h.loginResponse(t, u.Email, nil), http.StatusOK)

	t.Run("confirm with a wrong code is refused", func(t *testing.T) {
		wrong := totpCode(t, e.Secret, h.clock.Now().Add(-5*time.Minute))
		res := h.do(t, "POST", "/v1/auth/totp/confirm", u.Token, map[string]any{"code": wrong})
		if res.status != http.StatusUnauthorized || res.apiErr(t).Code != "bad_totp" {
			t.Fatalf("status %d body %s, want 401 bad_totp", res.status, res.short())
		}
		decodeAs[loginJSON](t, h.loginResponse(t, u.Email, nil), http.StatusOK)
	})

	confirmedAt := h.clock.Now()
	var c struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	h.do(t, "POST", "/v1/auth/totp/confirm", u.Token, map[string]any{"code": totpCode(t, e.Secret, confirmedAt)}).
		want(t, http.StatusOK).decode(t, &c)
	if len(c.RecoveryCodes) != account.RecoveryCodeCount {
		t.Fatalf("%d recovery codes, want %d", len(c.RecoveryCodes), account.RecoveryCodeCount)
	}

	// Three steps on: the step confirmed with is behind, and the step
	// two before now is out of the skew window but was never used.
	h.clock.Advance(3 * account.TOTPPeriod)
	now := h.clock.Now()
	step := func(n int) string { return totpCode(t, e.Secret, now.Add(time.Duration(n)*account.TOTPPeriod)) }

	tests := []struct {
		name  string
		extra map[string]any
		// status and code are what login must answer.
		status int
		code   string
	}{
		{"no code", nil, 401, "totp_required"},
		{"code two steps old", map[string]any{"totp": step(-2)}, 401, "bad_totp"},
		{"code of the future beyond skew", map[string]any{"totp": step(2)}, 401, "bad_totp"},
		{"code of the confirmation step", map[string]any{"totp": totpCode(t, e.Secret, confirmedAt)}, 401, "bad_totp"},
		{"wrong password with a good code", map[string]any{"password": "not the password", "totp": step(0)}, 401, "bad_login"},
		{"code one step old, within skew", map[string]any{"totp": step(-1)}, 200, ""},
		{"the same code again", map[string]any{"totp": step(-1)}, 401, "bad_totp"},
		{"current code", map[string]any{"totp": step(0)}, 200, ""},
		{"current code reused", map[string]any{"totp": step(0)}, 401, "bad_totp"},
		{"older unused code after a newer one", map[string]any{"totp": step(-2)}, 401, "bad_totp"},
		{"code with spaces", map[string]any{"totp": spaced(step(1))}, 200, ""},
		{"first recovery code", map[string]any{"recovery_code": c.RecoveryCodes[0]}, 200, ""},
		{"first recovery code again", map[string]any{"recovery_code": c.RecoveryCodes[0]}, 401, "bad_totp"},
		{"second recovery code, upper case", map[string]any{"recovery_code": strings.ToUpper(c.RecoveryCodes[1])}, 200, ""},
		{"second recovery code again, as issued", map[string]any{"recovery_code": c.RecoveryCodes[1]}, 401, "bad_totp"},
		{"a made-up recovery code", map[string]any{"recovery_code": "abcd-efgh-jkmn"}, 401, "bad_totp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := h.loginResponse(t, u.Email, tc.extra)
			if res.status != tc.status {
				t.Fatalf("status %d, want %d; body %s", res.status, tc.status, res.short())
			}
			if tc.status != 200 {
				if got := res.apiErr(t).Code; got != tc.code {
					t.Errorf("code %q, want %q", got, tc.code)
				}
				return
			}
			l := decodeAs[loginJSON](t, res, http.StatusOK)
			if l.User.ID != u.ID {
				t.Errorf("logged in as %+v, want %s", l.User, u.ID)
			}
			// The session works.
			h.do(t, "POST", "/v1/orgs", l.Token, map[string]any{"name": "TOTP Org"}).want(t, http.StatusCreated)
		})
	}

	t.Run("every other recovery code works once", func(t *testing.T) {
		for i, rc := range c.RecoveryCodes[2:] {
			decodeAs[loginJSON](t, h.loginResponse(t, u.Email, map[string]any{"recovery_code": rc}), http.StatusOK)
			if res := h.loginResponse(t, u.Email, map[string]any{"recovery_code": rc}); res.status != http.StatusUnauthorized {
				t.Errorf("recovery code %d used twice: status %d", i+2, res.status)
			}
		}
	})

	t.Run("login answers two_factor true", func(t *testing.T) {
		// Past the step of the spaced code, the newest accepted.
		h.clock.Advance(2 * account.TOTPPeriod)
		l := decodeAs[loginJSON](t, h.loginResponse(t, u.Email, map[string]any{"totp": totpCode(t, e.Secret, h.clock.Now())}), http.StatusOK)
		if !l.User.TwoFactor {
			t.Errorf("login of a user with 2FA on answered user %+v: two_factor is false", l.User)
		}
	})

	t.Run("enrolling again is refused", func(t *testing.T) {
		res := h.do(t, "POST", "/v1/auth/totp/enroll", u.Token, passwordBody())
		if res.status != http.StatusConflict {
			t.Fatalf("status %d, want 409; body %s", res.status, res.short())
		}
	})
}

// spaced writes a six-digit code as "123 456", as some apps show it.
func spaced(code string) string { return code[:3] + " " + code[3:] }
