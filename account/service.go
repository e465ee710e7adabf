package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/internal/logging"
)

// MaxNameLen bounds a user's display name, in bytes.
const MaxNameLen = 200

// DefaultIssuer names the service in authenticator apps when
// Service.Issuer is empty.
const DefaultIssuer = "AdmitOne"

// Service is the account service: sign-up, login with optional TOTP,
// sessions and API tokens, and memberships. Set its fields before the first
// call and do not change them afterwards; it is safe for concurrent use.
type Service struct {
	Store Store
	// Now returns the current time; nil means time.Now. Token expiry,
	// TOTP and rate limits all read it.
	Now func() time.Time
	// SealKey seals TOTP secrets at rest. Required for 2FA.
	SealKey *ticketcrypto.SealKey
	// Issuer names the service in authenticator apps; empty means
	// DefaultIssuer.
	Issuer string
	// SessionTTL is how long a login session lasts; zero means
	// DefaultSessionTTL.
	SessionTTL time.Duration
	// Limits configures the login, second-factor and sign-up limits;
	// zero fields take defaults.
	Limits RateLimits
	// MaxConcurrentHashes bounds the argon2id computations (19 MiB each)
	// running at once. Zero means runtime.NumCPU().
	MaxConcurrentHashes int
	// HashWait is how long a call waits for a free hashing slot before it
	// fails with a RetryError wrapping ErrBusy; zero means
	// DefaultHashWait.
	HashWait time.Duration
	// Log receives failures the caller is not told about (a best-effort
	// re-hash or cleanup); nil discards.
	Log *slog.Logger

	initOnce     sync.Once
	accountLimit *slidingWindow
	addrLimit    *slidingWindow
	signUpLimit  *slidingWindow
	pairLimit    *backoff
	hashSem      chan struct{}
}

// DefaultHashWait is how long a password hash waits for a free slot when
// Service.HashWait is zero.
const DefaultHashWait = time.Second

