// Package id makes the server's random, prefixed identifiers, such as
// "usr_3f9a0c...". The prefix says what the id names, so an id passed to the
// wrong route is refused by name.
package id

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// New returns prefix + "_" + 24 lower-case hex digits (96 random bits).
func New(prefix string) string {
	var b [12]byte
	rand.Read(b[:])
	return prefix + "_" + hex.EncodeToString(b[:])
}

// Valid reports whether s has the form New(prefix) produces.
func Valid(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(rest) != 24 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
