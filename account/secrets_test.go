package account_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
)

// No error carries a password, a bearer secret, a TOTP code or secret, a
// recovery code, or the salt or hash of a password hash.
func TestErrorsHideSecrets(t *testing.T) {
	f := newFixture(t)
	f.svc.Limits.AccountFailures = 100
	ctx := context.Background()
	u := f.signUp(t, "alice@example.com")
	totpSecret, codes := f.enroll(t, u.ID)
	f.clock.Advance(30 * time.Second)
	secret, p := f.login(t, account.LoginRequest{Email: "alice@example.com", TOTP: code(t, totpSecret, f.clock.Now())})
	stored, _ := f.store.UserByID(ctx, u.ID)
	phc, _ := account.ParsePHC(stored.PasswordHash)
	phcParts := strings.Split(stored.PasswordHash, "$")

	const (
		shortPw  = "Hunter2xy"
		wrongPw  = "Wr0ng-Password-Zq"
		wrongTOT = "918273"
		wrongRC  = "abcd-efgh-jkmn"
	)
	longPw := "Long-Secret-" + strings.Repeat("q", 250)
	fakeBearer := "aos_" + strings.Repeat("Zz", 21) + "Z"
	var errs []error
	add := func(err error) {
		t.Helper()
		if err == nil {
			t.Fatal("expected an error")
		}
		errs = append(errs, err)
	}
	_, err := f.svc.SignUp(ctx, account.SignUpRequest{Email: "bob@example.com", Password: shortPw})
	add(err)
	_, err = f.svc.SignUp(ctx, account.SignUpRequest{Email: "bob@example.com", Password: longPw})
	add(err)
	_, err = f.svc.SignUp(ctx, account.SignUpRequest{Email: "alice@example.com", Password: wrongPw})
	add(err)
	_, _, err = f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: wrongPw})
	add(err)
	_, _, err = f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: goodPassword, TOTP: wrongTOT})
	add(err)
	_, _, err = f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: goodPassword, RecoveryCode: wrongRC})
	add(err)
	// A used TOTP code, and a used recovery code.
	used := code(t, totpSecret, f.clock.Now())
	_, _, err = f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: goodPassword, TOTP: used})
	add(err)
	if _, _, err := f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: goodPassword, RecoveryCode: codes[0]}); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: goodPassword, RecoveryCode: codes[0]})
	add(err)
	add(f.svc.StepUp(ctx, p, wrongTOT))
	add(f.svc.DisableTOTP(ctx, p, goodPassword, wrongRC))
	add(f.svc.DisableTOTP(ctx, p, wrongPw, wrongRC))
	add(f.svc.ChangePassword(ctx, p, wrongPw, longPw))
	add(f.svc.ChangePassword(ctx, p, goodPassword, shortPw))
	_, err = f.svc.ConfirmTOTP(ctx, p, wrongTOT)
	add(err)
	_, err = f.svc.Authenticate(ctx, fakeBearer)
	add(err)
	_, err = f.svc.Authenticate(ctx, secret+"x")
	add(err)
	add(f.svc.Logout(ctx, secret+"x"))
	_, err = f.svc.EnrollTOTP(ctx, p, wrongPw)
	add(err)
	_, err = account.ParsePHC(stored.PasswordHash + "\n")
	add(err)
	_, err = account.ParsePHC(strings.Replace(stored.PasswordHash, "m=19456", "m=99999999", 1))
	add(err)
	// A locked account, with the default limits.
	strict := &account.Service{Store: f.store, Now: f.clock.Now, SealKey: f.svc.SealKey}
	for range 5 {
		strict.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: wrongPw})
	}
	_, _, err = strict.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: goodPassword})
	if !errors.Is(err, account.ErrRateLimited) {
		t.Fatalf("locked login = %v, want ErrRateLimited", err)
	}
	add(err)

	secrets := []string{
		goodPassword, shortPw, wrongPw, longPw[:20], wrongTOT, wrongRC, used, codes[0], codes[1],
		totpSecret, secret, secret[4:20], fakeBearer[4:], phcParts[4], phcParts[5],
		string(phc.Salt), stored.TOTPSecret[:16],
	}
	for _, err := range errs {
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error %q contains a secret %q", err, s)
			}
		}
	}
}

// Two logins racing with the same TOTP code: the store transaction lets
// exactly one through.
func TestTOTPCodeRace(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.signUp(t, "alice@example.com")
	secret, _ := f.enroll(t, u.ID)
	f.clock.Advance(30 * time.Second)
	c := code(t, secret, f.clock.Now())

	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, _, errs[i] = f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: goodPassword, TOTP: c})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, account.ErrBadTOTP):
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d logins with one code succeeded, want 1 (errors %v)", ok, n, errs)
	}
}
