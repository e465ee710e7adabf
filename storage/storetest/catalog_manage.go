package storetest

import (
	"slices"
	"testing"

	"github.com/admitone/admitone/catalog"
)

// testOrgVenuesPaging lists one organization's venues by keyset, and
// none of another's.
func testOrgVenuesPaging(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	f := setup(t, s)
	g := setup(t, s) // another organization, interleaved by id
	ids := []string{f.venue.ID}
	for range 4 {
		v := newVenue(f.org.ID)
		must(t, "CreateVenue", s.CreateVenue(ctx, v))
		ids = append(ids, v.ID)
		must(t, "CreateVenue", s.CreateVenue(ctx, newVenue(g.org.ID)))
	}
	slices.Sort(ids)
	seen := pageThrough(t, "OrgVenues", 2, func(after string, limit int) ([]catalog.Venue, error) {
		return s.OrgVenues(ctx, f.org.ID, after, limit)
	}, func(v catalog.Venue) string {
		if v.OrgID != f.org.ID {
			t.Fatalf("OrgVenues(%s) listed %s of org %s", f.org.ID, v.ID, v.OrgID)
		}
		if v.ID == f.venue.ID {
			equal(t, "venue listed by OrgVenues", v, f.venue)
		}
		return v.ID
	})
	equal(t, "ids paged through OrgVenues", seen, ids)
	_, err := s.OrgVenues(ctx, f.org.ID, "", 0)
	is(t, "OrgVenues with limit 0", err, catalog.ErrInvalid)
}

// testUpdateVenue changes a venue in place; a closure error or a changed
// owner writes nothing.
func testUpdateVenue(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	f := setup(t, s)
	got, err := s.UpdateVenue(ctx, f.venue.ID, func(v *catalog.Venue) error {
		v.Name, v.City, v.Lat = "Kleiner Saal", "Potsdam", 52.4
		return nil
	})
	must(t, "UpdateVenue", err)
	want := f.venue
	want.Name, want.City, want.Lat = "Kleiner Saal", "Potsdam", 52.4
	equal(t, "UpdateVenue result", got, want)
	read, err := s.Venue(ctx, f.venue.ID)
	must(t, "Venue", err)
	equal(t, "venue read after UpdateVenue", read, want)

	_, err = s.UpdateVenue(ctx, f.venue.ID, func(v *catalog.Venue) error { v.Name = "lost"; return errBoom })
	is(t, "UpdateVenue with a failing closure", err, errBoom)
	_, err = s.UpdateVenue(ctx, f.venue.ID, func(v *catalog.Venue) error { v.OrgID = "org_other"; return nil })
	is(t, "UpdateVenue moving the venue to another org", err, catalog.ErrInvalid)
	read, err = s.Venue(ctx, f.venue.ID)
	must(t, "Venue", err)
	equal(t, "venue after refused updates", read, want)
	_, err = s.UpdateVenue(ctx, "ven_missing", func(*catalog.Venue) error { return nil })
	is(t, "UpdateVenue of a missing venue", err, catalog.ErrNotFound)
}

// testDeleteVenue removes a venue no event is at and refuses one an event
// is at.
func testDeleteVenue(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	f := setup(t, s)
	is(t, "DeleteVenue of a venue with an event", s.DeleteVenue(ctx, f.venue.ID), catalog.ErrInUse)
	if _, err := s.Venue(ctx, f.venue.ID); err != nil {
		t.Fatalf("the refused venue is gone: %v", err)
	}
	empty := newVenue(f.org.ID)
	must(t, "CreateVenue", s.CreateVenue(ctx, empty))
	must(t, "DeleteVenue", s.DeleteVenue(ctx, empty.ID))
	_, err := s.Venue(ctx, empty.ID)
	is(t, "Venue after DeleteVenue", err, catalog.ErrNotFound)
	is(t, "DeleteVenue again", s.DeleteVenue(ctx, empty.ID), catalog.ErrNotFound)
}

