// Package gateauth is how people sign in at a gate: the staff PIN, kept
// as an argon2id hash in the gate's data directory, the short sessions a
// right PIN opens, and the rate limits on wrong PINs. Package gateapi
// puts them on HTTP (POST /v1/session, the session cookie, the CSRF
// token); apps keep using the gate's bearer token.
//
// The PIN is 6 to 32 digits, not one digit repeated and not a run such
// as 123456. It is hashed with PINParams (16 MiB, 3 passes, 1 lane),
// sized so a Raspberry Pi checks one in well under a second while a
// stolen hash still costs an attacker that much per guess; Staff checks
// one PIN at a time, so sign-ins never hold more than one hash's memory.
//
// # Caveats
//
//   - Sessions live in memory: a restart of scannerd signs everyone out.
//     A session lasts SessionTTL (12 hours) from sign-in, however busy,
//     so a lost tablet stops working by the next shift.
//   - The PIN file is read at each sign-in, so `scannerd pin set` takes
//     effect at the next sign-in without a restart; sessions opened with
//     the old PIN last until they expire or scannerd restarts.
//   - Wrong PINs are limited per client address (a /64 for IPv6) and over
//     all addresses together. The overall limit slows a guess spread over
//     many addresses, at the price that such a guess also makes staff
//     wait: Retry-After says how long.
package gateauth