func (s *Service) init() {
	s.initOnce.Do(func() {
		l := s.Limits.withDefaults()
		s.accountLimit = newSlidingWindow(l.AccountFailures, l.AccountWindow, l.MaxKeys)
		s.addrLimit = newSlidingWindow(l.AddrAttempts, l.AddrWindow, l.MaxKeys)
		s.signUpLimit = newSlidingWindow(l.SignUpAttempts, l.SignUpWindow, l.MaxKeys)
		s.pairLimit = newBackoff(l.FreeFailures, l.FailureDelay, l.MaxFailureDelay, l.FailureMemory, l.MaxKeys)
		n := s.MaxConcurrentHashes
		if n <= 0 {
			n = runtime.NumCPU()
		}
		s.hashSem = make(chan struct{}, n)
	})
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// stamp is the time recorded in CreatedAt and ExpiresAt: UTC, to the
// microsecond, which every store keeps exactly.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func (s *Service) log() *slog.Logger { return logging.OrDiscard(s.Log) }

func (s *Service) issuer() string {
	if s.Issuer != "" {
		return s.Issuer
	}
	return DefaultIssuer
}

func (s *Service) sessionTTL() time.Duration {
	if s.SessionTTL > 0 {
		return s.SessionTTL
	}
	return DefaultSessionTTL
}

// hashing runs f while holding one of the MaxConcurrentHashes slots. When
// none frees up within HashWait it returns a RetryError wrapping ErrBusy
// rather than queueing further.
func (s *Service) hashing(ctx context.Context, f func()) error {
	select {
	case s.hashSem <- struct{}{}:
	default:
		wait := s.HashWait
		if wait <= 0 {
			wait = DefaultHashWait
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case s.hashSem <- struct{}{}:
		case <-t.C:
			return retryLater(ErrBusy, "the server is busy checking passwords", time.Second)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() { <-s.hashSem }()
	f()
	return nil
}

// UserByID returns an account without its password hash; no such
// account is ErrNotFound.
func (s *Service) UserByID(ctx context.Context, id string) (User, error) {
	u, err := s.Store.UserByID(ctx, id)
	if err != nil {
		return User{}, err
	}
	u.PasswordHash = ""
	return u, nil
}

// UserByEmail finds an account by email (in any letter case), without
// its password hash. An email that is not well formed is ErrInvalid; no
// such account is ErrNotFound.
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return User{}, err
	}
	u, err := s.Store.UserByEmail(ctx, e)
	if err != nil {
		return User{}, err
	}
	u.PasswordHash = ""
	return u, nil
}

// SignUpRequest is a sign-up. RemoteAddr (host:port or host) is rate
// limited; empty (a local caller) is not.
type SignUpRequest struct {
	Email, Password, Name string
	RemoteAddr            string
}

// SignUp creates an attendee account. email is normalised (NormalizeEmail)
// and password must pass CheckPassword; errors wrap ErrInvalid, and
// ErrExists if an account has the email in any letter case. A well-formed
// sign-up counts against its address's limit (RateLimits.SignUpAttempts;
// over it, a RetryError wrapping ErrRateLimited), and one that finds no
// free hashing slot gets a RetryError wrapping ErrBusy. The returned User
// has its password hash cleared.
func (s *Service) SignUp(ctx context.Context, req SignUpRequest) (User, error) {
	return s.createUser(ctx, req.Email, req.Password, req.Name, req.RemoteAddr, false)
}

// CreateAdmin creates an admin account, for `syncserver admin create`. With
// a nil actor it bootstraps: allowed only while no admin exists. Otherwise
// actor must be an admin (with 2FA enrolled). A new admin has no 2FA, so
// their sessions are MustEnroll2FA until they enrol.
func (s *Service) CreateAdmin(ctx context.Context, actor *Principal, email, password string) (User, error) {
	s.init()
	if actor == nil {
		n, err := s.Store.CountAdmins(ctx)
		if err != nil {
			return User{}, fmt.Errorf("create admin: %w", err)
		}
		if n > 0 {
			return User{}, fmt.Errorf("%w: an admin exists already; further admins must be created by an admin", ErrForbidden)
		}
	} else if !actor.IsAdmin() {
		return User{}, fmt.Errorf("%w: only an admin can create admins", ErrForbidden)
	}
	return s.createUser(ctx, email, password, "", "", true)
}

func (s *Service) createUser(ctx context.Context, email, password, name, remote string, admin bool) (User, error) {
	s.init()
	e, err := NormalizeEmail(email)
	if err != nil {
		return User{}, err
	}
	if err := CheckPassword(password); err != nil {
		return User{}, err
	}
	name, err = checkName(name)
	if err != nil {
		return User{}, err
	}
	if err := s.limitSignUp(remote, s.now()); err != nil {
		return User{}, err
	}
	var phc string
	if err := s.hashing(ctx, func() { phc = HashPassword(password) }); err != nil {
		return User{}, err
	}
	u := User{ID: id.New("usr"), Email: e, Name: name, PasswordHash: phc, Admin: admin, CreatedAt: s.stamp()}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, ErrExists) {
			return User{}, fmt.Errorf("%w: an account with this email exists; sign in instead", ErrExists)
		}
		return User{}, fmt.Errorf("sign up: %w", err)
	}
	return u.redacted(), nil
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if len(name) > MaxNameLen || !utf8.ValidString(name) || hasControl(name) {
		return "", fmt.Errorf("%w: name must be at most %d bytes of printable text", ErrInvalid, MaxNameLen)
	}
	return name, nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// LoginRequest is a login attempt. TOTP or RecoveryCode is needed for a
// user with 2FA on; RemoteAddr (host:port or host) is rate limited.
type LoginRequest struct {
	Email        string
	Password     string
	TOTP         string
	RecoveryCode string
	RemoteAddr   string
}

