package purchase

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/admitone/admitone/internal/errkind"
)

// A ticket link takes a ticket to a phone without a bearer token: what a
// confirmation email or a "send to my phone" button carries. Its token,
// "aotl_" and 43 characters of unpadded base64url (32 random bytes), is
// a secret the store never keeps: it keeps the token's SHA-256. The first
// device that opens the link binds it (the device proves itself with a
// secret of its own, kept as a hash too); other devices are refused. A
// link stops working when it expires, when its holder revokes the
// ticket's links, and when the ticket no longer admits (refunded,
// transferred), which the Service checks on every use.

// LinkTokenPrefix starts every ticket link token.
const LinkTokenPrefix = "aotl_"

// linkSecretSize is the random part of a link token, and of a device
// secret, in bytes.
const linkSecretSize = 32

// LinkTokenLen is the length of a link token's text.
var LinkTokenLen = len(LinkTokenPrefix) + base64.RawURLEncoding.EncodedLen(linkSecretSize)

// DefaultLinkTTL is how long a ticket link lasts when Service.LinkTTL is
// zero.
const DefaultLinkTTL = 7 * 24 * time.Hour

// MaxLinksPerTicket bounds the unexpired links of one ticket.
const MaxLinksPerTicket = 20

// Link errors. Each is answered without saying whether the ticket exists.
var (
	ErrLinkMalformed = errkind.New(errkind.NotFound, "link_invalid", "not a ticket link")
	ErrLinkNotFound  = errkind.New(errkind.NotFound, "link_not_found", "ticket link not found")
	ErrLinkExpired   = errkind.New(errkind.Expired, "link_expired", "ticket link expired")
	ErrLinkRevoked   = errkind.New(errkind.Expired, "link_revoked", "ticket link revoked by the ticket's holder")
	// ErrLinkUsed is a link opened on a device other than the one that
	// opened it first.
	ErrLinkUsed = errkind.New(errkind.Expired, "link_used", "ticket link opened on another device already")
)

// Link is a ticket link as stored: Hash is the SHA-256 of the token, hex.
type Link struct {
	Hash      string    `json:"hash"`
	TicketID  string    `json:"ticket_id"`
	HolderID  string    `json:"holder_id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// DeviceHash is the SHA-256 (hex) of the secret of the device that
	// opened the link first; empty until then.
	DeviceHash string    `json:"device_hash,omitempty"`
	BoundAt    time.Time `json:"bound_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// LinkStore keeps ticket links.
type LinkStore interface {
	// CreateLink stores a new link of an existing ticket (else
	// ErrNotFound); a taken hash is ErrConflict.
	CreateLink(ctx context.Context, l Link) error
	// Link returns the link with that hash, or ErrNotFound.
	Link(ctx context.Context, hash string) (Link, error)
	// BindLink sets the link's DeviceHash and BoundAt if it has no
	// device yet, atomically (of two binds at once one wins), and
	// returns the link as stored after: bound to deviceHash or to the
	// device that came first. ErrNotFound for an unknown hash.
	BindLink(ctx context.Context, hash, deviceHash string, at time.Time) (Link, error)
	// RevokeLinks marks every link of the ticket not yet revoked
	// revoked at at, and returns how many.
	RevokeLinks(ctx context.Context, ticketID string, at time.Time) (int, error)
	// CountLinks counts the ticket's links not revoked that expire
	// after now.
	CountLinks(ctx context.Context, ticketID string, now time.Time) (int, error)
}

// ParseLinkToken checks a link token's form and returns the hash under
// which its link is stored.
func ParseLinkToken(s string) (string, error) {
	if len(s) != LinkTokenLen || !strings.HasPrefix(s, LinkTokenPrefix) {
		return "", fmt.Errorf("%w: want %q and %d characters", ErrLinkMalformed, LinkTokenPrefix, LinkTokenLen-len(LinkTokenPrefix))
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s[len(LinkTokenPrefix):])
	if err != nil || len(raw) != linkSecretSize {
		return "", fmt.Errorf("%w: the part after %q is not unpadded base64url", ErrLinkMalformed, LinkTokenPrefix)
	}
	return hashHex(raw), nil
}

// ParseDeviceSecret checks a device secret (43 characters of unpadded
// base64url) and returns its hash.
func ParseDeviceSecret(s string) (string, error) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) != linkSecretSize {
		return "", fmt.Errorf("%w: device secret is not %d bytes of unpadded base64url", ErrInvalid, linkSecretSize)
	}
	return hashHex(raw), nil
}

