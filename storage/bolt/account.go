package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/account"
)

var _ account.Store = (*DB)(nil)

// emailKey is the index key of an email: lookups ignore case.
func emailKey(email string) []byte { return []byte(strings.ToLower(email)) }

func storedUser(u account.User) account.User {
	u.CreatedAt = storedTime(u.CreatedAt)
	u.RecoveryCodes = storedSlice(u.RecoveryCodes)
	return u
}

// CreateUser implements account.Store.
func (s *DB) CreateUser(ctx context.Context, u account.User) error {
	u = storedUser(u)
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		users, emails := tx.Bucket(bucketUsers), tx.Bucket(bucketUserEmails)
		if users.Get([]byte(u.ID)) != nil {
			return fmt.Errorf("user id %s: %w", u.ID, account.ErrExists)
		}
		if emails.Get(emailKey(u.Email)) != nil {
			return fmt.Errorf("email %s: %w", u.Email, account.ErrExists)
		}
		if err := put(users, []byte(u.ID), u); err != nil {
			return err
		}
		if err := emails.Put(emailKey(u.Email), []byte(u.ID)); err != nil {
			return err
		}
		return setAdmin(tx, u)
	})
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// setAdmin keeps the admins index in step with u.Admin.
func setAdmin(tx *bbolt.Tx, u account.User) error {
	if u.Admin {
		return tx.Bucket(bucketAdmins).Put([]byte(u.ID), nil)
	}
	return tx.Bucket(bucketAdmins).Delete([]byte(u.ID))
}

func getUser(tx *bbolt.Tx, id string) (account.User, error) {
	var u account.User
	ok, err := get(tx.Bucket(bucketUsers), []byte(id), &u)
	if err != nil {
		return account.User{}, err
	}
	if !ok {
		return account.User{}, fmt.Errorf("user %s: %w", id, account.ErrNotFound)
	}
	return u, nil
}

// UserByID implements account.Store.
func (s *DB) UserByID(ctx context.Context, id string) (account.User, error) {
	var u account.User
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		u, err = getUser(tx, id)
		return err
	})
	return u, err
}

// UserByEmail implements account.Store.
func (s *DB) UserByEmail(ctx context.Context, email string) (account.User, error) {
	var u account.User
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		id := tx.Bucket(bucketUserEmails).Get(emailKey(email))
		if id == nil {
			return fmt.Errorf("user with email %s: %w", email, account.ErrNotFound)
		}
		u, err = getUser(tx, string(id))
		return err
	})
	return u, err
}

// UpdateUser implements account.Store. An error from fn is returned as it
// is; changing ID or Email fails with account.ErrInvalid.
func (s *DB) UpdateUser(ctx context.Context, id string, fn func(*account.User) error) (account.User, error) {
	var next account.User
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		old, err := getUser(tx, id)
		if err != nil {
			return err
		}
		next = old
		next.RecoveryCodes = append([]string(nil), old.RecoveryCodes...)
		if err := fn(&next); err != nil {
			return err
		}
		if next.ID != old.ID || next.Email != old.Email {
			return fmt.Errorf("update user %s: id and email cannot change: %w", id, account.ErrInvalid)
		}
		next = storedUser(next)
		if err := put(tx.Bucket(bucketUsers), []byte(id), next); err != nil {
			return err
		}
		return setAdmin(tx, next)
	})
	if err != nil {
		return account.User{}, err
	}
	return next, nil
}

// CountAdmins implements account.Store.
func (s *DB) CountAdmins(ctx context.Context) (int, error) {
	n := 0
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketAdmins).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			n++
		}
		return nil
	})
	return n, err
}

// PutMembership implements account.Store: it creates the membership or
// replaces the role of an existing one. The user must exist.
func (s *DB) PutMembership(ctx context.Context, m account.Membership) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if _, err := getUser(tx, m.UserID); err != nil {
			return err
		}
		return put(tx.Bucket(bucketMemberships), join(m.UserID, m.OrgID), m)
	})
	if err != nil {
		return fmt.Errorf("put membership: %w", err)
	}
	return nil
}

