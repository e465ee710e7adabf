package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Invite is an invitation to join an organization's staff, for an
// address that has no account yet. It travels in a signed link
// (InviteToken) mailed to the address; nothing is stored.
type Invite struct {
	Email     string    `json:"email"`
	OrgID     string    `json:"org"`
	Role      string    `json:"role"`
	ExpiresAt time.Time `json:"exp"`
}

// InviteTTL is how long an invitation link works.
const InviteTTL = 72 * time.Hour

// inviteSecret names the HMAC key of invitation links in the secret
// store.
const inviteSecret = "notify/invite"

// maxInviteToken bounds a token before it is decoded.
const maxInviteToken = 1024

// InviteToken signs inv: its JSON and an HMAC-SHA256 of it, both
// base64url, joined by a dot.
func (s *Service) InviteToken(ctx context.Context, inv Invite) (string, error) {
	k, err := s.key(ctx, inviteSecret)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(inv)
	if err != nil {
		return "", err
	}
	body := base64.RawURLEncoding.EncodeToString(b)
	return body + "." + base64.RawURLEncoding.EncodeToString(inviteMAC(k, body)), nil
}

func inviteMAC(k []byte, body string) []byte {
	mac := hmac.New(sha256.New, k)
	mac.Write([]byte("invite\x00" + body))
	return mac.Sum(nil)
}

// ParseInvite checks an invitation token's signature (in constant time)
// and expiry, and returns the invitation. Anything else is ErrInvalid.
func (s *Service) ParseInvite(ctx context.Context, token string) (Invite, error) {
	bad := fmt.Errorf("%w: the invitation link is not valid or has expired", ErrInvalid)
	body, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > maxInviteToken {
		return Invite{}, bad
	}
	k, err := s.key(ctx, inviteSecret)
	if err != nil {
		return Invite{}, err
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, inviteMAC(k, body)) {
		return Invite{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return Invite{}, bad
	}
	var inv Invite
	if err := json.Unmarshal(raw, &inv); err != nil || !s.now().Before(inv.ExpiresAt) {
		return Invite{}, bad
	}
	return inv, nil
}
