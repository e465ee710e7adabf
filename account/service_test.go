package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/admitone/admitone/account"
)

func TestSignUpValidation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.SignUp(ctx, account.SignUpRequest{Email: "Taken@Example.com", Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, email, password, userName string
		want                            error
	}{
		{"empty email", "", goodPassword, "", account.ErrInvalid},
		{"no at", "alice.example.com", goodPassword, "", account.ErrInvalid},
		{"display name", "Alice <alice@example.com>", goodPassword, "", account.ErrInvalid},
		{"no domain", "alice@", goodPassword, "", account.ErrInvalid},
		{"email too long", strings.Repeat("a", 250) + "@x.io", goodPassword, "", account.ErrInvalid},
		{"password 9 bytes", "alice@example.com", "123456789", "", account.ErrInvalid},
		{"password 257 bytes", "alice@example.com", strings.Repeat("ab", 128) + "c", "", account.ErrInvalid},
		{"password one char", "alice@example.com", "zzzzzzzzzzzzzz", "", account.ErrInvalid},
		{"name with control", "alice@example.com", goodPassword, "Al\x00ice", account.ErrInvalid},
		{"name too long", "alice@example.com", goodPassword, strings.Repeat("n", 201), account.ErrInvalid},
		{"duplicate same case", "Taken@Example.com", goodPassword, "", account.ErrExists},
		{"duplicate other case", "taken@example.COM", goodPassword, "", account.ErrExists},
		{"duplicate with spaces", "  TAKEN@example.com ", goodPassword, "", account.ErrExists},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := f.svc.SignUp(ctx, account.SignUpRequest{Email: tc.email, Password: tc.password, Name: tc.userName})
			if !errors.Is(err, tc.want) {
				t.Fatalf("SignUp = %+v, %v; want %v", u, err, tc.want)
			}
		})
	}
	// Nothing was stored by the refused sign-ups.
	if _, err := f.store.UserByEmail(ctx, "alice@example.com"); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("a refused sign-up stored a user: %v", err)
	}
}

func TestSignUpStores(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u, err := f.svc.SignUp(ctx, account.SignUpRequest{Email: "  Alice@Example.COM ", Password: goodPassword, Name: "  Alice  "})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "alice@example.com" || u.Name != "Alice" || u.Admin || !strings.HasPrefix(u.ID, "usr_") ||
		!u.CreatedAt.Equal(start) || u.PasswordHash != "" {
		t.Errorf("SignUp returned %+v", u)
	}
	stored, err := f.store.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := account.VerifyPassword(stored.PasswordHash, goodPassword); !ok || err != nil {
		t.Errorf("stored hash %q does not verify the password: %v", stored.PasswordHash, err)
	}
}

func TestLogin(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.signUp(t, "alice@example.com")

	secret, got, err := f.svc.Login(ctx, account.LoginRequest{Email: "ALICE@example.com ", Password: goodPassword})
	if err != nil {
		t.Fatalf("Login with the right password: %v", err)
	}
	if !strings.HasPrefix(secret, "aos_") || len(secret) != 4+43 {
		t.Errorf("session secret %q: want aos_ and 43 base64url characters", secret)
	}
	if got.ID != u.ID || got.PasswordHash != "" {
		t.Errorf("Login returned user %+v", got)
	}
	p, err := f.svc.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	if p.User.ID != u.ID || p.TokenKind != account.TokenSession || p.MustEnroll2FA || p.User.PasswordHash != "" {
		t.Errorf("Authenticate = %+v", p)
	}
	// Only the hash of the secret is stored.
	tok, err := f.store.TokenByHash(ctx, account.HashSecret(secret))
	if err != nil {
		t.Fatalf("token not stored under the secret's hash: %v", err)
	}
	if tok.Hash == secret || !tok.ExpiresAt.Equal(start.Add(12*time.Hour)) {
		t.Errorf("stored token %+v", tok)
	}

	for _, tc := range []struct{ name, email, password string }{
		{"wrong password", "alice@example.com", goodPassword + "!"},
		{"empty password", "alice@example.com", ""},
		{"unknown email", "bob@example.com", goodPassword},
		{"malformed email", "alice", goodPassword},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, err := f.svc.Login(ctx, account.LoginRequest{Email: tc.email, Password: tc.password})
			if !errors.Is(err, account.ErrBadLogin) || s != "" {
				t.Fatalf("Login = %q, %v; want ErrBadLogin", s, err)
			}
		})
	}
}