// Login checks a login attempt and starts a session. It returns the
// session's bearer secret ("aos_..."), shown to the client once, and the
// user with secrets cleared.
//
// Errors: a RetryError wrapping ErrRateLimited when the address, the
// account from this address, or the account's second factor is over its
// limit (see RateLimits), or wrapping ErrBusy when no hashing slot frees
// up; ErrBadLogin for an unknown email or a wrong password, alike and
// after the same work; ErrTOTPRequired when the password is right, the
// user has 2FA on and neither TOTP nor RecoveryCode was given; ErrBadTOTP
// for a wrong, stale or already used code. A wrong password slows further
// attempts for the account from the same address only; a right one
// clears that. Bad codes count against the account's second-factor
// limit; a successful login clears it.
//
// An admin without 2FA may log in, but the session's principal is
// MustEnroll2FA until they enrol. A password change or 2FA change that
// commits while the login runs makes it fail as if it had come after
// (ErrBadLogin, ErrTOTPRequired or ErrBadTOTP), leaving no session.
func (s *Service) Login(ctx context.Context, req LoginRequest) (string, User, error) {
	s.init()
	now := s.now()
	if err := s.limitAddr(req.RemoteAddr, now); err != nil {
		return "", User{}, err
	}
	email, err := NormalizeEmail(req.Email)
	if err != nil {
		// No account can have this email, so answering at once tells
		// nothing about which accounts exist.
		return "", User{}, ErrBadLogin
	}
	pair := pairKey(email, req.RemoteAddr)
	if err := s.takePassword(pair, now); err != nil {
		return "", User{}, err
	}

	u, err := s.Store.UserByEmail(ctx, email)
	known := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		s.pairLimit.undo(pair)
		return "", User{}, fmt.Errorf("log in: %w", err)
	}
	h := dummyHash()
	if known {
		if h, err = ParsePHC(u.PasswordHash); err != nil {
			s.log().ErrorContext(ctx, "account: stored password hash does not parse", "user", u.ID, "err", err)
			h, known = dummyHash(), false
		}
	}
	var good bool
	if err := s.hashing(ctx, func() { good = h.Verify(req.Password) }); err != nil {
		s.pairLimit.undo(pair)
		return "", User{}, err
	}
	if !known || !good {
		s.pairLimit.fail(pair, s.now())
		return "", User{}, ErrBadLogin
	}
	s.pairLimit.reset(pair)

	if u.TOTPSecret != "" {
		if req.TOTP == "" && req.RecoveryCode == "" {
			return "", User{}, ErrTOTPRequired
		}
		u, err = s.Store.UpdateUser(ctx, u.ID, func(u *User) error {
			if err := s.limitAccount(email, now); err != nil {
				return err
			}
			var ok bool
			if req.TOTP != "" {
				ok = s.acceptTOTP(u, req.TOTP, now)
			} else {
				ok = acceptRecoveryCode(u, req.RecoveryCode)
			}
			if !ok {
				s.failAccount(email, now)
				return ErrBadTOTP
			}
			return nil
		})
		if err != nil {
			if errors.Is(err, ErrBadTOTP) || errors.Is(err, ErrRateLimited) {
				return "", User{}, err
			}
			return "", User{}, fmt.Errorf("log in: %w", err)
		}
	}
	s.resetAccount(email)
	if !current(h) {
		u.PasswordHash = s.rehash(ctx, u, req.Password)
	}
	secret, t, err := s.newToken(ctx, TokenSession, u.ID, "", s.sessionTTL())
	if err != nil {
		return "", User{}, err
	}
	if err := s.signInUnchanged(ctx, u, t); err != nil {
		return "", User{}, err
	}
	return secret, u.redacted(), nil
}

// signInUnchanged checks, once the session t is stored, that the user's
// password and second factor are still those the login was checked
// against. A password change or 2FA enrolment that committed in between
// ended the account's other sessions before t existed; t is deleted
// then, as it would have been.
func (s *Service) signInUnchanged(ctx context.Context, checked User, t Token) error {
	cur, err := s.Store.UserByID(ctx, checked.ID)
	var changed error
	switch {
	case err != nil:
		changed = fmt.Errorf("log in: %w", err)
	case cur.PasswordHash != checked.PasswordHash:
		changed = ErrBadLogin
	case cur.TOTPSecret != checked.TOTPSecret && checked.TOTPSecret == "":
		changed = ErrTOTPRequired
	case cur.TOTPSecret != checked.TOTPSecret:
		changed = ErrBadTOTP
	default:
		return nil
	}
	if err := s.Store.DeleteToken(ctx, t.Hash); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("log in: delete the session of a changed account: %w", err)
	}
	return changed
}

// rehash replaces a password hash made with older parameters and returns
// the hash stored afterwards. It is best effort: a failure leaves the old
// hash, which still works.
func (s *Service) rehash(ctx context.Context, u User, password string) string {
	var phc string
	if err := s.hashing(ctx, func() { phc = HashPassword(password) }); err != nil {
		return u.PasswordHash
	}
	_, err := s.Store.UpdateUser(ctx, u.ID, func(cur *User) error {
		if cur.PasswordHash != u.PasswordHash {
			return errPasswordChanged
		}
		cur.PasswordHash = phc
		return nil
	})
	if err != nil {
		if !errors.Is(err, errPasswordChanged) {
			s.log().WarnContext(ctx, "account: re-hash password", "user", u.ID, "err", err)
		}
		return u.PasswordHash
	}
	return phc
}

var errPasswordChanged = errors.New("password changed meanwhile")
