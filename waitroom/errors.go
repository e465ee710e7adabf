package waitroom

import (
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/errkind"
)

// Domain errors, each of an errkind.Kind with its wire code.
var (
	// ErrNotFound is an event without a waiting room, or an account
	// without a place in it (the store's answer; the service tells
	// ErrNotInQueue and ErrNoRoom apart).
	ErrNotFound = errkind.New(errkind.NotFound, "not_found", "not found")
	// ErrNotInQueue is a poll by an account that has not joined the
	// event's queue.
	ErrNotInQueue = errkind.New(errkind.NotFound, "not_in_queue", "no place in the event's queue: join it first")
	// ErrNoRoom is a join of an event whose on-sale has no waiting room
	// (buy directly).
	ErrNoRoom = errkind.New(errkind.Conflict, "no_waiting_room", "the event has no waiting room: buy directly")
	// ErrAdmissionRequired is a hold of an event whose waiting room is
	// on, without an admission of the buyer (none given, another
	// account's, another event's, not yet admitted, or not a token).
	ErrAdmissionRequired = errkind.New(errkind.Forbidden, "admission_required", "the event's on-sale has a waiting room: join the queue and hold with its admission token")
	// ErrAdmissionExpired is a hold with an admission that has expired:
	// the buyer joins the queue again, at its end.
	ErrAdmissionExpired = errkind.New(errkind.Forbidden, "admission_expired", "the admission has expired: join the queue again")
	// ErrInvalid is catalog.ErrInvalid; a *catalog.FieldError names the
	// field.
	ErrInvalid = catalog.ErrInvalid
)
