// Package id makes the server's random, prefixed identifiers, such as
// "usr_3f9a0c...". The prefix says what the id names, so an id passed to the
// wrong route is refused by name.
package id

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
)

// New returns prefix + "_" + 24 lower-case hex digits (96 random bits).
func New(prefix string) string {
	var b [12]byte
	rand.Read(b[:])
	return prefix + "_" + hex.EncodeToString(b[:])
}

// Valid reports whether s has the form New(prefix) produces.
// NewOrdered is New with ids that sort by creation time: 6 bytes of
// milliseconds since 1970 (big-endian) and 6 random bytes, in the same
// format (24 hex digits). For records written at a high rate (holds,
// orders): a B+tree such as bbolt's inserts them at its right edge,
// dirtying a page or two per commit instead of one page per record. The
// id shows when it was made, to the millisecond; 48 random bits keep it
// unguessable.
func NewOrdered(prefix string) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	rand.Read(b[6:])
	return prefix + "_" + hex.EncodeToString(b[:])
}

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
