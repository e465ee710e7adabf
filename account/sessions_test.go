package account_test

import (
	"context"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
)

// alive reports whether a bearer secret still authenticates.
func (f *fixture) alive(t *testing.T, secret string) bool {
	t.Helper()
	_, err := f.svc.Authenticate(context.Background(), secret)
	return err == nil
}

func TestChangePassword(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.signUp(t, "alice@example.com")
	mine, p := f.login(t, account.LoginRequest{Email: "alice@example.com"})
	other, _ := f.login(t, account.LoginRequest{Email: "alice@example.com"})
	api, _, err := f.svc.CreateAPIToken(ctx, p, "ci", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	papi, err := f.svc.Authenticate(ctx, api)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := f.store.UserByID(ctx, u.ID)
	const next = "a new long passphrase"

	for _, tc := range []struct {
		name          string
		p             account.Principal
		current, next string
		want          error
	}{
		{"wrong current password", p, "not the password", next, account.ErrBadPassword},
		{"no current password", p, "", next, account.ErrBadPassword},
		{"new password too short", p, goodPassword, "short", account.ErrInvalid},
		{"from an API token", papi, goodPassword, next, account.ErrForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, "ChangePassword", f.svc.ChangePassword(ctx, tc.p, tc.current, tc.next), tc.want)
			after, _ := f.store.UserByID(ctx, u.ID)
			if after.PasswordHash != before.PasswordHash {
				t.Error("a refused change changed the stored password hash")
			}
			if !f.alive(t, other) || !f.alive(t, api) {
				t.Error("a refused change ended other sessions")
			}
		})
	}

	if err := f.svc.ChangePassword(ctx, p, goodPassword, next); err != nil {
		t.Fatal(err)
	}
	if !f.alive(t, mine) {
		t.Error("the session that changed the password was ended")
	}
	if f.alive(t, other) || f.alive(t, api) {
		t.Error("another session or API token outlived the password change")
	}
	_, _, err = f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: goodPassword})
	wantErr(t, "login with the old password", err, account.ErrBadLogin)
	f.login(t, account.LoginRequest{Email: "alice@example.com", Password: next})
}

// A session stolen before 2FA was turned on neither enrols 2FA without
// the password nor survives the owner's enrolment; turning 2FA off ends
// the other sessions too.
func TestTwoFactorChangesEndOtherSessions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.signUp(t, "alice@example.com")
	stolen, thief := f.login(t, account.LoginRequest{Email: "alice@example.com"})
	_, err := f.svc.EnrollTOTP(ctx, thief, "")
	wantErr(t, "enrol without the password", err, account.ErrBadPassword)
	_, err = f.svc.EnrollTOTP(ctx, thief, "guessed password")
	wantErr(t, "enrol with a wrong password", err, account.ErrBadPassword)
	if stored, _ := f.store.UserByID(ctx, u.ID); stored.PendingTOTP != "" {
		t.Fatal("a refused enrolment stored a pending secret")
	}

	mine, p := f.login(t, account.LoginRequest{Email: "alice@example.com"})
	secret, _ := f.enrollAs(t, p)
	if f.alive(t, stolen) {
		t.Error("a session from before 2FA was turned on is still valid")
	}
	if !f.alive(t, mine) {
		t.Fatal("the session that enrolled was ended")
	}

	f.clock.Advance(30 * time.Second)
	other, _ := f.login(t, account.LoginRequest{Email: "alice@example.com", TOTP: code(t, secret, f.clock.Now())})
	f.clock.Advance(30 * time.Second)
	if err := f.svc.DisableTOTP(ctx, p, goodPassword, code(t, secret, f.clock.Now())); err != nil {
		t.Fatal(err)
	}
	if f.alive(t, other) || !f.alive(t, mine) {
		t.Errorf("after turning 2FA off: other session alive %v, own alive %v; want false, true", f.alive(t, other), f.alive(t, mine))
	}
}

