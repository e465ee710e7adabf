package catalog

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"sync"
	"time"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/internal/logging"
)

// Indexer keeps a search index in step with the catalog. The Service calls
// Upsert with the current state of a published event and Delete for an
// event that is no longer published; both must be idempotent.
// search.Index implements it.
type Indexer interface {
	Upsert(e Event, v Venue, tts []TicketType) error
	Delete(eventID string) error
}

// Inventory tells how many tickets of each type of an event are taken (sold
// or held), keyed by ticket type id. The purchase package implements it.
type Inventory interface {
	Taken(ctx context.Context, eventID string) (map[string]int, error)
}

// EventPage is everything a public event page shows, read in one call.
type EventPage struct {
	Event       Event        `json:"event"`
	Venue       Venue        `json:"venue"`
	TicketTypes []TicketType `json:"ticket_types"`
}

// Public is the page as a buyer sees it: without the hidden ticket types,
// except those unlocked says the buyer may see (an access code's).
// unlocked may be nil.
func (p EventPage) Public(unlocked func(TicketType) bool) EventPage {
	types := make([]TicketType, 0, len(p.TicketTypes))
	for _, t := range p.TicketTypes {
		if !t.Hidden || unlocked != nil && unlocked(t) {
			types = append(types, t)
		}
	}
	p.TicketTypes = types
	return p
}

// Availability is what is left of each ticket type of an event.
type Availability struct {
	EventID     string             `json:"event_id"`
	TicketTypes []TypeAvailability `json:"ticket_types"`
	// AsOf is when the figures were read.
	AsOf time.Time `json:"as_of"`
	// Expires is when a cache must stop serving these figures.
	Expires time.Time `json:"-"`
}

// TypeAvailability is what is left of one ticket type.
type TypeAvailability struct {
	TicketTypeID string `json:"ticket_type_id"`
	Remaining    int    `json:"remaining"`
	// OnSale reports whether the type can be bought now: the event is
	// published and now is inside the type's sale window and before the
	// event ends.
	OnSale bool `json:"on_sale"`
}

// DefaultAvailabilityTTL bounds how stale cached availability may be when
// no invalidation arrives (holds expire without any write).
const DefaultAvailabilityTTL = 2 * time.Second

// DefaultPageTTL bounds how stale a cached event page may be when no
// invalidation arrives: a change made by another server instance.
const DefaultPageTTL = time.Minute

// Service is the catalog: organizations, venues, events and ticket types,
// with the rules for creating and changing them. Authorization is the
// caller's job: it checks the acting user against the organization an id
// belongs to (see EventOrg and VenueOrg) before calling a method that
// changes something.
//
// Every change to an event or its ticket types invalidates the event's
// cache entries and re-indexes it (Index gets published events only).
type Service struct {
	Store Store
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Index is kept in step with every change; nil means no search index.
	Index Indexer
	// Inventory supplies taken counts for Availability; nil means nothing
	// is taken.
	Inventory Inventory
	// Cache holds event pages and availability; nil means a cache of
	// DefaultCacheSize, made on first use.
	Cache *Cache
	// NoCache bypasses the cache (benchmarks, debugging).
	NoCache bool
	// AvailabilityTTL is how long availability may be served from the
	// cache; zero means DefaultAvailabilityTTL.
	AvailabilityTTL time.Duration
	// PageTTL is how long an event page may be served from the cache;
	// zero means DefaultPageTTL.
	PageTTL time.Duration
	// Log receives errors the caller is not told about (a failed
	// re-index after a committed change); nil discards.
	Log *slog.Logger
	// Bus, if set, tells other server processes of this one's changes and
	// this one of theirs (RunBus); Reconcile, if set, brings the whole
	// search index up to date with the store when RunBus (re)starts
	// listening (search.Index.EnsureBuilt).
	Bus       Bus
	Reconcile func(context.Context) error

	initOnce sync.Once
	seed     maphash.Seed
	// locks serialize re-indexing per event (striped by id), so the last
	// re-index of an event reads the state after the last change.
	locks [64]sync.Mutex
}

