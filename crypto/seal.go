package crypto

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// SealKey is a 256-bit key for Seal and Open.
type SealKey [chacha20poly1305.KeySize]byte

// ErrOpen is returned when sealed data cannot be opened: wrong key or
// passphrase, or data that was changed.
var ErrOpen = errors.New("cannot open sealed data: wrong key or passphrase, or the data was altered")

// Seal encrypts and authenticates plaintext with XChaCha20-Poly1305 under a
// random 24-byte nonce. ad is authenticated but not encrypted (say what the
// data is, so a sealed blob cannot be passed off as another). The result is
// nonce || ciphertext || tag.
func Seal(key *SealKey, plaintext, ad []byte) []byte {
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		panic("crypto: " + err.Error()) // key size is fixed by the type
	}
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	rand.Read(out)
	return aead.Seal(out, out, plaintext, ad)
}

// Open reverses Seal.
func Open(key *SealKey, sealed, ad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		panic("crypto: " + err.Error())
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("%w (%d bytes is too short)", ErrOpen, len(sealed))
	}
	pt, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// KDFParams are argon2id parameters for passphrase sealing.
type KDFParams struct {
	Time      uint32 // passes
	MemoryKiB uint32
	Threads   uint8
}

// DefaultKDF follows RFC 9106's second recommended option (64 MiB, 3
// passes, 4 lanes): about a quarter second here, and within a Raspberry
// Pi's memory.
var DefaultKDF = KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}

// Limits on parameters read from a file, so a crafted file cannot make the
// reader spend minutes or gigabytes.
const (
	maxKDFTime   = 10
	maxKDFMemory = 256 << 10 // KiB = 256 MiB
	maxSealed    = 256 << 20
)

func (p KDFParams) validate() error {
	switch {
	case p.Time < 1 || p.Time > maxKDFTime:
		return fmt.Errorf("argon2id time %d outside 1..%d", p.Time, maxKDFTime)
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxKDFMemory:
		return fmt.Errorf("argon2id memory %d KiB outside %d..%d", p.MemoryKiB, 8*uint32(p.Threads), maxKDFMemory)
	case p.Threads < 1:
		return errors.New("argon2id threads must be at least 1")
	}
	return nil
}

const sealedHeader = "admitone-sealed-v1"

// SealPassphrase seals plaintext under a passphrase for storage in a file:
// the key is argon2id(passphrase, random 16-byte salt, p). The text form is
//
//	admitone-sealed-v1
//	argon2id t=3 m=65536 p=4 salt=<base64url>
//	<base64url of nonce || ciphertext || tag>
//
// and the first two lines are authenticated as associated data.
func SealPassphrase(passphrase, plaintext []byte, p KDFParams) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("seal: empty passphrase")
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	params := fmt.Sprintf("argon2id t=%d m=%d p=%d salt=%s", p.Time, p.MemoryKiB, p.Threads, b64.EncodeToString(salt))
	key := passphraseKey(passphrase, salt, p)
	head := sealedHeader + "\n" + params + "\n"
	box := Seal(&key, plaintext, []byte(head))
	return []byte(head + b64.EncodeToString(box) + "\n"), nil
}

// IsSealed reports whether data starts like SealPassphrase output.
func IsSealed(data []byte) bool { return bytes.HasPrefix(data, []byte(sealedHeader+"\n")) }

// OpenPassphrase reverses SealPassphrase.
func OpenPassphrase(passphrase, data []byte) ([]byte, error) {
	if len(data) > maxSealed {
		return nil, fmt.Errorf("sealed file is %d bytes, more than the %d allowed", len(data), maxSealed)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) != 3 || lines[0] != sealedHeader {
		return nil, fmt.Errorf("not a sealed file: want 3 lines starting with %q", sealedHeader)
	}
	p, salt, err := parseKDFLine(lines[1])
	if err != nil {
		return nil, fmt.Errorf("sealed file: %w", err)
	}
	box, err := base64.RawURLEncoding.DecodeString(lines[2])
	if err != nil {
		return nil, errors.New("sealed file: the third line is not base64url")
	}
	key := passphraseKey(passphrase, salt, p)
	return Open(&key, box, []byte(lines[0]+"\n"+lines[1]+"\n"))
}

func parseKDFLine(line string) (KDFParams, []byte, error) {
	f := strings.Fields(line)
	if len(f) != 5 || f[0] != "argon2id" {
		return KDFParams{}, nil, errors.New(`the second line must be "argon2id t=.. m=.. p=.. salt=.."`)
	}
	var p KDFParams
	var salt []byte
	for i, name := range []string{"t", "m", "p", "salt"} {
		v, ok := strings.CutPrefix(f[i+1], name+"=")
		if !ok {
			return KDFParams{}, nil, fmt.Errorf("argon2id parameter %d: want %s=", i+1, name)
		}
		if name == "salt" {
			s, err := base64.RawURLEncoding.DecodeString(v)
			if err != nil || len(s) < 16 {
				return KDFParams{}, nil, errors.New("argon2id salt: want at least 16 bytes of base64url")
			}
			salt = s
			continue
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return KDFParams{}, nil, fmt.Errorf("argon2id %s=%q is not a number", name, v)
		}
		switch name {
		case "t":
			p.Time = uint32(n)
		case "m":
			p.MemoryKiB = uint32(n)
		case "p":
			if n > 255 {
				return KDFParams{}, nil, fmt.Errorf("argon2id p=%d is more than 255", n)
			}
			p.Threads = uint8(n)
		}
	}
	if err := p.validate(); err != nil {
		return KDFParams{}, nil, err
	}
	return p, salt, nil
}

func passphraseKey(passphrase, salt []byte, p KDFParams) SealKey {
	var k SealKey
	copy(k[:], argon2.IDKey(passphrase, salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(k))))
	return k
}
