package account_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
)

func TestRateLimitAccount(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.signUp(t, "alice@example.com")
	try := func(email, password string) error {
		_, _, err := f.svc.Login(ctx, account.LoginRequest{Email: email, Password: password})
		return err
	}

	for i := range 5 {
		wantErr(t, fmt.Sprintf("wrong password %d", i+1), try("alice@example.com", "wrong password"), account.ErrBadLogin)
		f.clock.Advance(time.Minute)
	}
	// Locked: even the right password, in any letter case, is refused.
	wantErr(t, "right password when locked", try("ALICE@example.com", goodPassword), account.ErrRateLimited)
	// Another account is not affected.
	wantErr(t, "other account", try("bob@example.com", goodPassword), account.ErrBadLogin)

	// The lock lifts when the first failure is 15 minutes old (it was at
	// start; the clock is at start+5m).
	f.clock.Advance(10*time.Minute - time.Second)
	wantErr(t, "a second before the window passes", try("alice@example.com", goodPassword), account.ErrRateLimited)
	f.clock.Advance(time.Second)
	if err := try("alice@example.com", goodPassword); err != nil {
		t.Fatalf("after the window: %v", err)
	}

	// A success clears the count: 4 failures, a success, 4 failures, and
	// the account is still open.
	for round := range 2 {
		for i := range 4 {
			wantErr(t, fmt.Sprintf("round %d failure %d", round, i), try("alice@example.com", "wrong password"), account.ErrBadLogin)
		}
		if err := try("alice@example.com", goodPassword); err != nil {
			t.Fatalf("round %d: success after 4 failures: %v", round, err)
		}
	}

	// Unknown emails are limited the same way, so the limit does not tell
	// which emails have accounts.
	for range 5 {
		wantErr(t, "unknown email", try("nobody@example.com", goodPassword), account.ErrBadLogin)
	}
	wantErr(t, "unknown email, 6th", try("nobody@example.com", goodPassword), account.ErrRateLimited)
}

func TestRateLimitTOTPFailures(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.signUp(t, "alice@example.com")
	secret, _ := f.enrol(t, u.ID)
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
	wantErr(t, "21st attempt, other port", try("198.51.100.7:1", 21), account.ErrRateLimited)
	_, _, err := f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: goodPassword, RemoteAddr: "198.51.100.7"})
	wantErr(t, "right password from the limited address", err, account.ErrRateLimited)
	wantErr(t, "other address", try("198.51.100.8:1", 22), account.ErrBadLogin)

	// IPv6 counts by /64.
	for i := range 20 {
		wantErr(t, "ipv6", try(fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1), 100+i), account.ErrBadLogin)
	}
	wantErr(t, "same /64", try("[2001:db8:1:2:ffff::1]:443", 200), account.ErrRateLimited)
	wantErr(t, "other /64", try("[2001:db8:1:3::1]:443", 201), account.ErrBadLogin)

	f.clock.Advance(time.Minute)
	_, _, err = f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: goodPassword, RemoteAddr: "198.51.100.7:2"})
	if err != nil {
		t.Fatalf("a minute later: %v", err)
	}
}
