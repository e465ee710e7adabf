// Package issuer is the organizer's offline side of ticket signing: the
// passphrase-sealed issuer key file, issuing signed tickets for an event,
// the ticket list (tickets.jsonl) that records them, and building a gate
// bundle (bundle.Payload) from a ticket list, a revocation list and
// foreign barcodes. `syncserver keys new`, `syncserver tickets issue` and
// `syncserver bundle export` are thin commands over it. The server keeps
// its own issuer keys sealed in its database: that is package vault.
//
// # The key file
//
// A key file is crypto.SealPassphrase output whose plaintext is one JSON
// object:
//
//	{"format":"admitone-issuer-v1",
//	 "issuer_key":"aosk_...",
//	 "events":[{"event_id":"ev_...","name":"...","rotation_key":"aork_...",
//	            "created_at":"2026-06-01T12:00:00Z"}]}
//
// An event enters the file the first time tickets are issued for it, with a
// fresh rotation key, so that a ticket requiring a rotating code never
// exists without the key a gate needs to check it. Save rewrites the file
// atomically (temporary file, fsync, rename) under the argon2id parameters
// it was opened with.
//
// # The ticket list
//
// tickets.jsonl holds one JSON object per issued ticket and line,
// {"id":"tk_...","type":1,"token":"AT1:..."}, in the order issued. It is
// appended to, never rewritten.
//
// # Caveats
//
//   - The key file holds the issuer's private key: whoever has the file and
//     its passphrase can sign tickets for every event in it. Keep one key
//     file per organizer and back it up; a lost key file cannot be
//     recovered, and tickets signed with it must be re-issued under a new
//     key.
//   - Ticket ids are 96 random bits. Issue does not look for collisions
//     with earlier batches (the chance is about 2^-50 for a billion
//     tickets); bundle.Payload.Validate refuses a duplicate in one list.
//   - ReadTicketList checks each token's format and that it names the
//     expected event and issuer key id, but does not verify signatures: the
//     list only tells a gate which ticket ids exist, and a gate verifies the
//     signature of every code it scans.
//   - A foreign barcode's ticket id is derived from the event and the code
//     (ForeignTicketID), not random, so that re-exporting a list after doors
//     open keeps a gate's check-ins of codes already used. Removing a code
//     from the CSV withdraws it; it cannot be revoked by id from a file.
//   - ParseRevocations stamps every revocation with the export time; the
//     list file carries no times.
//   - A ticket that requires a rotating code is refused at a gate as
//     code_expired when shown as a static code (a printed QR code, or the
//     .txt token without its TOTP digits).
//   - The files Issue's callers write (QR images, token text) are bearer
//     credentials: anyone holding one can enter once.
package issuer
