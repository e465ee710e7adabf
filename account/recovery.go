package account

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/admitone/admitone/internal/errkind"
)

// Single-use links mailed to an account's address: a password reset and
// an email verification. Their secrets are stored like sessions, by
// SHA-256 (Token.Hash), under kinds no bearer prefix maps to, so such a
// secret never signs anyone in.
const (
	TokenReset  = "reset"
	TokenVerify = "verify"

	ResetPrefix  = "aor_"
	VerifyPrefix = "aov_"

	// ResetTTL and VerifyTTL are how long the links work.
	ResetTTL  = time.Hour
	VerifyTTL = 48 * time.Hour
	// LinkEvery is how often one account may be sent a link of a kind:
	// a request within it of the last one sends nothing.
	LinkEvery = time.Minute
)

// ErrBadLink is a reset or verification secret that is malformed,
// unknown, used already or expired: one answer for all, so it tells
// nothing.
var ErrBadLink = errkind.New(errkind.Unverified, "bad_link", "the link is unknown, used or expired; ask for a new one")

// MailLink is a link to mail: its secret and the account it goes to.
type MailLink struct {
	User   User
	Secret string
	TTL    time.Duration
}

// RequestPasswordReset makes a password reset secret for the account of
// email. An address without an account, or one sent a reset within
// LinkEvery, gives no link and no error: the caller answers the same
// either way, so the answer reveals no account.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) (MailLink, bool, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return MailLink{}, false, err
	}
	u, err := s.Store.UserByEmail(ctx, e)
	if errors.Is(err, ErrNotFound) {
		return MailLink{}, false, nil
	}
	if err != nil {
		return MailLink{}, false, fmt.Errorf("password reset: %w", err)
	}
	return s.mailLink(ctx, u, TokenReset, ResetPrefix, ResetTTL)
}

// RequestEmailVerification makes a verification secret for userID's
// address; none (false) when one was made within LinkEvery.
func (s *Service) RequestEmailVerification(ctx context.Context, userID string) (MailLink, bool, error) {
	u, err := s.Store.UserByID(ctx, userID)
	if err != nil {
		return MailLink{}, false, fmt.Errorf("email verification: %w", err)
	}
	return s.mailLink(ctx, u, TokenVerify, VerifyPrefix, VerifyTTL)
}

func (s *Service) mailLink(ctx context.Context, u User, kind, prefix string, ttl time.Duration) (MailLink, bool, error) {
	now := s.stamp()
	have, err := s.Store.UserTokens(ctx, u.ID)
	if err != nil {
		return MailLink{}, false, err
	}
	for _, t := range have {
		if t.Kind == kind && now.Sub(t.CreatedAt) < LinkEvery {
			return MailLink{}, false, nil
		}
	}
	secret, hash := newSecret(prefix)
	t := Token{Hash: hash, UserID: u.ID, Kind: kind, CreatedAt: now, ExpiresAt: now.Add(ttl), LastUsedAt: now}
	if err := s.Store.CreateToken(ctx, t); err != nil {
		return MailLink{}, false, fmt.Errorf("create %s link: %w", kind, err)
	}
	return MailLink{User: u.redacted(), Secret: secret, TTL: ttl}, true, nil
}

// useLink spends a single-use secret of kind: it must have prefix, be
// stored, live, and is deleted by this call (a second use, even a
// concurrent one, finds it gone). It returns the account it is for.
func (s *Service) useLink(ctx context.Context, secret, kind, prefix string) (Token, error) {
	rest, ok := strings.CutPrefix(secret, prefix)
	if !ok || len(secret) > 100 {
		return Token{}, ErrBadLink
	}
	if b, err := base64.RawURLEncoding.Strict().DecodeString(rest); err != nil || len(b) != secretBytes {
		return Token{}, ErrBadLink
	}
	hash := HashSecret(secret)
	t, err := s.Store.TokenByHash(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return Token{}, ErrBadLink
	}
	if err != nil {
		return Token{}, err
	}
	// The lookup was by hash already; comparing again in constant time
	// keeps a store's comparison out of what an attacker can time.
	if subtle.ConstantTimeCompare([]byte(t.Hash), []byte(hash)) != 1 || t.Kind != kind {
		return Token{}, ErrBadLink
	}
	if err := s.Store.DeleteToken(ctx, hash); errors.Is(err, ErrNotFound) {
		return Token{}, ErrBadLink // used concurrently
	} else if err != nil {
		return Token{}, err
	}
	if !s.now().Before(t.ExpiresAt) {
		return Token{}, ErrBadLink
	}
	return t, nil
}

// ResetPassword sets a new password with a reset secret, once: every
// session and API token of the account ends, and the account's login
// failures are forgotten.
func (s *Service) ResetPassword(ctx context.Context, secret, password string) error {
	s.init()
	if err := CheckPassword(password); err != nil {
		return err
	}
	var phc string
	if err := s.hashing(ctx, func() { phc = HashPassword(password) }); err != nil {
		return err
	}
	t, err := s.useLink(ctx, secret, TokenReset, ResetPrefix)
	if err != nil {
		return err
	}
	u, err := s.Store.UpdateUser(ctx, t.UserID, func(cur *User) error {
		cur.PasswordHash = phc
		return nil
	})
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	s.resetAccount(u.Email)
	s.log().InfoContext(ctx, "account: password reset by mailed link", "user", u.ID)
	return s.Store.DeleteUserTokens(ctx, u.ID, "")
}

// VerifyEmail marks the address of the account a verification secret
// was made for as verified, once.
func (s *Service) VerifyEmail(ctx context.Context, secret string) (User, error) {
	t, err := s.useLink(ctx, secret, TokenVerify, VerifyPrefix)
	if err != nil {
		return User{}, err
	}
	u, err := s.Store.UpdateUser(ctx, t.UserID, func(cur *User) error {
		cur.EmailVerified = true
		return nil
	})
	if err != nil {
		return User{}, fmt.Errorf("verify email: %w", err)
	}
	return u.redacted(), nil
}

// AcceptInvitation makes p a member of orgID with role, as an
// invitation mailed to email says: p's account must have that address
// (the link reached its mailbox; the account proves it is theirs). The
// caller checked the invitation's signature and expiry.
func (s *Service) AcceptInvitation(ctx context.Context, p Principal, email, orgID string, role Role) (Membership, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return Membership{}, err
	}
	if subtle.ConstantTimeCompare([]byte(e), []byte(p.User.Email)) != 1 {
		return Membership{}, fmt.Errorf("%w: the invitation is for another address; sign in with the account of the address it was mailed to", ErrForbidden)
	}
	if role != RoleOrganizer && role != RoleStaff {
		return Membership{}, fmt.Errorf("%w: role", ErrInvalid)
	}
	m := Membership{UserID: p.User.ID, OrgID: orgID, Role: role}
	if err := s.Store.PutMembership(ctx, m); err != nil {
		return Membership{}, fmt.Errorf("accept invitation to %s: %w", orgID, err)
	}
	return m, nil
}
