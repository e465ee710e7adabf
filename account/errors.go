package account

import "errors"

// Domain errors. Storage adapters return ErrNotFound and ErrExists; the
// HTTP edge maps each to a status code.
var (
	ErrNotFound     = errors.New("not found")
	ErrExists       = errors.New("already exists")
	ErrInvalid      = errors.New("invalid input")
	ErrBadLogin     = errors.New("wrong email or password")
	ErrTOTPRequired = errors.New("a current two-factor code is required")
	ErrBadTOTP      = errors.New("two-factor code is wrong, stale or already used")
	ErrRateLimited  = errors.New("too many attempts; try again later")
	ErrBusy         = errors.New("busy; try again shortly")
	ErrUnauthorized = errors.New("not signed in")
	ErrForbidden    = errors.New("not allowed")
)

// ErrBadPassword is a wrong current password given to confirm a change
// to the account (password, two-factor) by a signed-in user.
var ErrBadPassword = errors.New("the current password is wrong")
