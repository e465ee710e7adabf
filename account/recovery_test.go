package account_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/storage/bolt"
)

// TestEmailVerificationLink: a verification secret verifies its account
// once, never signs in, and a second request within a minute makes none.
func TestEmailVerificationLink(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	u := f.signUp(t, "verify@example.com")
	link, ok, err := f.svc.RequestEmailVerification(ctx, u.ID)
	if err != nil || !ok || !strings.HasPrefix(link.Secret, account.VerifyPrefix) || link.User.PasswordHash != "" {
		t.Fatalf("RequestEmailVerification: %+v %v %v", link, ok, err)
	}
	if _, again, _ := f.svc.RequestEmailVerification(ctx, u.ID); again {
		t.Error("a second link within a minute")
	}
	if _, err := f.svc.Authenticate(ctx, link.Secret); !errors.Is(err, account.ErrUnauthorized) {
		t.Errorf("the secret signs in: %v", err)
	}
	// A reset secret is not a verification secret, nor the other way.
	if err := f.svc.ResetPassword(ctx, link.Secret, "a brand new passphrase"); !errors.Is(err, account.ErrBadLink) {
		t.Errorf("ResetPassword with a verification secret: %v", err)
	}
	got, err := f.svc.VerifyEmail(ctx, link.Secret)
	if err != nil || !got.EmailVerified || got.ID != u.ID {
		t.Fatalf("VerifyEmail: %+v %v", got, err)
	}
	if _, err := f.svc.VerifyEmail(ctx, link.Secret); !errors.Is(err, account.ErrBadLink) {
		t.Errorf("a second use: %v", err)
	}
}

// FuzzLinkSecret: any text given as a verification secret is refused
// without a panic and verifies no one (the reset secret goes through the
// same check, useLink, after hashing the new password).
func FuzzLinkSecret(f *testing.F) {
	db, err := bolt.Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	svc := &account.Service{Store: db}
	u, err := svc.SignUp(f.Context(), account.SignUpRequest{Email: "fuzz@example.com", Password: goodPassword})
	if err != nil {
		f.Fatal(err)
	}
	link, _, err := svc.RequestEmailVerification(f.Context(), u.ID)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(link.Secret[:len(link.Secret)-1] + "A")
	f.Add("aov_")
	f.Add("aos_" + strings.Repeat("A", 43))
	f.Fuzz(func(t *testing.T, secret string) {
		if secret == link.Secret {
			return
		}
		if _, err := svc.VerifyEmail(t.Context(), secret); !errors.Is(err, account.ErrBadLink) {
			t.Fatalf("VerifyEmail(%q): %v, want ErrBadLink", secret, err)
		}
		if got, err := db.UserByID(t.Context(), u.ID); err != nil || got.EmailVerified {
			t.Fatalf("after VerifyEmail(%q): %+v %v", secret, got, err)
		}
	})
}
