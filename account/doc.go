// Package account is the account service: users, passwords, two-factor
// authentication (TOTP), sessions and API tokens, roles and memberships, and
// the authorization checks the API makes with them.
//
// Service holds the rules and talks to storage through the Store interface
// (implemented by storage/bolt and storage/postgres).
//
// # Passwords
//
// Passwords are hashed with argon2id at OWASP's parameters (19 MiB, 2
// passes, 1 lane, 16-byte salt, 32-byte key) and stored as PHC strings:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt, base64>$<hash, base64>
//
// ParsePHC reads them strictly and refuses parameters beyond 1 GiB, 16
// passes or 255 lanes, so a planted hash cannot stall a login. A hash with
// other parameters still verifies and is replaced at the next login.
//
// Policy: 10 to 256 bytes, not one character repeated. Emails are trimmed,
// lower-cased and must be a plain address of at most 254 bytes.
//
// # Logging in
//
// Login checks the password; for a user with 2FA it then needs a TOTP code
// or a recovery code (ErrTOTPRequired tells the client to ask for one). It
// returns a session bearer secret, "aos_" and 43 base64url characters;
// API tokens made by CreateAPIToken start "aot_". Only the SHA-256 of a
// secret is stored. Authenticate resolves a secret to a Principal, reading
// the user and memberships afresh each time.
//
// A TOTP code is accepted within one 30-second step either side of now and
// only once: the user's last accepted step is stored, and a code from that
// step or an earlier one is refused, checked and recorded in one store
// transaction. The ten recovery codes (xxxx-xxxx-xxxx, 60 bits each) work
// once each and are stored as SHA-256 hashes. TOTP secrets are sealed with
// Service.SealKey (XChaCha20-Poly1305, bound to the user id).
//
// # Sessions and account changes
//
// Changing how an account signs in takes its current password again,
// checked like a login's (constant time, counted against the account's
// rate limit; ErrBadPassword if wrong): ChangePassword, EnrollTOTP, and
// DisableTOTP (with a current code too). ChangePassword, ConfirmTOTP and
// DisableTOTP then end every other session and API token of the account
// (Store.DeleteUserTokens with the caller's token kept), so a session
// stolen before, or signed in without the second factor, stops working.
// These are for sessions only: an API token gets ErrForbidden.
//
// Tokens lists a user's live sessions or API tokens without their
// secrets, by id (the stored SHA-256), with created, last-used and expiry
// times and the caller's own marked; RevokeToken ends one by id.
// Authenticate records a token's last use at most once per
// TokenTouchInterval (5 minutes), best effort.
//
// # Rate limits
//
// Per remote address: 20 login attempts a minute and 10 sign-ups an hour
// (IPv6 by /64). Per account and address, keyed by the normalised email
// whether or not an account has it: after 5 wrong passwords from one
// address, each further attempt from it must wait 1s, 2s, 4s ... up to
// 15 minutes after the last failure; a right password clears the count,
// and an hour without attempts past the wait forgets it. Other addresses
// are not slowed, so no one can lock an account's owner out by failing
// from elsewhere. Per account: 5 wrong second-factor codes in 15 minutes
// refuse further codes until the oldest is 15 minutes old; only someone
// with the password or a session can fail a code. A refusal is a
// RetryError wrapping ErrRateLimited whose Wait, in whole seconds, is the
// one its message gives. See RateLimits.
//
// # Authorization
//
// Admin is a global flag on User; organizer and staff are per organization
// (Membership). Principal.CanManageOrg and CanStaff are the checks the API
// makes; an admin passes all of them.
//
// # Caveats
//
// Admins must use 2FA, but an admin without it can still log in: the
// session's Principal has MustEnroll2FA set, every role check on it is
// false, and the API must let it reach only the TOTP enrolment routes
// (EnrollTOTP, ConfirmTOTP) and logout. The same session becomes a full
// admin session once ConfirmTOTP succeeds, so until an admin enrols, their
// password alone is enough to take the account over: have new admins enrol
// at once.
//
// Rate limits live in the memory of one process. Several syncserver
// instances each allow the full rate, a restart forgets the counts, and
// with more than RateLimits.MaxKeys accounts or addresses in play the
// least recently seen are forgotten, lock included.
//
// The password check costs the same for an unknown email as for a wrong
// password, but ErrTOTPRequired does tell that the password was right: it
// is what lets the client ask for the code. Sign-up reports ErrExists for
// an email in use, and AddMember reports ErrNotFound for one that is not;
// both are by design.
//
// Argon2id hashing takes 19 MiB and tens of milliseconds; at most
// Service.MaxConcurrentHashes (one per CPU) run at once, and a login or
// sign-up that finds no slot free within Service.HashWait (1s) gets a
// RetryError wrapping ErrBusy (wait 1s) rather than queueing, so a flood
// of sign-ups or logins is refused instead of slowing every login down
// without bound or exhausting memory.
//
// CreateAdmin's bootstrap (no actor) counts admins and then creates one in
// two store calls: two bootstraps at the same instant can both succeed.
// Run it from the CLI only.
//
// AddMember does not check that the organization exists; the caller, which
// has the catalog, must. For a user who already has a role in the
// organization, it does what the Store's PutMembership does: storage/bolt
// replaces the role.
//
// The address limits count good logins as well as bad ones, so more than
// 20 people signing in within a minute (or 10 signing up within an hour)
// from behind one NAT are refused until the window passes. The caller
// must pass the client's address: behind a reverse proxy, the address the
// proxy reports, not the proxy's own.
//
// Nothing limits one account across addresses: a guesser with many
// addresses gets 5 free guesses and then the growing waits at each. The
// argon2id cost and the per-address limits are what bound that.
//
// Errors never contain passwords, secrets or codes. Their text is meant
// for the API client; the store errors they wrap may name user ids.
package account
