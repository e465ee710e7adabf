package crypto

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// Text-form prefixes. Every secret or public value has a prefix that says
// what it is, so a key pasted into the wrong flag is refused by name.
const (
	publicKeyPrefix   = "aopk_"
	privateKeyPrefix  = "aosk_"
	rotationKeyPrefix = "aork_"
	keyIDPrefix       = "kid_"
)

// b64 is strict so that every key has exactly one text form.
var b64 = base64.RawURLEncoding.Strict()

// KeyID names an issuer key inside one event's keyring. It is the first two
// bytes of SHA-256("admitone key id v1" || public key): short, because it
// travels in every QR code, and unique within a keyring because Keyring.Add
// refuses a second key with the same id for the same event.
type KeyID [2]byte

// String returns the text form, "kid_" and four hex digits.
func (id KeyID) String() string { return keyIDPrefix + hex.EncodeToString(id[:]) }

// MarshalText implements encoding.TextMarshaler.
func (id KeyID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *KeyID) UnmarshalText(b []byte) error {
	v, err := ParseKeyID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// ParseKeyID parses the text form of a key id.
func ParseKeyID(s string) (KeyID, error) {
	var id KeyID
	if err := parseHexID(s, keyIDPrefix, id[:], "key id"); err != nil {
		return KeyID{}, err
	}
	return id, nil
}

// PublicKey is an Ed25519 issuer public key.
type PublicKey struct{ k [ed25519.PublicKeySize]byte }

// ID returns the key id derived from the public key.
func (p PublicKey) ID() KeyID {
	h := sha256.New()
	h.Write([]byte("admitone key id v1"))
	h.Write(p.k[:])
	var id KeyID
	copy(id[:], h.Sum(nil))
	return id
}

// String returns the text form, "aopk_" and unpadded base64url.
func (p PublicKey) String() string { return publicKeyPrefix + b64.EncodeToString(p.k[:]) }

// Equal reports whether two public keys are the same.
func (p PublicKey) Equal(q PublicKey) bool { return p.k == q.k }

// IsZero reports whether p is the zero value (no key).
func (p PublicKey) IsZero() bool { return p.k == [ed25519.PublicKeySize]byte{} }

// MarshalText implements encoding.TextMarshaler.
func (p PublicKey) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *PublicKey) UnmarshalText(b []byte) error {
	v, err := ParsePublicKey(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// ParsePublicKey parses the text form of a public key.
func ParsePublicKey(s string) (PublicKey, error) {
	var p PublicKey
	if err := parseB64Key(s, publicKeyPrefix, p.k[:], "public key"); err != nil {
		return PublicKey{}, err
	}
	return p, nil
}

// verify checks an Ed25519 signature over msg.
func (p PublicKey) verify(msg, sig []byte) bool {
	return ed25519.Verify(ed25519.PublicKey(p.k[:]), msg, sig)
}

// PrivateKey is an Ed25519 issuer private key. Its text form is a secret:
// keep it sealed (SealPassphrase) at rest. String does not reveal it.
type PrivateKey struct {
	seed [ed25519.SeedSize]byte
	priv ed25519.PrivateKey
}

// GeneratePrivateKey makes a new random issuer key.
func GeneratePrivateKey() (PrivateKey, error) {
	var seed [ed25519.SeedSize]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return PrivateKey{}, fmt.Errorf("generate issuer key: %w", err)
	}
	return privateKeyFromSeed(seed), nil
}

func privateKeyFromSeed(seed [ed25519.SeedSize]byte) PrivateKey {
	return PrivateKey{seed: seed, priv: ed25519.NewKeyFromSeed(seed[:])}
}

// Public returns the public half.
func (k PrivateKey) Public() PublicKey {
	var p PublicKey
	copy(p.k[:], k.priv[ed25519.SeedSize:])
	return p
}

// ID returns the key id of the public half.
func (k PrivateKey) ID() KeyID { return k.Public().ID() }

// IsZero reports whether k is the zero value (no key).
func (k PrivateKey) IsZero() bool { return k.priv == nil }

// String hides the secret so that a key never reaches a log by accident.
func (k PrivateKey) String() string { return "aosk_<secret " + k.ID().String() + ">" }

// GoString hides the secret from %#v too.
func (k PrivateKey) GoString() string { return k.String() }

// Secret returns the text form of the private key, "aosk_" and base64url of
// the seed. Only for writing into a sealed file.
func (k PrivateKey) Secret() string { return privateKeyPrefix + b64.EncodeToString(k.seed[:]) }

// ParsePrivateKey parses the text form made by Secret. The error never
// contains the input.
func ParsePrivateKey(s string) (PrivateKey, error) {
	var seed [ed25519.SeedSize]byte
	if err := parseB64Key(s, privateKeyPrefix, seed[:], "private key"); err != nil {
		return PrivateKey{}, err
	}
	return privateKeyFromSeed(seed), nil
}

func (k PrivateKey) sign(msg []byte) []byte { return ed25519.Sign(k.priv, msg) }

// Sign signs msg under a domain-separation context, for artefacts other than
// tickets (bundles, device credentials). VerifyDetached checks it.
func (k PrivateKey) Sign(context string, msg []byte) []byte {
	return k.sign(domainMessage(context, msg))
}

// VerifyDetached checks a signature made by PrivateKey.Sign with the same
// context.
func (p PublicKey) VerifyDetached(context string, msg, sig []byte) bool {
	if len(sig) != ed25519.SignatureSize {
		return false
	}
	return p.verify(domainMessage(context, msg), sig)
}

func domainMessage(context string, msg []byte) []byte {
	m := make([]byte, 0, len(context)+1+len(msg))
	m = append(m, context...)
	m = append(m, 0)
	return append(m, msg...)
}

// RotationKey is an event's secret for rotating codes. Gates hold it to
// verify codes offline; it reaches them sealed.
type RotationKey struct{ k [32]byte }

// GenerateRotationKey makes a new random rotation key.
func GenerateRotationKey() (RotationKey, error) {
	var k RotationKey
	if _, err := rand.Read(k.k[:]); err != nil {
		return RotationKey{}, fmt.Errorf("generate rotation key: %w", err)
	}
	return k, nil
}

// IsZero reports whether k is the zero value (no key).
func (k RotationKey) IsZero() bool { return subtle.ConstantTimeCompare(k.k[:], make([]byte, 32)) == 1 }

// String hides the secret.
func (k RotationKey) String() string { return "aork_<secret>" }

// GoString hides the secret from %#v too.
func (k RotationKey) GoString() string { return k.String() }

// Secret returns the text form, for writing into a sealed file only.
func (k RotationKey) Secret() string { return rotationKeyPrefix + b64.EncodeToString(k.k[:]) }

// ParseRotationKey parses the text form made by Secret.
func ParseRotationKey(s string) (RotationKey, error) {
	var k RotationKey
	if err := parseB64Key(s, rotationKeyPrefix, k.k[:], "rotation key"); err != nil {
		return RotationKey{}, err
	}
	return k, nil
}

// parseB64Key decodes "prefix" + base64url into dst. Errors name the kind of
// value and the problem, never the input (it may be a secret).
func parseB64Key(s, prefix string, dst []byte, what string) error {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return fmt.Errorf("%s: want text starting with %q", what, prefix)
	}
	if b64.DecodedLen(len(rest)) != len(dst) {
		return fmt.Errorf("%s: want %d bytes of base64url after %q, got %d characters", what, len(dst), prefix, len(rest))
	}
	n, err := b64.Decode(dst, []byte(rest))
	if err != nil || n != len(dst) {
		return fmt.Errorf("%s: invalid base64url after %q", what, prefix)
	}
	return nil
}

func parseHexID(s, prefix string, dst []byte, what string) error {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return fmt.Errorf("%s %q: want text starting with %q", what, s, prefix)
	}
	if len(rest) != 2*len(dst) {
		return fmt.Errorf("%s %q: want %d hex digits after %q", what, s, 2*len(dst), prefix)
	}
	if _, err := hex.Decode(dst, []byte(rest)); err != nil {
		return fmt.Errorf("%s %q: invalid hex after %q", what, s, prefix)
	}
	for _, c := range rest {
		if c >= 'A' && c <= 'F' {
			return fmt.Errorf("%s %q: hex digits must be lower case", what, s)
		}
	}
	return nil
}
