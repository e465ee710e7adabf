package desk

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// Orders is what the desk reads of orders and tickets; purchase.Store
// has it.
type Orders interface {
	Order(ctx context.Context, id string) (purchase.Order, error)
	OrdersOfEvent(ctx context.Context, eventID, after string, limit int) ([]purchase.Order, error)
	TicketsOfOrder(ctx context.Context, orderID string) ([]purchase.Ticket, error)
	Entered(ctx context.Context, eventID, root string) (purchase.Entry, bool, error)
}

// Users is what the desk reads of accounts; account.Store has it.
type Users interface {
	UserByID(ctx context.Context, id string) (account.User, error)
	UserByEmail(ctx context.Context, email string) (account.User, error)
}

// Events lists an organization's events; catalog.Store has it.
type Events interface {
	OrgEvents(ctx context.Context, orgID, after string, limit int) ([]catalog.Event, error)
}

// Gates lists an event's gates; sync.Store has it.
type Gates interface {
	GatesOfEvent(ctx context.Context, eventID string) ([]ticketsync.Gate, error)
}

// Service answers the desk's lists.
type Service struct {
	Orders Orders
	Users  Users
	Events Events
	Gates  Gates
}

// MaxScan bounds the orders one page of a search or of attendees reads.
const MaxScan = 2000

// scanBatch is how many orders one OrdersOfEvent call reads.
const scanBatch = 200

// ErrInvalid is a query the desk does not accept.
var ErrInvalid = purchase.ErrInvalid

// OrderQuery is a search of an event's orders.
type OrderQuery struct {
	// Q is an order id (ord_...), a buyer's email (it has an @) or part
	// of a buyer's name or email (case-insensitive); empty matches all.
	Q string
	// Status, when set, keeps orders in that status only.
	Status purchase.Status
	// After is the cursor: list orders with a greater id.
	After string
	Limit int
}

// OrderRow is an order with its buyer's email and name.
type OrderRow struct {
	purchase.Order
	BuyerEmail string `json:"buyer_email"`
	BuyerName  string `json:"buyer_name,omitempty"`
}

// OrderPage is a page of a search.
type OrderPage struct {
	Orders     []OrderRow
	NextCursor string
}

// SearchOrders lists the orders of event eventID that match q, in id
// order (see the package doc for how far one page reads).
func (s *Service) SearchOrders(ctx context.Context, eventID string, q OrderQuery) (OrderPage, error) {
	if q.Limit < 1 {
		return OrderPage{}, fmt.Errorf("search orders: limit %d: %w", q.Limit, ErrInvalid)
	}
	users := userCache{users: s.Users, m: map[string]account.User{}}
	text := strings.TrimSpace(q.Q)
	statusOK := func(o purchase.Order) bool { return q.Status == "" || o.Status == q.Status }
	if id.Valid(text, "ord") {
		o, err := s.Orders.Order(ctx, text)
		if errors.Is(err, purchase.ErrNotFound) || err == nil && (o.EventID != eventID || !statusOK(o) || o.ID <= q.After) {
			return OrderPage{}, nil
		}
		if err != nil {
			return OrderPage{}, err
		}
		row, err := users.row(ctx, o)
		if err != nil {
			return OrderPage{}, err
		}
		return OrderPage{Orders: []OrderRow{row}}, nil
	}
	match := func(OrderRow) bool { return true }
	switch {
	case strings.Contains(text, "@"):
		email, err := account.NormalizeEmail(text)
		if err != nil {
			return OrderPage{}, nil // no account has it
		}
		u, err := s.Users.UserByEmail(ctx, email)
		if errors.Is(err, account.ErrNotFound) {
			return OrderPage{}, nil
		}
		if err != nil {
			return OrderPage{}, fmt.Errorf("search orders: buyer %s: %w", email, err)
		}
		match = func(r OrderRow) bool { return r.BuyerID == u.ID }
	case text != "":
		needle := strings.ToLower(text)
		match = func(r OrderRow) bool {
			return strings.Contains(strings.ToLower(r.BuyerName), needle) || strings.Contains(strings.ToLower(r.BuyerEmail), needle)
		}
	}
	var page OrderPage
	last, bounded, err := s.eachOrder(ctx, eventID, q.After, func(o purchase.Order) (bool, error) {
		if !statusOK(o) {
			return true, nil
		}
		row, err := users.row(ctx, o)
		if err != nil || !match(row) {
			return err == nil, err
		}
		if len(page.Orders) == q.Limit {
			page.NextCursor = page.Orders[q.Limit-1].ID
			return false, nil
		}
		page.Orders = append(page.Orders, row)
		return true, nil
	})
	if err != nil {
		return OrderPage{}, err
	}
	if bounded {
		page.NextCursor = last // go on after the last order read
	}
	return page, nil
}

