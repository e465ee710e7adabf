package purchase

import (
	"fmt"
	"time"

	"github.com/admitone/admitone/catalog"
)

// TypeLimit bounds one ticket type in a reservation.
type TypeLimit struct {
	// Capacity is how many of the type exist in all.
	Capacity int
	// PerOrderMax is the most of the type one hold may have; 0 means no
	// limit.
	PerOrderMax int
	// Shared says the type draws on the event's capacity
	// (Limits.EventCapacity) as well as its own. The Service shares
	// admission types, not merchandise.
	Shared bool
	// PerBuyerMax is the most of the type one buyer may have in active
	// holds and pending or paid orders together; 0 means no limit.
	PerBuyerMax int
	// MaxHeldPerBuyer is the most of the type one buyer may have in
	// active holds at a time (orders do not count); 0 means no limit
	// beyond the event's (Limits.MaxHeldPerBuyer).
	MaxHeldPerBuyer int
}

// Limits is what a reservation must fit, as the catalog says at the time
// of the reservation. Stores do not keep limits: each Reserve brings the
// current ones.
type Limits struct {
	// Types holds a limit for every ticket type a hold's lines name, by
	// ticket type id.
	Types map[string]TypeLimit
	// EventCapacity caps the taken quantities of all the event's Shared
	// types together (e.g. three price levels of one standing area); 0
	// means no cap beyond each type's own.
	EventCapacity int
	// MaxHeldPerBuyer caps what one buyer may have of the event's Shared
	// (admission) types in active holds at a time, all types together,
	// so that no account can hold an event's capacity; 0 means no cap.
	MaxHeldPerBuyer int
	// CodeMaxUses caps the uses of the hold's code (Hold.Code), all
	// holds and orders together; 0 means no cap.
	CodeMaxUses int
}

// shared is the part of h that draws on the event's capacity.
func (l Limits) shared(h Hold) int {
	n := 0
	for _, line := range h.Lines {
		if l.Types[line.TicketTypeID].Shared {
			n += line.Quantity
		}
	}
	return n
}

// Counter is what is taken of a ticket type, or of an event's shared
// capacity: sold (in pending or paid orders) and held (in active holds).
type Counter struct {
	Sold int
	Held int
}

// Taken is sold plus held.
func (c Counter) Taken() int { return c.Sold + c.Held }

// Hold, Release, Sell and Unsell move q of a counter: into held (a hold
// is made), out of held (it ends), from held to sold (it becomes an
// order) and out of sold (the order is cancelled or refunded). Stores
// apply them, as method expressions such as (*Counter).Sell, to every
// counter EachCounter names.
func (c *Counter) Hold(q int)    { c.Held += q }
func (c *Counter) Release(q int) { c.Held -= q }
func (c *Counter) Sell(q int)    { c.Held -= q; c.Sold += q }
func (c *Counter) Unsell(q int)  { c.Sold -= q }

// EachCounter calls fn with every counter that moving a hold's or an
// order's quantities changes, and by how much: each line's ticket type
// and the buyer's counter of it (BuyerKey) by the line's quantity, then,
// when shared is not zero, the buyer's counter of the event and the
// event's own by the shared quantity, then, when code is not nil, the
// code's counter (CodeKey) by its uses. buyer reports a buyer's counter.
// It stops at fn's first error and returns it.
func EachCounter(eventID, buyerID string, lines []Line, shared int, code *CodeUse, fn func(id string, q int, buyer bool) error) error {
	if code != nil && code.Uses > 0 {
		if err := fn(CodeKey(code.ID), code.Uses, false); err != nil {
			return err
		}
	}
	for _, l := range lines {
		if err := fn(l.TicketTypeID, l.Quantity, false); err != nil {
			return err
		}
		if err := fn(BuyerKey(buyerID, l.TicketTypeID), l.Quantity, true); err != nil {
			return err
		}
	}
	if shared == 0 {
		return nil
	}
	if err := fn(BuyerKey(buyerID, eventID), shared, true); err != nil {
		return err
	}
	return fn(eventID, shared, false)
}

