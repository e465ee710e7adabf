package purchase

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

// DefaultRefundCutoff: buyers may refund their own orders until a day
// before the event starts.
const DefaultRefundCutoff = 24 * time.Hour

// TicketGrace is how long after an event ends its tickets still admit
// (late exits and re-entries, clocks that are off).
const TicketGrace = 6 * time.Hour

// MaxTicketsListed bounds Tickets.
const MaxTicketsListed = 1000

func (s *Service) logged(eventID string) {
	if s.ChangesAppended != nil {
		s.ChangesAppended(eventID)
	}
}

// MarkPaid records that the payment intentID paid an order and issues its
// tickets: one signed ticket per unit of every admission line, held by
// the buyer, stored with the payment in one transaction and logged to the
// event's change log. The payment provider's confirmation (a webhook)
// calls it, so it is idempotent: an order already paid by intentID is
// returned as it is, with no new tickets. See Store.MarkPaid.
func (s *Service) MarkPaid(ctx context.Context, orderID, intentID string) (Order, error) {
	o, err := s.Store.Order(ctx, orderID)
	if err != nil {
		return Order{}, err
	}
	return s.markPaid(ctx, o, intentID)
}

// markPaid is MarkPaid of order o as just read from the store (the store
// checks its state again under its lock).
func (s *Service) markPaid(ctx context.Context, o Order, intentID string) (Order, error) {
	if intentID == "" {
		return Order{}, invalid("payment_intent_id", "is required")
	}
	if o.Status != StatusPendingPayment {
		// Paid already (idempotent or a conflict), or no longer payable:
		// the store gives the answer without tickets.
		return s.Store.MarkPaid(ctx, o.ID, intentID, s.stamp(), nil)
	}
	now := s.stamp()
	tickets, err := s.issue(ctx, o, now)
	if err != nil {
		return Order{}, err
	}
	paid, err := s.Store.MarkPaid(ctx, o.ID, intentID, now, tickets)
	if err != nil {
		return Order{}, err
	}
	if paid.PaidAt.Equal(now) {
		if len(tickets) > 0 {
			s.logged(paid.EventID)
		}
		if s.Notifier != nil {
			s.Notifier.OrderPaid(ctx, paid)
		}
	}
	return paid, nil
}

// issue signs the tickets of order o, paid at now.
func (s *Service) issue(ctx context.Context, o Order, now time.Time) ([]Ticket, error) {
	p, err := s.eventPage(ctx, o.EventID)
	if err != nil {
		return nil, err
	}
	if p.Event.Status == catalog.StatusCancelled {
		// A payment that arrives after its event was cancelled issues
		// nothing; the payment handler gives the money back.
		return nil, fmt.Errorf("order %s: event %s is cancelled: %w", o.ID, o.EventID, ErrState)
	}
	types := make(map[string]catalog.TicketType, len(p.TicketTypes))
	for _, t := range p.TicketTypes {
		types[t.ID] = t
	}
	admission := func(id string) bool { t, ok := types[id]; return ok && t.Kind != catalog.KindMerchandise }
	var tickets []Ticket
	for _, l := range o.Lines {
		t, ok := types[l.TicketTypeID]
		if !ok {
			return nil, fmt.Errorf("order %s: ticket type %s is gone from event %s: %w", o.ID, l.TicketTypeID, o.EventID, ErrNotFound)
		}
		if !admission(t.ID) {
			continue
		}
		for range l.Quantity {
			tk, err := s.sign(ctx, p.Event, t, o.ID, o.BuyerID, now)
			if err != nil {
				return nil, err
			}
			tickets = append(tickets, tk)
		}
	}
	if err := CheckTickets(o, tickets, admission); err != nil {
		return nil, err
	}
	return tickets, nil
}

// validUntil is when an event's tickets stop admitting: TicketGrace
// after it ends (zero: unbounded).
func validUntil(ev catalog.Event) time.Time {
	if ev.EndsAt.IsZero() {
		return time.Time{}
	}
	return ev.EndsAt.Add(TicketGrace)
}

// EventMoved brings the tickets of an event whose dates changed to its
// new end: every valid ticket admits until TicketGrace after it (its
// token, signed again for its holder, says so), and the change log tells
// the gates, which then admit tokens issued before the move until then
// too (changelog.KindValidity). It returns how many tickets changed and
// is idempotent: the HTTP layer calls it after every change of an event's
// dates, and again on a retry.
func (s *Service) EventMoved(ctx context.Context, eventID string) (int, error) {
	p, err := s.eventPage(ctx, eventID)
	if err != nil {
		return 0, err
	}
	until := validUntil(p.Event)
	if until.IsZero() {
		return 0, nil
	}
	n, err := s.Store.SetValidity(ctx, eventID, until.UTC().Truncate(time.Microsecond))
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.logged(eventID)
	}
	if s.Notifier != nil {
		s.Notifier.EventMoved(ctx, p.Event)
	}
	return n, nil
}

