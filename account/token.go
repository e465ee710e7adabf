package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Token kinds.
const (
	TokenSession = "session"
	TokenAPI     = "api"
)

// Bearer secret prefixes: "aos_" for sessions, "aot_" for API tokens. The
// rest is 32 random bytes in unpadded base64url (43 characters).
const (
	SessionPrefix  = "aos_"
	APITokenPrefix = "aot_"
	secretBytes    = 32
)

// Limits on API tokens.
const (
	MaxAPITokenTTL  = 366 * 24 * time.Hour
	MaxTokenNameLen = 100
)

// DefaultSessionTTL is how long a session lasts when Service.SessionTTL is
// zero.
const DefaultSessionTTL = 12 * time.Hour

// newSecret returns a fresh bearer secret with prefix and the hash it is
// stored under.
func newSecret(prefix string) (secret, hash string) {
	var b [secretBytes]byte
	rand.Read(b[:])
	secret = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashSecret(secret)
}

// HashSecret returns the hex SHA-256 of a bearer secret: the Token.Hash it
// is stored under.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// parseBearer checks the form of a bearer secret and returns its kind and
// hash. A malformed secret is refused without a store lookup.
func parseBearer(bearer string) (kind, hash string, err error) {
	var rest string
	var ok bool
	if rest, ok = strings.CutPrefix(bearer, SessionPrefix); ok {
		kind = TokenSession
	} else if rest, ok = strings.CutPrefix(bearer, APITokenPrefix); ok {
		kind = TokenAPI
	} else {
		return "", "", fmt.Errorf("%w: the bearer token is not an AdmitOne token", ErrUnauthorized)
	}
	if b, err := base64.RawURLEncoding.Strict().DecodeString(rest); err != nil || len(b) != secretBytes {
		return "", "", fmt.Errorf("%w: the bearer token is malformed", ErrUnauthorized)
	}
	return kind, HashSecret(bearer), nil
}

// newToken stores a new token of kind for userID and returns its secret.
func (s *Service) newToken(ctx context.Context, kind, userID, name string, ttl time.Duration) (string, Token, error) {
	prefix := SessionPrefix
	if kind == TokenAPI {
		prefix = APITokenPrefix
	}
	secret, hash := newSecret(prefix)
	now := s.stamp()
	t := Token{Hash: hash, UserID: userID, Kind: kind, Name: name, CreatedAt: now, ExpiresAt: now.Add(ttl), LastUsedAt: now}
	if err := s.Store.CreateToken(ctx, t); err != nil {
		return "", Token{}, fmt.Errorf("create %s token: %w", kind, err)
	}
	return secret, t, nil
}

// Authenticate resolves a bearer secret (from an Authorization header) to
// the principal it acts for. Anything else than a live token of an
// existing user gets ErrUnauthorized; an expired token is also deleted.
// The user and memberships are read afresh on every call, so a role or 2FA
// change applies to sessions at once.
func (s *Service) Authenticate(ctx context.Context, bearer string) (Principal, error) {
	s.init()
	kind, hash, err := parseBearer(bearer)
	if err != nil {
		return Principal{}, err
	}
	// One read for the token, its user and memberships: every
	// authenticated request makes it.
	t, u, ms, err := s.Store.Session(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return Principal{}, fmt.Errorf("%w: the token is unknown or was revoked", ErrUnauthorized)
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	if t.Kind != kind {
		return Principal{}, fmt.Errorf("%w: the token is unknown or was revoked", ErrUnauthorized)
	}
	now := s.now()
	if !now.Before(t.ExpiresAt) {
		if err := s.Store.DeleteToken(ctx, hash); err != nil && !errors.Is(err, ErrNotFound) {
			s.log().WarnContext(ctx, "account: delete expired token", "user", t.UserID, "err", err)
		}
		return Principal{}, fmt.Errorf("%w: the %s has expired; sign in again", ErrUnauthorized, kindName(kind))
	}
	if u.ID == "" {
		return Principal{}, fmt.Errorf("%w: the token's account no longer exists", ErrUnauthorized)
	}
	s.touch(ctx, t, now)
	return newPrincipal(u, ms, t), nil
}

func kindName(kind string) string {
	if kind == TokenAPI {
		return "API token"
	}
	return "session"
}

// Logout ends the session (or revokes the API token) whose secret is
// bearer. Logging out a token that is already gone is not an error; a
// malformed one gets ErrUnauthorized.
func (s *Service) Logout(ctx context.Context, bearer string) error {
	s.init()
	_, hash, err := parseBearer(bearer)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteToken(ctx, hash); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("log out: %w", err)
	}
	return nil
}

// CreateAPIToken makes a long-lived token for automation (scripts, CI,
// box-office integrations) that acts as p's user, named for the user's
// own reference and valid for ttl (at most MaxAPITokenTTL). The secret,
// starting "aot_", is returned once; the Token (its Hash is the id to
// revoke it by) may be shown later. An API token cannot make another, and
// an admin who still has to enrol 2FA cannot make one (ErrForbidden).
func (s *Service) CreateAPIToken(ctx context.Context, p Principal, name string, ttl time.Duration) (string, Token, error) {
	s.init()
	switch {
	case p.User.ID == "":
		return "", Token{}, fmt.Errorf("%w: create API token: no user", ErrUnauthorized)
	case p.MustEnroll2FA:
		return "", Token{}, fmt.Errorf("%w: enrol two-factor authentication before creating API tokens", ErrForbidden)
	case p.TokenKind == TokenAPI:
		return "", Token{}, fmt.Errorf("%w: an API token cannot create API tokens; sign in", ErrForbidden)
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > MaxTokenNameLen || !utf8.ValidString(name) || hasControl(name) {
		return "", Token{}, fmt.Errorf("%w: token name must be 1 to %d bytes of printable text", ErrInvalid, MaxTokenNameLen)
	}
	if ttl <= 0 || ttl > MaxAPITokenTTL {
		return "", Token{}, fmt.Errorf("%w: token lifetime must be more than zero and at most %v", ErrInvalid, MaxAPITokenTTL)
	}
	return s.newToken(ctx, TokenAPI, p.User.ID, name, ttl)
}