func (s *Service) init() {
	s.initOnce.Do(func() {
		s.seed = maphash.MakeSeed()
		if s.Cache == nil {
			s.Cache = NewCache(DefaultCacheSize)
		}
	})
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger { return logging.OrDiscard(s.Log) }

// stamp is the time recorded in CreatedAt and UpdatedAt: UTC, to the
// microsecond, which every store keeps exactly.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// CreateOrg stores a new organization. It sets ID and CreatedAt.
func (s *Service) CreateOrg(ctx context.Context, o Organization) (Organization, error) {
	if err := validateOrg(&o); err != nil {
		return Organization{}, err
	}
	o.ID = id.New("org")
	o.CreatedAt = s.stamp()
	if err := s.Store.CreateOrg(ctx, o); err != nil {
		return Organization{}, fmt.Errorf("create organization: %w", err)
	}
	return o, nil
}

// CreateOrgFor is CreateOrg that makes userID the new organization's
// organizer in the same transaction, so no organization is left without
// one.
func (s *Service) CreateOrgFor(ctx context.Context, o Organization, userID string) (Organization, error) {
	if err := validateOrg(&o); err != nil {
		return Organization{}, err
	}
	o.ID = id.New("org")
	o.CreatedAt = s.stamp()
	if err := s.Store.CreateOrgWithOrganizer(ctx, o, userID); err != nil {
		return Organization{}, fmt.Errorf("create organization: %w", err)
	}
	return o, nil
}

// Org returns an organization.
func (s *Service) Org(ctx context.Context, orgID string) (Organization, error) {
	return s.Store.Org(ctx, orgID)
}

// CreateVenue stores a new venue of the organization v.OrgID. It sets ID
// and CreatedAt and normalizes the country code to upper case.
func (s *Service) CreateVenue(ctx context.Context, v Venue) (Venue, error) {
	if err := validateVenue(&v); err != nil {
		return Venue{}, err
	}
	if _, err := s.Store.Org(ctx, v.OrgID); err != nil {
		return Venue{}, fmt.Errorf("organization %q: %w", v.OrgID, err)
	}
	v.ID = id.New("ven")
	v.CreatedAt = s.stamp()
	if err := s.Store.CreateVenue(ctx, v); err != nil {
		return Venue{}, fmt.Errorf("create venue: %w", err)
	}
	return v, nil
}

// Venue returns a venue.
func (s *Service) Venue(ctx context.Context, venueID string) (Venue, error) {
	return s.Store.Venue(ctx, venueID)
}

// VenueOrg returns the id of the organization a venue belongs to, for the
// caller's authorization check.
func (s *Service) VenueOrg(ctx context.Context, venueID string) (string, error) {
	v, err := s.Store.Venue(ctx, venueID)
	if err != nil {
		return "", err
	}
	return v.OrgID, nil
}

// CreateEvent stores a new draft event of the organization e.OrgID at the
// venue e.VenueID, which must belong to the same organization. It sets ID,
// Status, Version and the timestamps; times are stored in UTC to the
// second, and a zero DoorsAt becomes StartsAt.
func (s *Service) CreateEvent(ctx context.Context, e Event) (Event, error) {
	e.Tags = slices.Clone(e.Tags)
	e.Images = slices.Clone(e.Images)
	if err := validateEvent(&e); err != nil {
		return Event{}, err
	}
	if _, err := s.Store.Org(ctx, e.OrgID); err != nil {
		return Event{}, fmt.Errorf("organization %q: %w", e.OrgID, err)
	}
	if err := s.checkVenue(ctx, e.OrgID, e.VenueID); err != nil {
		return Event{}, err
	}
	e.ID = ticketcrypto.NewEventID().String()
	e.Status = StatusDraft
	e.CreatedAt = s.stamp()
	e.UpdatedAt = e.CreatedAt
	e.Version = 1
	if err := s.Store.CreateEvent(ctx, e); err != nil {
		return Event{}, fmt.Errorf("create event: %w", err)
	}
	// A new event is a draft: not in the index, not in the cache.
	return s.Store.Event(ctx, e.ID)
}

// checkVenue reports a FieldError unless venueID names a venue of orgID.
func (s *Service) checkVenue(ctx context.Context, orgID, venueID string) error {
	v, err := s.Store.Venue(ctx, venueID)
	if errors.Is(err, ErrNotFound) || err == nil && v.OrgID != orgID {
		return invalid("venue_id", "does not name a venue of this organization (got %q)", venueID)
	}
	if err != nil {
		return fmt.Errorf("venue %q: %w", venueID, err)
	}
	return nil
}

// Event returns an event, whatever its status.
func (s *Service) Event(ctx context.Context, eventID string) (Event, error) {
	return s.Store.Event(ctx, eventID)
}

// EventOrg returns the id of the organization an event belongs to, for the
// caller's authorization check. It reads through the cache.
func (s *Service) EventOrg(ctx context.Context, eventID string) (string, error) {
	p, err := s.EventPage(ctx, eventID)
	if err != nil {
		return "", err
	}
	return p.Event.OrgID, nil
}

// EventPatch is a change to an event: nil fields stay as they are.
type EventPatch struct {
	VenueID     *string    `json:"venue_id,omitempty"`
	Title       *string    `json:"title,omitempty"`
	Description *string    `json:"description,omitempty"`
	Category    *string    `json:"category,omitempty"`
	Tags        *[]string  `json:"tags,omitempty"`
	Images      *[]string  `json:"images,omitempty"`
	TimeZone    *string    `json:"time_zone,omitempty"`
	StartsAt    *time.Time `json:"starts_at,omitempty"`
	EndsAt      *time.Time `json:"ends_at,omitempty"`
	DoorsAt     *time.Time `json:"doors_at,omitempty"`

	LockTicketsAtDoors *bool `json:"lock_tickets_at_doors,omitempty"`
}

func (p EventPatch) apply(e *Event) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&e.VenueID, p.VenueID)
	set(&e.Title, p.Title)
	set(&e.Description, p.Description)
	set(&e.Category, p.Category)
	set(&e.TimeZone, p.TimeZone)
	if p.Tags != nil {
		e.Tags = slices.Clone(*p.Tags)
	}
	if p.Images != nil {
		e.Images = slices.Clone(*p.Images)
	}
	if p.StartsAt != nil {
		e.StartsAt = *p.StartsAt
	}
	if p.EndsAt != nil {
		e.EndsAt = *p.EndsAt
	}
	if p.DoorsAt != nil {
		e.DoorsAt = *p.DoorsAt
	}
	if p.LockTicketsAtDoors != nil {
		e.LockTicketsAtDoors = *p.LockTicketsAtDoors
	}
}

