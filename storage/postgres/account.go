package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/account"
)

var _ account.Store = (*DB)(nil)

// emailKey is the unique, case-insensitive form of an email. It must agree
// with the bbolt backend's.
func emailKey(email string) string { return strings.ToLower(email) }

func accountErr(err error) error { return translate(err, account.ErrNotFound, account.ErrExists) }

const userColumns = `id, email, name, password_hash, admin, created_at,
	totp_secret, pending_totp, totp_last_step, recovery_codes, email_verified`

func scanUser(row pgx.Row) (account.User, error) {
	var u account.User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.Admin, &u.CreatedAt,
		&u.TOTPSecret, &u.PendingTOTP, &u.TOTPLastStep, &u.RecoveryCodes, &u.EmailVerified)
	u.CreatedAt = u.CreatedAt.UTC()
	u.RecoveryCodes = storedSlice(u.RecoveryCodes)
	return u, err
}

// CreateUser implements account.Store.
func (s *DB) CreateUser(ctx context.Context, u account.User) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO users (`+userColumns+`, email_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		u.ID, u.Email, u.Name, u.PasswordHash, u.Admin, storedTime(u.CreatedAt),
		u.TOTPSecret, u.PendingTOTP, u.TOTPLastStep, array(u.RecoveryCodes), u.EmailVerified, emailKey(u.Email))
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.ID, accountErr(err))
	}
	return nil
}

// UserByID implements account.Store.
func (s *DB) UserByID(ctx context.Context, id string) (account.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return account.User{}, fmt.Errorf("user %s: %w", id, accountErr(err))
	}
	return u, nil
}

// UserByEmail implements account.Store.
func (s *DB) UserByEmail(ctx context.Context, email string) (account.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email_key = $1`, emailKey(email)))
	if err != nil {
		return account.User{}, fmt.Errorf("user with email %s: %w", email, accountErr(err))
	}
	return u, nil
}

// UpdateUser implements account.Store: the row stays locked from read to
// write. An error from fn is returned as it is; changing ID or Email fails
// with account.ErrInvalid.
func (s *DB) UpdateUser(ctx context.Context, id string, fn func(*account.User) error) (account.User, error) {
	var next account.User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 FOR NO KEY UPDATE`, id))
		if err != nil {
			return fmt.Errorf("user %s: %w", id, accountErr(err))
		}
		next = old
		next.RecoveryCodes = append([]string(nil), old.RecoveryCodes...)
		if err := fn(&next); err != nil {
			return err
		}
		if next.ID != old.ID || next.Email != old.Email {
			return fmt.Errorf("update user %s: id and email cannot change: %w", id, account.ErrInvalid)
		}
		next.CreatedAt = storedTime(next.CreatedAt)
		next.RecoveryCodes = storedSlice(next.RecoveryCodes)
		_, err = tx.Exec(ctx, `UPDATE users SET name = $2, password_hash = $3, admin = $4,
			created_at = $5, totp_secret = $6, pending_totp = $7, totp_last_step = $8,
			recovery_codes = $9, email_verified = $10 WHERE id = $1`,
			id, next.Name, next.PasswordHash, next.Admin, next.CreatedAt, next.TOTPSecret,
			next.PendingTOTP, next.TOTPLastStep, array(next.RecoveryCodes), next.EmailVerified)
		if err != nil {
			return fmt.Errorf("update user %s: %w", id, accountErr(err))
		}
		return nil
	})
	if err != nil {
		return account.User{}, err
	}
	return next, nil
}

// CountAdmins implements account.Store.
func (s *DB) CountAdmins(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users WHERE admin`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count admins: %w", err)
	}
	return n, nil
}

// PutMembership implements account.Store: it creates the membership or
// replaces the role of an existing one. The user must exist.
func (s *DB) PutMembership(ctx context.Context, m account.Membership) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO memberships (user_id, org_id, role) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, org_id) DO UPDATE SET role = excluded.role`,
		m.UserID, m.OrgID, string(m.Role))
	if err != nil {
		return fmt.Errorf("put membership of %s in %s: %w", m.UserID, m.OrgID, accountErr(err))
	}
	return nil
}

// Memberships implements account.Store: a user's memberships in org id
// order; none (not an error) for an unknown user.
func (s *DB) Memberships(ctx context.Context, userID string) ([]account.Membership, error) {
	rows, err := s.pool.Query(ctx, `SELECT user_id, org_id, role FROM memberships
		WHERE user_id = $1 ORDER BY org_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("memberships of %s: %w", userID, err)
	}
	ms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (account.Membership, error) {
		var m account.Membership
		err := row.Scan(&m.UserID, &m.OrgID, &m.Role)
		return m, err
	})
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	return ms, nil
}

// OrgMembers implements account.Store. memberships is keyed by user
// first; with no index by organization a page reads the organization's
// rows by a scan of memberships, which stays small (staff, not buyers).
func (s *DB) OrgMembers(ctx context.Context, orgID, after string, limit int) ([]account.Member, error) {
	if limit < 1 {
		return nil, fmt.Errorf("members of %s: limit %d: %w", orgID, limit, account.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT m.user_id, u.email, u.name, m.role FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = $1 AND m.user_id > $2 ORDER BY m.user_id LIMIT $3`, orgID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("members of %s: %w", orgID, err)
	}
	ms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (account.Member, error) {
		var m account.Member
		err := row.Scan(&m.UserID, &m.Email, &m.Name, &m.Role)
		return m, err
	})
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	return ms, nil
}

