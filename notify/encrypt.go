package notify

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// The aes128gcm content coding of RFC 8188 as Web Push uses it (RFC
// 8291): one record, keyed from an ECDH agreement between a key the
// sender makes for the message and the browser's key, salted with 16
// random bytes and the browser's authentication secret.
//
// The body, byte by byte:
//
//	salt    16 bytes
//	rs      4 bytes, big endian: the record size (RecordSize)
//	idlen   1 byte: 65
//	keyid   65 bytes: the sender's ephemeral P-256 public key, uncompressed
//	record  AES-128-GCM(CEK, NONCE, plaintext || 0x02), tag included
const (
	// RecordSize is the rs of every body Encrypt makes: one record,
	// the most a push service must accept (RFC 8291 section 4).
	RecordSize = 4096
	saltSize   = 16
	keySize    = 65 // uncompressed P-256 point
	authSize   = 16
	headerSize = saltSize + 4 + 1 + keySize
	tagSize    = 16
	// MaxPlaintext is the most Encrypt takes: a record of RecordSize
	// holds the plaintext, its delimiter and the tag.
	MaxPlaintext = RecordSize - tagSize - 1
)

// ErrDecrypt is a body that Decrypt does not accept.
var ErrDecrypt = errors.New("web push: cannot decrypt")

// Encrypt encrypts plaintext for the browser whose public key is uaPublic
// (65 bytes) and authentication secret auth (16 bytes), with the
// sender's ephemeral key asPrivate and salt (16 random bytes; both new
// for every message), as RFC 8291 section 3.4 describes.
func Encrypt(plaintext, uaPublic, auth []byte, asPrivate *ecdh.PrivateKey, salt []byte) ([]byte, error) {
	switch {
	case len(plaintext) > MaxPlaintext:
		return nil, fmt.Errorf("web push: plaintext is %d bytes, more than %d", len(plaintext), MaxPlaintext)
	case len(salt) != saltSize:
		return nil, fmt.Errorf("web push: salt is %d bytes, want %d", len(salt), saltSize)
	case len(auth) != authSize:
		return nil, fmt.Errorf("web push: auth secret is %d bytes, want %d", len(auth), authSize)
	case asPrivate == nil || asPrivate.Curve() != ecdh.P256():
		return nil, errors.New("web push: the sender's key is not a P-256 key")
	}
	ua, err := ecdh.P256().NewPublicKey(uaPublic)
	if err != nil {
		return nil, fmt.Errorf("web push: the browser's public key: %w", err)
	}
	asPublic := asPrivate.PublicKey().Bytes()
	aead, nonce, err := contentKeys(asPrivate, ua, asPublic, uaPublic, auth, salt)
	if err != nil {
		return nil, err
	}
	body := make([]byte, headerSize, headerSize+len(plaintext)+1+tagSize)
	copy(body, salt)
	binary.BigEndian.PutUint32(body[saltSize:], RecordSize)
	body[saltSize+4] = keySize
	copy(body[saltSize+5:], asPublic)
	record := append(append([]byte(nil), plaintext...), 0x02) // last record, no padding
	return aead.Seal(body, nonce, record, nil), nil
}

// Decrypt is the browser's side of Encrypt: it opens body with the
// browser's private key and authentication secret. It returns
// ErrDecrypt for any body it does not accept: a short or malformed
// header, a key id that is not a P-256 point, a record that does not
// open or does not end in the last record's delimiter.
func Decrypt(body []byte, ua *ecdh.PrivateKey, auth []byte) ([]byte, error) {
	if len(auth) != authSize || ua == nil || ua.Curve() != ecdh.P256() {
		return nil, fmt.Errorf("%w: bad browser keys", ErrDecrypt)
	}
	if len(body) < headerSize+1+tagSize {
		return nil, fmt.Errorf("%w: %d bytes, too short", ErrDecrypt, len(body))
	}
	salt := body[:saltSize]
	rs := binary.BigEndian.Uint32(body[saltSize:])
	if body[saltSize+4] != keySize {
		return nil, fmt.Errorf("%w: key id is %d bytes, want %d", ErrDecrypt, body[saltSize+4], keySize)
	}
	record := body[headerSize:]
	if rs < tagSize+2 || uint64(len(record)) > uint64(rs) {
		return nil, fmt.Errorf("%w: record of %d bytes with record size %d (one record only)", ErrDecrypt, len(record), rs)
	}
	asPublic := body[saltSize+5 : headerSize]
	as, err := ecdh.P256().NewPublicKey(asPublic)
	if err != nil {
		return nil, fmt.Errorf("%w: key id: %v", ErrDecrypt, err)
	}
	aead, nonce, err := contentKeys(ua, as, asPublic, ua.PublicKey().Bytes(), auth, salt)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	pt, err := aead.Open(nil, nonce, record, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: record does not open", ErrDecrypt)
	}
	// Padding is zeros after the delimiter, 0x02 for the last record.
	i := len(pt) - 1
	for i >= 0 && pt[i] == 0 {
		i--
	}
	if i < 0 || pt[i] != 0x02 {
		return nil, fmt.Errorf("%w: no last record delimiter", ErrDecrypt)
	}
	return pt[:i], nil
}

// contentKeys derives the record's AEAD and nonce (RFC 8291 section
// 3.4): ECDH, then the auth secret's HKDF into the IKM, then the salt's
// into CEK and NONCE.
func contentKeys(priv *ecdh.PrivateKey, peer *ecdh.PublicKey, asPublic, uaPublic, auth, salt []byte) (cipher.AEAD, []byte, error) {
	shared, err := priv.ECDH(peer)
	if err != nil {
		return nil, nil, fmt.Errorf("web push: ECDH: %w", err)
	}
	info := append(append([]byte("WebPush: info\x00"), uaPublic...), asPublic...)
	ikm, err := hkdf.Key(sha256.New, shared, auth, string(info), 32)
	if err != nil {
		return nil, nil, err
	}
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, nil, err
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, nil, err
	}
	aead, err := cipher.NewGCM(block)
	return aead, nonce, err
}
