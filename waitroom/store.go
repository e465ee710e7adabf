package waitroom

import (
	"context"
	"time"
)

// Room is an event's waiting room: its settings and its queue's
// counters.
type Room struct {
	EventID string `json:"event_id"`
	// Enabled marks the on-sale high demand: holds need an admission.
	Enabled bool `json:"enabled"`
	// AdmitPerMinute is how many places are admitted a minute.
	AdmitPerMinute int `json:"admit_per_minute"`
	// AdmissionTTL is how long an admission lets its buyer hold.
	AdmissionTTL time.Duration `json:"-"`
	// OpensAt is when admissions started, or start: the on-sale.
	OpensAt time.Time `json:"opens_at,omitzero"`
	// Joined is the number of places given (the last place's Seq).
	// Admitted is the cursor: places with Seq <= Admitted are admitted
	// and stamped so in the store. Places after it are admitted too
	// once the clock makes them due (Frontier, AdmissionAt); the cursor
	// moves only when the room's settings change (Service.Configure).
	Joined   int64 `json:"joined"`
	Admitted int64 `json:"admitted"`
	// CreditFrom is when the admissions not yet given started to
	// accrue (see Grant).
	CreditFrom time.Time `json:"-"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
}

// Place is one account's place in an event's queue.
type Place struct {
	EventID string `json:"event_id"`
	UserID  string `json:"-"`
	// Seq is the place's number in arrival order, from 1.
	Seq      int64     `json:"seq"`
	JoinedAt time.Time `json:"joined_at"`
	// AdmittedAt and ExpiresAt are zero while the place waits.
	AdmittedAt time.Time `json:"admitted_at,omitzero"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
}

// Admitted reports whether the place has been admitted.
func (p Place) Admitted() bool { return !p.AdmittedAt.IsZero() }

// Expired reports whether the place's admission has expired at now.
func (p Place) Expired(now time.Time) bool { return p.Admitted() && !now.Before(p.ExpiresAt) }

// Store keeps waiting rooms and their places. Implementations:
// storage/bolt and storage/postgres; storage/storetest checks both.
// Times are stored in UTC to the microsecond; AdmissionTTL to the
// microsecond.
//
// The store is what makes the queue one across server processes: a
// place's number and every admission are decided inside one
// transaction on the room (Admit under a lock it shares with other
// Admits, the rest under the room's exclusive lock), so concurrent
// joins get distinct consecutive numbers and no place is admitted
// twice.
type Store interface {
	// Room returns an event's room, or ErrNotFound if it has none.
	Room(ctx context.Context, eventID string) (Room, error)
	// UpdateRoom calls fn with the event's room (a zero Room with
	// EventID set if it has none yet) and stores what fn leaves, in
	// one transaction; an unknown event is ErrNotFound, and an error
	// from fn is returned as it is with nothing stored. fn may change
	// the settings, CreditFrom and Admitted; Admitted may only grow, to
	// at most Joined (else ErrInvalid), and the places it now covers
	// that are not admitted yet are admitted at now, expiring at now
	// plus the room's AdmissionTTL (places Admit stamped keep their
	// admission). Joined and EventID are the store's (changes are
	// ignored). UpdatedAt is set to now.
	UpdateRoom(ctx context.Context, eventID string, now time.Time, fn func(*Room) error) (Room, error)
	// Join returns the account's place in the event's queue, in one
	// transaction on the room: the place it has, unless that place's
	// admission has expired at now; otherwise (none, or expired) fn is
	// called with the room (it may change CreditFrom only) and the
	// account gets a new place at the end, Seq = Joined+1, replacing
	// the expired one. created tells which. A room that does not exist
	// is ErrNotFound.
	Join(ctx context.Context, eventID, userID string, now time.Time, fn func(*Room)) (p Place, created bool, err error)
	// Admit stamps the account's place admitted, in one transaction
	// that UpdateRoom and Join on the room do not interleave with (the
	// room is locked shared, so Admits run side by side; bbolt groups
	// them, one commit for many). fn is called with the room and the place
	// as stored, unless the place is admitted already, and returns the
	// admission time or false (not due: nothing is written); the place
	// is admitted at that time, expiring the room's AdmissionTTL later.
	// The room's record is not written. It returns the place as stored
	// after; no room or no place is ErrNotFound. fn may be called more
	// than once.
	Admit(ctx context.Context, eventID, userID string, fn func(Room, Place) (time.Time, bool)) (Place, error)
	// Place returns the account's place in the event's queue, or
	// ErrNotFound.
	Place(ctx context.Context, eventID, userID string) (Place, error)
}
