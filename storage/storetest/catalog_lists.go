package storetest

import (
	"slices"
	"testing"

	"github.com/admitone/admitone/catalog"
)

// testOrgsPaging pages through every organization by keyset: id order,
// each once, a page never over its limit.
func testOrgsPaging(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	var ids []string
	var first catalog.Organization
	for i := range 5 {
		o := newOrg()
		must(t, "CreateOrg", s.CreateOrg(ctx, o))
		if i == 0 {
			o.CreatedAt = stored(o.CreatedAt)
			first = o
		}
		ids = append(ids, o.ID)
	}
	slices.Sort(ids)

	var seen []string
	after := ""
	for page := 0; ; page++ {
		orgs, err := s.Orgs(ctx, after, 2)
		must(t, "Orgs", err)
		if len(orgs) == 0 {
			break
		}
		if len(orgs) > 2 || page > 3 {
			t.Fatalf("Orgs(%q, 2) returned %d orgs on page %d", after, len(orgs), page)
		}
		for _, o := range orgs {
			seen = append(seen, o.ID)
			if o.ID == first.ID {
				equal(t, "org listed by Orgs", o, first)
			}
		}
		after = orgs[len(orgs)-1].ID
	}
	equal(t, "ids paged through Orgs", seen, ids)

	// after need not be a stored id.
	orgs, err := s.Orgs(ctx, ids[2]+"0", 10)
	must(t, "Orgs", err)
	equal(t, "Orgs after a gap", len(orgs), 2)
	_, err = s.Orgs(ctx, "", 0)
	is(t, "Orgs with limit 0", err, catalog.ErrInvalid)
}

// testOrgEventsPaging lists one organization's events, drafts and
// published alike, and none of another's.
func testOrgEventsPaging(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	f := setup(t, s)
	g := setup(t, s) // another organization, interleaved by id
	ids := []string{f.event.ID}
	for i := range 4 {
		e := newEvent(f.org.ID, f.venue.ID)
		if i%2 == 0 {
			e.Status = catalog.StatusDraft
		}
		must(t, "CreateEvent", s.CreateEvent(ctx, e))
		ids = append(ids, e.ID)
		must(t, "CreateEvent", s.CreateEvent(ctx, newEvent(g.org.ID, g.venue.ID)))
	}
	slices.Sort(ids)

	var seen []string
	after := ""
	for page := 0; ; page++ {
		events, err := s.OrgEvents(ctx, f.org.ID, after, 2)
		must(t, "OrgEvents", err)
		if len(events) == 0 {
			break
		}
		if len(events) > 2 || page > 3 {
			t.Fatalf("OrgEvents(%q, 2) returned %d events on page %d", after, len(events), page)
		}
		for _, e := range events {
			if e.OrgID != f.org.ID {
				t.Fatalf("OrgEvents(%s) listed %s of org %s", f.org.ID, e.ID, e.OrgID)
			}
			if e.ID == f.event.ID {
				equal(t, "event listed by OrgEvents", e, f.event)
			}
			seen = append(seen, e.ID)
		}
		after = events[len(events)-1].ID
	}
	equal(t, "ids paged through OrgEvents", seen, ids)

	events, err := s.OrgEvents(ctx, f.org.ID, ids[1], 2)
	must(t, "OrgEvents", err)
	equal(t, "OrgEvents after ids[1]", []string{events[0].ID, events[1].ID}, ids[2:4])
	events, err = s.OrgEvents(ctx, "org_unknown", "", 10)
	must(t, "OrgEvents of an unknown org", err)
	equal(t, "OrgEvents of an unknown org", len(events), 0)
	_, err = s.OrgEvents(ctx, f.org.ID, "", 0)
	is(t, "OrgEvents with limit 0", err, catalog.ErrInvalid)
}
