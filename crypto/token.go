package crypto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Token layout constants; see the package documentation for the byte map.
const (
	TokenVersion  = 1
	TokenBodySize = 32
	TokenSize     = TokenBodySize + 64 // body || Ed25519 signature

	// TokenPrefix starts the text form of every ticket token.
	TokenPrefix = "AT1:"
	// RotatingCodeDigits is the length of the TOTP suffix of a rotating code.
	RotatingCodeDigits = 6

	tokenTextLen         = len(TokenPrefix) + 144 // Base45EncodedLen(TokenSize)
	rotatingTokenTextLen = tokenTextLen + RotatingCodeDigits

	tokenSignatureContext = "AdmitOne ticket v1"
)

// Flags are the ticket flags of byte 1 of the body.
type Flags uint8

const (
	// FlagRotating means the ticket is valid only with a current rotating
	// code (TOTP) appended; a static screenshot is refused as code_expired.
	FlagRotating Flags = 1 << 0

	knownFlags = FlagRotating
)

// validityEpoch is minute zero of the validity fields: 2024-01-01T00:00Z.
// Three bytes of minutes reach 2055-11-24T20:15Z (see Caveats).
var validityEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const maxValidityMinutes = 1<<24 - 1

// Errors returned by token parsing and verification. Each maps to one gate
// verdict: ErrMalformed to malformed, ErrUnknownKey to unknown_key,
// ErrBadSignature to invalid_signature, ErrCodeExpired to code_expired.
var (
	ErrMalformed    = errors.New("malformed ticket token")
	ErrUnknownKey   = errors.New("unknown issuer key")
	ErrBadSignature = errors.New("invalid ticket signature")
	ErrCodeExpired  = errors.New("rotating code expired")
)

// Token is the signed content of a ticket.
type Token struct {
	KeyID      KeyID
	Event      EventID
	Ticket     TicketID
	TypeNumber uint16 // ticket type number within the event
	Flags      Flags
	// ValidFrom and ValidUntil bound when the ticket admits; zero means
	// unbounded. They are stored with minute precision: ValidFrom rounds
	// down and ValidUntil rounds up to the minute.
	ValidFrom  time.Time
	ValidUntil time.Time
}

// Rotating reports whether the ticket requires a rotating code.
func (t Token) Rotating() bool { return t.Flags&FlagRotating != 0 }

// AppendBody appends the 32-byte body to b.
func (t Token) AppendBody(b []byte) ([]byte, error) {
	if t.Flags&^knownFlags != 0 {
		return nil, fmt.Errorf("token: unknown flags %#x", uint8(t.Flags&^knownFlags))
	}
	from, err := encodeValidity(t.ValidFrom, false)
	if err != nil {
		return nil, fmt.Errorf("token: valid_from: %w", err)
	}
	until, err := encodeValidity(t.ValidUntil, true)
	if err != nil {
		return nil, fmt.Errorf("token: valid_until: %w", err)
	}
	if from != 0 && until != 0 && until <= from {
		return nil, fmt.Errorf("token: valid_until %s is not after valid_from %s", t.ValidUntil.UTC().Format(time.RFC3339), t.ValidFrom.UTC().Format(time.RFC3339))
	}
	b = append(b, TokenVersion, byte(t.Flags))
	b = append(b, t.KeyID[:]...)
	b = append(b, t.Event[:]...)
	b = append(b, t.Ticket[:]...)
	b = binary.BigEndian.AppendUint16(b, t.TypeNumber)
	b = append(b, byte(from>>16), byte(from>>8), byte(from))
	b = append(b, byte(until>>16), byte(until>>8), byte(until))
	return b, nil
}

func encodeValidity(t time.Time, roundUp bool) (uint32, error) {
	if t.IsZero() {
		return 0, nil
	}
	d := t.Sub(validityEpoch)
	m := d / time.Minute
	if roundUp && d%time.Minute != 0 {
		m++
	}
	// Minute 0 means "unbounded", so the first minute is not representable.
	if d <= 0 || m == 0 || m > maxValidityMinutes {
		return 0, fmt.Errorf("%s is outside %s..%s", t.UTC().Format(time.RFC3339),
			validityEpoch.Add(time.Minute).Format(time.RFC3339), validityEpoch.Add(maxValidityMinutes*time.Minute).Format(time.RFC3339))
	}
	return uint32(m), nil
}

func decodeValidity(b []byte) time.Time {
	m := uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])
	if m == 0 {
		return time.Time{}
	}
	return validityEpoch.Add(time.Duration(m) * time.Minute)
}

// parseBody decodes a 32-byte body. It checks the version and flags.
func parseBody(b []byte) (Token, error) {
	if len(b) != TokenBodySize {
		return Token{}, fmt.Errorf("%w: body is %d bytes, want %d", ErrMalformed, len(b), TokenBodySize)
	}
	if b[0] != TokenVersion {
		return Token{}, fmt.Errorf("%w: format version %d, want %d", ErrMalformed, b[0], TokenVersion)
	}
	var t Token
	t.Flags = Flags(b[1])
	if t.Flags&^knownFlags != 0 {
		return Token{}, fmt.Errorf("%w: unknown flags %#x", ErrMalformed, b[1])
	}
	copy(t.KeyID[:], b[2:4])
	copy(t.Event[:], b[4:12])
	copy(t.Ticket[:], b[12:24])
	t.TypeNumber = binary.BigEndian.Uint16(b[24:26])
	t.ValidFrom = decodeValidity(b[26:29])
	t.ValidUntil = decodeValidity(b[29:32])
	if !t.ValidFrom.IsZero() && !t.ValidUntil.IsZero() && !t.ValidUntil.After(t.ValidFrom) {
		return Token{}, fmt.Errorf("%w: validity window ends before it starts", ErrMalformed)
	}
	return t, nil
}

