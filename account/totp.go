package account

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/qr"
)

// TOTP settings: RFC 6238 as authenticator apps expect it.
const (
	TOTPPeriod = 30 * time.Second
	// TOTPSkew is how many periods either side of now a code may be from.
	TOTPSkew = 1
	// RecoveryCodeCount is how many recovery codes ConfirmTOTP returns.
	RecoveryCodeCount = 10
	// qrPixelsPerModule makes an enrolment QR code of about 250 pixels.
	qrPixelsPerModule = 5
)

var totpOpts = totp.ValidateOpts{
	Period:    uint(TOTPPeriod / time.Second),
	Skew:      0, // verifyTOTP walks the skew window itself to learn the step
	Digits:    otp.DigitsSix,
	Algorithm: otp.AlgorithmSHA1,
}

// Enrollment is what a user needs to add AdmitOne to an authenticator app.
// It is shown once; the secret is stored sealed.
type Enrollment struct {
	// Secret is the base32 TOTP secret, for typing in by hand.
	Secret string `json:"secret"`
	// URL is the otpauth:// key URI.
	URL string `json:"url"`
	// QRPNG is a PNG image of a QR code of URL.
	QRPNG []byte `json:"qr_png"`
}

// Associated data for sealed TOTP secrets. The user id is appended, so a
// sealed secret copied to another user's row, or from pending to active,
// does not open.
const (
	adTOTP        = "admitone account totp v1 "
	adPendingTOTP = "admitone account pending totp v1 "
)

func (s *Service) sealSecret(ad, userID, secret string) (string, error) {
	if s.SealKey == nil {
		return "", errors.New("account: Service.SealKey is nil")
	}
	box := ticketcrypto.Seal(s.SealKey, []byte(secret), []byte(ad+userID))
	return base64.RawURLEncoding.EncodeToString(box), nil
}

func (s *Service) openSecret(ad, userID, sealed string) (string, error) {
	if s.SealKey == nil {
		return "", errors.New("account: Service.SealKey is nil")
	}
	box, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return "", fmt.Errorf("account: user %s: stored TOTP secret is not base64url", userID)
	}
	pt, err := ticketcrypto.Open(s.SealKey, box, []byte(ad+userID))
	if err != nil {
		return "", fmt.Errorf("account: user %s: stored TOTP secret: %w", userID, err)
	}
	return string(pt), nil
}

// EnrollTOTP starts two-factor enrolment for p's user, who gives their
// password again (ErrBadPassword if wrong), so that a stolen session
// cannot put its own authenticator on the account. It makes a new TOTP
// secret, stores it sealed as the user's pending secret (replacing any
// earlier pending one) and returns it for the user's authenticator app.
// Nothing changes for login until ConfirmTOTP proves the app has it. A
// user who already has 2FA on gets ErrExists; an API token ErrForbidden.
func (s *Service) EnrollTOTP(ctx context.Context, p Principal, password string) (Enrollment, error) {
	s.init()
	if err := requireSession(p, "enrol two-factor authentication"); err != nil {
		return Enrollment{}, err
	}
	u, err := s.Store.UserByID(ctx, p.User.ID)
	if err != nil {
		return Enrollment{}, fmt.Errorf("enrol two-factor: %w", err)
	}
	if u.TOTPSecret != "" {
		return Enrollment{}, fmt.Errorf("%w: two-factor authentication is already on; turn it off first", ErrExists)
	}
	if err := s.checkCurrentPassword(ctx, u, password); err != nil {
		return Enrollment{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      s.issuer(),
		AccountName: u.Email,
		Period:      totpOpts.Period,
		SecretSize:  20,
		Digits:      totpOpts.Digits,
		Algorithm:   totpOpts.Algorithm,
	})
	if err != nil {
		return Enrollment{}, fmt.Errorf("enrol two-factor: %w", err)
	}
	var png bytes.Buffer
	if err := qr.PNG(key.URL(), qrPixelsPerModule, &png); err != nil {
		return Enrollment{}, fmt.Errorf("enrol two-factor: QR code: %w", err)
	}
	sealed, err := s.sealSecret(adPendingTOTP, u.ID, key.Secret())
	if err != nil {
		return Enrollment{}, err
	}
	_, err = s.Store.UpdateUser(ctx, u.ID, func(u *User) error {
		if u.TOTPSecret != "" {
			return fmt.Errorf("%w: two-factor authentication is already on; turn it off first", ErrExists)
		}
		u.PendingTOTP = sealed
		return nil
	})
	if err != nil {
		return Enrollment{}, fmt.Errorf("enrol two-factor: %w", err)
	}
	return Enrollment{Secret: key.Secret(), URL: key.URL(), QRPNG: png.Bytes()}, nil
}

