// Package bundle is the signed ticket-list bundle that carries an event's
// gate data to gates: the keyring, the gate profiles, the ticket list and
// the revocations. The server (or `syncserver bundle export` at a box
// office) writes it; `scannerd import` reads it, from a USB stick when there
// is no network, and the sync protocol uses the same content on enrolment.
//
// # File format
//
//	admitone-bundle-v1\n
//	<signer public key, aopk_...>\n
//	<base64url Ed25519 signature over the payload, context "AdmitOne bundle v1">\n
//	<payload: one JSON object, Payload>
//
// A bundle that carries rotation keys must be sealed as a whole under a
// passphrase (crypto.SealPassphrase); Read opens a sealed file when given
// the passphrase. Read checks the signature against the keys the caller
// trusts before it parses the payload, so a tampered or foreign bundle is
// refused without being interpreted.
//
// # Caveats
//
//   - Read holds the whole file in memory; files are limited to MaxSize.
//   - A signer that the gate trusts may add keys to the keyring: trust is
//     anchored in the signer keys given to `scannerd init --trust`.
package bundle
