package account_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
)

// wantWait fails the test unless err is a RetryError wrapping
// ErrRateLimited whose wait is want and whose message says so.
func wantWait(t *testing.T, what string, err error, want time.Duration) {
	t.Helper()
	var re *account.RetryError
	if !errors.As(err, &re) || !errors.Is(err, account.ErrRateLimited) {
		t.Fatalf("%s: err = %v, want a RetryError wrapping ErrRateLimited", what, err)
	}
	if re.Wait != want || re.RetryAfter() != want {
		t.Fatalf("%s: wait %v, want %v", what, re.Wait, want)
	}
	if !strings.HasSuffix(err.Error(), "; try again in "+want.String()) {
		t.Fatalf("%s: message %q does not say %v", what, err, want)
	}
}

// Wrong passwords slow down further attempts for that account from that
// address, 1s, 2s, 4s ... up to 15m; the owner signing in from another
// address is never refused because of them.
func TestLoginFailuresSlowOnlyTheirAddress(t *testing.T) {
	f := newFixture(t)
	f.svc.Limits.AddrAttempts = 1000 // the address limit is TestRateLimitAddress's
	ctx := context.Background()
	f.signUp(t, "alice@example.com")
	const attacker, owner = "203.0.113.9:40000", "198.51.100.7:50000"
	try := func(email, password, addr string) error {
		_, _, err := f.svc.Login(ctx, account.LoginRequest{Email: email, Password: password, RemoteAddr: addr})
		return err
	}

	for i := range 5 {
		wantErr(t, fmt.Sprintf("wrong password %d", i+1), try("alice@example.com", "wrong password", attacker), account.ErrBadLogin)
	}
	// The attacker must wait now, even with the right password, from
	// another port of the same address, and in any letter case.
	wantWait(t, "6th attempt", try("ALICE@example.com", goodPassword, "203.0.113.9:1"), time.Second)
	// The owner, elsewhere, is not.
	if err := try("alice@example.com", goodPassword, owner); err != nil {
		t.Fatalf("owner from another address after 5 failures elsewhere: %v", err)
	}

	// Each further failure doubles the wait, up to 15 minutes; an
	// attempt during the wait is refused without counting.
	want := time.Second
	for i := range 14 {
		f.clock.Advance(want - time.Millisecond)
		wantWait(t, fmt.Sprintf("round %d, 1ms early", i), try("alice@example.com", "wrong password", attacker), time.Second)
		f.clock.Advance(time.Millisecond)
		wantErr(t, fmt.Sprintf("round %d, on time", i), try("alice@example.com", "wrong password", attacker), account.ErrBadLogin)
		want = min(2*want, 15*time.Minute)
		wantWait(t, fmt.Sprintf("round %d, after the failure", i), try("alice@example.com", goodPassword, attacker), want)
		// The owner is never refused.
		if err := try("alice@example.com", goodPassword, owner); err != nil {
			t.Fatalf("round %d: owner from another address: %v", i, err)
		}
	}
	if want != 15*time.Minute {
		t.Fatalf("wait grew to %v only", want)
	}

	// After the wait the right password works and clears the count: 5
	// more failures are allowed back to back.
	f.clock.Advance(want)
	if err := try("alice@example.com", goodPassword, attacker); err != nil {
		t.Fatalf("right password after the wait: %v", err)
	}
	for i := range 5 {
		wantErr(t, fmt.Sprintf("failure %d after a success", i+1), try("alice@example.com", "wrong password", attacker), account.ErrBadLogin)
	}
	wantWait(t, "6th failure after a success", try("alice@example.com", "wrong password", attacker), time.Second)

	// An hour without attempts past the wait forgets the count.
	f.clock.Advance(time.Second + time.Hour)
	for i := range 5 {
		wantErr(t, fmt.Sprintf("failure %d an hour later", i+1), try("alice@example.com", "wrong password", attacker), account.ErrBadLogin)
	}

	// Unknown emails are slowed the same way, so the limit does not tell
	// which emails have accounts.
	for range 5 {
		wantErr(t, "unknown email", try("nobody@example.com", goodPassword, attacker), account.ErrBadLogin)
	}
	wantWait(t, "unknown email, 6th", try("nobody@example.com", goodPassword, attacker), time.Second)
}

