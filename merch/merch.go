package merch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/errkind"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// Errors of the package, with their wire codes.
var (
	ErrNotFound = errkind.New(errkind.NotFound, "not_found", "not found")
	// ErrBadCode is a code that is not an order token of this event, or
	// whose signature does not verify.
	ErrBadCode = errkind.New(errkind.Invalid, "bad_code", "not a valid order code")
	// ErrNotPickupDesk is a gate that is not a merch desk.
	ErrNotPickupDesk = errkind.New(errkind.Forbidden, "not_pickup_desk", "this gate is not a merchandise pickup desk")
	// ErrNotPaid is an order that is not paid (pending, refunded or
	// cancelled).
	ErrNotPaid = errkind.New(errkind.Conflict, "order_not_paid", "the order is not paid")
	// ErrNoMerchandise is an order without merchandise.
	ErrNoMerchandise = errkind.New(errkind.NotFound, "no_merchandise", "the order has no merchandise")
	ErrInvalid       = errkind.New(errkind.Invalid, "invalid", "invalid")
)

// MaxLines bounds the merchandise lines of one claim.
const MaxLines = 100

// Pickup is one merchandise line of an order handed out at a desk.
type Pickup struct {
	EventID      string    `json:"event_id"`
	OrderID      string    `json:"order_id"`
	TicketTypeID string    `json:"ticket_type_id"`
	Quantity     int       `json:"quantity"`
	GateID       string    `json:"gate_id"`
	GateName     string    `json:"gate_name"`
	At           time.Time `json:"at"`
}

// Store keeps pickups. Implementations: storage/bolt and
// storage/postgres; storage/storetest checks both.
type Store interface {
	// ClaimPickups stores, in one transaction, each of ps (lines of one
	// order, at most MaxLines, distinct ticket types) whose order and
	// ticket type has no pickup on record, and returns those it stored
	// (claimed) and, for the others, the pickups on record (earlier), in
	// ps's order. Of two claims of one line at once, one stores it and
	// the other gets it in earlier.
	ClaimPickups(ctx context.Context, ps []Pickup) (claimed, earlier []Pickup, err error)
}

// CheckClaim checks a batch for Store.ClaimPickups: one order, at most
// MaxLines lines of distinct ticket types, positive quantities.
func CheckClaim(ps []Pickup) error {
	if len(ps) == 0 || len(ps) > MaxLines {
		return fmt.Errorf("claim of %d lines; want 1 to %d: %w", len(ps), MaxLines, ErrInvalid)
	}
	seen := make(map[string]bool, len(ps))
	for i, p := range ps {
		switch {
		case p.OrderID == "" || p.OrderID != ps[0].OrderID || p.EventID != ps[0].EventID:
			return fmt.Errorf("line %d: every line must be of one order and event: %w", i, ErrInvalid)
		case p.TicketTypeID == "" || seen[p.TicketTypeID]:
			return fmt.Errorf("line %d: ticket type %q missing or repeated: %w", i, p.TicketTypeID, ErrInvalid)
		case p.Quantity < 1 || p.GateID == "" || p.At.IsZero():
			return fmt.Errorf("line %d: quantity, gate and time are required: %w", i, ErrInvalid)
		}
		seen[p.TicketTypeID] = true
	}
	return nil
}

// Orders reads orders (purchase.Store).
type Orders interface {
	Order(ctx context.Context, id string) (purchase.Order, error)
}

// Catalog reads an event's ticket types (*catalog.Service).
type Catalog interface {
	EventPage(ctx context.Context, eventID string) (catalog.EventPage, error)
}

// Keys signs and checks order codes (vault.Vault).
type Keys interface {
	OrderToken(ctx context.Context, eventID, orderID string) (string, error)
	KeyringEntries(ctx context.Context, eventID string) ([]ticketcrypto.KeyringEntry, error)
}

// Service makes order codes and hands out merchandise.
type Service struct {
	Store   Store
	Orders  Orders
	Catalog Catalog
	Keys    Keys
	// Now defaults to time.Now.
	Now func() time.Time
}

// Item is a merchandise line as the buyer and the desk see it (the
// gate reads it too, so its shape is package sync's).
type Item = ticketsync.PickupItem

// Code is an order's code and what it picks up.
type Code struct {
	OrderID string `json:"order_id"`
	// Code is the order token to show at the desk (also as a QR code).
	Code  string `json:"code"`
	Items []Item `json:"items"`
}