// eachOrder calls fn with the event's orders with id greater than after,
// in id order, until fn returns false or MaxScan orders were read. It
// returns the id of the last order read and whether the scan stopped at
// MaxScan with orders left to read.
func (s *Service) eachOrder(ctx context.Context, eventID, after string, fn func(purchase.Order) (bool, error)) (string, bool, error) {
	for scanned := 0; scanned < MaxScan; {
		n := min(scanBatch, MaxScan-scanned)
		batch, err := s.Orders.OrdersOfEvent(ctx, eventID, after, n)
		if err != nil {
			return after, false, fmt.Errorf("orders of %s: %w", eventID, err)
		}
		for _, o := range batch {
			scanned++
			more, err := fn(o)
			if err != nil || !more {
				return o.ID, false, err
			}
			after = o.ID
		}
		if len(batch) < n {
			return after, false, nil // the end of the event's orders
		}
	}
	return after, true, nil
}

// userCache reads each buyer's account once per page.
type userCache struct {
	users Users
	m     map[string]account.User
}

func (c *userCache) user(ctx context.Context, userID string) (account.User, error) {
	if u, ok := c.m[userID]; ok {
		return u, nil
	}
	u, err := c.users.UserByID(ctx, userID)
	if errors.Is(err, account.ErrNotFound) {
		u, err = account.User{ID: userID}, nil // an account since removed
	}
	if err != nil {
		return account.User{}, fmt.Errorf("account %s: %w", userID, err)
	}
	c.m[userID] = account.User{ID: u.ID, Email: u.Email, Name: u.Name}
	return c.m[userID], nil
}

func (c *userCache) row(ctx context.Context, o purchase.Order) (OrderRow, error) {
	u, err := c.user(ctx, o.BuyerID)
	if err != nil {
		return OrderRow{}, err
	}
	return OrderRow{Order: o, BuyerEmail: u.Email, BuyerName: u.Name}, nil
}

// Attendee is a valid ticket of an event and who holds it.
type Attendee struct {
	TicketID       string `json:"ticket_id"`
	OrderID        string `json:"order_id"`
	TicketTypeID   string `json:"ticket_type_id"`
	TicketTypeName string `json:"ticket_type_name"`
	HolderID       string `json:"holder_id"`
	HolderEmail    string `json:"holder_email"`
	HolderName     string `json:"holder_name,omitempty"`
	// CheckedIn: the ticket's lineage has an entry on record (at
	// CheckedInAt, at gate GateID).
	CheckedIn   bool      `json:"checked_in"`
	CheckedInAt time.Time `json:"checked_in_at,omitzero"`
	GateID      string    `json:"gate_id,omitempty"`
}

// AttendeeCursor is a position in an event's attendees: after ticket
// TicketID of order OrderID (or after the whole order when TicketID is
// empty).
type AttendeeCursor struct {
	OrderID, TicketID string
}

// String is the cursor's text form, order id and ticket id joined by '.'.
func (c AttendeeCursor) String() string { return c.OrderID + "." + c.TicketID }

// ParseAttendeeCursor reads AttendeeCursor.String's form.
func ParseAttendeeCursor(s string) (AttendeeCursor, error) {
	o, t, ok := strings.Cut(s, ".")
	if !ok || !id.Valid(o, "ord") || (t != "" && !strings.HasPrefix(t, "tk_")) || len(t) > 64 {
		return AttendeeCursor{}, fmt.Errorf("attendee cursor %q: %w", s, ErrInvalid)
	}
	return AttendeeCursor{OrderID: o, TicketID: t}, nil
}

