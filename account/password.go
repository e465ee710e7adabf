package account

import (
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/admitone/admitone/internal/argon2id"
)

// Argon2Params are the argon2id parameters of a password hash.
type Argon2Params = argon2id.Params

// DefaultArgon2 is the OWASP Password Storage Cheat Sheet's minimum for
// argon2id: 19 MiB, 2 passes, 1 lane. HashPassword uses it; hashes made with
// other parameters still verify and are re-hashed on the next login.
var DefaultArgon2 = Argon2Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

// Sizes of what HashPassword makes.
const (
	SaltSize = argon2id.SaltSize
	KeySize  = argon2id.KeySize
)

// Password and email policy.
const (
	MinPasswordLen = 10  // bytes
	MaxPasswordLen = 256 // bytes
	MaxEmailLen    = 254 // RFC 5321 path limit
)

// PHC is a parsed argon2id hash in the PHC string format (see package
// internal/argon2id).
type PHC = argon2id.PHC

// ParsePHC parses an argon2id PHC string strictly (argon2id.Parse): a
// stored hash beyond 1 GiB, 16 passes or 255 lanes is an error, so a
// planted hash cannot stall a login.
func ParsePHC(s string) (PHC, error) { return argon2id.Parse(s) }

// HashPassword returns the PHC string of password under DefaultArgon2 and a
// random salt. It does not check the password policy (see CheckPassword).
func HashPassword(password string) string { return argon2id.New(password, DefaultArgon2).String() }

// VerifyPassword reports whether password matches the PHC string phc,
// comparing in constant time. An error means phc itself is unusable.
func VerifyPassword(phc, password string) (bool, error) {
	h, err := ParsePHC(phc)
	if err != nil {
		return false, err
	}
	return h.Verify(password), nil
}

// current reports whether h was made with today's parameters and sizes.
func current(h PHC) bool {
	return h.Params == DefaultArgon2 && len(h.Salt) == SaltSize && len(h.Hash) == KeySize
}

// dummyHash is verified against for unknown emails, so that a login for an
// address without an account costs the same as one with a wrong password.
var dummyHash = sync.OnceValue(func() PHC {
	h, err := ParsePHC(HashPassword("admitone dummy password"))
	if err != nil {
		panic("account: " + err.Error()) // HashPassword output always parses
	}
	return h
})

// CheckPassword applies the password policy: MinPasswordLen to
// MaxPasswordLen bytes of valid UTF-8, not one character repeated. The
// error wraps ErrInvalid and never contains the password.
func CheckPassword(password string) error {
	if len(password) < MinPasswordLen || len(password) > MaxPasswordLen {
		return fmt.Errorf("%w: password must be %d to %d bytes long", ErrInvalid, MinPasswordLen, MaxPasswordLen)
	}
	if !utf8.ValidString(password) {
		return fmt.Errorf("%w: password is not valid UTF-8", ErrInvalid)
	}
	first, _ := utf8.DecodeRuneInString(password)
	if strings.Trim(password, string(first)) == "" {
		return fmt.Errorf("%w: password must not be one character repeated", ErrInvalid)
	}
	return nil
}

// NormalizeEmail trims and lower-cases email and checks that it is a bare
// address (no display name, no angle brackets) of at most MaxEmailLen
// bytes, as net/mail parses it. The error wraps ErrInvalid.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return "", fmt.Errorf("%w: email is empty", ErrInvalid)
	}
	if len(e) > MaxEmailLen {
		return "", fmt.Errorf("%w: email is longer than %d bytes", ErrInvalid, MaxEmailLen)
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Name != "" || a.Address != e {
		return "", fmt.Errorf("%w: email is not a plain address like name@example.com", ErrInvalid)
	}
	if at := strings.LastIndexByte(e, '@'); at < 1 || at == len(e)-1 {
		return "", fmt.Errorf("%w: email is not a plain address like name@example.com", ErrInvalid)
	}
	return e, nil
}
