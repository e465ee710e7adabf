package storetest

import (
	"context"
	"fmt"
	"slices"
	gosync "sync"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/id"
)

// RunCatalog runs the catalog.Store conformance subtests. open returns a
// new, empty store for each subtest.
func RunCatalog(t *testing.T, open func(t *testing.T) catalog.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s catalog.Store)
	}{
		{"Org", testOrg},
		{"Org/WithOrganizer", testOrgWithOrganizer},
		{"Venue", testVenue},
		{"Event/RoundTrip", testEventRoundTrip},
		{"Event/References", testEventReferences},
		{"UpdateEvent", testUpdateEvent},
		{"UpdateEvent/ClosureError", testUpdateEventClosureError},
		{"UpdateEvent/Invalid", testUpdateEventInvalid},
		{"Events/Paging", testEventsPaging},
		{"Orgs/Paging", testOrgsPaging},
		{"OrgEvents/Paging", testOrgEventsPaging},
		{"OrgVenues/Paging", testOrgVenuesPaging},
		{"UpdateVenue", testUpdateVenue},
		{"DeleteVenue", testDeleteVenue},
		{"UpdateTicketType", testUpdateTicketType},
		{"DeleteTicketType", testDeleteTicketType},
		{"DeleteEvent", testDeleteEvent},
		{"TicketTypes", testTicketTypes},
		{"TicketTypes/Errors", testTicketTypeErrors},
		{"ContextCanceled", testCatalogContextCanceled},
		{"Concurrent/UpdateEvent", testConcurrentUpdateEvent},
		{"Concurrent/CreateTicketType", testConcurrentCreateTicketType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

func newOrg() catalog.Organization {
	return catalog.Organization{ID: id.New("org"), Name: "Kulturhaus GmbH", Require2FA: true, CreatedAt: when(-100)}
}

func newVenue(orgID string) catalog.Venue {
	return catalog.Venue{
		ID:        id.New("ven"),
		OrgID:     orgID,
		Name:      "Großer Saal",
		Address:   "Straße des 17. Juni 135",
		City:      "Berlin",
		Country:   "DE",
		Lat:       52.51254212345678,
		Lon:       -13.32677000000001,
		CreatedAt: when(-90),
	}
}

func newEvent(orgID, venueID string) catalog.Event {
	return catalog.Event{
		ID:          ticketcrypto.NewEventID().String(),
		OrgID:       orgID,
		VenueID:     venueID,
		Title:       "Kraftwerk — 3D",
		Description: "Line one.\nLine two, with 'quotes' and \"double quotes\".",
		Category:    "music",
		Tags:        []string{"electronic", "live", "3d"},
		Images:      []string{"https://img.example.com/a.jpg", "https://img.example.com/b.jpg"},
		TimeZone:    "Europe/Berlin",
		StartsAt:    when(10),
		EndsAt:      when(10).Add(3 * 3600e9),
		DoorsAt:     when(10).Add(-3600e9),
		Status:      catalog.StatusPublished,
		CreatedAt:   when(-10),
		UpdatedAt:   when(-5),
		Version:     3,
	}
}

func storedEvent(e catalog.Event) catalog.Event {
	e.Tags = storedSlice(e.Tags)
	e.Images = storedSlice(e.Images)
	e.StartsAt = stored(e.StartsAt)
	e.EndsAt = stored(e.EndsAt)
	e.DoorsAt = stored(e.DoorsAt)
	e.CreatedAt = stored(e.CreatedAt)
	e.UpdatedAt = stored(e.UpdatedAt)
	return e
}

func newTicketType(eventID string) catalog.TicketType {
	return catalog.TicketType{
		ID:          id.New("tt"),
		EventID:     eventID,
		Number:      999, // the store assigns its own
		Name:        "Stehplatz",
		Kind:        catalog.KindAdmission,
		Price:       catalog.Money{Amount: 4_950, Currency: "EUR"},
		Capacity:    1_200,
		SaleStarts:  when(-30),
		SaleEnds:    when(9),
		PerOrderMax: 6,
		CreatedAt:   when(-20),
	}
}

func storedTicketType(tt catalog.TicketType, number uint16) catalog.TicketType {
	tt.Number = number
	tt.SaleStarts = stored(tt.SaleStarts)
	tt.SaleEnds = stored(tt.SaleEnds)
	tt.CreatedAt = stored(tt.CreatedAt)
	return tt
}

// fixture is an organization with a venue and an event in the store.
type fixture struct {
	org   catalog.Organization
	venue catalog.Venue
	event catalog.Event // as stored
}

func setup(t *testing.T, s catalog.Store) fixture {
	t.Helper()
	ctx := t.Context()
	f := fixture{org: newOrg()}
	must(t, "CreateOrg", s.CreateOrg(ctx, f.org))
	f.venue = newVenue(f.org.ID)
	must(t, "CreateVenue", s.CreateVenue(ctx, f.venue))
	e := newEvent(f.org.ID, f.venue.ID)
	must(t, "CreateEvent", s.CreateEvent(ctx, e))
	f.org.CreatedAt = stored(f.org.CreatedAt)
	f.venue.CreatedAt = stored(f.venue.CreatedAt)
	f.event = storedEvent(e)
	return f
}

func testOrg(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	o := newOrg()
	must(t, "CreateOrg", s.CreateOrg(ctx, o))
	bare := catalog.Organization{ID: id.New("org"), Name: "Bare", CreatedAt: when(1)}
	must(t, "CreateOrg bare", s.CreateOrg(ctx, bare))
	for _, want := range []catalog.Organization{o, bare} {
		want.CreatedAt = stored(want.CreatedAt)
		got, err := s.Org(ctx, want.ID)
		must(t, "Org", err)
		equal(t, "Org", got, want)
	}
	dup := newOrg()
	dup.ID = o.ID
	is(t, "CreateOrg duplicate id", s.CreateOrg(ctx, dup), catalog.ErrExists)
	got, err := s.Org(ctx, o.ID)
	must(t, "Org", err)
	equal(t, "Org after duplicate", got.Name, o.Name)
	_, err = s.Org(ctx, id.New("org"))
	is(t, "Org unknown", err, catalog.ErrNotFound)
}

// testOrgWithOrganizer checks that an organization and its organizer's
// membership are stored together or not at all. The store must be an
// account.Store too (memberships are accounts'), as every backend is.
func testOrgWithOrganizer(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	accounts, ok := s.(account.Store)
	if !ok {
		t.Fatalf("%T is not an account.Store: CreateOrgWithOrganizer writes a membership", s)
	}
	u := createUser(t, accounts, newUser("organizer-"+randomHex(4)+"@example.com"))
	o := newOrg()
	must(t, "CreateOrgWithOrganizer", s.CreateOrgWithOrganizer(ctx, o, u.ID))
	got, err := s.Org(ctx, o.ID)
	must(t, "Org", err)
	want := o
	want.CreatedAt = stored(want.CreatedAt)
	equal(t, "Org", got, want)
	ms, err := accounts.Memberships(ctx, u.ID)
	must(t, "Memberships", err)
	equal(t, "Memberships", ms, []account.Membership{{UserID: u.ID, OrgID: o.ID, Role: account.RoleOrganizer}})

	// An unknown user stores no organization.
	lost := newOrg()
	is(t, "CreateOrgWithOrganizer unknown user", s.CreateOrgWithOrganizer(ctx, lost, id.New("usr")), account.ErrNotFound)
	_, err = s.Org(ctx, lost.ID)
	is(t, "Org after unknown user", err, catalog.ErrNotFound)

	// A taken id gives the other user no membership.
	other := createUser(t, accounts, newUser("other@example.com"))
	dup := newOrg()
	dup.ID = o.ID
	is(t, "CreateOrgWithOrganizer duplicate id", s.CreateOrgWithOrganizer(ctx, dup, other.ID), catalog.ErrExists)
	ms, err = accounts.Memberships(ctx, other.ID)
	must(t, "Memberships of the other user", err)
	equal(t, "Memberships of the other user", len(ms), 0)
}

func testVenue(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	f := setup(t, s)
	got, err := s.Venue(ctx, f.venue.ID)
	must(t, "Venue", err)
	equal(t, "Venue", got, f.venue)

	dup := newVenue(f.org.ID)
	dup.ID = f.venue.ID
	dup.Name = "other"
	is(t, "CreateVenue duplicate id", s.CreateVenue(ctx, dup), catalog.ErrExists)
	got, err = s.Venue(ctx, f.venue.ID)
	must(t, "Venue", err)
	equal(t, "Venue after duplicate", got, f.venue)

	orphan := newVenue(id.New("org"))
	is(t, "CreateVenue of unknown org", s.CreateVenue(ctx, orphan), catalog.ErrNotFound)
	_, err = s.Venue(ctx, orphan.ID)
	is(t, "Venue refused", err, catalog.ErrNotFound)
}

func testEventRoundTrip(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	f := setup(t, s)
	got, err := s.Event(ctx, f.event.ID)
	must(t, "Event", err)
	equal(t, "Event", got, f.event)

	// An online draft: no venue, no tags or images, no times yet.
	bare := catalog.Event{
		ID:        ticketcrypto.NewEventID().String(),
		OrgID:     f.org.ID,
		Title:     "TBA",
		Tags:      []string{},
		Status:    catalog.StatusDraft,
		CreatedAt: when(0),
		UpdatedAt: when(0),
	}
	must(t, "CreateEvent bare", s.CreateEvent(ctx, bare))
	got, err = s.Event(ctx, bare.ID)
	must(t, "Event bare", err)
	equal(t, "Event bare", got, storedEvent(bare))

	dup := newEvent(f.org.ID, f.venue.ID)
	dup.ID = f.event.ID
	dup.Title = "other"
	is(t, "CreateEvent duplicate id", s.CreateEvent(ctx, dup), catalog.ErrExists)
	got, err = s.Event(ctx, f.event.ID)
	must(t, "Event", err)
	equal(t, "Event after duplicate", got, f.event)
	_, err = s.Event(ctx, ticketcrypto.NewEventID().String())
	is(t, "Event unknown", err, catalog.ErrNotFound)
}

func testEventReferences(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	f := setup(t, s)
	for name, e := range map[string]catalog.Event{
		"unknown org":   newEvent(id.New("org"), f.venue.ID),
		"unknown venue": newEvent(f.org.ID, id.New("ven")),
	} {
		is(t, "CreateEvent with "+name, s.CreateEvent(ctx, e), catalog.ErrNotFound)
		_, err := s.Event(ctx, e.ID)
		is(t, "Event refused for "+name, err, catalog.ErrNotFound)
	}
}

func testUpdateEvent(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	f := setup(t, s)
	want := f.event
	want.Title = "Kraftwerk — 3D (Zusatzshow)"
	want.Tags = append(slices.Clone(want.Tags), "sold-out-soon")
	want.Images = nil
	want.Status = catalog.StatusCancelled
	want.DoorsAt = stored(when(11))
	want.UpdatedAt = stored(when(1))
	want.Version = f.event.Version + 1

	got, err := s.UpdateEvent(ctx, f.event.ID, func(e *catalog.Event) error {
		equal(t, "event passed to fn", *e, f.event)
		e.Title = want.Title
		e.Tags = append(e.Tags, "sold-out-soon")
		e.Images = []string{}
		e.Status = catalog.StatusCancelled
		e.DoorsAt = when(11)
		e.UpdatedAt = when(1)
		e.Version = 100 // ignored: the store bumps the stored version
		return nil
	})
	must(t, "UpdateEvent", err)
	equal(t, "UpdateEvent result", got, want)
	got, err = s.Event(ctx, f.event.ID)
	must(t, "Event", err)
	equal(t, "Event after update", got, want)

	// Moving to the venue-less state and back is a change like any other.
	got, err = s.UpdateEvent(ctx, f.event.ID, func(e *catalog.Event) error { e.VenueID = ""; return nil })
	must(t, "UpdateEvent dropping the venue", err)
	equal(t, "Version after second update", got.Version, f.event.Version+2)
	equal(t, "VenueID after second update", got.VenueID, "")

	_, err = s.UpdateEvent(ctx, ticketcrypto.NewEventID().String(), func(*catalog.Event) error { return nil })
	is(t, "UpdateEvent unknown", err, catalog.ErrNotFound)
}

func testUpdateEventClosureError(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	f := setup(t, s)
	_, err := s.UpdateEvent(ctx, f.event.ID, func(e *catalog.Event) error {
		e.Title = "changed"
		e.Tags[0] = "tampered in place"
		e.Status = catalog.StatusEnded
		return fmt.Errorf("transition: %w", errBoom)
	})
	is(t, "UpdateEvent with failing fn", err, errBoom)
	got, err := s.Event(ctx, f.event.ID)
	must(t, "Event", err)
	equal(t, "Event after failed update", got, f.event)
}

func testUpdateEventInvalid(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	f := setup(t, s)
	other := ticketcrypto.NewEventID().String()
	_, err := s.UpdateEvent(ctx, f.event.ID, func(e *catalog.Event) error { e.ID = other; return nil })
	is(t, "UpdateEvent changing the id", err, catalog.ErrInvalid)
	_, err = s.Event(ctx, other)
	is(t, "Event under the refused id", err, catalog.ErrNotFound)
	_, err = s.UpdateEvent(ctx, f.event.ID, func(e *catalog.Event) error { e.VenueID = id.New("ven"); return nil })
	is(t, "UpdateEvent to an unknown venue", err, catalog.ErrNotFound)
	got, err := s.Event(ctx, f.event.ID)
	must(t, "Event", err)
	equal(t, "Event after refused updates", got, f.event)
}

func testEventsPaging(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	f := setup(t, s)
	ids := []string{f.event.ID}
	for range 6 {
		e := newEvent(f.org.ID, f.venue.ID)
		must(t, "CreateEvent", s.CreateEvent(ctx, e))
		ids = append(ids, e.ID)
	}
	slices.Sort(ids)

	seen := pageThrough(t, "Events", 3, func(after string, limit int) ([]catalog.Event, error) {
		return s.Events(ctx, after, limit)
	}, func(e catalog.Event) string { return e.ID })
	equal(t, "ids paged through Events", only(seen, ids), ids)

	// The store may hold other tests' events (a restored backup does), so
	// each keyset page is checked against every id the store listed.
	all := slices.Clone(seen)
	slices.Sort(all)
	after := func(id string, n int) []string {
		i, _ := slices.BinarySearch(all, id)
		for i < len(all) && all[i] <= id {
			i++
		}
		return all[i:min(i+n, len(all))]
	}
	listed := func(after string, limit int) []string {
		t.Helper()
		events, err := s.Events(ctx, after, limit)
		must(t, "Events", err)
		var out []string
		for _, e := range events {
			if e.ID == f.event.ID {
				equal(t, "event listed by Events", e, f.event)
			}
			out = append(out, e.ID)
		}
		return out
	}
	equal(t, "Events after ids[2]", listed(ids[2], 2), after(ids[2], 2))
	// after need not be a stored id.
	equal(t, "Events after a gap", listed(ids[4]+"0", 10), after(ids[4]+"0", 10))
	equal(t, "Events past the end", listed(all[len(all)-1], 10), []string(nil))
	_, err := s.Events(ctx, "", 0)
	is(t, "Events with limit 0", err, catalog.ErrInvalid)
}

func testTicketTypes(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	f := setup(t, s)
	g := newEvent(f.org.ID, f.venue.ID)
	must(t, "CreateEvent", s.CreateEvent(ctx, g))

	var wantF, wantG []catalog.TicketType
	// Interleaved: numbers count per event.
	for i := range 3 {
		for _, ev := range []struct {
			id   string
			want *[]catalog.TicketType
		}{{f.event.ID, &wantF}, {g.ID, &wantG}} {
			if ev.id == g.ID && i == 2 {
				continue
			}
			tt := newTicketType(ev.id)
			tt.Name = fmt.Sprintf("type %d", i)
			if i == 1 {
				// A merchandise type with no sale window.
				tt.Kind = catalog.KindMerchandise
				tt.SaleStarts, tt.SaleEnds = time.Time{}, time.Time{}
			}
			if i == 2 {
				// Per-buyer limits round-trip.
				tt.PerBuyerMax, tt.MaxHeldPerBuyer = 8, 4
			}
			got, err := s.CreateTicketType(ctx, tt)
			must(t, "CreateTicketType", err)
			want := storedTicketType(tt, uint16(i+1))
			equal(t, "CreateTicketType result", got, want)
			*ev.want = append(*ev.want, want)
		}
	}
	for _, tc := range []struct {
		eventID string
		want    []catalog.TicketType
	}{{f.event.ID, wantF}, {g.ID, wantG}} {
		got, err := s.TicketTypes(ctx, tc.eventID)
		must(t, "TicketTypes", err)
		equal(t, "TicketTypes", got, tc.want)
	}
	got, err := s.TicketTypes(ctx, ticketcrypto.NewEventID().String())
	must(t, "TicketTypes of unknown event", err)
	equal(t, "TicketTypes of unknown event", len(got), 0)
}

func testTicketTypeErrors(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	f := setup(t, s)
	first, err := s.CreateTicketType(ctx, newTicketType(f.event.ID))
	must(t, "CreateTicketType", err)

	dup := newTicketType(f.event.ID)
	dup.ID = first.ID
	_, err = s.CreateTicketType(ctx, dup)
	is(t, "CreateTicketType duplicate id", err, catalog.ErrExists)
	_, err = s.CreateTicketType(ctx, newTicketType(ticketcrypto.NewEventID().String()))
	is(t, "CreateTicketType of unknown event", err, catalog.ErrNotFound)

	// Refused creates use up no number.
	second, err := s.CreateTicketType(ctx, newTicketType(f.event.ID))
	must(t, "CreateTicketType", err)
	equal(t, "number after refused creates", second.Number, uint16(2))
	types, err := s.TicketTypes(ctx, f.event.ID)
	must(t, "TicketTypes", err)
	equal(t, "TicketTypes after refused creates", types, []catalog.TicketType{first, second})
}

func testCatalogContextCanceled(t *testing.T, s catalog.Store) {
	f := setup(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.Event(ctx, f.event.ID)
	is(t, "Event with a cancelled context", err, context.Canceled)
	_, err = s.UpdateEvent(ctx, f.event.ID, func(e *catalog.Event) error { e.Title = "late"; return nil })
	is(t, "UpdateEvent with a cancelled context", err, context.Canceled)
	got, err := s.Event(t.Context(), f.event.ID)
	must(t, "Event", err)
	equal(t, "Event after cancelled update", got, f.event)
}

func testConcurrentUpdateEvent(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	f := setup(t, s)
	var wg gosync.WaitGroup
	errs := make(chan error, workers)
	for i := range workers {
		wg.Go(func() {
			_, err := s.UpdateEvent(ctx, f.event.ID, func(e *catalog.Event) error {
				e.Tags = append(e.Tags, fmt.Sprintf("tag-%02d", i))
				return nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, "concurrent UpdateEvent", err)
	}
	got, err := s.Event(ctx, f.event.ID)
	must(t, "Event", err)
	equal(t, "Version after concurrent updates", got.Version, f.event.Version+workers)
	tags := got.Tags[len(f.event.Tags):]
	slices.Sort(tags)
	want := make([]string, workers)
	for i := range want {
		want[i] = fmt.Sprintf("tag-%02d", i)
	}
	equal(t, "tags appended concurrently", tags, want)
}

func testConcurrentCreateTicketType(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	f := setup(t, s)
	var wg gosync.WaitGroup
	numbers := make([]uint16, workers)
	errs := make([]error, workers)
	for i := range workers {
		wg.Go(func() {
			tt, err := s.CreateTicketType(ctx, newTicketType(f.event.ID))
			numbers[i], errs[i] = tt.Number, err
		})
	}
	wg.Wait()
	for _, err := range errs {
		must(t, "concurrent CreateTicketType", err)
	}
	slices.Sort(numbers)
	want := make([]uint16, workers)
	for i := range want {
		want[i] = uint16(i + 1)
	}
	equal(t, "numbers assigned concurrently", numbers, want)
	types, err := s.TicketTypes(ctx, f.event.ID)
	must(t, "TicketTypes", err)
	listed := make([]uint16, len(types))
	for i, tt := range types {
		listed[i] = tt.Number
	}
	equal(t, "numbers listed by TicketTypes", listed, want)
}