// AttendeePage is a page of attendees.
type AttendeePage struct {
	Attendees  []Attendee
	NextCursor string
}

// Attendees lists the holders of valid tickets of event eventID after
// cursor, at most limit; typeNames names the event's ticket types by id.
func (s *Service) Attendees(ctx context.Context, eventID string, after AttendeeCursor, limit int, typeNames map[string]string) (AttendeePage, error) {
	if limit < 1 {
		return AttendeePage{}, fmt.Errorf("attendees: limit %d: %w", limit, ErrInvalid)
	}
	users := userCache{users: s.Users, m: map[string]account.User{}}
	var page AttendeePage
	// add lists an order's valid tickets after afterTicket; it reports
	// false when the page is full (and has its cursor).
	add := func(orderID, afterTicket string) (bool, error) {
		tickets, err := s.Orders.TicketsOfOrder(ctx, orderID)
		if err != nil {
			return false, fmt.Errorf("tickets of order %s: %w", orderID, err)
		}
		slices.SortFunc(tickets, func(a, b purchase.Ticket) int { return cmp.Compare(a.ID, b.ID) })
		for _, t := range tickets {
			if t.Status != purchase.TicketValid || t.EventID != eventID || t.ID <= afterTicket {
				continue
			}
			if len(page.Attendees) == limit {
				last := page.Attendees[limit-1]
				page.NextCursor = AttendeeCursor{OrderID: last.OrderID, TicketID: last.TicketID}.String()
				return false, nil
			}
			u, err := users.user(ctx, t.HolderID)
			if err != nil {
				return false, err
			}
			a := Attendee{TicketID: t.ID, OrderID: orderID, TicketTypeID: t.TicketTypeID, TicketTypeName: typeNames[t.TicketTypeID],
				HolderID: t.HolderID, HolderEmail: u.Email, HolderName: u.Name}
			e, ok, err := s.Orders.Entered(ctx, eventID, t.Root())
			if err != nil {
				return false, fmt.Errorf("entry of ticket %s: %w", t.ID, err)
			}
			if ok {
				a.CheckedIn, a.CheckedInAt, a.GateID = true, e.At, e.GateID
			}
			page.Attendees = append(page.Attendees, a)
		}
		return true, nil
	}
	if after.OrderID != "" && after.TicketID != "" {
		if more, err := add(after.OrderID, after.TicketID); err != nil || !more {
			return page, err
		}
	}
	last, bounded, err := s.eachOrder(ctx, eventID, after.OrderID, func(o purchase.Order) (bool, error) {
		if o.Status != purchase.StatusPaid {
			return true, nil
		}
		return add(o.ID, "")
	})
	if err != nil {
		return AttendeePage{}, err
	}
	if bounded {
		page.NextCursor = AttendeeCursor{OrderID: last}.String()
	}
	return page, nil
}

// OrgGates lists the gates of every event of organization orgID with id
// greater than after, in id order, at most limit.
func (s *Service) OrgGates(ctx context.Context, orgID, after string, limit int) ([]ticketsync.Gate, error) {
	if limit < 1 {
		return nil, fmt.Errorf("gates of %s: limit %d: %w", orgID, limit, ErrInvalid)
	}
	var gates []ticketsync.Gate
	cursor := ""
	for {
		events, err := s.Events.OrgEvents(ctx, orgID, cursor, 500)
		if err != nil {
			return nil, fmt.Errorf("events of %s: %w", orgID, err)
		}
		for _, e := range events {
			gs, err := s.Gates.GatesOfEvent(ctx, e.ID)
			if err != nil {
				return nil, fmt.Errorf("gates of event %s: %w", e.ID, err)
			}
			for _, g := range gs {
				if g.ID > after {
					gates = append(gates, g)
				}
			}
		}
		if len(events) < 500 {
			break
		}
		cursor = events[len(events)-1].ID
	}
	slices.SortFunc(gates, func(a, b ticketsync.Gate) int { return cmp.Compare(a.ID, b.ID) })
	if len(gates) > limit {
		gates = gates[:limit]
	}
	return gates, nil
}
