package catalog

import "errors"

// Domain errors; the HTTP edge maps each to a status code.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrInvalid  = errors.New("invalid input")
	// ErrState is a status transition that is not allowed, e.g.
	// publishing a cancelled event.
	ErrState = errors.New("not allowed in the event's current status")
)
