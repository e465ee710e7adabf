package account_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testclock"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/admitone/admitone/account"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/storage/bolt"
)

// start is 5 s into a TOTP step, so small advances stay in the same step.
var start = time.Date(2026, 3, 1, 10, 0, 5, 0, time.UTC)

type fixture struct {
	svc   *account.Service
	store account.Store
	clock *testclock.Clock
}

// newFixture returns a Service over a fresh store, with a clock at start.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	var key ticketcrypto.SealKey
	rand.Read(key[:])
	f := &fixture{store: newStore(t), clock: testclock.New(start)}
	f.svc = &account.Service{Store: f.store, Now: f.clock.Now, SealKey: &key, Issuer: "AdmitOne Test"}
	return f
}

const goodPassword = "correct horse battery"

// signUp makes an account or fails the test.
func (f *fixture) signUp(t *testing.T, email string) account.User {
	t.Helper()
	u, err := f.svc.SignUp(context.Background(), account.SignUpRequest{Email: email, Password: goodPassword, Name: "Test User"})
	if err != nil {
		t.Fatalf("SignUp(%q): %v", email, err)
	}
	return u
}

// login logs in with the good password and returns the session's principal.
func (f *fixture) login(t *testing.T, req account.LoginRequest) (string, account.Principal) {
	t.Helper()
	if req.Password == "" {
		req.Password = goodPassword
	}
	secret, _, err := f.svc.Login(context.Background(), req)
	if err != nil {
		t.Fatalf("Login(%q): %v", req.Email, err)
	}
	p, err := f.svc.Authenticate(context.Background(), secret)
	if err != nil {
		t.Fatalf("Authenticate after login: %v", err)
	}
	return secret, p
}

// session logs userID in with the good password (the user must not have
// 2FA on) and returns the session's principal.
func (f *fixture) session(t *testing.T, userID string) account.Principal {
	t.Helper()
	u, err := f.store.UserByID(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	_, p := f.login(t, account.LoginRequest{Email: u.Email})
	return p
}

// enroll turns TOTP on for userID and returns the secret and recovery codes.
func (f *fixture) enroll(t *testing.T, userID string) (string, []string) {
	t.Helper()
	return f.enrollAs(t, f.session(t, userID))
}

// enrollAs turns TOTP on for p's user from p's session.
func (f *fixture) enrollAs(t *testing.T, p account.Principal) (string, []string) {
	t.Helper()
	ctx := context.Background()
	e, err := f.svc.EnrollTOTP(ctx, p, goodPassword)
	if err != nil {
		t.Fatalf("EnrollTOTP: %v", err)
	}
	codes, err := f.svc.ConfirmTOTP(ctx, p, code(t, e.Secret, f.clock.Now()))
	if err != nil {
		t.Fatalf("ConfirmTOTP: %v", err)
	}
	return e.Secret, codes
}

// code returns the TOTP code of secret at time at.
func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

// newStore returns an empty storage/bolt store in a temporary directory,
// closed when the test ends.
func newStore(t *testing.T) account.Store {
	t.Helper()
	db, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return db
}