// NewDeviceSecret returns a new device secret.
func NewDeviceSecret() string {
	b := make([]byte, linkSecretSize)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// CreateLink makes a link to one of the holder's valid tickets, lasting
// LinkTTL, and returns its token (shown once) with the stored link.
func (s *Service) CreateLink(ctx context.Context, ticketID, holderID string) (string, Link, error) {
	t, err := s.Ticket(ctx, ticketID, holderID)
	if err != nil {
		return "", Link{}, err
	}
	now := s.now()
	if err := checkAdmits(t, now); err != nil {
		return "", Link{}, err
	}
	n, err := s.Store.CountLinks(ctx, t.ID, now)
	if err != nil {
		return "", Link{}, err
	}
	if n >= MaxLinksPerTicket {
		return "", Link{}, fmt.Errorf("ticket %s has %d links already; revoke them (DELETE) first: %w", t.ID, n, ErrConflict)
	}
	ttl := s.LinkTTL
	if ttl <= 0 {
		ttl = DefaultLinkTTL
	}
	secret := make([]byte, linkSecretSize)
	rand.Read(secret)
	l := Link{Hash: hashHex(secret), TicketID: t.ID, HolderID: holderID,
		CreatedAt: now.UTC().Truncate(time.Microsecond), ExpiresAt: now.Add(ttl).UTC().Truncate(time.Microsecond)}
	if err := s.Store.CreateLink(ctx, l); err != nil {
		return "", Link{}, err
	}
	return LinkTokenPrefix + base64.RawURLEncoding.EncodeToString(secret), l, nil
}

// RedeemLink opens a link on the device whose secret's hash is
// deviceHash (ParseDeviceSecret): the first device binds it, others get
// ErrLinkUsed. It returns the ticket with its token while the ticket
// admits (else ErrTicketRevoked, ErrTicketTransferred, ErrTicketExpired).
func (s *Service) RedeemLink(ctx context.Context, token, deviceHash string) (Ticket, error) {
	hash, err := ParseLinkToken(token)
	if err != nil {
		return Ticket{}, err
	}
	l, err := s.Store.Link(ctx, hash)
	if err != nil {
		return Ticket{}, linkNotFound(err)
	}
	now := s.now()
	switch {
	case !l.RevokedAt.IsZero():
		return Ticket{}, fmt.Errorf("this link was revoked at %s; ask the ticket's holder for a new one: %w", l.RevokedAt.Format(time.RFC3339), ErrLinkRevoked)
	case !now.Before(l.ExpiresAt):
		return Ticket{}, fmt.Errorf("this link expired at %s; ask the ticket's holder for a new one: %w", l.ExpiresAt.Format(time.RFC3339), ErrLinkExpired)
	}
	if l.DeviceHash == "" {
		if l, err = s.Store.BindLink(ctx, hash, deviceHash, now.UTC().Truncate(time.Microsecond)); err != nil {
			return Ticket{}, linkNotFound(err)
		}
	}
	if subtle.ConstantTimeCompare([]byte(l.DeviceHash), []byte(deviceHash)) != 1 {
		return Ticket{}, fmt.Errorf("this link was opened on another device at %s; a link works on one device only: %w", l.BoundAt.Format(time.RFC3339), ErrLinkUsed)
	}
	t, err := s.Ticket(ctx, l.TicketID, l.HolderID)
	if err != nil {
		// The ticket went to someone else: its holder changed.
		return Ticket{}, linkNotFound(err)
	}
	if err := checkAdmits(t, now); err != nil {
		return Ticket{}, err
	}
	return t, nil
}

func linkNotFound(err error) error {
	if errors.Is(err, errkind.NotFound) {
		return fmt.Errorf("no such ticket link; check that it was copied whole: %w", ErrLinkNotFound)
	}
	return err
}

// RevokeLinks ends every link of one of the holder's tickets, and
// returns how many.
func (s *Service) RevokeLinks(ctx context.Context, ticketID, holderID string) (int, error) {
	t, err := s.Ticket(ctx, ticketID, holderID)
	if err != nil {
		return 0, err
	}
	return s.Store.RevokeLinks(ctx, t.ID, s.now().UTC().Truncate(time.Microsecond))
}
