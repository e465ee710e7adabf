package crypto

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// TestTOTPRFC6238 uses the SHA-1 vectors of RFC 6238 Appendix B.
func TestTOTPRFC6238(t *testing.T) {
	secret := []byte("12345678901234567890")
	tests := []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, tt := range tests {
		at := time.Unix(tt.unix, 0).UTC()
		t.Run(at.Format(time.RFC3339), func(t *testing.T) {
			if got := TOTP(secret, at, 30*time.Second, 8); got != tt.want {
				t.Errorf("TOTP(%d) = %s, want %s", tt.unix, got, tt.want)
			}
			// The 6-digit code is the last six digits of the same value.
			if got, want := TOTP(secret, at, 30*time.Second, 6), tt.want[2:]; got != want {
				t.Errorf("TOTP(%d, 6 digits) = %s, want %s", tt.unix, got, want)
			}
		})
	}
}

func TestTOTPStepBoundaries(t *testing.T) {
	secret := []byte("12345678901234567890")
	step := time.Unix(1111111110, 0) // a multiple of 30 s
	tests := []struct {
		name string
		a, b time.Time
		same bool
	}{
		{"start and end of one step", step, step.Add(29*time.Second + 999*time.Millisecond), true},
		{"across a step boundary", step.Add(-time.Nanosecond), step, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := TOTP(secret, tt.a, RotatingStep, 6), TOTP(secret, tt.b, RotatingStep, 6)
			if got := a == b; got != tt.same {
				t.Errorf("codes %s and %s: same = %v, want %v", a, b, got, tt.same)
			}
		})
	}
}

func TestTicketSecret(t *testing.T) {
	rk := mustRotationKey(t, testRotationSecret)
	other := mustRotationKey(t, "aork_"+"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA")
	base := rk.TicketSecret(testEvent, testTicket)
	if got, want := len(base), 20; got != want {
		t.Fatalf("len(TicketSecret) = %d, want %d", got, want)
	}
	if again := rk.TicketSecret(testEvent, testTicket); !bytes.Equal(again, base) {
		t.Errorf("TicketSecret is not deterministic: %x then %x", base, again)
	}
	tests := []struct {
		name   string
		secret []byte
	}{
		{"another ticket", rk.TicketSecret(testEvent, testOtherTick)},
		{"another event", rk.TicketSecret(testOtherEvent, testTicket)},
		{"another rotation key", other.TicketSecret(testEvent, testTicket)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.secret) != 20 {
				t.Errorf("len = %d, want 20", len(tt.secret))
			}
			if bytes.Equal(tt.secret, base) {
				t.Errorf("secret %x equals the base secret", tt.secret)
			}
		})
	}
	// Code is TOTP over the ticket secret with the documented parameters.
	if got, want := rk.Code(testEvent, testTicket, testNow), TOTP(base, testNow, 30*time.Second, 6); got != want {
		t.Errorf("Code = %s, want TOTP(TicketSecret) = %s", got, want)
	}
}

func TestVerifyCode(t *testing.T) {
	rk := mustRotationKey(t, testRotationSecret)
	codeAt := func(steps int) string {
		return rk.Code(testEvent, testTicket, testNow.Add(time.Duration(steps)*RotatingStep))
	}
	for _, s := range []int{-2, -1, 1, 2} {
		if codeAt(s) == codeAt(0) {
			t.Fatalf("test setup: code at step %+d equals the current code", s)
		}
	}
	flip := []byte(codeAt(0))
	flip[5] = '0' + (flip[5]-'0'+1)%10
	tests := []struct {
		name string
		code string
		ok   bool
	}{
		{"current step", codeAt(0), true},
		{"one step back", codeAt(-1), true},
		{"one step ahead", codeAt(1), true},
		{"two steps back", codeAt(-2), false},
		{"two steps ahead", codeAt(2), false},
		{"one digit wrong", string(flip), false},
		{"empty", "", false},
		{"five digits", codeAt(0)[:5], false},
		{"seven digits", codeAt(0) + "0", false},
		{"another ticket's code", rk.Code(testEvent, testOtherTick, testNow), false},
		{"another event's code", rk.Code(testOtherEvent, testTicket, testNow), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := rk.VerifyCode(testEvent, testTicket, tt.code, testNow)
			if tt.ok && err != nil {
				t.Errorf("VerifyCode(%q): %v", tt.code, err)
			}
			if !tt.ok && !errors.Is(err, ErrCodeExpired) {
				t.Errorf("VerifyCode(%q) = %v, want ErrCodeExpired", tt.code, err)
			}
		})
	}
}

func TestRotationKeyText(t *testing.T) {
	rk := mustRotationKey(t, testRotationSecret)
	if got := rk.Secret(); got != testRotationSecret {
		t.Errorf("Secret() = %q, want %q", got, testRotationSecret)
	}
	if rk.IsZero() {
		t.Error("IsZero() = true for a real key")
	}
	if !(RotationKey{}).IsZero() {
		t.Error("IsZero() = false for the zero key")
	}
	g, err := GenerateRotationKey()
	if err != nil {
		t.Fatal(err)
	}
	if g.IsZero() || g.Secret() == rk.Secret() {
		t.Errorf("GenerateRotationKey gave %v", g)
	}
}
