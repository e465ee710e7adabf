// Package crypto holds AdmitOne's cryptography: Ed25519 issuer keys and the
// keyrings that trust them per event, the signed ticket token carried in QR
// codes, Base45 (RFC 9285), rotating codes (RFC 6238 TOTP from a per-ticket
// HKDF secret), and sealing of secrets at rest (XChaCha20-Poly1305, with
// argon2id for passphrases).
//
// Import it as ticketcrypto; inside this package the standard library's
// crypto is stdcrypto where needed.
//
// # The ticket token
//
// A token is a 32-byte body followed by a 64-byte Ed25519 signature. Its
// text form is "AT1:" followed by Base45 of those 96 bytes (144 characters),
// 148 characters in all; a ticket with a rotating code appends its 6 TOTP
// digits (154 characters). Every character is in the QR alphanumeric set,
// so the code fits a version 6 QR code (41x41 modules) at error correction
// level M, and survives keyboard-wedge scanners and wallet pass messages.
//
// The body, all integers big-endian:
//
//	offset size field
//	0      1    format version, 1
//	1      1    flags: bit 0 rotating code required; bits 1-7 must be 0
//	2      2    key id: first 2 bytes of SHA-256("admitone key id v1" || public key)
//	4      8    event id
//	12     12   ticket id (random, 96 bits)
//	24     2    ticket type number within the event
//	26     3    valid from: minutes since 2024-01-01T00:00Z, 0 = no lower bound
//	29     3    valid until: minutes since 2024-01-01T00:00Z, 0 = no upper bound
//
// The signature is Ed25519 over "AdmitOne ticket v1", a zero byte, and the
// body. A verifier checks the length, version and flags, looks the key up by
// (event id, key id) in its Keyring, and only then calls ed25519.Verify.
// Parsing never panics and refuses any other length, so trailing bytes are
// an error. The files in testdata/ pin the format with good and bad vectors.
//
// # The order token
//
// An order's code, which its buyer shows at a merchandise pickup desk, is
// "AO1:" followed by Base45 (131 characters) of a 23-byte body and its
// 64-byte Ed25519 signature, 135 characters in all:
//
//	offset size field
//	0      1    format version, 1
//	1      2    key id, as in the ticket token
//	3      8    event id
//	11     12   order id (the 96 random bits of "ord_" + 24 hex digits)
//
// The signature is Ed25519 over "AdmitOne order v1", a zero byte, and the
// body, made with one of the event's issuer keys (the vault's active
// one), so a ticket's signature never verifies as an order's nor the
// reverse. ParseOrderText refuses any other length or version and never
// panics (FuzzParseOrderText); ScannedOrder.Verify checks the signature.
//
// # Rotating codes
//
// For ticket types that require it, the holder's app shows the static token
// followed by a TOTP (RFC 6238, HMAC-SHA1, 30 s, 6 digits) computed from
// HKDF-SHA256(event rotation key, info "AdmitOne rotating code v1" ||
// event id || ticket id). Gates hold the event's rotation key and accept the
// current step and one step either side.
//
// # Text forms
//
// Public keys "aopk_", private keys "aosk_", rotation keys "aork_" (each
// followed by unpadded base64url), key ids "kid_" + 4 hex digits, event ids
// "ev_" + 16 hex digits, ticket ids "tk_" + 24 hex digits. PrivateKey and
// RotationKey print as placeholders; their Secret methods give the text to
// seal, and parse errors never quote secret input.
//
// # Caveats
//
//   - The key id has 16 bits because it travels in every code. It is a
//     lookup hint within one event's keyring, not a global name: Keyring.Add
//     refuses a second key with the same id for the same event, and the
//     issuer then generates another key.
//   - Validity windows have minute precision and end on 2055-11-24T20:15Z;
//     a later date needs a new format version.
//   - Base45 has no room for a separator, so the token's length tells a
//     rotating code from a static one; lower case is accepted as upper case
//     because keyboard-wedge scanners with Caps Lock on invert it.
//   - A Keyring is not safe for concurrent mutation.
package crypto