// testUpdateTicketType changes a type's fields in place, keeps its id,
// number and kind, and finds it only under its own event.
func testUpdateTicketType(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	f := setup(t, s)
	g := setup(t, s)
	tt, err := s.CreateTicketType(ctx, newTicketType(f.event.ID))
	must(t, "CreateTicketType", err)
	got, err := s.UpdateTicketType(ctx, f.event.ID, tt.ID, func(t *catalog.TicketType) error {
		t.Name, t.Capacity, t.Price = "Sitzplatz", 800, catalog.Money{Amount: 5_900, Currency: "EUR"}
		t.SaleEnds = when(8)
		t.PerBuyerMax, t.MaxHeldPerBuyer, t.RotatingCode = 6, 6, true
		return nil
	})
	must(t, "UpdateTicketType", err)
	want := storedTicketType(tt, tt.Number)
	want.Name, want.Capacity, want.Price = "Sitzplatz", 800, catalog.Money{Amount: 5_900, Currency: "EUR"}
	want.SaleEnds = stored(when(8))
	want.PerBuyerMax, want.MaxHeldPerBuyer, want.RotatingCode = 6, 6, true
	equal(t, "UpdateTicketType result", got, want)
	types, err := s.TicketTypes(ctx, f.event.ID)
	must(t, "TicketTypes", err)
	equal(t, "types after UpdateTicketType", types, []catalog.TicketType{want})

	_, err = s.UpdateTicketType(ctx, f.event.ID, tt.ID, func(t *catalog.TicketType) error { t.Name = "lost"; return errBoom })
	is(t, "UpdateTicketType with a failing closure", err, errBoom)
	_, err = s.UpdateTicketType(ctx, f.event.ID, tt.ID, func(t *catalog.TicketType) error { t.Number++; return nil })
	is(t, "UpdateTicketType renumbering", err, catalog.ErrInvalid)
	_, err = s.UpdateTicketType(ctx, g.event.ID, tt.ID, func(*catalog.TicketType) error { return nil })
	is(t, "UpdateTicketType under another event", err, catalog.ErrNotFound)
	types, err = s.TicketTypes(ctx, f.event.ID)
	must(t, "TicketTypes", err)
	equal(t, "types after refused updates", types, []catalog.TicketType{want})
}

// testDeleteTicketType removes one type of an event and leaves the others;
// a type is deleted only under its own event.
func testDeleteTicketType(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	f := setup(t, s)
	g := setup(t, s)
	first, err := s.CreateTicketType(ctx, newTicketType(f.event.ID))
	must(t, "CreateTicketType", err)
	second, err := s.CreateTicketType(ctx, newTicketType(f.event.ID))
	must(t, "CreateTicketType", err)
	is(t, "DeleteTicketType under another event", s.DeleteTicketType(ctx, g.event.ID, first.ID), catalog.ErrNotFound)
	must(t, "DeleteTicketType", s.DeleteTicketType(ctx, f.event.ID, first.ID))
	types, err := s.TicketTypes(ctx, f.event.ID)
	must(t, "TicketTypes", err)
	equal(t, "types after DeleteTicketType", types, []catalog.TicketType{storedTicketType(second, 2)})
	is(t, "DeleteTicketType again", s.DeleteTicketType(ctx, f.event.ID, first.ID), catalog.ErrNotFound)
	// The id is free again: ids are unique among stored types only.
	again := newTicketType(f.event.ID)
	again.ID = first.ID
	_, err = s.CreateTicketType(ctx, again)
	must(t, "CreateTicketType with a deleted type's id", err)
}

// testDeleteEvent removes an event with its ticket types once check
// accepts it; a refusal from check leaves everything.
func testDeleteEvent(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	f := setup(t, s)
	tt, err := s.CreateTicketType(ctx, newTicketType(f.event.ID))
	must(t, "CreateTicketType", err)
	is(t, "DeleteEvent refused by check", s.DeleteEvent(ctx, f.event.ID, func(catalog.Event) error { return errBoom }), errBoom)
	if _, err := s.Event(ctx, f.event.ID); err != nil {
		t.Fatalf("the refused event is gone: %v", err)
	}
	var checked catalog.Event
	must(t, "DeleteEvent", s.DeleteEvent(ctx, f.event.ID, func(e catalog.Event) error { checked = e; return nil }))
	equal(t, "event given to check", checked, f.event)
	_, err = s.Event(ctx, f.event.ID)
	is(t, "Event after DeleteEvent", err, catalog.ErrNotFound)
	types, err := s.TicketTypes(ctx, f.event.ID)
	must(t, "TicketTypes after DeleteEvent", err)
	equal(t, "types after DeleteEvent", len(types), 0)
	// The type's id is free again, and the venue can go now.
	again := newTicketType(f.event.ID)
	again.ID = tt.ID
	e := newEvent(f.org.ID, f.venue.ID)
	must(t, "CreateEvent", s.CreateEvent(ctx, e))
	again.EventID = e.ID
	_, err = s.CreateTicketType(ctx, again)
	must(t, "CreateTicketType with a deleted event's type id", err)
	is(t, "DeleteEvent again", s.DeleteEvent(ctx, f.event.ID, func(catalog.Event) error { return nil }), catalog.ErrNotFound)
}