// Memberships implements account.Store: a user's memberships in org id
// order; none (not an error) for an unknown user.
func (s *DB) Memberships(ctx context.Context, userID string) ([]account.Membership, error) {
	var ms []account.Membership
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		ms, err = membershipsOf(tx, userID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ms, nil
}

// membershipsOf reads the memberships of userID, in organization id
// order; nil for none.
func membershipsOf(tx *bbolt.Tx, userID string) ([]account.Membership, error) {
	var ms []account.Membership
	p := prefix(userID)
	c := tx.Bucket(bucketMemberships).Cursor()
	for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
		var m account.Membership
		if err := json.Unmarshal(v, &m); err != nil {
			return nil, fmt.Errorf("membership %q: %w", k, err)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// Session implements account.Store in one read transaction.
func (s *DB) Session(ctx context.Context, hash string) (account.Token, account.User, []account.Membership, error) {
	var t account.Token
	var u account.User
	var ms []account.Membership
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		if t, err = findToken(tx, hash); err != nil {
			return err
		}
		u, err = getUser(tx, t.UserID)
		if errors.Is(err, account.ErrNotFound) {
			u = account.User{}
			return nil
		}
		if err != nil {
			return err
		}
		ms, err = membershipsOf(tx, u.ID)
		return err
	})
	if err != nil {
		return account.Token{}, account.User{}, nil, err
	}
	return t, u, ms, nil
}

// OrgMembers implements account.Store. The memberships bucket is keyed
// by user first: a page reads it from after until it has limit members
// of orgID, as many memberships as the server holds at worst.
func (s *DB) OrgMembers(ctx context.Context, orgID, after string, limit int) ([]account.Member, error) {
	if limit < 1 {
		return nil, fmt.Errorf("members of %s: limit %d: %w", orgID, limit, account.ErrInvalid)
	}
	var out []account.Member
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketMemberships).Cursor()
		// Past every key of user after: they end "after", 0, org id.
		for k, v := c.Seek(append([]byte(after), 1)); k != nil && len(out) < limit; k, v = c.Next() {
			var m account.Membership
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("membership %q: %w", k, err)
			}
			if m.OrgID != orgID || m.UserID <= after {
				continue
			}
			u, err := getUser(tx, m.UserID)
			if err != nil {
				return err
			}
			out = append(out, account.Member{UserID: u.ID, Email: u.Email, Name: u.Name, Role: m.Role})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CreateToken implements account.Store. The user must exist.
func (s *DB) CreateToken(ctx context.Context, t account.Token) error {
	t.CreatedAt = storedTime(t.CreatedAt)
	t.ExpiresAt = storedTime(t.ExpiresAt)
	t.LastUsedAt = storedTime(t.LastUsedAt)
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		tokens := tx.Bucket(bucketTokens)
		if tokens.Get([]byte(t.Hash)) != nil {
			return fmt.Errorf("token: %w", account.ErrExists)
		}
		if _, err := getUser(tx, t.UserID); err != nil {
			return err
		}
		if err := put(tokens, []byte(t.Hash), t); err != nil {
			return err
		}
		return tx.Bucket(bucketUserTokens).Put(join(t.UserID, t.Hash), nil)
	})
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

// TokenByHash implements account.Store. It returns expired tokens too:
// expiry is the caller's rule.
func (s *DB) TokenByHash(ctx context.Context, hash string) (account.Token, error) {
	var t account.Token
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		t, err = findToken(tx, hash)
		return err
	})
	return t, err
}

// UserTokens implements account.Store.
func (s *DB) UserTokens(ctx context.Context, userID string) ([]account.Token, error) {
	var ts []account.Token
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		tokens := tx.Bucket(bucketTokens)
		p := prefix(userID)
		c := tx.Bucket(bucketUserTokens).Cursor()
		for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
			var t account.Token
			ok, err := get(tokens, k[len(p):], &t)
			if err != nil {
				return err
			}
			if ok {
				ts = append(ts, t)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tokens of %s: %w", userID, err)
	}
	slices.SortFunc(ts, func(a, b account.Token) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Hash, b.Hash)
	})
	return ts, nil
}

// TouchToken implements account.Store.
func (s *DB) TouchToken(ctx context.Context, hash string, at time.Time) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		t, err := findToken(tx, hash)
		if err != nil {
			return err
		}
		t.LastUsedAt = storedTime(at)
		return put(tx.Bucket(bucketTokens), []byte(hash), t)
	})
}

// findToken reads the token with hash, or returns account.ErrNotFound.
func findToken(tx *bbolt.Tx, hash string) (account.Token, error) {
	var t account.Token
	ok, err := get(tx.Bucket(bucketTokens), []byte(hash), &t)
	if err == nil && !ok {
		err = fmt.Errorf("token: %w", account.ErrNotFound)
	}
	return t, err
}

// DeleteToken implements account.Store: account.ErrNotFound if there is
// no such token.
func (s *DB) DeleteToken(ctx context.Context, hash string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		t, err := findToken(tx, hash)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketTokens).Delete([]byte(hash)); err != nil {
			return err
		}
		return tx.Bucket(bucketUserTokens).Delete(join(t.UserID, t.Hash))
	})
}

// DeleteUserTokens implements account.Store. A user with no tokens is not
// an error.
func (s *DB) DeleteUserTokens(ctx context.Context, userID, except string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		tokens, byUser := tx.Bucket(bucketTokens), tx.Bucket(bucketUserTokens)
		p := prefix(userID)
		// Collect first: deleting under a live cursor can skip keys.
		for _, k := range keysWithPrefix(byUser, p) {
			if except != "" && string(k[len(p):]) == except {
				continue
			}
			if err := tokens.Delete(k[len(p):]); err != nil {
				return err
			}
			if err := byUser.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}