func TestLoginRehashesOldParameters(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.signUp(t, "alice@example.com")
	salt := []byte("0123456789abcdef")
	old := account.PHC{
		Params: account.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1},
		Salt:   salt,
		Hash:   argon2.IDKey([]byte(goodPassword), salt, 1, 1024, 1, 32),
	}.String()
	if _, err := f.store.UpdateUser(ctx, u.ID, func(u *account.User) error { u.PasswordHash = old; return nil }); err != nil {
		t.Fatal(err)
	}
	f.login(t, account.LoginRequest{Email: "alice@example.com"})
	stored, _ := f.store.UserByID(ctx, u.ID)
	p, err := account.ParsePHC(stored.PasswordHash)
	if err != nil || p.Params != account.DefaultArgon2 {
		t.Fatalf("after login the hash is %q (%v); want it re-hashed with %+v", stored.PasswordHash, err, account.DefaultArgon2)
	}
	if ok, _ := account.VerifyPassword(stored.PasswordHash, goodPassword); !ok {
		t.Fatal("the re-hashed password does not verify")
	}
}

func TestSessionExpires(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.signUp(t, "alice@example.com")
	secret, _ := f.login(t, account.LoginRequest{Email: "alice@example.com"})

	f.clock.Advance(12*time.Hour - time.Second)
	if _, err := f.svc.Authenticate(ctx, secret); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	f.clock.Advance(time.Second)
	_, err := f.svc.Authenticate(ctx, secret)
	wantErr(t, "at expiry", err, account.ErrUnauthorized)
	if _, err := f.store.TokenByHash(ctx, account.HashSecret(secret)); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("expired token still stored: %v", err)
	}

	// A custom SessionTTL applies.
	f.svc = &account.Service{Store: f.store, Now: f.clock.Now, SealKey: f.svc.SealKey, SessionTTL: time.Hour}
	secret, _ = f.login(t, account.LoginRequest{Email: "alice@example.com"})
	f.clock.Advance(time.Hour)
	_, err = f.svc.Authenticate(ctx, secret)
	wantErr(t, "after a 1h SessionTTL", err, account.ErrUnauthorized)
}

func TestLogout(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.signUp(t, "alice@example.com")
	a, _ := f.login(t, account.LoginRequest{Email: "alice@example.com"})
	b, _ := f.login(t, account.LoginRequest{Email: "alice@example.com"})

	if err := f.svc.Logout(ctx, a); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Authenticate(ctx, a)
	wantErr(t, "after logout", err, account.ErrUnauthorized)
	if _, err := f.svc.Authenticate(ctx, b); err != nil {
		t.Errorf("logout ended another session: %v", err)
	}
	if err := f.svc.Logout(ctx, a); err != nil {
		t.Errorf("second logout = %v, want nil", err)
	}
	wantErr(t, "malformed logout", f.svc.Logout(ctx, "nonsense"), account.ErrUnauthorized)
}

func TestAuthenticateMalformed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.signUp(t, "alice@example.com")
	secret, _ := f.login(t, account.LoginRequest{Email: "alice@example.com"})
	rest := strings.TrimPrefix(secret, "aos_")
	for name, bearer := range map[string]string{
		"empty":          "",
		"no prefix":      rest,
		"Bearer scheme":  "Bearer " + secret,
		"other prefix":   "aot_" + rest, // same random part, other kind
		"short":          secret[:40],
		"long":           secret + "A",
		"padded":         secret + "=",
		"bad characters": "aos_" + strings.Repeat("*", 43),
		"trailing space": secret + " ",
		"upper case":     strings.ToUpper(secret),
	} {
		t.Run(name, func(t *testing.T) {
			p, err := f.svc.Authenticate(ctx, bearer)
			if !errors.Is(err, account.ErrUnauthorized) {
				t.Fatalf("Authenticate = %+v, %v; want ErrUnauthorized", p, err)
			}
		})
	}
}

