package account

import (
	"context"
	"time"
)

// Role is what a user may do. Admin is global; organizer and staff are
// held per organization (Membership); every signed-up user is an attendee.
type Role string

const (
	RoleAdmin     Role = "admin"
	RoleOrganizer Role = "organizer"
	RoleStaff     Role = "staff"
	RoleAttendee  Role = "attendee"
)

// User is an account.
type User struct {
	ID    string `json:"id"` // "usr_" + 24 hex
	Email string `json:"email"`
	// EmailVerified is set once the account's owner opened a
	// verification link mailed to Email (Service.VerifyEmail).
	EmailVerified bool      `json:"email_verified,omitempty"`
	Name          string    `json:"name,omitempty"`
	PasswordHash  string    `json:"password_hash"` // PHC string, argon2id
	Admin         bool      `json:"admin"`
	CreatedAt     time.Time `json:"created_at"`
	// TOTPSecret is the base32 secret once 2FA is confirmed; PendingTOTP
	// holds an enrolment not yet confirmed. Both are sealed at rest by the
	// account service before they reach the store.
	TOTPSecret  string `json:"totp_secret,omitempty"`
	PendingTOTP string `json:"pending_totp,omitempty"`
	// TOTPLastStep is the last accepted TOTP time step: a code is accepted
	// once, so a code seen over a shoulder cannot be replayed.
	TOTPLastStep int64 `json:"totp_last_step,omitempty"`
	// RecoveryCodes are SHA-256 hashes (hex) of unused recovery codes.
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
}

// Membership gives a user a role in an organization.
type Membership struct {
	UserID string `json:"user_id"`
	OrgID  string `json:"org_id"`
	Role   Role   `json:"role"` // organizer or staff
}

// Member is a membership of an organization with the account's email
// and name, for the organization's member list.
type Member struct {
	UserID string `json:"user_id"`
	Email  string `json:"email"`
	Name   string `json:"name,omitempty"`
	Role   Role   `json:"role"`
}

// Token is a session or API token, stored by the SHA-256 of its secret so a
// stolen database yields no usable token.
type Token struct {
	Hash      string    `json:"hash"` // hex SHA-256 of the secret
	UserID    string    `json:"user_id"`
	Kind      string    `json:"kind"` // "session" or "api"
	Name      string    `json:"name,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// LastUsedAt is when the token was last presented, to within
	// TokenTouchInterval; it starts at CreatedAt.
	LastUsedAt time.Time `json:"last_used_at"`
}

// Store is what the account service needs from storage. Implementations:
// storage/bolt and storage/postgres; storage/storetest checks both.
//
// Errors: ErrNotFound for a missing row, ErrExists for a duplicate email
// or token hash. PutMembership is an upsert: it replaces the role a user
// holds in an organization.
type Store interface {
	CreateUser(ctx context.Context, u User) error
	UserByID(ctx context.Context, id string) (User, error)
	// UserByEmail finds a user by email, compared case-insensitively.
	UserByEmail(ctx context.Context, email string) (User, error)
	// UpdateUser applies fn to the stored user in one transaction; an
	// error from fn aborts without writing. Email and ID cannot change.
	UpdateUser(ctx context.Context, id string, fn func(*User) error) (User, error)
	CountAdmins(ctx context.Context) (int, error)

	PutMembership(ctx context.Context, m Membership) error
	Memberships(ctx context.Context, userID string) ([]Membership, error)
	// OrgMembers lists the members of organization orgID whose user id
	// is greater than after, in user id order, at most limit (a limit
	// below 1 is ErrInvalid), each with the account's email and name.
	OrgMembers(ctx context.Context, orgID, after string, limit int) ([]Member, error)

	CreateToken(ctx context.Context, t Token) error
	TokenByHash(ctx context.Context, hash string) (Token, error)
	// Session reads what authenticating a request needs, together: the
	// token with hash, its user and the user's memberships (as
	// Memberships returns them). An unknown token is ErrNotFound; a token
	// whose user is missing comes with a zero User.
	Session(ctx context.Context, hash string) (Token, User, []Membership, error)
	// UserTokens returns every token of a user, expired ones too, oldest
	// first (by CreatedAt, then Hash); none (not an error) for an unknown
	// user.
	UserTokens(ctx context.Context, userID string) ([]Token, error)
	// TouchToken sets the token's LastUsedAt; ErrNotFound if it is gone.
	TouchToken(ctx context.Context, hash string, at time.Time) error
	DeleteToken(ctx context.Context, hash string) error
	// DeleteUserTokens revokes every token of a user but the one whose
	// hash is except (none when except is ""), in one transaction: after
	// a password or 2FA change, the session that made it stays.
	DeleteUserTokens(ctx context.Context, userID, except string) error
}