// UpdateEvent changes a draft or published event. The result is checked
// as a whole, as CreateEvent checks a new event; in addition a published
// event cannot be moved to start in the past, and no event can end before
// a ticket type's sale ends.
func (s *Service) UpdateEvent(ctx context.Context, eventID string, p EventPatch) (Event, error) {
	tts, err := s.Store.TicketTypes(ctx, eventID)
	if err != nil {
		return Event{}, fmt.Errorf("event %q: %w", eventID, err)
	}
	if p.VenueID != nil {
		// Checked before the transaction: venues never change owner.
		old, err := s.Store.Event(ctx, eventID)
		if err != nil {
			return Event{}, fmt.Errorf("event %q: %w", eventID, err)
		}
		if err := s.checkVenue(ctx, old.OrgID, *p.VenueID); err != nil {
			return Event{}, err
		}
	}
	now := s.stamp()
	e, err := s.Store.UpdateEvent(ctx, eventID, func(e *Event) error {
		if e.Status != StatusDraft && e.Status != StatusPublished {
			return fmt.Errorf("update %s event %s: %w", e.Status, e.ID, ErrState)
		}
		startsBefore, doorsBefore := e.StartsAt, e.DoorsAt
		p.apply(e)
		if p.DoorsAt == nil && p.StartsAt != nil && !doorsBefore.IsZero() {
			// A moved start takes the doors along, as far before it as
			// they were (a defaulted doors time, equal to the start,
			// stays equal), unless the patch sets them too.
			e.DoorsAt = e.StartsAt.Add(doorsBefore.Sub(startsBefore))
		}
		if err := validateEvent(e); err != nil {
			return err
		}
		if e.Status == StatusPublished && !e.StartsAt.Equal(startsBefore) && !e.StartsAt.After(now) {
			return invalid("starts_at", "of a published event must be in the future")
		}
		for _, t := range tts {
			if !t.SaleEnds.IsZero() && t.SaleEnds.After(e.EndsAt) {
				return invalid("ends_at", "must not be before the sale of ticket type %q ends (%s)", t.Name, t.SaleEnds.Format(time.RFC3339))
			}
		}
		e.UpdatedAt = now
		return nil
	})
	if err != nil {
		return Event{}, wrapUnlessField(err, "update event %q", eventID)
	}
	s.changed(ctx, e.ID)
	return e, nil
}

