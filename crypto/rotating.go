package crypto

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"time"
)

// Rotating codes follow RFC 6238 (TOTP) with HMAC-SHA1, a 30-second step and
// 6 digits: the parameters that authenticator apps and Google Wallet's
// rotating barcodes use.
const (
	RotatingStep = 30 * time.Second
	// RotatingSkewSteps is how many steps before and after the gate's
	// current one are accepted, for phone and gate clocks that disagree.
	RotatingSkewSteps = 1
)

const rotatingInfo = "AdmitOne rotating code v1"

// TicketSecret derives the per-ticket TOTP secret:
// HKDF-SHA256(ikm = rotation key, salt = none, info = "AdmitOne rotating
// code v1" || event id || ticket id), 20 bytes (the RFC 4226 size).
func (k RotationKey) TicketSecret(ev EventID, t TicketID) []byte {
	info := make([]byte, 0, len(rotatingInfo)+len(ev)+len(t))
	info = append(info, rotatingInfo...)
	info = append(info, ev[:]...)
	info = append(info, t[:]...)
	secret, err := hkdf.Key(sha256.New, k.k[:], nil, string(info), 20)
	if err != nil {
		panic("crypto: hkdf: " + err.Error()) // only for lengths > 255*32
	}
	return secret
}

// Code returns the rotating code of a ticket at time at.
func (k RotationKey) Code(ev EventID, t TicketID, at time.Time) string {
	return TOTP(k.TicketSecret(ev, t), at, RotatingStep, RotatingCodeDigits)
}

// VerifyCode checks a rotating code at time now, allowing RotatingSkewSteps
// of clock difference either way. The comparison is constant-time.
func (k RotationKey) VerifyCode(ev EventID, t TicketID, code string, now time.Time) error {
	if len(code) != RotatingCodeDigits {
		return fmt.Errorf("%w: no current rotating code shown for ticket %s", ErrCodeExpired, t)
	}
	secret := k.TicketSecret(ev, t)
	ok := 0
	for d := -RotatingSkewSteps; d <= RotatingSkewSteps; d++ {
		want := TOTP(secret, now.Add(time.Duration(d)*RotatingStep), RotatingStep, RotatingCodeDigits)
		ok |= subtle.ConstantTimeCompare([]byte(want), []byte(code))
	}
	if ok != 1 {
		return fmt.Errorf("%w: rotating code of ticket %s is not current", ErrCodeExpired, t)
	}
	return nil
}

// TOTP computes an RFC 6238 code with HMAC-SHA1.
// step is at least a second (shorter steps are treated as one second).
func TOTP(secret []byte, at time.Time, step time.Duration, digits int) string {
	counter := uint64(at.Unix()) / uint64(max(step/time.Second, 1))
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac := hmac.New(sha1.New, secret)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, v%mod)
}