// CheckHold checks a hold's shape before a store reserves it: an id, a
// buyer, an event, 1..MaxLines lines with quantities of 1 to
// catalog.MaxPerOrder and distinct ticket types each named in l, within
// each type's PerOrderMax, and an expiry after its creation. It returns an error wrapping
// ErrInvalid; stores call it first so that both backends refuse the same
// holds.
func CheckHold(h Hold, l Limits) error {
	switch {
	case h.ID == "":
		return fmt.Errorf("hold has no id: %w", ErrInvalid)
	case h.BuyerID == "":
		return fmt.Errorf("hold %s has no buyer: %w", h.ID, ErrInvalid)
	case h.EventID == "":
		return fmt.Errorf("hold %s has no event: %w", h.ID, ErrInvalid)
	case len(h.Lines) == 0 || len(h.Lines) > MaxLines:
		return fmt.Errorf("hold %s has %d lines, want 1 to %d: %w", h.ID, len(h.Lines), MaxLines, ErrInvalid)
	case !h.ExpiresAt.After(h.CreatedAt):
		return fmt.Errorf("hold %s expires at %s, not after its creation: %w", h.ID, h.ExpiresAt.Format(time.RFC3339Nano), ErrInvalid)
	case l.EventCapacity < 0:
		return fmt.Errorf("hold %s: event capacity %d is negative: %w", h.ID, l.EventCapacity, ErrInvalid)
	case l.MaxHeldPerBuyer < 0:
		return fmt.Errorf("hold %s: held-per-buyer limit %d is negative: %w", h.ID, l.MaxHeldPerBuyer, ErrInvalid)
	case l.CodeMaxUses < 0:
		return fmt.Errorf("hold %s: code uses limit %d is negative: %w", h.ID, l.CodeMaxUses, ErrInvalid)
	case h.Code != nil && (h.Code.ID == "" || h.Code.Uses < 1 || h.Code.Uses > h.Quantity()):
		return fmt.Errorf("hold %s: its code must have an id and 1 to %d uses: %w", h.ID, h.Quantity(), ErrInvalid)
	}
	seen := make(map[string]bool, len(h.Lines))
	for _, line := range h.Lines {
		tl, ok := l.Types[line.TicketTypeID]
		switch {
		case !ok:
			return fmt.Errorf("hold %s: no limits for ticket type %q: %w", h.ID, line.TicketTypeID, ErrInvalid)
		case seen[line.TicketTypeID]:
			return fmt.Errorf("hold %s names ticket type %s twice: %w", h.ID, line.TicketTypeID, ErrInvalid)
		case line.Quantity < 1 || line.Quantity > catalog.MaxPerOrder:
			return fmt.Errorf("hold %s: quantity %d of %s is outside 1 to %d: %w", h.ID, line.Quantity, line.TicketTypeID, catalog.MaxPerOrder, ErrInvalid)
		case tl.PerOrderMax > 0 && line.Quantity > tl.PerOrderMax:
			return fmt.Errorf("hold %s: %d of %s is more than the %d allowed per order: %w",
				h.ID, line.Quantity, line.TicketTypeID, tl.PerOrderMax, ErrInvalid)
		case tl.Capacity < 0:
			return fmt.Errorf("hold %s: capacity %d of %s is negative: %w", h.ID, tl.Capacity, line.TicketTypeID, ErrInvalid)
		case tl.MaxHeldPerBuyer < 0:
			return fmt.Errorf("hold %s: held-per-buyer limit %d of %s is negative: %w", h.ID, tl.MaxHeldPerBuyer, line.TicketTypeID, ErrInvalid)
		}
		seen[line.TicketTypeID] = true
	}
	return nil
}