// Attempts racing each other from one address cannot slip past the wait:
// each is counted before its password is checked.
func TestLoginFailuresRace(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.signUp(t, "alice@example.com")
	const n = 12
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, _, errs[i] = f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: "wrong password", RemoteAddr: "203.0.113.9"})
		})
	}
	wg.Wait()
	bad, limited := 0, 0
	for _, err := range errs {
		switch {
		case errors.Is(err, account.ErrBadLogin):
			bad++
		case errors.Is(err, account.ErrRateLimited):
			limited++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	// The 5 free failures; the wait starts with the 5th.
	if bad != 5 || limited != n-5 {
		t.Fatalf("%d racing wrong passwords: %d checked, %d refused; want 5 and %d", n, bad, limited, n-5)
	}
}

func TestRateLimitTOTPFailures(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.signUp(t, "alice@example.com")
	secret, _ := f.enroll(t, u.ID)
	f.clock.Advance(30 * time.Second)
	for range 5 {
		_, _, err := f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: goodPassword, TOTP: "000000"})
		wantErr(t, "wrong code", err, account.ErrBadTOTP)
	}
	_, _, err := f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: goodPassword, TOTP: code(t, secret, f.clock.Now())})
	wantErr(t, "right code when locked", err, account.ErrRateLimited)
	f.clock.Advance(15 * time.Minute)
	f.login(t, account.LoginRequest{Email: "alice@example.com", TOTP: code(t, secret, f.clock.Now())})
}

func TestRateLimitAddress(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.signUp(t, "alice@example.com")
	try := func(addr string, i int) error {
		// A different unknown email each time, so the account limit
		// does not interfere.
		_, _, err := f.svc.Login(ctx, account.LoginRequest{
			Email: fmt.Sprintf("user%d@example.com", i), Password: goodPassword, RemoteAddr: addr,
		})
		return err
	}
	for i := range 20 {
		wantErr(t, fmt.Sprintf("attempt %d", i+1), try(fmt.Sprintf("198.51.100.7:%d", 40000+i), i), account.ErrBadLogin)
	}
	f.clock.Advance(15 * time.Second)
	wantWait(t, "21st attempt, other port", try("198.51.100.7:1", 21), 45*time.Second)
	_, _, err := f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: goodPassword, RemoteAddr: "198.51.100.7"})
	wantErr(t, "right password from the limited address", err, account.ErrRateLimited)
	wantErr(t, "other address", try("198.51.100.8:1", 22), account.ErrBadLogin)

	// IPv6 counts by /64.
	for i := range 20 {
		wantErr(t, "ipv6", try(fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1), 100+i), account.ErrBadLogin)
	}
	wantErr(t, "same /64", try("[2001:db8:1:2:ffff::1]:443", 200), account.ErrRateLimited)
	wantErr(t, "other /64", try("[2001:db8:1:3::1]:443", 201), account.ErrBadLogin)

	f.clock.Advance(45 * time.Second)
	_, _, err = f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: goodPassword, RemoteAddr: "198.51.100.7:2"})
	if err != nil {
		t.Fatalf("a minute later: %v", err)
	}
}

// Sign-ups are limited per address (IPv6 by /64): 10 an hour. Malformed
// ones cost no hash and do not count; a refused one stores nothing.
func TestSignUpRateLimit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	signUp := func(email, addr string) error {
		_, err := f.svc.SignUp(ctx, account.SignUpRequest{Email: email, Password: goodPassword, RemoteAddr: addr})
		return err
	}
	for i := range 3 {
		_, err := f.svc.SignUp(ctx, account.SignUpRequest{Email: "not an email", Password: goodPassword, RemoteAddr: "198.51.100.7:1"})
		wantErr(t, fmt.Sprintf("malformed %d", i), err, account.ErrInvalid)
	}
	for i := range 10 {
		if err := signUp(fmt.Sprintf("user%d@example.com", i), fmt.Sprintf("198.51.100.7:%d", 40000+i)); err != nil {
			t.Fatalf("sign-up %d: %v", i+1, err)
		}
		f.clock.Advance(time.Minute)
	}
	// The first was 10 minutes ago.
	wantWait(t, "11th sign-up", signUp("eleven@example.com", "198.51.100.7:1"), 50*time.Minute)
	if _, err := f.store.UserByEmail(ctx, "eleven@example.com"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("the refused sign-up stored a user: %v", err)
	}
	if err := signUp("other@example.com", "198.51.100.8:1"); err != nil {
		t.Fatalf("sign-up from another address: %v", err)
	}
	if err := signUp("local@example.com", ""); err != nil {
		t.Fatalf("sign-up without an address (a local caller): %v", err)
	}

	for i := range 10 {
		if err := signUp(fmt.Sprintf("v6-%d@example.com", i), fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1)); err != nil {
			t.Fatalf("ipv6 sign-up %d: %v", i+1, err)
		}
	}
	wantWait(t, "same /64", signUp("v6-x@example.com", "[2001:db8:1:2:ffff::1]:443"), time.Hour)

	f.clock.Advance(50 * time.Minute)
	if err := signUp("eleven@example.com", "198.51.100.7:1"); err != nil {
		t.Fatalf("an hour after the first: %v", err)
	}
}
