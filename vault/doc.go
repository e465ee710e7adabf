// Package vault is the server's side of ticket signing: the issuer keys
// and each event's rotation key, kept sealed (crypto.Seal under the
// server's seal.key) in the database through a SecretStore, and the Vault
// that signs tickets and gate bundles with them. The Vault implements
// purchase.Signer; storage/bolt and storage/postgres implement
// SecretStore, and storage/storetest.RunSecrets is its conformance suite.
//
// Package issuer is the organizer's offline counterpart: the same kinds
// of keys in a passphrase-sealed key file.
//
// # Secret names
//
//	issuer/<created, Unix nanoseconds, 20 digits>/<key id>  sealed "aosk_..."
//	rotation/<event id>                                     sealed "aork_..."
//	kid/<key id>                                            the issuer key's name, in clear
//
// Each sealed value is bound to its name (it is the associated data), so a
// value copied under another name does not open.
//
// # Caveats
//
//   - Every server sharing a database needs the same seal.key; without it
//     no key opens, and a lost seal.key cannot be recovered: make new keys
//     (syncserver keys rotate) and re-issue.
//   - Rotate adds a key; it never removes one. Older keys stay in every
//     gate's keyring so the tickets they signed keep admitting.
//   - SignTicket uses the key it has cached for up to 30 seconds, so a key
//     another server just added signs here a little later; the key used
//     meanwhile is still trusted.
//   - A SecretStore is first writer wins: a name, once stored, is never
//     replaced, which is how servers agree on an event's rotation key and
//     on key ids.
package vault
