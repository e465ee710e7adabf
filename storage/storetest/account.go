package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/internal/id"
)

// RunAccount runs the account.Store conformance subtests. open returns a
// new, empty store for each subtest.
func RunAccount(t *testing.T, open func(t *testing.T) account.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s account.Store)
	}{
		{"CreateUser/RoundTrip", testUserRoundTrip},
		{"CreateUser/DuplicateEmail", testUserDuplicateEmail},
		{"CreateUser/DuplicateID", testUserDuplicateID},
		{"User/NotFound", testUserNotFound},
		{"UpdateUser", testUpdateUser},
		{"UpdateUser/ClosureError", testUpdateUserClosureError},
		{"UpdateUser/Immutable", testUpdateUserImmutable},
		{"CountAdmins", testCountAdmins},
		{"Token/RoundTrip", testTokenRoundTrip},
		{"Token/Delete", testTokenDelete},
		{"DeleteUserTokens", testDeleteUserTokens},
		{"DeleteUserTokens/Except", testDeleteUserTokensExcept},
		{"UserTokens", testUserTokens},
		{"TouchToken", testTouchToken},
		{"Memberships", testMemberships},
		{"Session", testSession},
		{"OrgMembers", testOrgMembers},
		{"ContextCanceled", testAccountContextCanceled},
		{"Concurrent/UpdateUser", testConcurrentUpdateUser},
		{"Concurrent/CreateUserSameEmail", testConcurrentCreateUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// newUser returns a user with every field set.
func newUser(email string) account.User {
	return account.User{
		ID:            id.New("usr"),
		Email:         email,
		Name:          "Ada Lovelace",
		PasswordHash:  "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
		CreatedAt:     when(0),
		TOTPSecret:    "sealed:totp-secret",
		PendingTOTP:   "sealed:pending-totp",
		TOTPLastStep:  59_000_000,
		RecoveryCodes: []string{strings.Repeat("a", 64), strings.Repeat("b", 64)},
	}
}

// storedUser is u as a store returns it.
func storedUser(u account.User) account.User {
	u.CreatedAt = stored(u.CreatedAt)
	u.RecoveryCodes = storedSlice(u.RecoveryCodes)
	return u
}

func createUser(t *testing.T, s account.Store, u account.User) account.User {
	t.Helper()
	must(t, "CreateUser "+u.Email, s.CreateUser(t.Context(), u))
	return storedUser(u)
}

func testUserRoundTrip(t *testing.T, s account.Store) {
	ctx := t.Context()
	want := createUser(t, s, newUser("Ada@Example.com"))
	// A user with every optional field empty round-trips too.
	bare := account.User{ID: id.New("usr"), Email: "bare@example.com", PasswordHash: "x", Admin: true, CreatedAt: when(1)}
	wantBare := createUser(t, s, bare)

	got, err := s.UserByID(ctx, want.ID)
	must(t, "UserByID", err)
	equal(t, "UserByID", got, want)
	for _, email := range []string{"Ada@Example.com", "ada@example.com", "ADA@EXAMPLE.COM"} {
		got, err := s.UserByEmail(ctx, email)
		must(t, "UserByEmail "+email, err)
		equal(t, "UserByEmail "+email, got, want)
	}
	got, err = s.UserByID(ctx, bare.ID)
	must(t, "UserByID bare", err)
	equal(t, "UserByID bare", got, wantBare)
}

func testUserDuplicateEmail(t *testing.T, s account.Store) {
	ctx := t.Context()
	first := createUser(t, s, newUser("dup@example.com"))
	second := newUser("DUP@Example.COM")
	second.Name = "Someone Else"
	is(t, "CreateUser same email, other case", s.CreateUser(ctx, second), account.ErrExists)

	got, err := s.UserByEmail(ctx, "dup@example.com")
	must(t, "UserByEmail", err)
	equal(t, "UserByEmail after duplicate", got, first)
	_, err = s.UserByID(ctx, second.ID)
	is(t, "UserByID of the refused user", err, account.ErrNotFound)
}

func testUserDuplicateID(t *testing.T, s account.Store) {
	ctx := t.Context()
	first := createUser(t, s, newUser("one@example.com"))
	second := newUser("two@example.com")
	second.ID = first.ID
	is(t, "CreateUser same id", s.CreateUser(ctx, second), account.ErrExists)

	got, err := s.UserByID(ctx, first.ID)
	must(t, "UserByID", err)
	equal(t, "UserByID after duplicate", got, first)
	_, err = s.UserByEmail(ctx, "two@example.com")
	is(t, "UserByEmail of the refused user", err, account.ErrNotFound)
}

func testUserNotFound(t *testing.T, s account.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("someone@example.com"))
	_, err := s.UserByID(ctx, id.New("usr"))
	is(t, "UserByID", err, account.ErrNotFound)
	_, err = s.UserByEmail(ctx, "nobody@example.com")
	is(t, "UserByEmail", err, account.ErrNotFound)
	called := false
	_, err = s.UpdateUser(ctx, id.New("usr"), func(*account.User) error { called = true; return nil })
	is(t, "UpdateUser", err, account.ErrNotFound)
	if called {
		t.Error("UpdateUser called fn for a missing user")
	}
}

func testUpdateUser(t *testing.T, s account.Store) {
	ctx := t.Context()
	u := createUser(t, s, newUser("update@example.com"))
	want := u
	want.Name = "Augusta Ada King"
	want.Admin = true
	want.PasswordHash = "$argon2id$new"
	want.TOTPSecret = "sealed:confirmed"
	want.PendingTOTP = ""
	want.TOTPLastStep = u.TOTPLastStep + 1
	want.RecoveryCodes = u.RecoveryCodes[1:]
	want.EmailVerified = true

	got, err := s.UpdateUser(ctx, u.ID, func(x *account.User) error {
		equal(t, "user passed to fn", *x, u)
		x.EmailVerified = true
		x.Name = want.Name
		x.Admin = true
		x.PasswordHash = want.PasswordHash
		x.TOTPSecret = want.TOTPSecret
		x.PendingTOTP = ""
		x.TOTPLastStep++
		x.RecoveryCodes = slices.Delete(x.RecoveryCodes, 0, 1)
		return nil
	})
	must(t, "UpdateUser", err)
	equal(t, "UpdateUser result", got, want)
	got, err = s.UserByID(ctx, u.ID)
	must(t, "UserByID", err)
	equal(t, "UserByID after update", got, want)

	// Removing every recovery code stores none, and times are stored as
	// everywhere else.
	want.RecoveryCodes = nil
	want.CreatedAt = stored(when(2))
	got, err = s.UpdateUser(ctx, u.ID, func(x *account.User) error {
		x.RecoveryCodes = []string{}
		x.CreatedAt = when(2)
		return nil
	})
	must(t, "UpdateUser clearing codes", err)
	equal(t, "UpdateUser clearing codes", got, want)
	got, err = s.UserByEmail(ctx, "UPDATE@example.com")
	must(t, "UserByEmail", err)
	equal(t, "UserByEmail after update", got, want)
}

func testUpdateUserClosureError(t *testing.T, s account.Store) {
	ctx := t.Context()
	u := newUser("closure@example.com")
	u.Admin = true
	want := createUser(t, s, u)
	_, err := s.UpdateUser(ctx, u.ID, func(x *account.User) error {
		x.Name = "changed"
		x.Admin = false
		x.TOTPLastStep++
		x.RecoveryCodes[0] = "tampered in place"
		return fmt.Errorf("validating: %w", errBoom)
	})
	is(t, "UpdateUser with failing fn", err, errBoom)
	got, err := s.UserByID(ctx, u.ID)
	must(t, "UserByID", err)
	equal(t, "user after failed update", got, want)
	n, err := s.CountAdmins(ctx)
	must(t, "CountAdmins", err)
	equal(t, "CountAdmins after failed update", n, 1)
}

func testUpdateUserImmutable(t *testing.T, s account.Store) {
	ctx := t.Context()
	want := createUser(t, s, newUser("fixed@example.com"))
	other := id.New("usr")
	for _, tc := range []struct {
		name   string
		change func(*account.User)
	}{
		{"email", func(u *account.User) { u.Email = "moved@example.com" }},
		{"email case", func(u *account.User) { u.Email = "FIXED@example.com" }},
		{"id", func(u *account.User) { u.ID = other }},
	} {
		_, err := s.UpdateUser(ctx, want.ID, func(u *account.User) error {
			u.Name = "changed with the " + tc.name
			tc.change(u)
			return nil
		})
		is(t, "UpdateUser changing the "+tc.name, err, account.ErrInvalid)
	}
	got, err := s.UserByID(ctx, want.ID)
	must(t, "UserByID", err)
	equal(t, "user after refused updates", got, want)
	_, err = s.UserByEmail(ctx, "moved@example.com")
	is(t, "UserByEmail of the refused email", err, account.ErrNotFound)
	_, err = s.UserByID(ctx, other)
	is(t, "UserByID of the refused id", err, account.ErrNotFound)
}

func testCountAdmins(t *testing.T, s account.Store) {
	ctx := t.Context()
	count := func(want int) {
		t.Helper()
		n, err := s.CountAdmins(ctx)
		must(t, "CountAdmins", err)
		equal(t, "CountAdmins", n, want)
	}
	count(0)
	var admins []account.User
	for i := range 3 {
		u := newUser(fmt.Sprintf("user%d@example.com", i))
		u.Admin = i < 2
		admins = append(admins, createUser(t, s, u))
	}
	count(2)
	_, err := s.UpdateUser(ctx, admins[0].ID, func(u *account.User) error { u.Admin = false; return nil })
	must(t, "UpdateUser", err)
	count(1)
	_, err = s.UpdateUser(ctx, admins[2].ID, func(u *account.User) error { u.Admin = true; return nil })
	must(t, "UpdateUser", err)
	_, err = s.UpdateUser(ctx, admins[2].ID, func(u *account.User) error { u.Name = "still admin"; return nil })
	must(t, "UpdateUser", err)
	count(2)
}

// newToken returns a token of user with every field set.
func newToken(userID string) account.Token {
	return account.Token{
		Hash:       strings.TrimPrefix(id.New("x"), "x_") + strings.TrimPrefix(id.New("x"), "x_"),
		UserID:     userID,
		Kind:       "session",
		Name:       "Firefox on Linux",
		CreatedAt:  when(0),
		ExpiresAt:  when(30),
		LastUsedAt: when(1),
	}
}

func storedToken(tok account.Token) account.Token {
	tok.CreatedAt = stored(tok.CreatedAt)
	tok.ExpiresAt = stored(tok.ExpiresAt)
	tok.LastUsedAt = stored(tok.LastUsedAt)
	return tok
}

func testTokenRoundTrip(t *testing.T, s account.Store) {
	ctx := t.Context()
	u := createUser(t, s, newUser("tokens@example.com"))
	tok := newToken(u.ID)
	must(t, "CreateToken", s.CreateToken(ctx, tok))
	api := newToken(u.ID)
	api.Kind, api.Name = "api", ""
	// Already expired: the store keeps it; expiry is the caller's rule.
	// Never used: LastUsedAt comes back zero.
	api.ExpiresAt, api.LastUsedAt = when(-1), time.Time{}
	must(t, "CreateToken api", s.CreateToken(ctx, api))

	for _, want := range []account.Token{storedToken(tok), storedToken(api)} {
		got, err := s.TokenByHash(ctx, want.Hash)
		must(t, "TokenByHash", err)
		equal(t, "TokenByHash", got, want)
	}
	_, err := s.TokenByHash(ctx, strings.Repeat("0", 64))
	is(t, "TokenByHash unknown", err, account.ErrNotFound)

	dup := newToken(u.ID)
	dup.Hash = tok.Hash
	dup.Name = "other"
	is(t, "CreateToken duplicate hash", s.CreateToken(ctx, dup), account.ErrExists)
	got, err := s.TokenByHash(ctx, tok.Hash)
	must(t, "TokenByHash", err)
	equal(t, "TokenByHash after duplicate", got, storedToken(tok))

	is(t, "CreateToken for unknown user", s.CreateToken(ctx, newToken(id.New("usr"))), account.ErrNotFound)
}

func testTokenDelete(t *testing.T, s account.Store) {
	ctx := t.Context()
	u := createUser(t, s, newUser("logout@example.com"))
	gone, kept := newToken(u.ID), newToken(u.ID)
	must(t, "CreateToken", s.CreateToken(ctx, gone))
	must(t, "CreateToken", s.CreateToken(ctx, kept))
	must(t, "DeleteToken", s.DeleteToken(ctx, gone.Hash))
	_, err := s.TokenByHash(ctx, gone.Hash)
	is(t, "TokenByHash deleted", err, account.ErrNotFound)
	is(t, "DeleteToken again", s.DeleteToken(ctx, gone.Hash), account.ErrNotFound)
	got, err := s.TokenByHash(ctx, kept.Hash)
	must(t, "TokenByHash kept", err)
	equal(t, "TokenByHash kept", got, storedToken(kept))
	// The hash is free again.
	must(t, "CreateToken reusing the hash", s.CreateToken(ctx, gone))
}

func testDeleteUserTokens(t *testing.T, s account.Store) {
	ctx := t.Context()
	a, aTokens, bToken := twoUsersTokens(t, s)

	must(t, "DeleteUserTokens", s.DeleteUserTokens(ctx, a.ID, ""))
	for _, tok := range aTokens {
		_, err := s.TokenByHash(ctx, tok.Hash)
		is(t, "TokenByHash of a revoked token", err, account.ErrNotFound)
	}
	got, err := s.TokenByHash(ctx, bToken.Hash)
	must(t, "TokenByHash of another user's token", err)
	equal(t, "other user's token", got, storedToken(bToken))
	must(t, "DeleteUserTokens again", s.DeleteUserTokens(ctx, a.ID, ""))
	must(t, "DeleteUserTokens of unknown user", s.DeleteUserTokens(ctx, id.New("usr"), ""))
	// New tokens after a revocation work as before.
	tok := newToken(a.ID)
	must(t, "CreateToken after revocation", s.CreateToken(ctx, tok))
	_, err = s.TokenByHash(ctx, tok.Hash)
	must(t, "TokenByHash after revocation", err)
}

// testDeleteUserTokensExcept: a password or 2FA change ends every other
// token of the account and keeps the one that made it.
func testDeleteUserTokensExcept(t *testing.T, s account.Store) {
	ctx := t.Context()
	a, aTokens, bToken := twoUsersTokens(t, s)

	keep := aTokens[1]
	must(t, "DeleteUserTokens except one", s.DeleteUserTokens(ctx, a.ID, keep.Hash))
	for _, tok := range []account.Token{aTokens[0], aTokens[2]} {
		_, err := s.TokenByHash(ctx, tok.Hash)
		is(t, "TokenByHash of a revoked token", err, account.ErrNotFound)
	}
	got, err := s.TokenByHash(ctx, keep.Hash)
	must(t, "TokenByHash of the kept token", err)
	equal(t, "kept token", got, storedToken(keep))
	got, err = s.TokenByHash(ctx, bToken.Hash)
	must(t, "TokenByHash of another user's token", err)
	equal(t, "other user's token", got, storedToken(bToken))
	list, err := s.UserTokens(ctx, a.ID)
	must(t, "UserTokens", err)
	equal(t, "tokens left", list, []account.Token{storedToken(keep)})
	// Another user's hash as except keeps nothing of this user's.
	must(t, "DeleteUserTokens except another's", s.DeleteUserTokens(ctx, a.ID, bToken.Hash))
	list, err = s.UserTokens(ctx, a.ID)
	must(t, "UserTokens", err)
	equal(t, "tokens left", len(list), 0)
	_, err = s.TokenByHash(ctx, bToken.Hash)
	must(t, "TokenByHash of another user's token", err)
}

func testUserTokens(t *testing.T, s account.Store) {
	ctx := t.Context()
	a := createUser(t, s, newUser("a@example.com"))
	b := createUser(t, s, newUser("b@example.com"))
	var want []account.Token
	// Made newest first; listed oldest first, expired ones too.
	for i := 3; i > 0; i-- {
		tok := newToken(a.ID)
		tok.CreatedAt = when(-i)
		if i == 2 {
			tok.Kind, tok.ExpiresAt = "api", when(-1)
		}
		must(t, "CreateToken", s.CreateToken(ctx, tok))
		want = append(want, storedToken(tok))
	}
	must(t, "CreateToken", s.CreateToken(ctx, newToken(b.ID)))
	got, err := s.UserTokens(ctx, a.ID)
	must(t, "UserTokens", err)
	equal(t, "UserTokens", got, want)
	got, err = s.UserTokens(ctx, id.New("usr"))
	must(t, "UserTokens of an unknown user", err)
	equal(t, "UserTokens of an unknown user", len(got), 0)
}

func testTouchToken(t *testing.T, s account.Store) {
	ctx := t.Context()
	u := createUser(t, s, newUser("touch@example.com"))
	tok, other := newToken(u.ID), newToken(u.ID)
	must(t, "CreateToken", s.CreateToken(ctx, tok))
	must(t, "CreateToken", s.CreateToken(ctx, other))
	must(t, "TouchToken", s.TouchToken(ctx, tok.Hash, when(2)))
	want := storedToken(tok)
	want.LastUsedAt = stored(when(2))
	got, err := s.TokenByHash(ctx, tok.Hash)
	must(t, "TokenByHash", err)
	equal(t, "touched token", got, want)
	got, err = s.TokenByHash(ctx, other.Hash)
	must(t, "TokenByHash", err)
	equal(t, "untouched token", got, storedToken(other))
	is(t, "TouchToken of a missing token", s.TouchToken(ctx, strings.Repeat("0", 64), when(2)), account.ErrNotFound)
}

func testMemberships(t *testing.T, s account.Store) {
	ctx := t.Context()
	u := createUser(t, s, newUser("member@example.com"))
	other := createUser(t, s, newUser("other@example.com"))
	orgs := []string{id.New("org"), id.New("org"), id.New("org")}
	slices.Sort(orgs)

	list := func(userID string, want []account.Membership) {
		t.Helper()
		got, err := s.Memberships(ctx, userID)
		must(t, "Memberships", err)
		if len(got) == 0 && len(want) == 0 {
			return
		}
		equal(t, "Memberships", got, want)
	}
	list(u.ID, nil)
	list(id.New("usr"), nil)

	// Put out of order: the list is in org id order.
	for _, m := range []account.Membership{
		{UserID: u.ID, OrgID: orgs[2], Role: account.RoleStaff},
		{UserID: u.ID, OrgID: orgs[0], Role: account.RoleOrganizer},
		{UserID: other.ID, OrgID: orgs[1], Role: account.RoleStaff},
	} {
		must(t, "PutMembership", s.PutMembership(ctx, m))
	}
	list(u.ID, []account.Membership{
		{UserID: u.ID, OrgID: orgs[0], Role: account.RoleOrganizer},
		{UserID: u.ID, OrgID: orgs[2], Role: account.RoleStaff},
	})

	// The same user and org again replaces the role.
	must(t, "PutMembership again", s.PutMembership(ctx, account.Membership{UserID: u.ID, OrgID: orgs[2], Role: account.RoleOrganizer}))
	list(u.ID, []account.Membership{
		{UserID: u.ID, OrgID: orgs[0], Role: account.RoleOrganizer},
		{UserID: u.ID, OrgID: orgs[2], Role: account.RoleOrganizer},
	})
	list(other.ID, []account.Membership{{UserID: other.ID, OrgID: orgs[1], Role: account.RoleStaff}})

	err := s.PutMembership(ctx, account.Membership{UserID: id.New("usr"), OrgID: orgs[0], Role: account.RoleStaff})
	is(t, "PutMembership of unknown user", err, account.ErrNotFound)
}

// testSession: Session reads what TokenByHash, UserByID and Memberships
// read, together.
func testSession(t *testing.T, s account.Store) {
	ctx := t.Context()
	u := createUser(t, s, newUser("session@example.com"))
	tok := newToken(u.ID)
	tok.ExpiresAt = when(-1) // expired: the store returns it; expiry is the caller's rule
	must(t, "CreateToken", s.CreateToken(ctx, tok))
	check := func(what string, want []account.Membership) {
		t.Helper()
		gotT, gotU, gotMs, err := s.Session(ctx, tok.Hash)
		must(t, "Session "+what, err)
		equal(t, "Session token "+what, gotT, storedToken(tok))
		equal(t, "Session user "+what, gotU, u)
		if len(gotMs) != 0 || len(want) != 0 {
			equal(t, "Session memberships "+what, gotMs, want)
		}
		ms, err := s.Memberships(ctx, u.ID)
		must(t, "Memberships", err)
		if len(ms) != 0 || len(want) != 0 {
			equal(t, "Memberships "+what, ms, want)
		}
	}
	check("without memberships", nil)
	orgs := []string{id.New("org"), id.New("org")}
	slices.Sort(orgs)
	must(t, "PutMembership", s.PutMembership(ctx, account.Membership{UserID: u.ID, OrgID: orgs[1], Role: account.RoleStaff}))
	must(t, "PutMembership", s.PutMembership(ctx, account.Membership{UserID: u.ID, OrgID: orgs[0], Role: account.RoleOrganizer}))
	other := createUser(t, s, newUser("session-other@example.com"))
	must(t, "PutMembership", s.PutMembership(ctx, account.Membership{UserID: other.ID, OrgID: orgs[0], Role: account.RoleStaff}))
	check("with two", []account.Membership{
		{UserID: u.ID, OrgID: orgs[0], Role: account.RoleOrganizer},
		{UserID: u.ID, OrgID: orgs[1], Role: account.RoleStaff},
	})
	_, _, _, err := s.Session(ctx, strings.Repeat("0", 64))
	is(t, "Session of an unknown token", err, account.ErrNotFound)
}

func testAccountContextCanceled(t *testing.T, s account.Store) {
	u := createUser(t, s, newUser("cancel@example.com"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.UserByID(ctx, u.ID)
	is(t, "UserByID with a cancelled context", err, context.Canceled)
	err = s.CreateUser(ctx, newUser("late@example.com"))
	is(t, "CreateUser with a cancelled context", err, context.Canceled)
	_, err = s.UserByEmail(t.Context(), "late@example.com")
	is(t, "UserByEmail of a user created with a cancelled context", err, account.ErrNotFound)
}

// workers is how many goroutines the concurrency subtests start.
const workers = 20

func testConcurrentUpdateUser(t *testing.T, s account.Store) {
	ctx := t.Context()
	u := createUser(t, s, newUser("race@example.com"))
	var wg gosync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			_, err := s.UpdateUser(ctx, u.ID, func(x *account.User) error {
				x.TOTPLastStep++
				return nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, "concurrent UpdateUser", err)
	}
	got, err := s.UserByID(ctx, u.ID)
	must(t, "UserByID", err)
	equal(t, "TOTPLastStep after concurrent increments", got.TOTPLastStep, u.TOTPLastStep+workers)
}

func testConcurrentCreateUser(t *testing.T, s account.Store) {
	ctx := t.Context()
	const n = 10
	users := make([]account.User, n)
	errs := make([]error, n)
	var wg gosync.WaitGroup
	for i := range n {
		// The same address in different cases.
		email := []byte("same.address@example.com")
		for j := range email {
			if (i>>(j%4))&1 == 1 {
				email[j] = byte(strings.ToUpper(string(email[j]))[0])
			}
		}
		users[i] = newUser(string(email))
		wg.Go(func() { errs[i] = s.CreateUser(ctx, users[i]) })
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("CreateUser %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, account.ErrExists):
			t.Errorf("CreateUser %d: error %v, want %v", i, err, account.ErrExists)
		}
	}
	if winner < 0 {
		t.Fatal("no CreateUser succeeded")
	}
	got, err := s.UserByEmail(ctx, "same.address@example.com")
	must(t, "UserByEmail", err)
	equal(t, "the user that won", got, storedUser(users[winner]))
}

// twoUsersTokens stores two users, three tokens of the first and one of
// the second.
func twoUsersTokens(t *testing.T, s account.Store) (a account.User, aTokens []account.Token, bToken account.Token) {
	t.Helper()
	a = createUser(t, s, newUser("a@example.com"))
	b := createUser(t, s, newUser("b@example.com"))
	for range 3 {
		tok := newToken(a.ID)
		must(t, "CreateToken", s.CreateToken(t.Context(), tok))
		aTokens = append(aTokens, tok)
	}
	bToken = newToken(b.ID)
	must(t, "CreateToken", s.CreateToken(t.Context(), bToken))
	return a, aTokens, bToken
}