// sign makes one valid ticket of type t for the holder.
func (s *Service) sign(ctx context.Context, ev catalog.Event, t catalog.TicketType, orderID, holderID string, now time.Time) (Ticket, error) {
	if s.Signer == nil {
		return Ticket{}, fmt.Errorf("sign a ticket of %s: this server has no ticket signer", ev.ID)
	}
	until := validUntil(ev)
	st, err := s.Signer.SignTicket(ctx, TicketToSign{EventID: ev.ID, TypeNumber: t.Number, Rotating: t.RotatingCode, ValidUntil: until})
	if err != nil {
		return Ticket{}, fmt.Errorf("sign a ticket of %s: %w", ev.ID, err)
	}
	return Ticket{
		ID: st.ID, EventID: ev.ID, TicketTypeID: t.ID, TypeNumber: t.Number, OrderID: orderID, HolderID: holderID,
		Token: st.Token, KeyID: st.KeyID, Rotating: t.RotatingCode, Status: TicketValid, IssuedAt: now, ValidUntil: until,
	}, nil
}

// RefundBy says who asks for a refund.
type RefundBy int

const (
	// RefundByBuyer is the buyer, bound by the refund cutoff.
	RefundByBuyer RefundBy = iota
	// RefundByOrganizer is the event's organizer (or an admin), who may
	// refund any paid order of the event at any time.
	RefundByOrganizer
)

// CheckRefund checks that by may refund order o now: a buyer only their
// own paid order, and only until RefundCutoff before the event starts.
// Another buyer's order is ErrNotFound.
func (s *Service) CheckRefund(ctx context.Context, o Order, buyerID string, by RefundBy) error {
	if by == RefundByOrganizer {
		return nil
	}
	if o.BuyerID != buyerID {
		return fmt.Errorf("order %s: %w", o.ID, ErrNotFound)
	}
	if o.Status == StatusRefunded {
		return nil // idempotent
	}
	p, err := s.eventPage(ctx, o.EventID)
	if err != nil {
		return err
	}
	cutoff := s.RefundCutoff
	if cutoff <= 0 {
		cutoff = DefaultRefundCutoff
	}
	if deadline := p.Event.StartsAt.Add(-cutoff); !s.now().Before(deadline) {
		return fmt.Errorf("order %s: refunds by the buyer closed at %s, %v before the event starts; ask the organizer: %w",
			o.ID, deadline.UTC().Format(time.RFC3339), cutoff, ErrRefundClosed)
	}
	if err := s.checkUnlocked(p.Event, "refund order "+o.ID); err != nil {
		return err
	}
	tickets, err := s.Store.TicketsOfOrder(ctx, o.ID)
	if err != nil {
		return err
	}
	for _, t := range tickets {
		if t.HolderID != o.BuyerID || t.RevokeReason == RevokedTransferred {
			return fmt.Errorf("refund order %s: ticket %s was transferred to another account; a transferred ticket cannot be refunded by its buyer: %w",
				o.ID, t.Root(), ErrTransferred)
		}
		if err := s.checkNotEntered(ctx, t, "refund"); err != nil {
			return err
		}
	}
	return nil
}

// checkUnlocked refuses what the event's LockTicketsAtDoors stops once
// doors opened.
func (s *Service) checkUnlocked(ev catalog.Event, what string) error {
	if ev.LockTicketsAtDoors && !ev.DoorsAt.IsZero() && !s.now().Before(ev.DoorsAt) {
		return fmt.Errorf("%s: event %s locks its tickets from doors (%s) on: %w",
			what, ev.ID, ev.DoorsAt.UTC().Format(time.RFC3339), ErrTicketsLocked)
	}
	return nil
}

// checkNotEntered refuses a ticket whose lineage has an entry on record.
func (s *Service) checkNotEntered(ctx context.Context, t Ticket, what string) error {
	e, entered, err := s.Store.Entered(ctx, t.EventID, t.Root())
	if err != nil {
		return err
	}
	if entered {
		return UsedError(what, t.ID, e)
	}
	return nil
}

