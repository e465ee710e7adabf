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

	seen := pageThrough(t, "Orgs", 2, func(after string, limit int) ([]catalog.Organization, error) {
		return s.Orgs(ctx, after, limit)
	}, func(o catalog.Organization) string {
		if o.ID == first.ID {
			equal(t, "org listed by Orgs", o, first)
		}
		return o.ID
	})
	equal(t, "ids paged through Orgs", only(seen, ids), ids)

	// after need not be a stored id.
	orgs, err := s.Orgs(ctx, ids[2]+"0", 10)
	must(t, "Orgs", err)
	var after []string
	for _, o := range orgs {
		after = append(after, o.ID)
	}
	equal(t, "Orgs after a gap", only(after, ids), ids[3:])
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

	seen := pageThrough(t, "OrgEvents", 2, func(after string, limit int) ([]catalog.Event, error) {
		return s.OrgEvents(ctx, f.org.ID, after, limit)
	}, func(e catalog.Event) string {
		if e.OrgID != f.org.ID {
			t.Fatalf("OrgEvents(%s) listed %s of org %s", f.org.ID, e.ID, e.OrgID)
		}
		if e.ID == f.event.ID {
			equal(t, "event listed by OrgEvents", e, f.event)
		}
		return e.ID
	})
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

// only keeps the ids of seen that are in want, in seen's order: a
// store may hold other data (a restored backup), which lists around the
// test's own.
func only(seen, want []string) []string {
	var out []string
	for _, id := range seen {
		if slices.Contains(want, id) {
			out = append(out, id)
		}
	}
	return out
}

// pageThrough follows a keyset list (ids greater than after, at most
// limit) page by page from the start, checks each item with idOf and
// returns the ids in the order listed. A page over size or a list that
// does not end within 100 pages fails the test.
func pageThrough[T any](t *testing.T, name string, size int, list func(after string, limit int) ([]T, error), idOf func(T) string) []string {
	t.Helper()
	var seen []string
	after := ""
	for page := range 100 {
		items, err := list(after, size)
		must(t, name, err)
		if len(items) == 0 {
			return seen
		}
		if len(items) > size {
			t.Fatalf("%s(%q, %d) returned %d items on page %d", name, after, size, len(items), page)
		}
		for _, it := range items {
			seen = append(seen, idOf(it))
		}
		after = seen[len(seen)-1]
	}
	t.Fatalf("%s did not end within 100 pages", name)
	return nil
}
