package crypto

import (
	"errors"
	"testing"
	"time"
)

// Fixed test material. The seeds are the bytes 0..31 and 32..63, and the
// rotation key the bytes 64..95, so vectors made from them never change
// (Ed25519 signatures are deterministic).
const (
	testKeySecret      = "aosk_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
	testOtherKeySecret = "aosk_ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8"
	testRotationSecret = "aork_QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8"
)

var (
	testEvent      = EventID{0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7}
	testOtherEvent = EventID{0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7}
	testTicket     = TicketID{0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b}
	testOtherTick  = TicketID{0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b}

	// testNow is mid-way through a 30 s TOTP step, so one step either
	// side is unambiguous.
	testNow = time.Date(2026, 6, 1, 18, 0, 15, 0, time.UTC)
)

func mustPrivateKey(t testing.TB, secret string) PrivateKey {
	t.Helper()
	k, err := ParsePrivateKey(secret)
	if err != nil {
		t.Fatalf("ParsePrivateKey: %v", err)
	}
	return k
}

func mustRotationKey(t testing.TB, secret string) RotationKey {
	t.Helper()
	k, err := ParseRotationKey(secret)
	if err != nil {
		t.Fatalf("ParseRotationKey: %v", err)
	}
	return k
}

func testKey(t testing.TB) PrivateKey      { return mustPrivateKey(t, testKeySecret) }
func testOtherKey(t testing.TB) PrivateKey { return mustPrivateKey(t, testOtherKeySecret) }

// testToken is a typical static ticket with a validity window.
func testToken() Token {
	return Token{
		Event:      testEvent,
		Ticket:     testTicket,
		TypeNumber: 7,
		ValidFrom:  time.Date(2026, 6, 1, 16, 0, 0, 0, time.UTC),
		ValidUntil: time.Date(2026, 6, 2, 2, 0, 0, 0, time.UTC),
	}
}

func mustSign(t testing.TB, k PrivateKey, tok Token) SignedToken {
	t.Helper()
	st, err := Sign(k, tok)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return st
}

// signRaw signs an arbitrary 32-byte body, for tokens that Sign refuses to
// make (bad version, unknown flags, reversed window).
func signRaw(t testing.TB, k PrivateKey, body []byte) []byte {
	t.Helper()
	if len(body) != TokenBodySize {
		t.Fatalf("signRaw: body is %d bytes", len(body))
	}
	return append(append([]byte(nil), body...), k.Sign(tokenSignatureContext, body)...)
}

// testKeyring trusts testKey for testEvent without a window and holds the
// test rotation key for it.
func testKeyring(t testing.TB) *Keyring {
	t.Helper()
	var r Keyring
	pub := testKey(t).Public()
	if err := r.Add(KeyringEntry{Event: testEvent, KeyID: pub.ID(), PublicKey: pub}); err != nil {
		t.Fatalf("Keyring.Add: %v", err)
	}
	r.SetRotationKey(testEvent, mustRotationKey(t, testRotationSecret))
	return &r
}

// errClass names the sentinel an error wraps, as the vectors spell it.
func errClass(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrMalformed):
		return "malformed"
	case errors.Is(err, ErrUnknownKey):
		return "unknown_key"
	case errors.Is(err, ErrBadSignature):
		return "invalid_signature"
	case errors.Is(err, ErrCodeExpired):
		return "code_expired"
	}
	return "other"
}