// Fit reports whether h fits in what is left: nil, or an error wrapping
// ErrSoldOut that names the first ticket type (or the event) without
// room, ErrBuyerLimit (a type's PerBuyerMax), ErrHoldLimit (a
// MaxHeldPerBuyer of a type or of the event) or ErrCodeUsedUp (the
// hold's code has fewer uses left than it needs). count returns the counter
// of a ticket type id, of the event id (the shared capacity's), or of a
// BuyerKey. h must have passed CheckHold.
func Fit(h Hold, l Limits, count func(id string) Counter) error {
	for _, line := range h.Lines {
		tl := l.Types[line.TicketTypeID]
		if left := tl.Capacity - count(line.TicketTypeID).Taken(); line.Quantity > left {
			return fmt.Errorf("ticket type %s has %d left, %d wanted: %w", line.TicketTypeID, max(left, 0), line.Quantity, ErrSoldOut)
		}
		if tl.PerBuyerMax == 0 && tl.MaxHeldPerBuyer == 0 {
			continue
		}
		buyer := count(BuyerKey(h.BuyerID, line.TicketTypeID))
		if tl.PerBuyerMax > 0 && buyer.Taken()+line.Quantity > tl.PerBuyerMax {
			return fmt.Errorf("ticket type %s allows %d per buyer; this buyer has %d and wants %d more: %w",
				line.TicketTypeID, tl.PerBuyerMax, buyer.Taken(), line.Quantity, ErrBuyerLimit)
		}
		if tl.MaxHeldPerBuyer > 0 && buyer.Held+line.Quantity > tl.MaxHeldPerBuyer {
			return fmt.Errorf("ticket type %s lets one buyer hold %d at a time; this buyer holds %d and wants %d more (check out or release a hold first): %w",
				line.TicketTypeID, tl.MaxHeldPerBuyer, buyer.Held, line.Quantity, ErrHoldLimit)
		}
	}
	if c := h.Code; c != nil && l.CodeMaxUses > 0 {
		if left := l.CodeMaxUses - count(CodeKey(c.ID)).Taken(); c.Uses > left {
			return fmt.Errorf("code %s has %d uses left, %d wanted: %w", c.ID, max(left, 0), c.Uses, ErrCodeUsedUp)
		}
	}
	want := l.shared(h)
	if l.MaxHeldPerBuyer > 0 && want > 0 {
		if held := count(BuyerKey(h.BuyerID, h.EventID)).Held; held+want > l.MaxHeldPerBuyer {
			return fmt.Errorf("event %s lets one buyer hold %d tickets at a time; this buyer holds %d and wants %d more (check out or release a hold first): %w",
				h.EventID, l.MaxHeldPerBuyer, held, want, ErrHoldLimit)
		}
	}
	if l.EventCapacity > 0 {
		if left := l.EventCapacity - count(h.EventID).Taken(); want > 0 && want > left {
			return fmt.Errorf("event %s has %d left, %d wanted: %w", h.EventID, max(left, 0), want, ErrSoldOut)
		}
	}
	return nil
}

// Shared is the part of h's quantity that draws on the event's capacity
// under l. Stores record it with the hold so that releasing the hold
// later gives back exactly what it took, whatever the limits are then.
func Shared(h Hold, l Limits) int { return l.shared(h) }

// BuyerKey is the counter of what one buyer has of a ticket type (held
// and sold), kept beside the type's own so that Fit can apply
// PerBuyerMax and a type's MaxHeldPerBuyer in the same atomic step; with
// an event id it is the buyer's counter of the event's shared
// (admission) quantities, for the event's MaxHeldPerBuyer. Stores move
// both with the type's and the event's counters; Taken leaves them out.
func BuyerKey(buyerID, id string) string {
	return BuyerKeyPrefix + buyerID + ":" + id
}

// BuyerKeyPrefix starts every BuyerKey; no ticket type or event id does.
const BuyerKeyPrefix = "by:"
