package argon2id

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id parameters of a hash.
type Params struct {
	MemoryKiB uint32
	Time      uint32 // passes
	Threads   uint8
}

// Sizes of what New makes.
const (
	SaltSize = 16
	KeySize  = 32
)

// Limits on a PHC string read back from storage, so a corrupted or planted
// hash cannot make a login spend minutes or gigabytes.
const (
	maxPHCLen    = 512
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 16
	minSaltSize  = 8
	maxSaltSize  = 64
	minKeySize   = 16
	maxKeySize   = 64
)

// PHC is a parsed argon2id hash in the PHC string format
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// with salt and hash in standard base64 without padding.
type PHC struct {
	Params Params
	Salt   []byte
	Hash   []byte
}

// String returns the PHC string form.
func (p PHC) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		p.Params.MemoryKiB, p.Params.Time, p.Params.Threads,
		phcB64.EncodeToString(p.Salt), phcB64.EncodeToString(p.Hash))
}

var phcB64 = base64.RawStdEncoding.Strict()

// errPHC is wrapped by every Parse error. Its text names the field that
// is wrong, never the salt or the hash.
var errPHC = errors.New("argon2id hash")

// Parse parses an argon2id PHC string strictly: version 19 only; the
// parameters m, t and p present once each, in that order, as decimal
// numbers without leading zeros; memory at least 8*p KiB and at most 1 GiB;
// 1 to 16 passes; 1 to 255 lanes; a salt of 8 to 64 bytes and a hash of 16
// to 64 bytes in canonical unpadded base64. Anything else is an error.
func Parse(s string) (PHC, error) {
	if len(s) > maxPHCLen {
		return PHC{}, fmt.Errorf("%w: %d bytes is longer than %d", errPHC, len(s), maxPHCLen)
	}
	f := strings.Split(s, "$")
	if len(f) != 6 || f[0] != "" {
		return PHC{}, fmt.Errorf("%w: want $argon2id$v=19$m=..,t=..,p=..$salt$hash", errPHC)
	}
	if f[1] != "argon2id" {
		return PHC{}, fmt.Errorf("%w: algorithm is not argon2id", errPHC)
	}
	if f[2] != "v=19" {
		return PHC{}, fmt.Errorf("%w: version is not v=19", errPHC)
	}
	kv := strings.Split(f[3], ",")
	if len(kv) != 3 {
		return PHC{}, fmt.Errorf("%w: want the three parameters m=N,t=N,p=N", errPHC)
	}
	var n [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(kv[i], name+"=")
		if !ok {
			return PHC{}, fmt.Errorf("%w: parameter %d: want %s=", errPHC, i+1, name)
		}
		x, err := parseDecimal(v)
		if err != nil {
			return PHC{}, fmt.Errorf("%w: %s: %v", errPHC, name, err)
		}
		n[i] = x
	}
	m, t, p := n[0], n[1], n[2]
	switch {
	case p < 1 || p > 255:
		return PHC{}, fmt.Errorf("%w: p=%d outside 1..255", errPHC, p)
	case t < 1 || t > maxTime:
		return PHC{}, fmt.Errorf("%w: t=%d outside 1..%d", errPHC, t, maxTime)
	case m < 8*p || m > maxMemoryKiB:
		return PHC{}, fmt.Errorf("%w: m=%d outside %d..%d", errPHC, m, 8*p, maxMemoryKiB)
	}
	salt, err := decodePHCB64(f[4])
	if err != nil || len(salt) < minSaltSize || len(salt) > maxSaltSize {
		return PHC{}, fmt.Errorf("%w: salt is not %d to %d bytes of unpadded base64", errPHC, minSaltSize, maxSaltSize)
	}
	hash, err := decodePHCB64(f[5])
	if err != nil || len(hash) < minKeySize || len(hash) > maxKeySize {
		return PHC{}, fmt.Errorf("%w: hash is not %d to %d bytes of unpadded base64", errPHC, minKeySize, maxKeySize)
	}
	return PHC{
		Params: Params{MemoryKiB: uint32(m), Time: uint32(t), Threads: uint8(p)},
		Salt:   salt,
		Hash:   hash,
	}, nil
}

// decodePHCB64 decodes canonical unpadded standard base64. It checks the
// alphabet itself because encoding/base64 skips '\r' and '\n'.
func decodePHCB64(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return nil, errors.New("not base64")
		}
	}
	return phcB64.DecodeString(s)
}

// parseDecimal accepts 1 to 10 ASCII digits without a leading zero, so each
// number has one spelling.
func parseDecimal(s string) (uint64, error) {
	if s == "" || len(s) > 10 {
		return 0, errors.New("want 1 to 10 digits")
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, errors.New("leading zero")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("not a decimal number")
		}
	}
	return strconv.ParseUint(s, 10, 64)
}

// New hashes secret under p with a random SaltSize-byte salt into a
// KeySize-byte key.
func New(secret string, p Params) PHC {
	salt := make([]byte, SaltSize)
	rand.Read(salt)
	return PHC{Params: p, Salt: salt, Hash: argon2.IDKey([]byte(secret), salt, p.Time, p.MemoryKiB, p.Threads, KeySize)}
}

// Verify reports whether secret hashes to h, comparing in constant time.
func (h PHC) Verify(secret string) bool {
	got := argon2.IDKey([]byte(secret), h.Salt, h.Params.Time, h.Params.MemoryKiB, h.Params.Threads, uint32(len(h.Hash)))
	return subtle.ConstantTimeCompare(got, h.Hash) == 1
}
