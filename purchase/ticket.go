package purchase

import (
	"context"
	"fmt"
	"time"

	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

// TicketStatus is whether a ticket still admits.
type TicketStatus string

const (
	TicketValid   TicketStatus = "valid"
	TicketRevoked TicketStatus = "revoked"
)

// Reasons a ticket is revoked, as the change log and the gates see them.
const (
	RevokedRefunded    = "refunded"
	RevokedTransferred = "transferred"
)

// Ticket is one signed admission issued for a paid order: one per unit of
// every admission line (merchandise lines get no ticket, so a gate never
// admits a T-shirt). Its Token is the signed ticket text ("AT1:..."), a
// bearer credential shown only to the holder. Stores never keep it: it is
// signed again from the ticket's fields when its holder asks
// (Signer.TicketToken), so a copy of the database holds no ticket that
// admits.
type Ticket struct {
	ID           string `json:"id"` // the token's ticket id, "tk_" + 24 hex
	EventID      string `json:"event_id"`
	TicketTypeID string `json:"ticket_type_id"`
	// TypeNumber is the ticket type's number in the token.
	TypeNumber uint16 `json:"type_number"`
	OrderID    string `json:"order_id"`
	HolderID   string `json:"holder_id"`
	Token      string `json:"token"`
	// KeyID names the issuer key that signed the token ("kid_...").
	KeyID string `json:"key_id"`
	// Rotating tickets need the rotating code beside the token at the
	// gate (a wallet or the app shows it).
	Rotating bool         `json:"rotating"`
	Status   TicketStatus `json:"status"`
	IssuedAt time.Time    `json:"issued_at"`
	// ValidUntil is the end of the token's validity window (zero:
	// unbounded), as signed.
	ValidUntil time.Time `json:"valid_until,omitzero"`
	// RevokedAt, RevokeReason and ReplacedBy are set once revoked;
	// ReplacedBy names the ticket a transfer issued in its place.
	RevokedAt    time.Time `json:"revoked_at,omitzero"`
	RevokeReason string    `json:"revoke_reason,omitempty"`
	ReplacedBy   string    `json:"replaced_by,omitempty"`
	// Replaces names the ticket this one replaced (a transfer), and
	// Lineage the first ticket of that chain, the one originally sold
	// (empty for an original ticket: see Root). Gates and the server
	// keep one entry state per lineage, so a person inside on a ticket
	// stays inside on its replacement.
	Replaces string `json:"replaces,omitempty"`
	Lineage  string `json:"lineage,omitempty"`
}

// Root is the id of the ticket originally sold in t's lineage: the one
// whose check-in state t shares.
func (t Ticket) Root() string {
	if t.Lineage != "" {
		return t.Lineage
	}
	return t.ID
}

// Entry is the check-in that put a ticket's lineage inside first.
type Entry struct {
	TicketID  string    `json:"ticket_id"`
	CheckinID string    `json:"checkin_id"`
	GateID    string    `json:"gate_id"`
	At        time.Time `json:"at"`
}

// UsedError is ErrTicketUsed naming the ticket and the entry on record.
func UsedError(what, ticketID string, e Entry) error {
	return fmt.Errorf("%s ticket %s: it was used to enter at gate %s at %s: %w",
		what, ticketID, e.GateID, e.At.UTC().Format(time.RFC3339), ErrTicketUsed)
}

// MaxTicketsByID bounds one TicketsByID call.
const MaxTicketsByID = 1000

// TicketStore keeps issued tickets and each event's change log. Every
// write appends to the log in the same transaction as the ticket rows it
// describes, so the log never misses or invents a ticket.
type TicketStore interface {
	// Ticket returns one ticket, or ErrNotFound.
	Ticket(ctx context.Context, id string) (Ticket, error)
	// TicketsByID returns the tickets among ids that exist, by id (at
	// most MaxTicketsByID ids).
	TicketsByID(ctx context.Context, ids []string) (map[string]Ticket, error)
	// TicketsOfHolder lists a holder's tickets, valid and revoked, in
	// issue order (oldest first), at most limit.
	TicketsOfHolder(ctx context.Context, holderID string, limit int) ([]Ticket, error)
	// TicketsOfOrder lists the tickets issued for an order, in issue
	// order, including revoked ones.
	TicketsOfOrder(ctx context.Context, orderID string) ([]Ticket, error)
	// Transfer revokes the valid ticket oldID held by fromHolder (reason
	// RevokedTransferred, ReplacedBy next.ID) and stores next, valid, in
	// its place; the log gets the revoke, then the issue (with Replaces).
	// A ticket held by someone else is ErrNotFound; a revoked one is
	// ErrState; one whose lineage has an entry check-in on record is
	// ErrTicketUsed, decided in the same transaction as the transfer, so a
	// check-in arriving at the same time is either seen or comes after
	// (and then counts for next too). next must have oldID's event, type
	// and order, Replaces oldID and old's Root as Lineage (else
	// ErrInvalid).
	Transfer(ctx context.Context, oldID, fromHolder string, next Ticket, at time.Time) (Ticket, error)
	// SetValidity makes every valid ticket of an event admit until
	// validUntil (the event moved) and, if any changed, appends one
	// changelog.KindValidity entry (At validUntil) to the log, in one
	// transaction. It returns how many tickets changed; again with the
	// same time it changes none and logs nothing.
	SetValidity(ctx context.Context, eventID string, validUntil time.Time) (int, error)
	// Entered returns the first entry check-in on record for the
	// lineage root of an event (see Ticket.Root), and whether there is
	// one. Check-ins of a ticket and of the tickets it replaced count for
	// its whole lineage.
	Entered(ctx context.Context, eventID, root string) (Entry, bool, error)
	// Changes returns an event's change log entries with Seq > after, in
	// order, at most limit (1..changelog.MaxChanges); none for an unknown
	// event.
	Changes(ctx context.Context, eventID string, after int64, limit int) ([]changelog.Change, error)
	// LastSeq returns the Seq of an event's last change log entry; 0 for
	// an empty log or an unknown event.
	LastSeq(ctx context.Context, eventID string) (int64, error)
}

// CheckTickets checks the tickets a payment issues for o: one valid
// ticket per unit of each admission line, of o's event, order and buyer,
// with distinct ids. admission reports whether a ticket type admits.
func CheckTickets(o Order, tickets []Ticket, admission func(ticketTypeID string) bool) error {
	want := make(map[string]int)
	for _, l := range o.Lines {
		if admission(l.TicketTypeID) {
			want[l.TicketTypeID] += l.Quantity
		}
	}
	seen := make(map[string]bool, len(tickets))
	for i, t := range tickets {
		switch {
		case t.ID == "" || t.Token == "":
			return fmt.Errorf("order %s: ticket %d has no id or token: %w", o.ID, i, ErrInvalid)
		case seen[t.ID]:
			return fmt.Errorf("order %s: ticket id %s twice: %w", o.ID, t.ID, ErrInvalid)
		case t.EventID != o.EventID || t.OrderID != o.ID || t.HolderID != o.BuyerID:
			return fmt.Errorf("order %s: ticket %s names another event, order or holder: %w", o.ID, t.ID, ErrInvalid)
		case t.Status != TicketValid:
			return fmt.Errorf("order %s: ticket %s is %s, not valid: %w", o.ID, t.ID, t.Status, ErrInvalid)
		}
		seen[t.ID] = true
		want[t.TicketTypeID]--
	}
	for typ, n := range want {
		if n != 0 {
			return fmt.Errorf("order %s: %d tickets of type %s missing (negative: too many): %w", o.ID, n, typ, ErrInvalid)
		}
	}
	return nil
}

// Revoke marks a valid ticket revoked at the time at, reporting whether
// it changed.
func Revoke(t *Ticket, reason, replacedBy string, at time.Time) bool {
	if t.Status != TicketValid {
		return false
	}
	t.Status, t.RevokedAt, t.RevokeReason, t.ReplacedBy = TicketRevoked, at, reason, replacedBy
	return true
}

// IssueChange and RevokeChange are the log entries for t (Seq unset:
// the store numbers them).
func IssueChange(t Ticket) changelog.Change {
	return changelog.Change{EventID: t.EventID, Kind: changelog.KindIssue, TicketID: t.ID, TypeNumber: t.TypeNumber, At: t.IssuedAt, Replaces: t.Replaces}
}

func RevokeChange(t Ticket) changelog.Change {
	return changelog.Change{EventID: t.EventID, Kind: changelog.KindRevoke, TicketID: t.ID, TypeNumber: t.TypeNumber, Reason: t.RevokeReason, At: t.RevokedAt}
}

// SignedTicket is a freshly signed ticket token.
type SignedTicket struct {
	ID    string // "tk_" + 24 hex, the token's ticket id
	Token string // "AT1:..."
	KeyID string // the signing issuer key, "kid_..."
}

// TicketToSign is what a new ticket's token says: its event, its ticket
// type's number, whether it needs a rotating code as well, and until when
// it admits (zero: unbounded).
type TicketToSign struct {
	EventID    string
	TypeNumber uint16
	Rotating   bool
	ValidUntil time.Time
}

// Signer signs ticket tokens with the server's issuer keys;
// vault.Vault implements it.
type Signer interface {
	// SignTicket signs a new ticket as want describes it.
	SignTicket(ctx context.Context, want TicketToSign) (SignedTicket, error)
	// RotationKey returns the event's rotation key, from which rotating
	// codes are computed (created on first use).
	RotationKey(ctx context.Context, eventID string) (ticketcrypto.RotationKey, error)
	// TicketToken signs t's token again, with the key t.KeyID, from its
	// event, id, type, rotating flag and ValidUntil: the same text as at
	// issue, so stores need not keep it.
	TicketToken(ctx context.Context, t Ticket) (string, error)
}

// MaxTicketsPerOrder bounds the tickets one order lists, transfers
// included: far above MaxLines lines of a type's per-order maximum.
const MaxTicketsPerOrder = 100_000

// CheckTransfer checks that next may replace old: old is valid, next is
// a valid ticket of the same event, type and order with another id.
func CheckTransfer(old, next Ticket) error {
	switch {
	case old.Status != TicketValid:
		return fmt.Errorf("transfer ticket %s: it is %s (%s): %w", old.ID, old.Status, old.RevokeReason, ErrState)
	case next.ID == "" || next.ID == old.ID:
		return fmt.Errorf("transfer ticket %s: the new ticket needs its own id: %w", old.ID, ErrInvalid)
	case next.EventID != old.EventID || next.TicketTypeID != old.TicketTypeID || next.OrderID != old.OrderID || next.TypeNumber != old.TypeNumber:
		return fmt.Errorf("transfer ticket %s: the new ticket names another event, type or order: %w", old.ID, ErrInvalid)
	case next.Replaces != old.ID || next.Lineage != old.Root():
		return fmt.Errorf("transfer ticket %s: the new ticket must name it as replaced and share its lineage %s: %w", old.ID, old.Root(), ErrInvalid)
	case next.Status != TicketValid:
		return fmt.Errorf("transfer ticket %s: the new ticket is %s: %w", old.ID, next.Status, ErrInvalid)
	}
	return nil
}
