package catalog

import "github.com/admitone/admitone/internal/errkind"

// Domain errors, each of an errkind.Kind with its wire code; the HTTP
// edge maps each kind to a status code.
var (
	ErrNotFound = errkind.New(errkind.NotFound, "not_found", "not found")
	ErrExists   = errkind.New(errkind.Exists, "exists", "already exists")
	ErrInvalid  = errkind.New(errkind.Invalid, "invalid", "invalid input")
	// ErrState is a status transition that is not allowed, e.g.
	// publishing a cancelled event.
	ErrState = errkind.New(errkind.Conflict, "wrong_state", "not allowed in the event's current status")
	// ErrInUse is removing or changing what others depend on: a venue
	// an event is at, a ticket type with sales, a price already paid.
	ErrInUse = errkind.New(errkind.Conflict, "in_use", "in use")
)

// FieldError is invalid input in one named field. It wraps ErrInvalid, so
// errors.Is(err, ErrInvalid) holds; the HTTP edge finds the field with
// errkind.Field and reports it next to the message.
type FieldError struct {
	// Field is the JSON name of the offending field, e.g. "capacity".
	Field string
	// Message is a sentence for a person that names the field, e.g.
	// "capacity must be positive".
	Message string
}

func (e *FieldError) Error() string { return ErrInvalid.Error() + ": " + e.Message }

// Unwrap returns ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// FieldName returns Field, for errkind.Field.
func (e *FieldError) FieldName() string { return e.Field }
