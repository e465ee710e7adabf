package account

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/admitone/admitone/internal/id"
)

// Principal is who a request acts for: a user with their memberships,
// resolved from a token by Service.Authenticate.
type Principal struct {
	// User is the account with its secrets (password hash, TOTP secrets,
	// recovery code hashes) cleared.
	User        User
	Memberships []Membership
	// TokenKind is TokenSession or TokenAPI; TokenHash identifies the token.
	TokenKind string
	TokenHash string
	// TwoFactor reports whether the user has TOTP on, so that StepUp can
	// be asked for.
	TwoFactor bool
	// MustEnroll2FA is set for an admin without TOTP. Such a principal has
	// no roles at all (IsAdmin and the role checks are false) and the API
	// lets it reach only the 2FA enrolment routes.
	MustEnroll2FA bool
}

func newPrincipal(u User, ms []Membership, t Token) Principal {
	return Principal{
		User:          u.redacted(),
		Memberships:   ms,
		TokenKind:     t.Kind,
		TokenHash:     t.Hash,
		TwoFactor:     u.TOTPSecret != "",
		MustEnroll2FA: u.Admin && u.TOTPSecret == "",
	}
}

// redacted returns u without its password hash and TOTP material, for
// handing outside the package (it may end up marshalled to JSON).
func (u User) redacted() User {
	u.PasswordHash = ""
	u.TOTPSecret, u.PendingTOTP = "", ""
	u.RecoveryCodes = nil
	return u
}

// IsAdmin reports whether p acts as an admin: the user is one and has
// enrolled 2FA.
func (p Principal) IsAdmin() bool { return p.User.Admin && !p.MustEnroll2FA }

// HasOrgRole reports whether p holds one of roles in organization orgID
// (any role there if roles is empty). An admin has every role everywhere.
func (p Principal) HasOrgRole(orgID string, roles ...Role) bool {
	if p.MustEnroll2FA || p.User.ID == "" || orgID == "" {
		return false
	}
	if p.IsAdmin() {
		return true
	}
	for _, m := range p.Memberships {
		if m.OrgID == orgID && m.UserID == p.User.ID && (len(roles) == 0 || slices.Contains(roles, m.Role)) {
			return true
		}
	}
	return false
}

// CanManageOrg reports whether p may change organization orgID: its
// events, ticket types, gates and members. Admins and its organizers may.
func (p Principal) CanManageOrg(orgID string) bool { return p.HasOrgRole(orgID, RoleOrganizer) }

// CanStaff reports whether p may work the gates and box office of
// organization orgID: admins, its organizers and its staff.
func (p Principal) CanStaff(orgID string) bool {
	return p.HasOrgRole(orgID, RoleOrganizer, RoleStaff)
}

// AddMember gives the user with email role (RoleOrganizer or RoleStaff) in
// organization orgID. Only an admin or an organizer of orgID may
// (ErrForbidden otherwise). The user must have an account (ErrNotFound).
// It does not check that orgID names an existing organization; the
// caller, who has the catalog, does.
func (s *Service) AddMember(ctx context.Context, actor Principal, orgID, email string, role Role) (Membership, error) {
	s.init()
	if role != RoleOrganizer && role != RoleStaff {
		return Membership{}, fmt.Errorf("%w: role must be %q or %q", ErrInvalid, RoleOrganizer, RoleStaff)
	}
	if !id.Valid(orgID, "org") {
		return Membership{}, fmt.Errorf("%w: %q is not an organization id", ErrInvalid, orgID)
	}
	if !actor.CanManageOrg(orgID) {
		return Membership{}, fmt.Errorf("%w: only an admin or an organizer of %s can add members", ErrForbidden, orgID)
	}
	e, err := NormalizeEmail(email)
	if err != nil {
		return Membership{}, err
	}
	u, err := s.Store.UserByEmail(ctx, e)
	if errors.Is(err, ErrNotFound) {
		return Membership{}, fmt.Errorf("%w: no account has this email; ask them to sign up first", ErrNotFound)
	}
	if err != nil {
		return Membership{}, fmt.Errorf("add member: %w", err)
	}
	m := Membership{UserID: u.ID, OrgID: orgID, Role: role}
	if err := s.Store.PutMembership(ctx, m); err != nil {
		return Membership{}, fmt.Errorf("add member to %s: %w", orgID, err)
	}
	return m, nil
}

// Members lists the members of organization orgID with user id greater
// than after, in user id order, at most limit. The caller checks that
// whoever asks may see the organization.
func (s *Service) Members(ctx context.Context, orgID, after string, limit int) ([]Member, error) {
	ms, err := s.Store.OrgMembers(ctx, orgID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("members of %s: %w", orgID, err)
	}
	return ms, nil
}