// Publish puts a draft on sale and into search. The event needs at least
// one ticket type and must start in the future.
func (s *Service) Publish(ctx context.Context, eventID string) (Event, error) {
	tts, err := s.Store.TicketTypes(ctx, eventID)
	if err != nil {
		return Event{}, fmt.Errorf("event %q: %w", eventID, err)
	}
	now := s.stamp()
	return s.transition(ctx, eventID, func(e *Event) error {
		if e.Status != StatusDraft {
			return fmt.Errorf("publish %s event %s: %w", e.Status, e.ID, ErrState)
		}
		if len(tts) == 0 {
			return fmt.Errorf("publish event %s: it has no ticket types: %w", e.ID, ErrState)
		}
		if !e.StartsAt.After(now) {
			return fmt.Errorf("publish event %s: it started at %s: %w", e.ID, e.StartsAt.Format(time.RFC3339), ErrState)
		}
		e.Status = StatusPublished
		e.UpdatedAt = now
		return nil
	})
}

// Cancel cancels a draft or published event; it leaves search at once.
func (s *Service) Cancel(ctx context.Context, eventID string) (Event, error) {
	now := s.stamp()
	return s.transition(ctx, eventID, func(e *Event) error {
		if e.Status != StatusDraft && e.Status != StatusPublished {
			return fmt.Errorf("cancel %s event %s: %w", e.Status, e.ID, ErrState)
		}
		e.Status = StatusCancelled
		e.UpdatedAt = now
		return nil
	})
}

// End marks a published event that has started as over; it leaves search.
func (s *Service) End(ctx context.Context, eventID string) (Event, error) {
	now := s.stamp()
	return s.transition(ctx, eventID, func(e *Event) error {
		if e.Status != StatusPublished {
			return fmt.Errorf("end %s event %s: %w", e.Status, e.ID, ErrState)
		}
		if e.StartsAt.After(now) {
			return fmt.Errorf("end event %s: it starts at %s (cancel it instead): %w", e.ID, e.StartsAt.Format(time.RFC3339), ErrState)
		}
		e.Status = StatusEnded
		e.UpdatedAt = now
		return nil
	})
}

func (s *Service) transition(ctx context.Context, eventID string, fn func(*Event) error) (Event, error) {
	e, err := s.Store.UpdateEvent(ctx, eventID, fn)
	if err != nil {
		return Event{}, wrapUnlessField(err, "event %q", eventID)
	}
	s.changed(ctx, e.ID)
	return e, nil
}

// CreateTicketType adds a ticket type to a draft or published event. The
// store numbers types 1, 2, ... per event; all types of an event share one
// currency. It sets ID, Number and CreatedAt; a zero Kind means admission.
func (s *Service) CreateTicketType(ctx context.Context, t TicketType) (TicketType, error) {
	e, err := s.Store.Event(ctx, t.EventID)
	if err != nil {
		return TicketType{}, fmt.Errorf("event %q: %w", t.EventID, err)
	}
	if e.Status != StatusDraft && e.Status != StatusPublished {
		return TicketType{}, fmt.Errorf("add a ticket type to %s event %s: %w", e.Status, e.ID, ErrState)
	}
	if err := validateTicketType(&t, e); err != nil {
		return TicketType{}, err
	}
	existing, err := s.Store.TicketTypes(ctx, e.ID)
	if err != nil {
		return TicketType{}, fmt.Errorf("event %q: %w", e.ID, err)
	}
	if len(existing) > 0 && existing[0].Price.Currency != t.Price.Currency {
		return TicketType{}, invalid("currency", "must be %s like the event's other ticket types (got %s)", existing[0].Price.Currency, t.Price.Currency)
	}
	t.ID = id.New("tt")
	t.Number = 0
	t.CreatedAt = s.stamp()
	stored, err := s.Store.CreateTicketType(ctx, t)
	if err != nil {
		return TicketType{}, fmt.Errorf("create ticket type: %w", err)
	}
	s.changed(ctx, e.ID)
	return stored, nil
}