// ConfirmTOTP finishes p's user's enrolment with a current code from the
// app: the pending secret becomes the user's secret and
// RecoveryCodeCount new recovery codes are returned. They are shown once;
// only their hashes are stored. Every other session and API token of the
// account ends: they were signed in without the second factor. A wrong
// code gets ErrBadTOTP and counts as a failed attempt for the account's
// rate limit.
func (s *Service) ConfirmTOTP(ctx context.Context, p Principal, code string) ([]string, error) {
	s.init()
	if err := requireSession(p, "enrol two-factor authentication"); err != nil {
		return nil, err
	}
	codes, hashes := newRecoveryCodes()
	now := s.now()
	_, err := s.Store.UpdateUser(ctx, p.User.ID, func(u *User) error {
		if u.TOTPSecret != "" {
			return fmt.Errorf("%w: two-factor authentication is already on", ErrExists)
		}
		if u.PendingTOTP == "" {
			return fmt.Errorf("%w: no two-factor enrolment is pending; start one first", ErrInvalid)
		}
		if err := s.limitAccount(u.Email, now); err != nil {
			return err
		}
		secret, err := s.openSecret(adPendingTOTP, u.ID, u.PendingTOTP)
		if err != nil {
			return err
		}
		step, ok := verifyTOTP(secret, code, now, u.TOTPLastStep)
		if !ok {
			s.failAccount(u.Email, now)
			return ErrBadTOTP
		}
		sealed, err := s.sealSecret(adTOTP, u.ID, secret)
		if err != nil {
			return err
		}
		u.TOTPSecret, u.PendingTOTP = sealed, ""
		u.TOTPLastStep = step
		u.RecoveryCodes = hashes
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("confirm two-factor: %w", err)
	}
	if err := s.endOtherTokens(ctx, p); err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableTOTP turns two-factor authentication off for p's user. It needs
// the password (ErrBadPassword if wrong) and a current code from the app,
// or an unused recovery code for a user who lost the app (ErrBadTOTP if
// wrong); both count against the account's rate limit. Every other
// session and API token of the account ends. An admin must enrol again
// before the next session can do more than that (Principal.MustEnroll2FA).
func (s *Service) DisableTOTP(ctx context.Context, p Principal, password, code string) error {
	s.init()
	if err := requireSession(p, "turn two-factor authentication off"); err != nil {
		return err
	}
	u, err := s.Store.UserByID(ctx, p.User.ID)
	if err != nil {
		return fmt.Errorf("disable two-factor: %w", err)
	}
	if u.TOTPSecret == "" {
		return fmt.Errorf("%w: two-factor authentication is not on", ErrInvalid)
	}
	if err := s.checkCurrentPassword(ctx, u, password); err != nil {
		return err
	}
	now := s.now()
	_, err = s.Store.UpdateUser(ctx, p.User.ID, func(u *User) error {
		if u.TOTPSecret == "" {
			return fmt.Errorf("%w: two-factor authentication is not on", ErrInvalid)
		}
		if err := s.checkSecondFactor(u, code, now); err != nil {
			return err
		}
		u.TOTPSecret, u.PendingTOTP = "", ""
		u.RecoveryCodes = nil
		return nil
	})
	if err != nil {
		return fmt.Errorf("disable two-factor: %w", err)
	}
	return s.endOtherTokens(ctx, p)
}

// StepUp checks a fresh second factor (a TOTP code or a recovery code)
// before a sensitive action such as a purchase. For a user without 2FA it
// returns nil at once: there is nothing to step up to. A wrong code gets
// ErrBadTOTP and counts against the account's rate limit.
func (s *Service) StepUp(ctx context.Context, p Principal, code string) error {
	s.init()
	now := s.now()
	u, err := s.Store.UserByID(ctx, p.User.ID)
	if err != nil {
		return fmt.Errorf("step up: %w", err)
	}
	if u.TOTPSecret == "" {
		return nil
	}
	_, err = s.Store.UpdateUser(ctx, p.User.ID, func(u *User) error {
		return s.checkSecondFactor(u, code, now)
	})
	if err != nil {
		return fmt.Errorf("step up: %w", err)
	}
	return nil
}

// checkSecondFactor accepts a TOTP code (digits) or a recovery code and
// updates u: the accepted step, or the recovery code removed. It runs
// inside Store.UpdateUser, so the check and the update are one
// transaction and a code cannot be used twice by racing requests.
func (s *Service) checkSecondFactor(u *User, code string, now time.Time) error {
	if err := s.limitAccount(u.Email, now); err != nil {
		return err
	}
	var ok bool
	if looksLikeTOTP(code) {
		ok = s.acceptTOTP(u, code, now)
	} else {
		ok = acceptRecoveryCode(u, code)
	}
	if !ok {
		s.failAccount(u.Email, now)
		return ErrBadTOTP
	}
	return nil
}

// acceptTOTP verifies code against u's secret and, if it is good, records
// its step in u.TOTPLastStep.
func (s *Service) acceptTOTP(u *User, code string, now time.Time) bool {
	secret, err := s.openSecret(adTOTP, u.ID, u.TOTPSecret)
	if err != nil {
		// A secret that does not open is a key or storage problem, not
		// the user's; refusing the code keeps the account closed.
		return false
	}
	step, ok := verifyTOTP(secret, code, now, u.TOTPLastStep)
	if ok {
		u.TOTPLastStep = step
	}
	return ok
}

// looksLikeTOTP tells a TOTP code (six digits, spaces allowed) from a
// recovery code, which has twelve characters.
func looksLikeTOTP(code string) bool {
	c := strings.ReplaceAll(code, " ", "")
	if len(c) != totpOpts.Digits.Length() {
		return false
	}
	for i := 0; i < len(c); i++ {
		if c[i] < '0' || c[i] > '9' {
			return false
		}
	}
	return true
}

// verifyTOTP checks code against the time steps within TOTPSkew of now,
// newest first, skipping steps at or before lastStep, and returns the step
// it matched. Each step is checked with totp.ValidateCustom (skew 0, at
// that step's time), which compares in constant time; walking the window
// here rather than passing Skew: 1 is what tells which step matched.
func verifyTOTP(secret, code string, now time.Time, lastStep int64) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != totpOpts.Digits.Length() {
		return 0, false
	}
	if now.Unix() < 0 {
		return 0, false
	}
	period := int64(totpOpts.Period)
	cur := now.Unix() / period
	for step := cur + TOTPSkew; step >= cur-TOTPSkew; step-- {
		if step <= lastStep || step < 0 {
			continue
		}
		ok, err := totp.ValidateCustom(code, secret, time.Unix(step*period, 0), totpOpts)
		if err == nil && ok {
			return step, true
		}
	}
	return 0, false
}

// Recovery codes are 12 characters of Crockford's base32 alphabet (60
// random bits) shown as xxxx-xxxx-xxxx.
const recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

func newRecoveryCodes() (codes, hashes []string) {
	for range RecoveryCodeCount {
		var b [12]byte
		rand.Read(b[:])
		var c strings.Builder
		for i, x := range b {
			if i > 0 && i%4 == 0 {
				c.WriteByte('-')
			}
			c.WriteByte(recoveryAlphabet[x&31])
		}
		codes = append(codes, c.String())
		hashes = append(hashes, hashRecoveryCode(c.String()))
	}
	return codes, hashes
}

// canonicalRecoveryCode lower-cases code and drops spaces and dashes, then
// puts the dashes back, so "ABCD EFGH JKMN" and "abcd-efgh-jkmn" are the
// same code. It returns "" for anything that is not 12 alphabet characters.
func canonicalRecoveryCode(code string) string {
	var raw []byte
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == '-' || c == ' ':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		if strings.IndexByte(recoveryAlphabet, c) < 0 || len(raw) == 12 {
			return ""
		}
		raw = append(raw, c)
	}
	if len(raw) != 12 {
		return ""
	}
	return string(raw[0:4]) + "-" + string(raw[4:8]) + "-" + string(raw[8:12])
}

func hashRecoveryCode(canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return hex.EncodeToString(sum[:])
}

// acceptRecoveryCode removes code's hash from u.RecoveryCodes if it is
// there. Every stored hash is compared, in constant time, whether or not
// an earlier one matched.
func acceptRecoveryCode(u *User, code string) bool {
	c := canonicalRecoveryCode(code)
	if c == "" {
		return false
	}
	h := []byte(hashRecoveryCode(c))
	found := -1
	for i, stored := range u.RecoveryCodes {
		if subtle.ConstantTimeCompare(h, []byte(stored)) == 1 && found < 0 {
			found = i
		}
	}
	if found < 0 {
		return false
	}
	u.RecoveryCodes = append(u.RecoveryCodes[:found:found], u.RecoveryCodes[found+1:]...)
	return true
}
