package waitroom

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/admitone/admitone/catalog"
)

// DefaultAdmissionTTL is how long an admission lets its buyer hold when
// the organizer does not say.
const DefaultAdmissionTTL = 10 * time.Minute

// Bounds of Settings.AdmissionTTL.
const (
	MinAdmissionTTL = time.Minute
	MaxAdmissionTTL = 2 * time.Hour
)

// maxOpensAhead bounds how far ahead Settings.OpensAt may be.
const maxOpensAhead = 366 * 24 * time.Hour

// Catalog is what the waiting room reads of the catalog: whether an
// event exists and is on sale. *catalog.Service implements it.
type Catalog interface {
	Event(ctx context.Context, id string) (catalog.Event, error)
}

// Service holds the waiting room's rules. Authorization is the
// caller's: organizers of the event's organization configure its room;
// any signed-in buyer joins.
type Service struct {
	Store   Store
	Catalog Catalog
	// Key makes and checks admission tokens (KeyFromSeal); every
	// server sharing Store needs the same one.
	Key []byte
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

func invalid(field, format string, args ...any) error {
	return &catalog.FieldError{Field: field, Message: field + " " + fmt.Sprintf(format, args...)}
}

// Settings are what an organizer sets of an event's room.
type Settings struct {
	// Enabled marks the on-sale high demand: from then on holds of the
	// event need an admission.
	Enabled bool
	// AdmitPerMinute is the rate of admissions, 1..MaxAdmitPerMinute:
	// set it to what the purchase path sustains (BENCHMARKS.md) divided
	// by the holds a buyer makes.
	AdmitPerMinute int
	// AdmissionTTL is how long an admission lets its buyer hold;
	// zero means DefaultAdmissionTTL.
	AdmissionTTL time.Duration
	// OpensAt is when admissions start (the on-sale): buyers may join
	// before, and are admitted from then on in arrival order. Zero
	// means now.
	OpensAt time.Time
}

// View is a room as organizers see it.
type View struct {
	Room
	AdmissionTTLSeconds int64 `json:"admission_ttl_seconds"`
	// Waiting is how many places wait for admission.
	Waiting int64 `json:"waiting"`
}

func view(r Room) View {
	v := View{Room: r, AdmissionTTLSeconds: int64(r.AdmissionTTL / time.Second), Waiting: r.Joined - r.Admitted}
	if r.AdmissionTTL == 0 {
		v.AdmissionTTLSeconds = int64(DefaultAdmissionTTL / time.Second)
	}
	return v
}

// Room returns an event's room; an event without one has a room that
// is off. The event's existence is the caller's to check. Admitted
// counts the places due by the clock (Frontier); nothing is written.
func (s *Service) Room(ctx context.Context, eventID string) (View, error) {
	r, err := s.Store.Room(ctx, eventID)
	if errors.Is(err, ErrNotFound) {
		return view(Room{EventID: eventID}), nil
	}
	if err != nil {
		return View{}, err
	}
	r.Admitted = Frontier(r, s.now())
	return view(r), nil
}

// Configure sets an event's room. Admissions due at the old rate are
// given first; turning the room on starts admissions at OpensAt (or
// now), and a later OpensAt on a room that is on delays them. Turning
// it off lets holds through without admission; the queue is kept for
// when it is on again. Invalid settings are a *catalog.FieldError and
// change nothing.
func (s *Service) Configure(ctx context.Context, eventID string, set Settings) (View, error) {
	now := s.now()
	if set.AdmitPerMinute < 1 || set.AdmitPerMinute > MaxAdmitPerMinute {
		return View{}, invalid("admit_per_minute", "must be between 1 and %d (got %d)", MaxAdmitPerMinute, set.AdmitPerMinute)
	}
	if set.AdmissionTTL == 0 {
		set.AdmissionTTL = DefaultAdmissionTTL
	}
	if set.AdmissionTTL < MinAdmissionTTL || set.AdmissionTTL > MaxAdmissionTTL || set.AdmissionTTL%time.Second != 0 {
		return View{}, invalid("admission_ttl_seconds", "must be whole seconds between %d and %d (got %v)",
			int64(MinAdmissionTTL/time.Second), int64(MaxAdmissionTTL/time.Second), set.AdmissionTTL.Seconds())
	}
	opens := now
	if !set.OpensAt.IsZero() {
		if set.OpensAt.After(now.Add(maxOpensAhead)) {
			return View{}, invalid("opens_at", "must be within a year from now")
		}
		opens = ceilMicro(set.OpensAt)
	}
	r, err := s.Store.UpdateRoom(ctx, eventID, now, func(r *Room) error {
		n, cf := Grant(*r, now)
		r.Admitted, r.CreditFrom = r.Admitted+n, cf
		if set.Enabled && (!r.Enabled || !set.OpensAt.IsZero()) {
			// On from OpensAt, or now: no credit from before.
			r.CreditFrom = maxTime(opens, now)
			r.OpensAt = r.CreditFrom
		}
		r.Enabled, r.AdmitPerMinute, r.AdmissionTTL = set.Enabled, set.AdmitPerMinute, set.AdmissionTTL
		return nil
	})
	if err != nil {
		return View{}, err
	}
	return view(r), nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Status values.
const (
	StatusWaiting  = "waiting"
	StatusAdmitted = "admitted"
	StatusExpired  = "expired"
)

// Status is a buyer's place as they see it.
type Status struct {
	EventID string `json:"event_id"`
	// Status is waiting, admitted or expired.
	Status string `json:"status"`
	// Number is the place's number in arrival order, from 1.
	Number int64 `json:"number"`
	// Position is the place in the line while waiting (1: next), and
	// Ahead how many wait before it; both 0 once admitted.
	Position int64 `json:"position"`
	Ahead    int64 `json:"ahead"`
	// EstimatedWaitSeconds is how long until admission at the room's
	// rate: the people ahead and the place itself over AdmitPerMinute,
	// less the credit accrued.
	EstimatedWaitSeconds int64     `json:"estimated_wait_seconds"`
	AdmitPerMinute       int       `json:"admit_per_minute"`
	JoinedAt             time.Time `json:"joined_at"`
	AdmittedAt           time.Time `json:"admitted_at,omitzero"`
	ExpiresAt            time.Time `json:"expires_at,omitzero"`
	// AdmissionToken is for holds of the event (POST /v1/holds,
	// "admission_token"), given to the place's account only, while the
	// admission lasts.
	AdmissionToken string `json:"admission_token,omitempty"`
	// RoomEnabled is false when the organizer turned the room off: holds
	// need no admission.
	RoomEnabled bool `json:"room_enabled"`
}

func (s *Service) status(r Room, p Place, now time.Time) Status {
	st := Status{EventID: p.EventID, Number: p.Seq, JoinedAt: p.JoinedAt, AdmittedAt: p.AdmittedAt, ExpiresAt: p.ExpiresAt,
		AdmitPerMinute: r.AdmitPerMinute, RoomEnabled: r.Enabled}
	switch {
	case p.Expired(now):
		st.Status = StatusExpired
	case p.Admitted():
		st.Status = StatusAdmitted
		st.AdmissionToken = token(s.Key, p)
	default:
		st.Status = StatusWaiting
		st.Position = max(1, p.Seq-Frontier(r, now))
		st.Ahead = st.Position - 1
		if wait := due(r, p.Seq).Sub(now); wait > 0 {
			st.EstimatedWaitSeconds = int64((wait + time.Second - 1) / time.Second)
		}
	}
	return st
}

// Join gives the account a place in the event's queue: the one it has
// (joining again is the same place), or a new one at the end when it
// has none or its admission expired. The event must be published with
// its room on (else ErrNotFound, or ErrNoRoom). The answer is Status's.
func (s *Service) Join(ctx context.Context, eventID, userID string) (Status, error) {
	if userID == "" {
		return Status{}, invalid("user_id", "is required")
	}
	if s.Catalog != nil {
		e, err := s.Catalog.Event(ctx, eventID)
		if err != nil {
			return Status{}, err
		}
		if e.Status != catalog.StatusPublished {
			return Status{}, fmt.Errorf("event %s: %w", eventID, catalog.ErrNotFound)
		}
	}
	r, err := s.Store.Room(ctx, eventID)
	if errors.Is(err, ErrNotFound) || err == nil && !r.Enabled {
		return Status{}, fmt.Errorf("event %s: %w", eventID, ErrNoRoom)
	}
	if err != nil {
		return Status{}, err
	}
	now := s.now()
	// A place due but never polled is stamped first, so that the store
	// sees an admission that has expired since and gives a new place.
	if p, err := s.Store.Place(ctx, eventID, userID); err == nil {
		if _, err := s.stamp(ctx, r, p, now); err != nil {
			return Status{}, err
		}
	} else if !errors.Is(err, ErrNotFound) {
		return Status{}, err
	}
	if _, _, err := s.Store.Join(ctx, eventID, userID, now, func(r *Room) { JoinCredit(r, now) }); err != nil {
		return Status{}, fmt.Errorf("join the queue of event %s: %w", eventID, err)
	}
	return s.Status(ctx, eventID, userID)
}

// Status returns the account's place in the event's queue; an account
// without a place is ErrNotInQueue. It reads the room and the place; a
// place the clock has made due is stamped admitted (Store.Admit) the
// first time it is seen, before its token is shown, so a poll writes
// at most once per admission and never the room's record.
func (s *Service) Status(ctx context.Context, eventID, userID string) (Status, error) {
	now := s.now()
	r, p, err := s.read(ctx, eventID, userID)
	if err != nil {
		return Status{}, err
	}
	if p, err = s.stamp(ctx, r, p, now); err != nil {
		return Status{}, err
	}
	return s.status(r, p, now), nil
}

// read returns the event's room and the account's place as stored.
func (s *Service) read(ctx context.Context, eventID, userID string) (Room, Place, error) {
	r, err := s.Store.Room(ctx, eventID)
	if errors.Is(err, ErrNotFound) {
		return Room{}, Place{}, fmt.Errorf("event %s: %w", eventID, ErrNotInQueue)
	}
	if err != nil {
		return Room{}, Place{}, err
	}
	p, err := s.Store.Place(ctx, eventID, userID)
	if errors.Is(err, ErrNotFound) {
		return Room{}, Place{}, fmt.Errorf("event %s: %w", eventID, ErrNotInQueue)
	}
	if err != nil {
		return Room{}, Place{}, err
	}
	return r, p, nil
}

// stamp returns p, stamped admitted in the store first if r's schedule
// makes it due at now. The store decides again under the room's lock,
// from the room as it is then, and keeps a stamp already there.
func (s *Service) stamp(ctx context.Context, r Room, p Place, now time.Time) (Place, error) {
	if _, ok := AdmissionAt(r, p, now); !ok {
		return p, nil
	}
	got, err := s.Store.Admit(ctx, r.EventID, p.UserID, func(r Room, p Place) (time.Time, bool) { return AdmissionAt(r, p, now) })
	if err != nil {
		return Place{}, fmt.Errorf("admit place %d of event %s: %w", p.Seq, r.EventID, err)
	}
	return got, nil
}

// CheckAdmission lets a hold of the event by the account through: at
// once when the event's room is off (or it has none), else with the
// admission token of the account's place, admitted and not expired
// (ErrAdmissionRequired, ErrAdmissionExpired). An admission is good
// for any number of holds until it expires; the buyer's hold limits
// apply as always. The token never appears in an error.
func (s *Service) CheckAdmission(ctx context.Context, eventID, userID, given string) error {
	r, err := s.Store.Room(ctx, eventID)
	if errors.Is(err, ErrNotFound) || err == nil && !r.Enabled {
		return nil
	}
	if err != nil {
		return err
	}
	if given == "" {
		return fmt.Errorf("%w (no admission token given)", ErrAdmissionRequired)
	}
	if len(given) > maxTokenLen {
		return fmt.Errorf("%w (the admission token is longer than %d characters)", ErrAdmissionRequired, maxTokenLen)
	}
	now := s.now()
	// Read only: a token is shown only once its place is stamped
	// admitted, so a place not stamped has no token to match.
	p, err := s.Store.Place(ctx, eventID, userID)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w (the account has no place in the event's queue)", ErrAdmissionRequired)
	}
	if err != nil {
		return err
	}
	if !p.Admitted() {
		return fmt.Errorf("%w (the account's place has not been admitted yet)", ErrAdmissionRequired)
	}
	if !tokenMatches(s.Key, p, given) {
		return fmt.Errorf("%w (the token is not the admission of this account's place for this event)", ErrAdmissionRequired)
	}
	if p.Expired(now) {
		return fmt.Errorf("%w (at %s)", ErrAdmissionExpired, p.ExpiresAt.Format(time.RFC3339))
	}
	return nil
}
