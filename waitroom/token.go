package waitroom

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"

	ticketcrypto "github.com/admitone/admitone/crypto"
)

// TokenPrefix starts every admission token.
const TokenPrefix = "aoad_"

// maxTokenLen bounds what CheckAdmission reads of a given token.
const maxTokenLen = 128

// tokenLen is the length of a token: the prefix and a base64url
// SHA-256 MAC.
var tokenLen = len(TokenPrefix) + base64.RawURLEncoding.EncodedLen(sha256.Size)

// KeyFromSeal derives the admission token key from the server's seal
// key, which every server sharing the store has: a token made by one
// process is good at all of them.
func KeyFromSeal(k *ticketcrypto.SealKey) []byte {
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte("admitone waitroom admission key v1"))
	return m.Sum(nil)
}

// token is the admission token of an admitted place: a MAC over the
// event, the account, the place's number and its admission time, so a
// new place (after an expiry) has a new token and an old one is no
// longer good.
func token(key []byte, p Place) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("admission\x00" + p.EventID + "\x00" + p.UserID + "\x00" +
		strconv.FormatInt(p.Seq, 10) + "\x00" + strconv.FormatInt(p.AdmittedAt.UnixMicro(), 10)))
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// tokenMatches reports, in time independent of where they differ,
// whether given is the place's token.
func tokenMatches(key []byte, p Place, given string) bool {
	if len(given) != tokenLen || !p.Admitted() {
		return false
	}
	return hmac.Equal([]byte(given), []byte(token(key, p)))
}
