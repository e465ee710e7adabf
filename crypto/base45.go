package crypto

import (
	"fmt"
	"strings"
)

// base45Alphabet is the RFC 9285 alphabet: exactly the 45 characters of QR
// code alphanumeric mode, so Base45 text fills a QR code at 5.5 bits per
// character instead of 8.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// base45Value maps a character to its Base45 value, or -1.
var base45Value = func() [256]int8 {
	var v [256]int8
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		v[base45Alphabet[i]] = int8(i)
	}
	return v
}()

// Base45EncodedLen returns the length of the Base45 text for n bytes.
func Base45EncodedLen(n int) int { return n/2*3 + n%2*2 }

// Base45Encode encodes src as RFC 9285 Base45 text.
func Base45Encode(src []byte) string {
	var b strings.Builder
	b.Grow(Base45EncodedLen(len(src)))
	for i := 0; i+1 < len(src); i += 2 {
		n := int(src[i])<<8 | int(src[i+1])
		b.WriteByte(base45Alphabet[n%45])
		b.WriteByte(base45Alphabet[n/45%45])
		b.WriteByte(base45Alphabet[n/2025])
	}
	if len(src)%2 == 1 {
		n := int(src[len(src)-1])
		b.WriteByte(base45Alphabet[n%45])
		b.WriteByte(base45Alphabet[n/45])
	}
	return b.String()
}

// Base45Decode decodes RFC 9285 Base45 text. It refuses characters outside
// the alphabet, a length of 3k+1, and groups whose value overflows their
// byte width, as the RFC requires.
func Base45Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, fmt.Errorf("base45: length %d is not valid (a length of 3k+1 cannot be produced)", len(s))
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		end := min(i+3, len(s))
		n := 0
		mul := 1
		for j := i; j < end; j++ {
			v := base45Value[s[j]]
			if v < 0 {
				return nil, fmt.Errorf("base45: invalid character %q at offset %d", s[j], j)
			}
			n += int(v) * mul
			mul *= 45
		}
		if end-i == 3 {
			if n > 0xffff {
				return nil, fmt.Errorf("base45: group %q at offset %d overflows 16 bits", s[i:end], i)
			}
			out = append(out, byte(n>>8), byte(n))
		} else {
			if n > 0xff {
				return nil, fmt.Errorf("base45: final group %q at offset %d overflows 8 bits", s[i:end], i)
			}
			out = append(out, byte(n))
		}
	}
	return out, nil
}
