package account

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// TokenTouchInterval is how stale a token's LastUsedAt may get:
// Authenticate records a use only when the last one recorded is older,
// so a busy session costs one write per interval, not one per request.
const TokenTouchInterval = 5 * time.Minute

// Changes to how an account signs in (its password, its second factor)
// are made by a session that gives the password again, so a stolen
// session cannot make them, and they end every other session and API
// token of the account: whoever held one signed in under the old rules.

// requireSession refuses what only a signed-in person may do: API tokens
// are for automation and do not change the account.
func requireSession(p Principal, what string) error {
	switch {
	case p.User.ID == "":
		return fmt.Errorf("%w: %s: no user", ErrUnauthorized, what)
	case p.TokenKind != TokenSession:
		return fmt.Errorf("%w: an API token cannot %s; sign in", ErrForbidden, what)
	}
	return nil
}

// checkCurrentPassword verifies that password is u's, as Login does: it
// counts against the account's rate limit, runs under the hashing
// semaphore and compares in constant time. A wrong one is ErrBadPassword.
func (s *Service) checkCurrentPassword(ctx context.Context, u User, password string) error {
	now := s.now()
	if err := s.limitAccount(u.Email, now); err != nil {
		return err
	}
	if password == "" {
		return fmt.Errorf("%w: give the account's current password", ErrBadPassword)
	}
	h, err := ParsePHC(u.PasswordHash)
	if err != nil {
		s.log().ErrorContext(ctx, "account: stored password hash does not parse", "user", u.ID, "err", err)
		h = dummyHash()
	}
	good := false
	if err := s.hashing(ctx, func() { good = h.Verify(password) }); err != nil {
		return err
	}
	if !good || err != nil {
		s.failAccount(u.Email, now)
		return ErrBadPassword
	}
	return nil
}

// endOtherTokens revokes every session and API token of p's user but p's
// own.
func (s *Service) endOtherTokens(ctx context.Context, p Principal) error {
	if err := s.Store.DeleteUserTokens(ctx, p.User.ID, p.TokenHash); err != nil {
		return fmt.Errorf("end the account's other sessions: %w", err)
	}
	return nil
}

// ChangePassword sets a new password for p's user, given the current one
// (ErrBadPassword if wrong; it counts against the account's rate limit),
// and ends every other session and API token of the account. The new
// password must pass CheckPassword (ErrInvalid). Only a session may
// (ErrForbidden for an API token).
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next string) error {
	s.init()
	if err := requireSession(p, "change the password"); err != nil {
		return err
	}
	if err := CheckPassword(next); err != nil {
		return err
	}
	u, err := s.Store.UserByID(ctx, p.User.ID)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if err := s.checkCurrentPassword(ctx, u, current); err != nil {
		return err
	}
	var phc string
	if err := s.hashing(ctx, func() { phc = HashPassword(next) }); err != nil {
		return err
	}
	_, err = s.Store.UpdateUser(ctx, u.ID, func(cur *User) error {
		if cur.PasswordHash != u.PasswordHash {
			return fmt.Errorf("%w: the password was changed meanwhile; try again", ErrBadPassword)
		}
		cur.PasswordHash = phc
		return nil
	})
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	s.resetAccount(u.Email)
	return s.endOtherTokens(ctx, p)
}

// TokenInfo is what a user is shown of one of their sessions or API
// tokens: never the secret.
type TokenInfo struct {
	Token
	// Current is set for the token the request was made with.
	Current bool
}

// Tokens lists p's user's live tokens of kind (TokenSession or
// TokenAPI), oldest first, marking the one p acts with.
func (s *Service) Tokens(ctx context.Context, p Principal, kind string) ([]TokenInfo, error) {
	s.init()
	if p.User.ID == "" {
		return nil, fmt.Errorf("%w: list tokens: no user", ErrUnauthorized)
	}
	ts, err := s.Store.UserTokens(ctx, p.User.ID)
	if err != nil {
		return nil, fmt.Errorf("list %ss: %w", kindName(kind), err)
	}
	now := s.now()
	out := []TokenInfo{}
	for _, t := range ts {
		if t.Kind != kind || !now.Before(t.ExpiresAt) {
			continue
		}
		out = append(out, TokenInfo{Token: t, Current: t.Hash == p.TokenHash})
	}
	return out, nil
}

var tokenHashForm = regexp.MustCompile(`^[0-9a-f]{64}$`)

// RevokeToken deletes the token of kind stored under hash (the id
// Tokens shows). Users revoke their own tokens; admins anyone's. Another
// user's token, or one of another kind, is reported as not found, so
// hashes cannot be probed; a hash that is not 64 lower-case hex digits
// is ErrInvalid.
func (s *Service) RevokeToken(ctx context.Context, actor Principal, kind, hash string) error {
	s.init()
	if !tokenHashForm.MatchString(hash) {
		return fmt.Errorf("%w: a %s id is 64 lower-case hex digits", ErrInvalid, kindName(kind))
	}
	t, err := s.Store.TokenByHash(ctx, hash)
	if err != nil {
		return fmt.Errorf("revoke %s: %w", kindName(kind), err)
	}
	if t.Kind != kind || (t.UserID != actor.User.ID && !actor.IsAdmin()) {
		return fmt.Errorf("revoke %s: %w", kindName(kind), ErrNotFound)
	}
	if err := s.Store.DeleteToken(ctx, hash); err != nil {
		return fmt.Errorf("revoke %s: %w", kindName(kind), err)
	}
	return nil
}

// touch records that t was used now, at most once per
// TokenTouchInterval. It is best effort: a failure is logged.
func (s *Service) touch(ctx context.Context, t Token, now time.Time) {
	if now.Sub(t.LastUsedAt) < TokenTouchInterval {
		return
	}
	err := s.Store.TouchToken(ctx, t.Hash, now.UTC().Truncate(time.Microsecond))
	if err != nil && !errors.Is(err, ErrNotFound) {
		s.log().WarnContext(ctx, "account: record token use", "user", t.UserID, "err", err)
	}
}
