package account_test

import (
	"bytes"
	"context"
	"image/png"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/qr"
)

func TestEnrollTOTP(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.signUp(t, "alice@example.com")
	p := f.session(t, u.ID)

	_, err := f.svc.EnrollTOTP(ctx, p, "not the password")
	wantErr(t, "enrol with a wrong password", err, account.ErrBadPassword)
	e, err := f.svc.EnrollTOTP(ctx, p, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Secret) != 32 { // 20 bytes of base32
		t.Errorf("secret %q: want 32 base32 characters", e.Secret)
	}
	pu, err := url.Parse(e.URL)
	if err != nil || pu.Scheme != "otpauth" || pu.Host != "totp" || pu.Query().Get("secret") != e.Secret ||
		pu.Query().Get("issuer") != "AdmitOne Test" || pu.Query().Get("period") != "30" ||
		!strings.HasSuffix(pu.Path, ":alice@example.com") {
		t.Errorf("URL %q", e.URL)
	}
	img, err := png.Decode(bytes.NewReader(e.QRPNG))
	if err != nil {
		t.Fatalf("QRPNG is not a PNG: %v", err)
	}
	res, err := qr.DecodeImage(img)
	if err != nil || res.Text != e.URL {
		t.Fatalf("QR code reads %v, %v; want the URL", res, err)
	}

	// The pending secret is stored sealed, and login is unchanged until
	// ConfirmTOTP.
	stored, _ := f.store.UserByID(ctx, u.ID)
	if stored.PendingTOTP == "" || strings.Contains(stored.PendingTOTP, e.Secret) || stored.TOTPSecret != "" {
		t.Errorf("stored pending %q, active %q", stored.PendingTOTP, stored.TOTPSecret)
	}
	f.login(t, account.LoginRequest{Email: "alice@example.com"})

	_, err = f.svc.ConfirmTOTP(ctx, p, "000000")
	if code(t, e.Secret, f.clock.Now()) != "000000" {
		wantErr(t, "confirm with a wrong code", err, account.ErrBadTOTP)
	}
	_, err = f.svc.ConfirmTOTP(ctx, p, code(t, e.Secret, f.clock.Now().Add(-2*30*time.Second)))
	wantErr(t, "confirm with a stale code", err, account.ErrBadTOTP)

	codes, err := f.svc.ConfirmTOTP(ctx, p, code(t, e.Secret, f.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$`)
	seen := map[string]bool{}
	for _, c := range codes {
		if !re.MatchString(c) || seen[c] {
			t.Errorf("recovery code %q: malformed or repeated", c)
		}
		seen[c] = true
	}
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes, want 10", len(codes))
	}
	stored, _ = f.store.UserByID(ctx, u.ID)
	if stored.TOTPSecret == "" || strings.Contains(stored.TOTPSecret, e.Secret) || stored.PendingTOTP != "" ||
		len(stored.RecoveryCodes) != 10 {
		t.Fatalf("stored after confirm: %+v", stored)
	}
	for _, h := range stored.RecoveryCodes {
		if len(h) != 64 || seen[h] {
			t.Errorf("stored recovery code %q is not a SHA-256 hex hash", h)
		}
	}
	_, err = f.svc.EnrollTOTP(ctx, p, goodPassword)
	wantErr(t, "enrol twice", err, account.ErrExists)
}

func TestLoginTOTP(t *testing.T) {
	f := newFixture(t)
	f.svc.Limits.AccountFailures = 100 // this test fails on purpose more than 5 times
	ctx := context.Background()
	u := f.signUp(t, "alice@example.com")
	secret, _ := f.enroll(t, u.ID) // uses the code of the current step
	f.clock.Advance(30 * time.Second)
	login := func(totpCode string) error {
		_, _, err := f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: goodPassword, TOTP: totpCode})
		return err
	}

	wantErr(t, "no code", login(""), account.ErrTOTPRequired)
	wantErr(t, "no code, wrong password", func() error {
		_, _, err := f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: "wrong password"})
		return err
	}(), account.ErrBadLogin)
	now := f.clock.Now()
	wantErr(t, "code 2 steps old", login(code(t, secret, now.Add(-60*time.Second))), account.ErrBadTOTP)
	wantErr(t, "code 2 steps ahead", login(code(t, secret, now.Add(60*time.Second))), account.ErrBadTOTP)
	wantErr(t, "code of the step used for enrolment", login(code(t, secret, now.Add(-30*time.Second))), account.ErrBadTOTP)
	wantErr(t, "not digits", login("12345a"), account.ErrBadTOTP)
	wantErr(t, "too short", login(code(t, secret, now)[:5]), account.ErrBadTOTP)

	cur := code(t, secret, now)
	if err := login(cur); err != nil {
		t.Fatalf("current code: %v", err)
	}
	f.clock.Advance(10 * time.Second) // same step
	wantErr(t, "same code again", login(cur), account.ErrBadTOTP)

	// The next step's code works once, and after it the previous step's
	// code is refused even though it is within the skew.
	f.clock.Advance(30 * time.Second)
	now = f.clock.Now()
	if err := login(" " + code(t, secret, now) + " "); err != nil {
		t.Fatalf("next step's code: %v", err)
	}
	wantErr(t, "previous step after a newer one", login(code(t, secret, now.Add(-30*time.Second))), account.ErrBadTOTP)

	// A code from one step ahead (a fast phone clock) works, once.
	ahead := code(t, secret, now.Add(30*time.Second))
	if err := login(ahead); err != nil {
		t.Fatalf("code one step ahead: %v", err)
	}
	f.clock.Advance(30 * time.Second)
	wantErr(t, "the ahead code in its own step", login(ahead), account.ErrBadTOTP)
	stored, _ := f.store.UserByID(ctx, u.ID)
	if want := f.clock.Now().Unix() / 30; stored.TOTPLastStep != want {
		t.Errorf("TOTPLastStep = %d, want %d", stored.TOTPLastStep, want)
	}
}

func TestRecoveryCodes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.signUp(t, "alice@example.com")
	_, codes := f.enroll(t, u.ID)
	login := func(rc string) error {
		_, _, err := f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: goodPassword, RecoveryCode: rc})
		return err
	}
	wantErr(t, "made-up code", login("0000-0000-0000"), account.ErrBadTOTP)
	for i, c := range codes {
		if i == 3 {
			c = strings.ToUpper(strings.ReplaceAll(c, "-", " "))
		}
		if err := login(c); err != nil {
			t.Fatalf("recovery code %d: %v", i+1, err)
		}
		wantErr(t, "reused recovery code", login(c), account.ErrBadTOTP)
	}
	// The 11th attempt: every code is spent.
	wantErr(t, "11th attempt", login(codes[0]), account.ErrBadTOTP)
	stored, _ := f.store.UserByID(ctx, u.ID)
	if len(stored.RecoveryCodes) != 0 {
		t.Errorf("%d recovery codes left, want 0", len(stored.RecoveryCodes))
	}
}

func TestDisableTOTP(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.signUp(t, "alice@example.com")
	p := f.session(t, u.ID)
	secret, codes := f.enrollAs(t, p)
	f.clock.Advance(30 * time.Second)

	wantErr(t, "disable without a code", f.svc.DisableTOTP(ctx, p, goodPassword, ""), account.ErrBadTOTP)
	wantErr(t, "disable with a stale code",
		f.svc.DisableTOTP(ctx, p, goodPassword, code(t, secret, f.clock.Now().Add(-time.Minute))), account.ErrBadTOTP)
	wantErr(t, "disable without the password", f.svc.DisableTOTP(ctx, p, "", code(t, secret, f.clock.Now())), account.ErrBadPassword)
	wantErr(t, "disable with a wrong password",
		f.svc.DisableTOTP(ctx, p, "not the password", code(t, secret, f.clock.Now())), account.ErrBadPassword)
	if err := f.svc.DisableTOTP(ctx, p, goodPassword, code(t, secret, f.clock.Now())); err != nil {
		t.Fatal(err)
	}
	f.login(t, account.LoginRequest{Email: "alice@example.com"}) // no code needed
	wantErr(t, "disable twice", f.svc.DisableTOTP(ctx, p, goodPassword, codes[0]), account.ErrInvalid)

	// Re-enrol, then disable with a recovery code (the app was lost).
	f.clock.Advance(30 * time.Second)
	_, codes = f.enrollAs(t, p)
	if err := f.svc.DisableTOTP(ctx, p, goodPassword, codes[5]); err != nil {
		t.Fatalf("disable with a recovery code: %v", err)
	}
	stored, _ := f.store.UserByID(ctx, u.ID)
	if stored.TOTPSecret != "" || len(stored.RecoveryCodes) != 0 {
		t.Errorf("after disable: %+v", stored)
	}
}

func TestStepUp(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.signUp(t, "plain@example.com")
	_, plain := f.login(t, account.LoginRequest{Email: "plain@example.com"})
	if err := f.svc.StepUp(ctx, plain, ""); err != nil {
		t.Errorf("StepUp for a user without 2FA = %v, want nil", err)
	}

	u := f.signUp(t, "alice@example.com")
	secret, codes := f.enroll(t, u.ID)
	f.clock.Advance(30 * time.Second)
	_, p := f.login(t, account.LoginRequest{Email: "alice@example.com", TOTP: code(t, secret, f.clock.Now())})
	if !p.TwoFactor {
		t.Error("Principal.TwoFactor is false for a user with 2FA")
	}
	f.clock.Advance(30 * time.Second)
	c := code(t, secret, f.clock.Now())
	wantErr(t, "step up without a code", f.svc.StepUp(ctx, p, ""), account.ErrBadTOTP)
	if err := f.svc.StepUp(ctx, p, c); err != nil {
		t.Fatalf("StepUp with the current code: %v", err)
	}
	wantErr(t, "step up with the same code", f.svc.StepUp(ctx, p, c), account.ErrBadTOTP)
	if err := f.svc.StepUp(ctx, p, codes[9]); err != nil {
		t.Fatalf("StepUp with a recovery code: %v", err)
	}
	wantErr(t, "step up with a spent recovery code", f.svc.StepUp(ctx, p, codes[9]), account.ErrBadTOTP)
}

// A sealed TOTP secret copied into another user's row does not open there,
// so it does not let the copier's codes log in as that user.
func TestTOTPSecretBoundToUser(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	mallory := f.signUp(t, "mallory@example.com")
	alice := f.signUp(t, "alice@example.com")
	secret, _ := f.enroll(t, mallory.ID)
	f.enroll(t, alice.ID)
	m, _ := f.store.UserByID(ctx, mallory.ID)
	if _, err := f.store.UpdateUser(ctx, alice.ID, func(u *account.User) error {
		u.TOTPSecret = m.TOTPSecret
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(30 * time.Second)
	_, _, err := f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: goodPassword, TOTP: code(t, secret, f.clock.Now())})
	wantErr(t, "login with a swapped secret", err, account.ErrBadTOTP)
}

func TestTOTPNeedsSealKey(t *testing.T) {
	f := newFixture(t)
	u := f.signUp(t, "alice@example.com")
	p := f.session(t, u.ID)
	f.svc = &account.Service{Store: f.store, Now: f.clock.Now}
	if _, err := f.svc.EnrollTOTP(context.Background(), p, goodPassword); err == nil {
		t.Fatal("EnrollTOTP without a SealKey succeeded")
	}
}