// TicketTypes returns an event's ticket types in number order.
func (s *Service) TicketTypes(ctx context.Context, eventID string) ([]TicketType, error) {
	return s.Store.TicketTypes(ctx, eventID)
}

// EventPage returns an event with its venue and ticket types, whatever the
// event's status (the caller decides who may see drafts). It reads through
// the cache; a cached page lives at most PageTTL.
func (s *Service) EventPage(ctx context.Context, eventID string) (EventPage, error) {
	s.init()
	if s.NoCache {
		return s.loadPage(ctx, eventID)
	}
	now := s.now()
	if p, ok := s.Cache.page(eventID, now); ok {
		return p, nil
	}
	ticket := s.Cache.ticket(eventID)
	p, err := s.loadPage(ctx, eventID)
	if err != nil {
		return EventPage{}, err
	}
	ttl := s.PageTTL
	if ttl <= 0 {
		ttl = DefaultPageTTL
	}
	s.Cache.putPage(eventID, ticket, p, now.Add(ttl))
	return p, nil
}

func (s *Service) loadPage(ctx context.Context, eventID string) (EventPage, error) {
	e, err := s.Store.Event(ctx, eventID)
	if err != nil {
		return EventPage{}, fmt.Errorf("event %q: %w", eventID, err)
	}
	v, err := s.Store.Venue(ctx, e.VenueID)
	if err != nil {
		return EventPage{}, fmt.Errorf("venue %q of event %q: %w", e.VenueID, eventID, err)
	}
	tts, err := s.Store.TicketTypes(ctx, eventID)
	if err != nil {
		return EventPage{}, fmt.Errorf("ticket types of event %q: %w", eventID, err)
	}
	return EventPage{Event: e, Venue: v, TicketTypes: tts}, nil
}

// Availability returns what is left of each ticket type of an event. It
// reads through the cache; cached figures live at most AvailabilityTTL, and
// the purchase side calls InvalidateAvailability after every sale, hold or
// release so buyers see changes at once.
func (s *Service) Availability(ctx context.Context, eventID string) (Availability, error) {
	s.init()
	now := s.now()
	if !s.NoCache {
		if a, ok := s.Cache.availability(eventID, now); ok {
			return a, nil
		}
	}
	var ticket uint64
	if !s.NoCache {
		ticket = s.Cache.ticket(eventID)
	}
	p, err := s.EventPage(ctx, eventID)
	if err != nil {
		return Availability{}, err
	}
	var taken map[string]int
	if s.Inventory != nil {
		taken, err = s.Inventory.Taken(ctx, eventID)
		if err != nil {
			return Availability{}, fmt.Errorf("availability of event %q: %w", eventID, err)
		}
	}
	ttl := s.AvailabilityTTL
	if ttl <= 0 {
		ttl = DefaultAvailabilityTTL
	}
	a := Availability{EventID: eventID, AsOf: now.UTC(), Expires: now.Add(ttl)}
	for _, t := range p.TicketTypes {
		a.TicketTypes = append(a.TicketTypes, TypeAvailability{
			TicketTypeID: t.ID,
			Remaining:    max(0, t.Capacity-taken[t.ID]),
			OnSale:       onSale(p.Event, t, now),
		})
	}
	if !s.NoCache {
		s.Cache.putAvailability(eventID, ticket, a)
	}
	return a, nil
}

