package voucher

import (
	"context"
	"time"
)

// MaxCodesPerEvent bounds how many codes an event may have, and so the
// size of a list.
const MaxCodesPerEvent = 1000

// Store keeps codes. Implementations: storage/bolt and storage/postgres;
// storage/storetest checks both. Times are stored in UTC to the
// microsecond.
type Store interface {
	// CreateCode stores c. A code of c.EventID with the same Lookup is
	// ErrExists, as is a taken id; an unknown event is ErrNotFound; an
	// event with MaxCodesPerEvent codes is ErrInvalid.
	CreateCode(ctx context.Context, c Code) error
	// CodeByLookup returns the event's code whose Lookup is key, or
	// ErrNotFound.
	CodeByLookup(ctx context.Context, eventID string, key []byte) (Code, error)
	// Code returns a code by id, or ErrNotFound.
	Code(ctx context.Context, id string) (Code, error)
	// CodesOfEvent lists an event's codes in creation order (id order
	// among equal times); none for an unknown event.
	CodesOfEvent(ctx context.Context, eventID string) ([]Code, error)
	// DisableCode sets a code's DisabledAt to at unless it is disabled
	// already, and returns it; an unknown id is ErrNotFound.
	DisableCode(ctx context.Context, id string, at time.Time) (Code, error)
}