// Refund marks a paid order refunded, returns its quantities to sale and
// revokes its tickets (logged to the event's change log). The money goes
// back through the payment provider, which is the caller's job, before
// this; authorization (CheckRefund) is the caller's too.
func (s *Service) Refund(ctx context.Context, orderID string) (Order, error) {
	o, err := s.Store.Refund(ctx, orderID, s.stamp())
	if err != nil {
		return Order{}, err
	}
	s.changed(o.EventID)
	s.logged(o.EventID)
	if s.Notifier != nil {
		s.Notifier.OrderRefunded(ctx, o)
	}
	return o, nil
}

// Tickets lists the holder's tickets, oldest first, at most
// MaxTicketsListed, with the tokens of the valid ones.
func (s *Service) Tickets(ctx context.Context, holderID string) ([]Ticket, error) {
	tickets, err := s.Store.TicketsOfHolder(ctx, holderID, MaxTicketsListed)
	if err != nil {
		return nil, err
	}
	return s.forViewer(ctx, tickets, holderID)
}

// Ticket returns one of the holder's tickets, with its token while it is
// valid; another holder's is ErrNotFound.
func (s *Service) Ticket(ctx context.Context, ticketID, holderID string) (Ticket, error) {
	t, err := s.Store.Ticket(ctx, ticketID)
	if err != nil {
		return Ticket{}, err
	}
	if t.HolderID != holderID {
		return Ticket{}, fmt.Errorf("ticket %s: %w", ticketID, ErrNotFound)
	}
	shown, err := s.forViewer(ctx, []Ticket{t}, holderID)
	if err != nil {
		return Ticket{}, err
	}
	return shown[0], nil
}

// OrderTickets lists the tickets of an order as viewer may see them:
// every ticket the order issued, but a token only on the valid tickets
// viewer holds. A ticket the buyer transferred is the recipient's: the
// buyer sees that it went, never its token.
func (s *Service) OrderTickets(ctx context.Context, orderID, viewer string) ([]Ticket, error) {
	tickets, err := s.Store.TicketsOfOrder(ctx, orderID)
	if err != nil {
		return nil, err
	}
	return s.forViewer(ctx, tickets, viewer)
}

// forViewer applies the one rule for ticket tokens, which are bearer
// credentials: only the holder of a valid ticket sees its token, signed
// again from the ticket's fields (stores keep no token). It returns
// tickets with every other token blank.
func (s *Service) forViewer(ctx context.Context, tickets []Ticket, viewer string) ([]Ticket, error) {
	out := make([]Ticket, len(tickets))
	for i, t := range tickets {
		switch {
		case viewer == "" || t.HolderID != viewer || t.Status != TicketValid:
			t.Token = ""
		case t.Token == "": // a ticket stored before tokens were derived keeps its stored text
			if s.Signer == nil {
				return nil, fmt.Errorf("token of ticket %s: this server has no ticket signer", t.ID)
			}
			tok, err := s.Signer.TicketToken(ctx, t)
			if err != nil {
				return nil, err
			}
			t.Token = tok
		}
		out[i] = t
	}
	return out, nil
}

// Transfer gives one of the holder's valid tickets to another account:
// a new token is signed for the recipient and the old one is revoked, so
// the ticket the sender kept (a screenshot, a printout) no longer admits.
// The new ticket replaces the old in its lineage, so gates and the server
// carry an entry over. A ticket someone entered on (ErrTicketUsed), or of
// an event that locks tickets at doors once they opened
// (ErrTicketsLocked), is not transferred. The sender gets the new
// ticket without its token: that is the recipient's.
func (s *Service) Transfer(ctx context.Context, ticketID, fromHolder, toHolder string) (Ticket, error) {
	if toHolder == "" {
		return Ticket{}, invalid("to", "is required")
	}
	old, err := s.Ticket(ctx, ticketID, fromHolder)
	if err != nil {
		return Ticket{}, err
	}
	if toHolder == fromHolder {
		return Ticket{}, invalid("to", "is the ticket's holder already")
	}
	if old.Status != TicketValid { // checked again by the store, before signing for nothing
		if done, ok := s.transferredTo(ctx, old, toHolder); ok {
			return done, nil
		}
		return Ticket{}, fmt.Errorf("transfer ticket %s: it is %s (%s): %w", old.ID, old.Status, old.RevokeReason, ErrState)
	}
	if err := s.checkNotEntered(ctx, old, "transfer"); err != nil { // and again by the store, atomically
		return Ticket{}, err
	}
	p, err := s.eventPage(ctx, old.EventID)
	if err != nil {
		return Ticket{}, err
	}
	if err := s.checkUnlocked(p.Event, "transfer ticket "+old.ID); err != nil {
		return Ticket{}, err
	}
	var typ catalog.TicketType
	for _, t := range p.TicketTypes {
		if t.ID == old.TicketTypeID {
			typ = t
		}
	}
	if typ.ID == "" {
		return Ticket{}, fmt.Errorf("ticket %s: its type %s is gone: %w", ticketID, old.TicketTypeID, ErrNotFound)
	}
	now := s.stamp()
	next, err := s.sign(ctx, p.Event, typ, old.OrderID, toHolder, now)
	if err != nil {
		return Ticket{}, err
	}
	next.Replaces, next.Lineage = old.ID, old.Root()
	if next, err = s.Store.Transfer(ctx, ticketID, fromHolder, next, now); err != nil {
		if errors.Is(err, ErrState) {
			// The same transfer, retried, committed first.
			if old, rerr := s.Store.Ticket(ctx, ticketID); rerr == nil {
				if done, ok := s.transferredTo(ctx, old, toHolder); ok {
					return done, nil
				}
			}
		}
		return Ticket{}, err
	}
	s.logged(next.EventID)
	next.Token = "" // the recipient's credential, not the sender's
	return next, nil
}

