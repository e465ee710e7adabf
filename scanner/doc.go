// Package scanner decides at the gate: the lanes that turn a frame or a
// code into a scan, the verdict engine and the gate's rules, and the
// gate's bbolt store that records each check-in durably and offline and
// is the gate's side of sync. Package scanner/source reads the frames and
// codes; scanner/gateapi is the gate's local HTTP API over the engine.
//
// The pipeline of one lane: a source.Source yields source.Inputs (camera
// frames as luminance planes, or code text); a Lane decodes frames
// (package qr, through a FrameDecoder), drops repeats of the code held in
// front of the same camera, and hands the text to the Engine; the Engine
// parses and verifies the token (package crypto) against the gate's
// keyring, and has its VerdictStore apply the gate's rules (Decide, a pure
// function) to the ticket's stored state and commit the check-in, in one
// transaction, before it answers accepted.
//
// The Store is one bbolt file in the gate's data directory holding the
// gate profile, keyring, ticket list, revocations, per-ticket state, the
// check-in log and the outbox of check-ins the server has not yet
// acknowledged.
//
// # Verdicts
//
// accepted, already_used, revoked, wrong_event, not_allowed_here,
// not_yet_valid, expired, invalid_signature, unknown_key, code_expired,
// malformed and unknown_ticket; see the Verdict constants. The checks run
// in that spirit of order: the code's form and signature first (malformed,
// wrong_event, unknown_key, invalid_signature, code_expired), then the
// list (unknown_ticket in listed mode), revocation, the gate's ticket types,
// the validity window, and last the ticket's use (already_used).
//
// Counters (Engine.Counts) count the verdicts given since the process
// started, dry runs excluded, under a random boot id: what the gate's
// status frames report to the server (see package sync, "Gate health").
//
// # Caveats
//
//   - accepted is returned only after the check-in's transaction has been
//     fsynced. With one lane each check-in is its own transaction (about a
//     millisecond); several lanes share commits through bbolt's Batch.
//   - The store remembers whether its last write (a check-in, or a probe
//     Writable writes at most every two seconds while a write has failed,
//     and after a quiet spell) committed; /readyz answers 503
//     store_failing while it did not (a full disk, a failing fsync) and
//     ready again once a write succeeds.
//   - Exit scans are always recorded for a valid ticket, even one with no
//     entry on record (a gate that missed the entry must still let people
//     out); the reason says so.
//   - The same code seen again by the same camera within the lane's repeat
//     window is not scanned again; a keyboard-wedge or API scan always is.
//   - OpenStore checks gate.db before use (a page walk that reads the file
//     without trusting it, bbolt's consistency check, every record
//     decoded) and refuses a damaged one with ErrDamaged; ExportOutbox
//     reads what it can of the outbox of such a file. A flipped bit that
//     leaves a key or value well-formed is not seen: bbolt keeps no data
//     checksums.
//   - A store belongs to one event: importing another event's bundle is
//     refused, and bundles older than the last import are refused.
package scanner
