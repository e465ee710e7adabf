package account_test

import (
	"context"
	"testing"

	"github.com/admitone/admitone/account"
)

func TestPrincipalChecks(t *testing.T) {
	const orgA, orgB = "org_aaaaaaaaaaaaaaaaaaaaaaaa", "org_bbbbbbbbbbbbbbbbbbbbbbbb"
	user := func(id string, admin bool) account.User { return account.User{ID: id, Admin: admin} }
	m := func(uid, org string, r account.Role) account.Membership {
		return account.Membership{UserID: uid, OrgID: org, Role: r}
	}
	type want struct{ admin, manageA, staffA, manageB, staffB, staffRoleA bool }
	for _, tc := range []struct {
		name string
		p    account.Principal
		want want
	}{
		{"admin", account.Principal{User: user("usr_1", true)}, want{true, true, true, true, true, true}},
		{"admin without 2FA", account.Principal{User: user("usr_1", true), MustEnroll2FA: true}, want{}},
		{"organizer of A", account.Principal{User: user("usr_2", false), Memberships: []account.Membership{m("usr_2", orgA, account.RoleOrganizer)}},
			want{manageA: true, staffA: true}},
		{"staff of A", account.Principal{User: user("usr_3", false), Memberships: []account.Membership{m("usr_3", orgA, account.RoleStaff)}},
			want{staffA: true, staffRoleA: true}},
		{"staff of A, organizer of B", account.Principal{User: user("usr_4", false), Memberships: []account.Membership{
			m("usr_4", orgA, account.RoleStaff), m("usr_4", orgB, account.RoleOrganizer)}},
			want{staffA: true, staffRoleA: true, manageB: true, staffB: true}},
		{"attendee", account.Principal{User: user("usr_5", false)}, want{}},
		{"someone else's membership", account.Principal{User: user("usr_6", false), Memberships: []account.Membership{m("usr_2", orgA, account.RoleOrganizer)}},
			want{}},
		{"nobody", account.Principal{}, want{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := want{
				admin:      tc.p.IsAdmin(),
				manageA:    tc.p.CanManageOrg(orgA),
				staffA:     tc.p.CanStaff(orgA),
				manageB:    tc.p.CanManageOrg(orgB),
				staffB:     tc.p.CanStaff(orgB),
				staffRoleA: tc.p.HasOrgRole(orgA, account.RoleStaff),
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if tc.p.CanManageOrg("") || tc.p.HasOrgRole(orgA, account.RoleAttendee) && !tc.p.IsAdmin() {
				t.Error("a role check passed for an empty org or the attendee role")
			}
		})
	}
}

func TestAddMember(t *testing.T) {
	const orgA, orgB = "org_aaaaaaaaaaaaaaaaaaaaaaaa", "org_bbbbbbbbbbbbbbbbbbbbbbbb"
	f := newFixture(t)
	ctx := context.Background()
	root, err := f.svc.CreateAdmin(ctx, nil, "root@example.com", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := f.enroll(t, root.ID)
	f.clock.Advance(30e9)
	_, admin := f.login(t, account.LoginRequest{Email: "root@example.com", TOTP: code(t, secret, f.clock.Now())})
	org := f.signUp(t, "org@example.com")
	f.signUp(t, "staff@example.com")
	f.signUp(t, "other@example.com")

	if _, err := f.svc.AddMember(ctx, admin, orgA, "ORG@example.com", account.RoleOrganizer); err != nil {
		t.Fatalf("admin adds organizer: %v", err)
	}
	_, porg := f.login(t, account.LoginRequest{Email: "org@example.com"})
	if !porg.CanManageOrg(orgA) || porg.CanManageOrg(orgB) {
		t.Fatalf("organizer principal %+v", porg)
	}
	ms, err := f.svc.AddMember(ctx, porg, orgA, "staff@example.com", account.RoleStaff)
	if err != nil || ms.OrgID != orgA || ms.Role != account.RoleStaff {
		t.Fatalf("organizer adds staff: %+v, %v", ms, err)
	}
	_, pstaff := f.login(t, account.LoginRequest{Email: "staff@example.com"})
	if !pstaff.CanStaff(orgA) || pstaff.CanManageOrg(orgA) {
		t.Fatalf("staff principal %+v", pstaff)
	}

	for _, tc := range []struct {
		name  string
		actor account.Principal
		org   string
		email string
		role  account.Role
		want  error
	}{
		{"staff adds", pstaff, orgA, "other@example.com", account.RoleStaff, account.ErrForbidden},
		{"organizer of another org", porg, orgB, "other@example.com", account.RoleStaff, account.ErrForbidden},
		{"role admin", admin, orgA, "other@example.com", account.RoleAdmin, account.ErrInvalid},
		{"role attendee", admin, orgA, "other@example.com", account.RoleAttendee, account.ErrInvalid},
		{"bad org id", admin, "acme", "other@example.com", account.RoleStaff, account.ErrInvalid},
		{"bad email", admin, orgA, "other", account.RoleStaff, account.ErrInvalid},
		{"unknown email", admin, orgA, "ghost@example.com", account.RoleStaff, account.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.AddMember(ctx, tc.actor, tc.org, tc.email, tc.role)
			wantErr(t, "AddMember", err, tc.want)
		})
	}
	if ms, _ := f.store.Memberships(ctx, org.ID); len(ms) != 1 {
		t.Errorf("organizer has %d memberships, want 1", len(ms))
	}
}