// transferredTo answers a transfer of old to toHolder that was made
// already (a retry after a lost answer or a crash): the ticket that
// replaced old, held by toHolder, without its token. Transfers are thus
// idempotent by their outcome, with or without an Idempotency-Key.
func (s *Service) transferredTo(ctx context.Context, old Ticket, toHolder string) (Ticket, bool) {
	if old.RevokeReason != RevokedTransferred || old.ReplacedBy == "" {
		return Ticket{}, false
	}
	next, err := s.Store.Ticket(ctx, old.ReplacedBy)
	if err != nil || next.HolderID != toHolder || next.Replaces != old.ID {
		return Ticket{}, false
	}
	next.Token = ""
	return next, true
}

// RotationKey returns an event's rotation key, for wallets that show
// rotating codes.
func (s *Service) RotationKey(ctx context.Context, eventID string) (ticketcrypto.RotationKey, error) {
	if s.Signer == nil {
		return ticketcrypto.RotationKey{}, fmt.Errorf("rotation key of %s: this server has no ticket signer", eventID)
	}
	return s.Signer.RotationKey(ctx, eventID)
}

// Changes returns an event's change log entries after the sequence
// number after, at most limit.
func (s *Service) Changes(ctx context.Context, eventID string, after int64, limit int) ([]changelog.Change, error) {
	return s.Store.Changes(ctx, eventID, after, limit)
}

// MaxOrdersPage bounds one OrdersOfEvent call.
const MaxOrdersPage = 1000

// EventCancellation is what CancelEventOrders did.
type EventCancellation struct {
	Refunded  int `json:"refunded"`
	Cancelled int `json:"cancelled"`
}

// CancelEventOrders winds up a cancelled event's sales: every paid order
// is refunded (refund first returns the money through the payment
// provider; then the order is marked refunded and its tickets revoked
// into the change log, so gates refuse them) and every order awaiting
// payment is cancelled. It can run again after a failure: orders already
// refunded or cancelled are left as they are. Holds need nothing: the
// event is no longer on sale, and they expire.
func (s *Service) CancelEventOrders(ctx context.Context, eventID string, refund func(context.Context, Order) error) (EventCancellation, error) {
	var res EventCancellation
	var refunded []Order // paid orders, refunded now or by an earlier run
	after := ""
	for {
		page, err := s.Store.OrdersOfEvent(ctx, eventID, after, MaxOrdersPage)
		if err != nil {
			return res, err
		}
		for _, o := range page {
			after = o.ID
			switch o.Status {
			case StatusRefunded:
				refunded = append(refunded, o)
			case StatusPaid:
				if err := refund(ctx, o); err != nil {
					return res, fmt.Errorf("refund order %s: %w", o.ID, err)
				}
				if _, err := s.Store.Refund(ctx, o.ID, s.stamp()); err != nil {
					return res, err
				}
				res.Refunded++
				refunded = append(refunded, o)
			case StatusPendingPayment:
				_, err := s.Store.CancelOrder(ctx, o.ID, s.stamp())
				switch {
				case err == nil:
					res.Cancelled++
				case !errors.Is(err, ErrState):
					return res, err
				}
				// ErrState: paid just now, before the event's cancellation
				// reached the payment; running again refunds it.
			}
		}
		if len(page) < MaxOrdersPage {
			break
		}
	}
	if res.Refunded+res.Cancelled > 0 {
		s.changed(eventID)
		s.logged(eventID)
	}
	// Told even without orders: an organizer's webhook hears of every
	// cancellation (notify.Service enqueues nothing for no buyers).
	if s.Notifier != nil {
		s.Notifier.EventCancelled(ctx, eventID, refunded)
	}
	return res, nil
}