func TestAPITokens(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	alice := f.signUp(t, "alice@example.com")
	f.signUp(t, "bob@example.com")
	_, pa := f.login(t, account.LoginRequest{Email: "alice@example.com"})
	_, pb := f.login(t, account.LoginRequest{Email: "bob@example.com"})

	secret, tok, err := f.svc.CreateAPIToken(ctx, pa, " box office ", 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "aot_") || len(secret) != 47 || tok.Hash != account.HashSecret(secret) ||
		tok.Kind != account.TokenAPI || tok.Name != "box office" || tok.UserID != alice.ID ||
		!tok.ExpiresAt.Equal(start.Add(30*24*time.Hour)) {
		t.Fatalf("CreateAPIToken = %q, %+v", secret, tok)
	}
	papi, err := f.svc.Authenticate(ctx, secret)
	if err != nil || papi.User.ID != alice.ID || papi.TokenKind != account.TokenAPI {
		t.Fatalf("Authenticate(api token) = %+v, %v", papi, err)
	}

	for _, tc := range []struct {
		name      string
		p         account.Principal
		tokenName string
		ttl       time.Duration
		want      error
	}{
		{"from an API token", papi, "x", time.Hour, account.ErrForbidden},
		{"no user", account.Principal{}, "x", time.Hour, account.ErrUnauthorized},
		{"empty name", pa, "  ", time.Hour, account.ErrInvalid},
		{"long name", pa, strings.Repeat("n", 101), time.Hour, account.ErrInvalid},
		{"zero ttl", pa, "x", 0, account.ErrInvalid},
		{"negative ttl", pa, "x", -time.Hour, account.ErrInvalid},
		{"ttl over a year", pa, "x", 367 * 24 * time.Hour, account.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, err := f.svc.CreateAPIToken(ctx, tc.p, tc.tokenName, tc.ttl)
			if !errors.Is(err, tc.want) || s != "" {
				t.Fatalf("CreateAPIToken = %q, %v; want %v", s, err, tc.want)
			}
		})
	}

	// Bob cannot revoke Alice's token, nor learn that it exists.
	wantErr(t, "revoke by another user", f.svc.RevokeToken(ctx, pb, account.TokenAPI, tok.Hash), account.ErrNotFound)
	if _, err := f.svc.Authenticate(ctx, secret); err != nil {
		t.Fatalf("token gone after a refused revoke: %v", err)
	}
	if err := f.svc.RevokeToken(ctx, pa, account.TokenAPI, tok.Hash); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Authenticate(ctx, secret)
	wantErr(t, "after revoke", err, account.ErrUnauthorized)

	// API tokens expire too.
	secret, _, err = f.svc.CreateAPIToken(ctx, pa, "short", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	_, err = f.svc.Authenticate(ctx, secret)
	wantErr(t, "expired API token", err, account.ErrUnauthorized)
}

func TestCreateAdmin(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	user := f.signUp(t, "user@example.com")
	_, puser := f.login(t, account.LoginRequest{Email: "user@example.com"})

	root, err := f.svc.CreateAdmin(ctx, nil, "root@example.com", goodPassword)
	if err != nil {
		t.Fatalf("bootstrap CreateAdmin: %v", err)
	}
	if !root.Admin || root.PasswordHash != "" {
		t.Fatalf("CreateAdmin returned %+v", root)
	}
	_, err = f.svc.CreateAdmin(ctx, nil, "second@example.com", goodPassword)
	wantErr(t, "second bootstrap", err, account.ErrForbidden)
	_, err = f.svc.CreateAdmin(ctx, &puser, "third@example.com", goodPassword)
	wantErr(t, "by a non-admin", err, account.ErrForbidden)

	// A fresh admin must enrol 2FA: the session has no powers yet.
	secret, proot := f.login(t, account.LoginRequest{Email: "root@example.com"})
	if !proot.MustEnroll2FA || proot.IsAdmin() || proot.CanManageOrg("org_000000000000000000000001") {
		t.Fatalf("admin without 2FA: %+v, IsAdmin %v", proot, proot.IsAdmin())
	}
	_, err = f.svc.CreateAdmin(ctx, &proot, "third@example.com", goodPassword)
	wantErr(t, "by an admin without 2FA", err, account.ErrForbidden)
	_, _, err = f.svc.CreateAPIToken(ctx, proot, "x", time.Hour)
	wantErr(t, "API token by an admin without 2FA", err, account.ErrForbidden)

	f.enrollAs(t, proot) // from the same session, which stays
	proot, err = f.svc.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	if proot.MustEnroll2FA || !proot.IsAdmin() || !proot.TwoFactor {
		t.Fatalf("admin after enrolment: %+v", proot)
	}
	second, err := f.svc.CreateAdmin(ctx, &proot, "second@example.com", goodPassword)
	if err != nil || !second.Admin {
		t.Fatalf("CreateAdmin by an admin = %+v, %v", second, err)
	}
	_, err = f.svc.CreateAdmin(ctx, &proot, "USER@example.com", goodPassword)
	wantErr(t, "admin with a taken email", err, account.ErrExists)
	if u, _ := f.store.UserByID(ctx, user.ID); u.Admin {
		t.Fatal("CreateAdmin with a taken email made the existing user an admin")
	}
	if n, _ := f.store.CountAdmins(ctx); n != 2 {
		t.Fatalf("CountAdmins = %d, want 2", n)
	}
}