func TestTokensListAndRevoke(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.signUp(t, "alice@example.com")
	f.signUp(t, "bob@example.com")
	_, p := f.login(t, account.LoginRequest{Email: "alice@example.com"})
	f.clock.Advance(time.Second)
	other, _ := f.login(t, account.LoginRequest{Email: "alice@example.com"})
	_, pb := f.login(t, account.LoginRequest{Email: "bob@example.com"})
	api, apiTok, err := f.svc.CreateAPIToken(ctx, p, "ci", time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	sessions, err := f.svc.Tokens(ctx, p, account.TokenSession)
	if err != nil {
		t.Fatal(err)
	}
	if len(sessions) != 2 || sessions[0].Hash != p.TokenHash || !sessions[0].Current || sessions[1].Current ||
		sessions[1].Hash != account.HashSecret(other) {
		t.Fatalf("sessions %+v: want this one (current), then the other", sessions)
	}
	if !sessions[0].LastUsedAt.Equal(sessions[0].CreatedAt) {
		t.Errorf("a new session's LastUsedAt %v, want its CreatedAt %v", sessions[0].LastUsedAt, sessions[0].CreatedAt)
	}
	tokens, err := f.svc.Tokens(ctx, p, account.TokenAPI)
	if err != nil || len(tokens) != 1 || tokens[0].Hash != apiTok.Hash || tokens[0].Current {
		t.Fatalf("API tokens %+v, %v: want the one made", tokens, err)
	}

	// Using a session moves its LastUsedAt, once the last use recorded is
	// TokenTouchInterval old.
	f.clock.Advance(account.TokenTouchInterval)
	if !f.alive(t, other) {
		t.Fatal("other session gone")
	}
	sessions, _ = f.svc.Tokens(ctx, p, account.TokenSession)
	if want := f.clock.Now().UTC().Truncate(time.Microsecond); !sessions[1].LastUsedAt.Equal(want) {
		t.Errorf("LastUsedAt after use %v, want %v", sessions[1].LastUsedAt, want)
	}

	otherHash := account.HashSecret(other)
	wantErr(t, "revoke a session as an API token", f.svc.RevokeToken(ctx, p, account.TokenAPI, otherHash), account.ErrNotFound)
	wantErr(t, "revoke another user's session", f.svc.RevokeToken(ctx, pb, account.TokenSession, otherHash), account.ErrNotFound)
	wantErr(t, "revoke a malformed id", f.svc.RevokeToken(ctx, p, account.TokenSession, "../x"), account.ErrInvalid)
	if !f.alive(t, other) {
		t.Fatal("a refused revocation ended the session")
	}
	if err := f.svc.RevokeToken(ctx, p, account.TokenSession, otherHash); err != nil {
		t.Fatal(err)
	}
	if f.alive(t, other) || !f.alive(t, api) {
		t.Error("revoking one session ended the wrong tokens")
	}

	// Expired sessions are not listed.
	f.clock.Advance(account.DefaultSessionTTL)
	if sessions, _ := f.svc.Tokens(ctx, p, account.TokenSession); len(sessions) != 0 {
		t.Errorf("expired sessions listed: %+v", sessions)
	}
}

// raceStore runs beforeToken once, just before the next token is stored:
// a change that commits while a login is between its checks and its
// session.
type raceStore struct {
	account.Store
	beforeToken func()
}

func (s *raceStore) CreateToken(ctx context.Context, t account.Token) error {
	if f := s.beforeToken; f != nil {
		s.beforeToken = nil
		f()
	}
	return s.Store.CreateToken(ctx, t)
}

// A login whose password was checked before a password change or a 2FA
// enrolment committed, and whose session is stored after, does not get a
// session: the change ended the account's other sessions before it
// existed.
func TestLoginRacingAccountChange(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, f *fixture, p account.Principal)
		want   error
	}{
		{"password changed", func(t *testing.T, f *fixture, p account.Principal) {
			if err := f.svc.ChangePassword(context.Background(), p, goodPassword, "a new long passphrase"); err != nil {
				t.Fatal(err)
			}
		}, account.ErrBadLogin},
		{"2FA enrolled", func(t *testing.T, f *fixture, p account.Principal) { f.enrollAs(t, p) }, account.ErrTOTPRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			rs := &raceStore{Store: f.store}
			f.svc.Store = rs
			ctx := context.Background()
			u := f.signUp(t, "alice@example.com")
			_, owner := f.login(t, account.LoginRequest{Email: "alice@example.com"})
			rs.beforeToken = func() { tc.change(t, f, owner) }
			secret, _, err := f.svc.Login(ctx, account.LoginRequest{Email: "alice@example.com", Password: goodPassword})
			if err == nil && f.alive(t, secret) {
				t.Fatal("a login that raced the change got a working session")
			}
			wantErr(t, "racing login", err, tc.want)
			ts, err := f.store.UserTokens(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(ts) != 1 || ts[0].Hash != owner.TokenHash {
				t.Errorf("tokens after the race: %+v, want only the owner's", ts)
			}
		})
	}
}
