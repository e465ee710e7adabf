package voucher

import (
	"fmt"
	"strings"
)

// MinCodeLen and MaxCodeLen bound a code's length in characters.
const (
	MinCodeLen = 6
	MaxCodeLen = 32
)

// Normalize returns a code's canonical text: surrounding spaces trimmed,
// letters in upper case; it must be MinCodeLen to MaxCodeLen ASCII
// letters, digits, '-' or '_'. Otherwise it returns an error that names
// the problem (and never echoes the code). Codes are compared, looked up
// and stored in this form, so "vip-2026" and "VIP-2026" are one code.
func Normalize(s string) (string, error) {
	if len(s) > 4*MaxCodeLen {
		return "", fmt.Errorf("a code has at most %d characters", MaxCodeLen)
	}
	s = strings.TrimSpace(s)
	if len(s) < MinCodeLen || len(s) > MaxCodeLen {
		return "", fmt.Errorf("a code has %d to %d characters (got %d)", MinCodeLen, MaxCodeLen, len(s))
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return "", fmt.Errorf("a code has only letters A-Z, digits, '-' and '_' (character %d is not one)", i+1)
		}
	}
	return string(b), nil
}