func onSale(e Event, t TicketType, now time.Time) bool {
	return e.Status == StatusPublished && now.Before(e.EndsAt) &&
		(t.SaleStarts.IsZero() || !now.Before(t.SaleStarts)) &&
		(t.SaleEnds.IsZero() || now.Before(t.SaleEnds))
}

// InvalidateAvailability drops cached availability of an event; the
// purchase side calls it after every change to what is taken.
func (s *Service) InvalidateAvailability(eventID string) {
	s.init()
	s.Cache.InvalidateAvailability(eventID)
}

// Bus tells other server processes on the same store of catalog changes
// made here, and this process of theirs, so each drops its cached copy
// and re-indexes the event (storage/postgres implements it with
// LISTEN/NOTIFY; the embedded store has one process and needs none).
type Bus interface {
	// AnnounceCatalogChange tells the other processes that event
	// eventID (its page, venue or ticket types) changed.
	AnnounceCatalogChange(ctx context.Context, eventID string) error
	// ListenCatalog calls fn with the event id of every change any
	// process announces, and with "" whenever listening (re)starts, when
	// changes may have gone untold, until ctx ends.
	ListenCatalog(ctx context.Context, fn func(eventID string)) error
}

// changed runs after every committed change to an event or its ticket
// types: it drops the cache entries, brings the index up to date and
// tells the other processes (Bus).
func (s *Service) changed(ctx context.Context, eventID string) {
	s.refresh(ctx, eventID)
	if s.Bus != nil {
		if err := s.Bus.AnnounceCatalogChange(context.WithoutCancel(ctx), eventID); err != nil {
			s.log().Error("catalog: telling the other server processes of a change failed; their copies stay stale until the entry expires (PageTTL) or the next change",
				"event", eventID, "err", err)
		}
	}
}

// RunBus refreshes this process's copies of the events other processes
// announce as changed, until ctx ends; without a Bus it returns at once.
// When listening (re)starts, every cached entry is dropped and the index
// is reconciled with the store (changes may have gone untold).
func (s *Service) RunBus(ctx context.Context) {
	if s.Bus == nil {
		return
	}
	err := s.Bus.ListenCatalog(ctx, func(eventID string) {
		if eventID != "" {
			s.refresh(ctx, eventID)
			return
		}
		s.init()
		s.Cache.InvalidateAll()
		if s.Reconcile != nil {
			if err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
				s.log().Error("catalog: reconciling the search index after listening restarted", "err", err)
			}
		}
	})
	if err != nil && ctx.Err() == nil {
		s.log().Error("catalog: listening for other processes' changes stopped", "err", err)
	}
}

// refresh drops the event's cache entries and brings its index entry up
// to date with the store.
func (s *Service) refresh(ctx context.Context, eventID string) {
	s.init()
	s.Cache.Invalidate(eventID)
	if s.Index == nil {
		return
	}
	// The change is committed; the caller leaving must not leave the index
	// behind it.
	if err := s.Reindex(context.WithoutCancel(ctx), eventID); err != nil {
		s.log().Error("catalog: re-index after a committed change failed; search is stale for this event until its next change or a rebuild",
			"event", eventID, "err", err)
	}
}

// Reindex brings the index entry of one event up to date with the store:
// Upsert if it is published, Delete if not. Re-indexing is serialized per
// event and reads the state after taking the lock, so concurrent changes
// leave the index with the last state, not the last caller's copy.
func (s *Service) Reindex(ctx context.Context, eventID string) error {
	s.init()
	if s.Index == nil {
		return nil
	}
	mu := &s.locks[maphash.String(s.seed, eventID)%uint64(len(s.locks))]
	mu.Lock()
	defer mu.Unlock()
	p, err := s.loadPage(ctx, eventID)
	if err != nil {
		return err
	}
	if p.Event.Status != StatusPublished {
		return s.Index.Delete(eventID)
	}
	return s.Index.Upsert(p.Event, p.Venue, p.TicketTypes)
}

// wrapUnlessField adds context to err, except to a FieldError (which a
// store may have wrapped), whose message is already meant for a person.
func wrapUnlessField(err error, format string, args ...any) error {
	if fe, ok := errors.AsType[*FieldError](err); ok {
		return fe
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