// CreateToken implements account.Store. The user must exist.
func (s *DB) CreateToken(ctx context.Context, t account.Token) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO tokens (hash, user_id, kind, name, created_at, expires_at, last_used_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.Hash, t.UserID, t.Kind, t.Name, storedTime(t.CreatedAt), storedTime(t.ExpiresAt), nullTime(t.LastUsedAt))
	if err != nil {
		return fmt.Errorf("create token: %w", accountErr(err))
	}
	return nil
}

// TokenByHash implements account.Store. It returns expired tokens too:
// expiry is the caller's rule.
func (s *DB) TokenByHash(ctx context.Context, hash string) (account.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1`, hash))
	if err != nil {
		return account.Token{}, fmt.Errorf("token: %w", accountErr(err))
	}
	return t, nil
}

const tokenColumns = `hash, user_id, kind, name, created_at, expires_at, last_used_at`

// Session implements account.Store in one statement: every authenticated
// request reads it, and three round trips (token, user, memberships) were
// a sixth of the statements of a purchase.
func (s *DB) Session(ctx context.Context, hash string) (account.Token, account.User, []account.Membership, error) {
	var t account.Token
	var u account.User
	var created, expires time.Time
	var used *time.Time
	var orgs, roles []string
	err := s.pool.QueryRow(ctx, `SELECT t.hash, t.user_id, t.kind, t.name, t.created_at, t.expires_at, t.last_used_at,
			u.id, u.email, u.name, u.password_hash, u.admin, u.created_at,
			u.totp_secret, u.pending_totp, u.totp_last_step, u.recovery_codes, u.email_verified,
			coalesce((SELECT array_agg(m.org_id ORDER BY m.org_id) FROM memberships m WHERE m.user_id = u.id), '{}'),
			coalesce((SELECT array_agg(m.role ORDER BY m.org_id) FROM memberships m WHERE m.user_id = u.id), '{}')
		FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE t.hash = $1`, hash).Scan(
		&t.Hash, &t.UserID, &t.Kind, &t.Name, &created, &expires, &used,
		&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.Admin, &u.CreatedAt,
		&u.TOTPSecret, &u.PendingTOTP, &u.TOTPLastStep, &u.RecoveryCodes, &u.EmailVerified,
		&orgs, &roles)
	if errors.Is(err, pgx.ErrNoRows) {
		// An unknown token, or (the join found no user) one whose user is
		// missing: the token alone tells which.
		t, err := s.TokenByHash(ctx, hash)
		return t, account.User{}, nil, err
	}
	if err != nil {
		return account.Token{}, account.User{}, nil, fmt.Errorf("session: %w", accountErr(err))
	}
	t.CreatedAt, t.ExpiresAt = created.UTC(), expires.UTC()
	if used != nil {
		t.LastUsedAt = used.UTC()
	}
	u.CreatedAt = u.CreatedAt.UTC()
	u.RecoveryCodes = storedSlice(u.RecoveryCodes)
	var ms []account.Membership
	for i := range orgs {
		ms = append(ms, account.Membership{UserID: u.ID, OrgID: orgs[i], Role: account.Role(roles[i])})
	}
	return t, u, ms, nil
}

func scanToken(row pgx.Row) (account.Token, error) {
	var t account.Token
	var created, expires time.Time
	var used *time.Time
	if err := row.Scan(&t.Hash, &t.UserID, &t.Kind, &t.Name, &created, &expires, &used); err != nil {
		return account.Token{}, err
	}
	t.CreatedAt, t.ExpiresAt = created.UTC(), expires.UTC()
	if used != nil {
		t.LastUsedAt = used.UTC()
	}
	return t, nil
}

// UserTokens implements account.Store.
func (s *DB) UserTokens(ctx context.Context, userID string) ([]account.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM tokens
		WHERE user_id = $1 ORDER BY created_at, hash`, userID)
	if err != nil {
		return nil, fmt.Errorf("tokens of %s: %w", userID, err)
	}
	ts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (account.Token, error) { return scanToken(row) })
	if err != nil {
		return nil, fmt.Errorf("tokens of %s: %w", userID, err)
	}
	if len(ts) == 0 {
		return nil, nil
	}
	return ts, nil
}

// TouchToken implements account.Store.
func (s *DB) TouchToken(ctx context.Context, hash string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE tokens SET last_used_at = $2 WHERE hash = $1`, hash, storedTime(at))
	if err != nil {
		return fmt.Errorf("touch token: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("touch token: %w", account.ErrNotFound)
	}
	return nil
}

// DeleteToken implements account.Store: account.ErrNotFound if there is
// no such token.
func (s *DB) DeleteToken(ctx context.Context, hash string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM tokens WHERE hash = $1`, hash)
	if err != nil {
		return fmt.Errorf("delete token: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete token: %w", account.ErrNotFound)
	}
	return nil
}

// DeleteUserTokens implements account.Store. A user with no tokens is not
// an error.
func (s *DB) DeleteUserTokens(ctx context.Context, userID, except string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM tokens WHERE user_id = $1 AND hash <> $2`, userID, except); err != nil {
		return fmt.Errorf("delete tokens of %s: %w", userID, err)
	}
	return nil
}