// SignedToken is a token with its signature, as carried in a QR code.
type SignedToken struct {
	Token
	raw [TokenSize]byte // body || signature
}

// Sign makes a signed token. The token's KeyID is set from key.
func Sign(key PrivateKey, t Token) (SignedToken, error) {
	if key.IsZero() {
		return SignedToken{}, errors.New("token: no signing key")
	}
	t.KeyID = key.ID()
	body, err := t.AppendBody(make([]byte, 0, TokenSize))
	if err != nil {
		return SignedToken{}, err
	}
	// Round-trip the body so the returned Token holds exactly what the
	// gate will read (validity rounded to minutes).
	t, err = parseBody(body)
	if err != nil {
		return SignedToken{}, err
	}
	st := SignedToken{Token: t}
	copy(st.raw[:], body)
	copy(st.raw[TokenBodySize:], key.Sign(tokenSignatureContext, body))
	return st, nil
}

// Bytes returns body || signature (96 bytes).
func (s SignedToken) Bytes() []byte { return append([]byte(nil), s.raw[:]...) }

// Text returns the static text form: "AT1:" and Base45 of Bytes.
func (s SignedToken) Text() string { return TokenPrefix + Base45Encode(s.raw[:]) }

// TextWithCode returns the rotating text form: the static text with a
// current rotating code appended.
func (s SignedToken) TextWithCode(code string) string { return s.Text() + code }

// Scanned is a token read from a code, parsed but not yet verified.
type Scanned struct {
	Token
	// Code is the rotating code suffix, or "" for the static form.
	Code string
	raw  [TokenSize]byte
}

// Bytes returns body || signature as read.
func (s Scanned) Bytes() []byte { return append([]byte(nil), s.raw[:]...) }

// ParseBytes parses body || signature. It does not verify the signature.
func ParseBytes(b []byte) (Scanned, error) {
	if len(b) != TokenSize {
		return Scanned{}, fmt.Errorf("%w: %d bytes, want %d", ErrMalformed, len(b), TokenSize)
	}
	t, err := parseBody(b[:TokenBodySize])
	if err != nil {
		return Scanned{}, err
	}
	s := Scanned{Token: t}
	copy(s.raw[:], b)
	return s, nil
}

// IsTokenText reports whether s looks like a ticket token (has the prefix);
// a gate in listed mode treats other text as a foreign barcode.
func IsTokenText(s string) bool {
	return len(s) >= len(TokenPrefix) && upperASCII(s[:len(TokenPrefix)]) == TokenPrefix
}

// ParseText parses the static or rotating text form. It does not verify the
// signature. Lower case letters are accepted as upper case, because a
// keyboard-wedge scanner with Caps Lock on inverts the case.
func ParseText(s string) (Scanned, error) {
	if !IsTokenText(s) {
		return Scanned{}, fmt.Errorf("%w: text does not start with %q", ErrMalformed, TokenPrefix)
	}
	var code string
	switch len(s) {
	case tokenTextLen:
	case rotatingTokenTextLen:
		code = s[tokenTextLen:]
		for i := 0; i < len(code); i++ {
			if code[i] < '0' || code[i] > '9' {
				return Scanned{}, fmt.Errorf("%w: rotating code %q is not %d digits", ErrMalformed, code, RotatingCodeDigits)
			}
		}
	default:
		return Scanned{}, fmt.Errorf("%w: text is %d characters, want %d or %d", ErrMalformed, len(s), tokenTextLen, rotatingTokenTextLen)
	}
	raw, err := Base45Decode(upperASCII(s[len(TokenPrefix):tokenTextLen]))
	if err != nil {
		return Scanned{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	sc, err := ParseBytes(raw)
	if err != nil {
		return Scanned{}, err
	}
	if code != "" && !sc.Rotating() {
		// Digits appended to a static ticket change nothing a gate checks,
		// so the text would have two spellings: refuse it.
		return Scanned{}, fmt.Errorf("%w: a rotating code was appended to a ticket that does not use one", ErrMalformed)
	}
	sc.Code = code
	return sc, nil
}

// Verify checks the signature against pub. It checks that the key id in the
// token is pub's before doing the (expensive) signature check.
func (s Scanned) Verify(pub PublicKey) error {
	if pub.ID() != s.KeyID {
		return fmt.Errorf("%w: token names %s, key is %s", ErrUnknownKey, s.KeyID, pub.ID())
	}
	if !pub.VerifyDetached(tokenSignatureContext, s.raw[:TokenBodySize], s.raw[TokenBodySize:]) {
		return fmt.Errorf("%w for ticket %s", ErrBadSignature, s.Ticket)
	}
	return nil
}

func upperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'a' && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
