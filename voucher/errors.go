package voucher

import (
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/errkind"
)

// Domain errors, each of an errkind.Kind with its wire code.
var (
	// ErrNotFound is a code id that names no code of the event.
	ErrNotFound = errkind.New(errkind.NotFound, "not_found", "not found")
	// ErrExists is a code whose text the event has already.
	ErrExists = errkind.New(errkind.Exists, "code_exists", "the event has this code already")
	// ErrCodeNotValid is a code a buyer gave that the event does not
	// have, that is disabled, or that is outside its validity window.
	ErrCodeNotValid = errkind.New(errkind.Forbidden, "code_not_valid", "code not valid")
	// ErrInvalid is catalog.ErrInvalid; a *catalog.FieldError names the
	// field.
	ErrInvalid = catalog.ErrInvalid
)