// Code returns the code of buyerID's paid order orderID, with its
// merchandise: another buyer's order is ErrNotFound (as purchase
// answers), one unpaid ErrNotPaid, one without merchandise
// ErrNoMerchandise.
func (s *Service) Code(ctx context.Context, orderID, buyerID string) (Code, error) {
	o, err := s.Orders.Order(ctx, orderID)
	if errors.Is(err, purchase.ErrNotFound) || err == nil && o.BuyerID != buyerID {
		return Code{}, fmt.Errorf("order %s: %w", orderID, ErrNotFound)
	}
	if err != nil {
		return Code{}, err
	}
	items, err := s.items(ctx, o)
	if err != nil {
		return Code{}, err
	}
	code, err := s.Keys.OrderToken(ctx, o.EventID, o.ID)
	if err != nil {
		return Code{}, err
	}
	return Code{OrderID: o.ID, Code: code, Items: items}, nil
}

// items is a paid order's merchandise lines, named.
func (s *Service) items(ctx context.Context, o purchase.Order) ([]Item, error) {
	if o.Status != purchase.StatusPaid {
		return nil, fmt.Errorf("order %s is %s: %w", o.ID, o.Status, ErrNotPaid)
	}
	page, err := s.Catalog.EventPage(ctx, o.EventID)
	if err != nil {
		return nil, fmt.Errorf("order %s: %w", o.ID, err)
	}
	types := make(map[string]catalog.TicketType, len(page.TicketTypes))
	for _, t := range page.TicketTypes {
		types[t.ID] = t
	}
	var items []Item
	for _, l := range o.Lines {
		if t, ok := types[l.TicketTypeID]; ok && t.Kind == catalog.KindMerchandise {
			items = append(items, Item{TicketTypeID: t.ID, Name: t.Name, Quantity: l.Quantity})
		}
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("order %s: %w", o.ID, ErrNoMerchandise)
	}
	return items, nil
}

// Result is what one scan at a desk did.
type Result = ticketsync.PickupResult

// Pickup hands out, at desk g, the merchandise of the order whose code
// was scanned: every line not handed out before, claimed in one
// transaction, so each goes once across all desks.
func (s *Service) Pickup(ctx context.Context, g ticketsync.Gate, code string) (Result, error) {
	if g.Purpose != ticketsync.PurposeMerchPickup {
		return Result{}, fmt.Errorf("gate %s: %w", g.ID, ErrNotPickupDesk)
	}
	orderID, err := s.verify(ctx, g.EventID, code)
	if err != nil {
		return Result{}, err
	}
	o, err := s.Orders.Order(ctx, orderID)
	if errors.Is(err, purchase.ErrNotFound) {
		return Result{}, fmt.Errorf("order %s: %w", orderID, ErrNotFound)
	}
	if err != nil {
		return Result{}, err
	}
	if o.EventID != g.EventID {
		return Result{}, fmt.Errorf("order %s is of another event: %w", orderID, ErrBadCode)
	}
	items, err := s.items(ctx, o)
	if err != nil {
		return Result{}, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	at := now().UTC().Truncate(time.Microsecond)
	names := make(map[string]string, len(items))
	ps := make([]Pickup, len(items))
	for i, it := range items {
		names[it.TicketTypeID] = it.Name
		ps[i] = Pickup{EventID: o.EventID, OrderID: o.ID, TicketTypeID: it.TicketTypeID, Quantity: it.Quantity,
			GateID: g.ID, GateName: g.Name, At: at}
	}
	claimed, earlier, err := s.Store.ClaimPickups(ctx, ps)
	if err != nil {
		return Result{}, fmt.Errorf("pickup of order %s: %w", o.ID, err)
	}
	r := Result{OrderID: o.ID, HandedOut: []Item{}, Earlier: []Item{}}
	for _, p := range claimed {
		r.HandedOut = append(r.HandedOut, Item{TicketTypeID: p.TicketTypeID, Name: names[p.TicketTypeID], Quantity: p.Quantity})
	}
	for _, p := range earlier {
		r.Earlier = append(r.Earlier, Item{TicketTypeID: p.TicketTypeID, Name: names[p.TicketTypeID], Quantity: p.Quantity,
			GateID: p.GateID, GateName: p.GateName, At: p.At})
	}
	return r, nil
}

// verify parses an order code and checks its signature against the
// event's issuer keys; it returns the order id.
func (s *Service) verify(ctx context.Context, eventID, code string) (string, error) {
	so, err := ticketcrypto.ParseOrderText(code)
	if err != nil {
		return "", fmt.Errorf("%v: %w", err, ErrBadCode)
	}
	if so.Event.String() != eventID {
		return "", fmt.Errorf("the code is of event %s, not this desk's %s: %w", so.Event, eventID, ErrBadCode)
	}
	entries, err := s.Keys.KeyringEntries(ctx, eventID)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if e.KeyID == so.KeyID {
			if err := so.Verify(e.PublicKey); err != nil {
				return "", fmt.Errorf("%v: %w", err, ErrBadCode)
			}
			return so.Order.String(), nil
		}
	}
	return "", fmt.Errorf("the code names issuer key %s, which this event does not trust: %w", so.KeyID, ErrBadCode)
}
