package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/internal/id"
)

// testOrgMembers pages through one organization's members by user id,
// with each account's email and name and the role held there, and none
// of another organization's; a changed role shows.
func testOrgMembers(t *testing.T, s account.Store) {
	ctx := t.Context()
	org, other := id.New("org"), id.New("org")
	want := map[string]account.Member{}
	var ids []string
	for i := range 5 {
		u := newUser(fmt.Sprintf("member%d@example.com", i))
		u.Name = fmt.Sprintf("Member %d", i)
		u = createUser(t, s, u)
		role := account.RoleStaff
		if i%2 == 0 {
			role = account.RoleOrganizer
		}
		must(t, "PutMembership", s.PutMembership(ctx, account.Membership{UserID: u.ID, OrgID: org, Role: role}))
		// Every other member is in the other organization too, and an
		// outsider sits between them by id.
		if i%2 == 1 {
			must(t, "PutMembership", s.PutMembership(ctx, account.Membership{UserID: u.ID, OrgID: other, Role: account.RoleStaff}))
		}
		outsider := createUser(t, s, newUser(fmt.Sprintf("outsider%d@example.com", i)))
		must(t, "PutMembership", s.PutMembership(ctx, account.Membership{UserID: outsider.ID, OrgID: other, Role: account.RoleOrganizer}))
		want[u.ID] = account.Member{UserID: u.ID, Email: u.Email, Name: u.Name, Role: role}
		ids = append(ids, u.ID)
	}
	slices.Sort(ids)
	// A role changed is the role listed.
	changed := want[ids[0]]
	changed.Role = account.RoleStaff
	if want[ids[0]].Role == account.RoleStaff {
		changed.Role = account.RoleOrganizer
	}
	must(t, "PutMembership", s.PutMembership(ctx, account.Membership{UserID: changed.UserID, OrgID: org, Role: changed.Role}))
	want[changed.UserID] = changed

	seen := pageThrough(t, "OrgMembers", 2, func(after string, limit int) ([]account.Member, error) {
		return s.OrgMembers(ctx, org, after, limit)
	}, func(m account.Member) string {
		equal(t, "member "+m.UserID, m, want[m.UserID])
		return m.UserID
	})
	equal(t, "ids paged through OrgMembers", seen, ids)

	none, err := s.OrgMembers(ctx, id.New("org"), "", 10)
	must(t, "OrgMembers of an organization without members", err)
	equal(t, "members of an organization without members", len(none), 0)
	_, err = s.OrgMembers(ctx, org, "", 0)
	is(t, "OrgMembers with limit 0", err, account.ErrInvalid)
}
