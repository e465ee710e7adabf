package account

import "github.com/admitone/admitone/internal/errkind"

// Domain errors, each of an errkind.Kind with its wire code. Storage
// adapters return ErrNotFound and ErrExists; the HTTP edge maps each
// kind to a status code.
var (
	ErrNotFound     = errkind.New(errkind.NotFound, "not_found", "not found")
	ErrExists       = errkind.New(errkind.Exists, "exists", "already exists")
	ErrInvalid      = errkind.New(errkind.Invalid, "invalid", "invalid input")
	ErrBadLogin     = errkind.New(errkind.Unauthorized, "bad_login", "wrong email or password")
	ErrTOTPRequired = errkind.New(errkind.Unauthorized, "totp_required", "a current two-factor code is required")
	ErrBadTOTP      = errkind.New(errkind.Unauthorized, "bad_totp", "two-factor code is wrong, stale or already used")
	ErrRateLimited  = errkind.New(errkind.RateLimited, "rate_limited", "too many attempts; try again later")
	ErrBusy         = errkind.New(errkind.Busy, "busy", "busy; try again shortly")
	ErrUnauthorized = errkind.New(errkind.Unauthorized, "unauthorized", "not signed in")
	ErrForbidden    = errkind.New(errkind.Forbidden, "forbidden", "not allowed")
)

// ErrBadPassword is a wrong current password given to confirm a change
// to the account (password, two-factor) by a signed-in user.
var ErrBadPassword = errkind.New(errkind.Forbidden, "bad_password", "the current password is wrong")
