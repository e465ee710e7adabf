package catalog

import (
	"context"
	"fmt"
	"time"
)

// The organizer's desk: listing an organization's venues, editing and
// removing venues, ticket types and draft events. Authorization is the
// caller's, as everywhere in the Service.

// OrgVenues lists the venues of organization orgID with id greater than
// after, in id order, at most limit.
func (s *Service) OrgVenues(ctx context.Context, orgID, after string, limit int) ([]Venue, error) {
	vs, err := s.Store.OrgVenues(ctx, orgID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list venues of %s: %w", orgID, err)
	}
	return vs, nil
}

// VenuePatch is a change to a venue: nil fields stay as they are.
type VenuePatch struct {
	Name    *string
	Address *string
	City    *string
	Country *string
	Lat     *float64
	Lon     *float64
}

// UpdateVenue changes a venue, checked as CreateVenue checks a new one.
// The events at the venue are re-indexed (search shows a venue's city
// and place).
func (s *Service) UpdateVenue(ctx context.Context, venueID string, p VenuePatch) (Venue, error) {
	v, err := s.Store.UpdateVenue(ctx, venueID, func(v *Venue) error {
		setIf(&v.Name, p.Name)
		setIf(&v.Address, p.Address)
		setIf(&v.City, p.City)
		setIf(&v.Country, p.Country)
		setIf(&v.Lat, p.Lat)
		setIf(&v.Lon, p.Lon)
		return validateVenue(v)
	})
	if err != nil {
		return Venue{}, wrapUnlessField(err, "update venue %q", venueID)
	}
	if err := s.eachEventAt(ctx, v, func(e Event) { s.changed(ctx, e.ID) }); err != nil {
		return Venue{}, err
	}
	return v, nil
}

// eachEventAt calls fn with every event of v's organization at v.
func (s *Service) eachEventAt(ctx context.Context, v Venue, fn func(Event)) error {
	after := ""
	for {
		events, err := s.Store.OrgEvents(ctx, v.OrgID, after, 500)
		if err != nil {
			return fmt.Errorf("events at venue %s: %w", v.ID, err)
		}
		for _, e := range events {
			if e.VenueID == v.ID {
				fn(e)
			}
		}
		if len(events) < 500 {
			return nil
		}
		after = events[len(events)-1].ID
	}
}

// DeleteVenue removes a venue no event is at (ErrInUse otherwise, in any
// status: a past event keeps its venue).
func (s *Service) DeleteVenue(ctx context.Context, venueID string) error {
	if err := s.Store.DeleteVenue(ctx, venueID); err != nil {
		return fmt.Errorf("delete venue %q: %w", venueID, err)
	}
	return nil
}

// TicketTypePatch is a change to a ticket type: nil fields stay as they
// are. A zero time in SaleStarts or SaleEnds removes that bound.
type TicketTypePatch struct {
	Name            *string
	Price           *Money
	Capacity        *int
	SaleStarts      *time.Time
	SaleEnds        *time.Time
	PerOrderMax     *int
	PerBuyerMax     *int
	MaxHeldPerBuyer *int
	RotatingCode    *bool
}

// UpdateTicketType changes a ticket type of a draft or published event,
// checked as CreateTicketType checks a new one, and against what is taken
// (sold or held, from Inventory): the capacity cannot go below it, and the
// price (amount or currency) can change only while nothing is taken, so
// no two buyers pay different prices for the same type unknowingly.
func (s *Service) UpdateTicketType(ctx context.Context, eventID, typeID string, p TicketTypePatch) (TicketType, error) {
	e, err := s.editableEvent(ctx, eventID, "change a ticket type of")
	if err != nil {
		return TicketType{}, err
	}
	taken, err := s.taken(ctx, eventID)
	if err != nil {
		return TicketType{}, err
	}
	others, err := s.Store.TicketTypes(ctx, eventID)
	if err != nil {
		return TicketType{}, fmt.Errorf("event %q: %w", eventID, err)
	}
	t, err := s.Store.UpdateTicketType(ctx, eventID, typeID, func(t *TicketType) error {
		n := taken[t.ID]
		if p.Price != nil && *p.Price != t.Price && n > 0 {
			return fmt.Errorf("ticket type %s: the price cannot change once tickets are sold or held (%d taken); close it and add another type: %w", t.ID, n, ErrInUse)
		}
		setIf(&t.Name, p.Name)
		setIf(&t.Price, p.Price)
		setIf(&t.Capacity, p.Capacity)
		setIf(&t.SaleStarts, p.SaleStarts)
		setIf(&t.SaleEnds, p.SaleEnds)
		setIf(&t.PerOrderMax, p.PerOrderMax)
		setIf(&t.PerBuyerMax, p.PerBuyerMax)
		setIf(&t.MaxHeldPerBuyer, p.MaxHeldPerBuyer)
		setIf(&t.RotatingCode, p.RotatingCode)
		if err := validateTicketType(t, e); err != nil {
			return err
		}
		if t.Capacity < n {
			return invalid("capacity", "must not be below what is sold or held (%d)", n)
		}
		for _, o := range others {
			if o.ID != t.ID && o.Price.Currency != t.Price.Currency {
				return invalid("currency", "must be %s like the event's other ticket types (got %s)", o.Price.Currency, t.Price.Currency)
			}
		}
		return nil
	})
	if err != nil {
		return TicketType{}, wrapUnlessField(err, "update ticket type %q", typeID)
	}
	s.changed(ctx, eventID)
	return t, nil
}

// CloseTicketType ends a ticket type's sale now: it stays on the event
// page and its tickets stay valid, but no more are sold. It is how a
// type with sales is withdrawn (DeleteTicketType refuses one). A sale
// that had not started yet starts and ends now.
func (s *Service) CloseTicketType(ctx context.Context, eventID, typeID string) (TicketType, error) {
	if _, err := s.editableEvent(ctx, eventID, "close a ticket type of"); err != nil {
		return TicketType{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	t, err := s.Store.UpdateTicketType(ctx, eventID, typeID, func(t *TicketType) error {
		if !t.SaleEnds.IsZero() && !t.SaleEnds.After(now) {
			return nil // closed already
		}
		if !t.SaleStarts.IsZero() && !t.SaleStarts.Before(now) {
			t.SaleStarts = now.Add(-time.Second)
		}
		t.SaleEnds = now
		return nil
	})
	if err != nil {
		return TicketType{}, fmt.Errorf("close ticket type %q: %w", typeID, err)
	}
	s.changed(ctx, eventID)
	return t, nil
}

// DeleteTicketType removes a ticket type nothing was sold or held of
// (ErrInUse otherwise: close it instead). A published event keeps at
// least one type.
func (s *Service) DeleteTicketType(ctx context.Context, eventID, typeID string) error {
	e, err := s.editableEvent(ctx, eventID, "delete a ticket type of")
	if err != nil {
		return err
	}
	taken, err := s.taken(ctx, eventID)
	if err != nil {
		return err
	}
	if n := taken[typeID]; n > 0 {
		return fmt.Errorf("ticket type %s has %d tickets sold or held; close it instead (POST .../close): %w", typeID, n, ErrInUse)
	}
	tts, err := s.Store.TicketTypes(ctx, eventID)
	if err != nil {
		return fmt.Errorf("event %q: %w", eventID, err)
	}
	if e.Status == StatusPublished && len(tts) == 1 && tts[0].ID == typeID {
		return fmt.Errorf("ticket type %s is the published event's only one; add another first, or unpublish: %w", typeID, ErrState)
	}
	if err := s.Store.DeleteTicketType(ctx, eventID, typeID); err != nil {
		return fmt.Errorf("delete ticket type %q: %w", typeID, err)
	}
	s.changed(ctx, eventID)
	return nil
}

// Unpublish takes a published event back to draft, off sale and out of
// search, while nothing of it is sold or held (ErrInUse otherwise: cancel
// it instead, which refunds).
func (s *Service) Unpublish(ctx context.Context, eventID string) (Event, error) {
	taken, err := s.taken(ctx, eventID)
	if err != nil {
		return Event{}, err
	}
	for id, n := range taken {
		if n > 0 {
			return Event{}, fmt.Errorf("unpublish event %s: ticket type %s has %d sold or held; cancel the event instead: %w", eventID, id, n, ErrInUse)
		}
	}
	now := s.stamp()
	return s.transition(ctx, eventID, func(e *Event) error {
		if e.Status != StatusPublished {
			return fmt.Errorf("unpublish %s event %s: %w", e.Status, e.ID, ErrState)
		}
		e.Status = StatusDraft
		e.UpdatedAt = now
		return nil
	})
}

// DeleteDraft removes a draft event and its ticket types. A draft never
// sold anything; one that has gates is ErrInUse (revoke and forget them
// by cancelling it instead).
func (s *Service) DeleteDraft(ctx context.Context, eventID string) error {
	err := s.Store.DeleteEvent(ctx, eventID, func(e Event) error {
		if e.Status != StatusDraft {
			return fmt.Errorf("delete %s event %s: only a draft can be deleted (cancel it instead): %w", e.Status, e.ID, ErrState)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete event %q: %w", eventID, err)
	}
	// A draft is in no index; its cached page goes.
	s.init()
	s.Cache.Invalidate(eventID)
	return nil
}

// editableEvent returns the event if it is a draft or published.
func (s *Service) editableEvent(ctx context.Context, eventID, what string) (Event, error) {
	e, err := s.Store.Event(ctx, eventID)
	if err != nil {
		return Event{}, fmt.Errorf("event %q: %w", eventID, err)
	}
	if e.Status != StatusDraft && e.Status != StatusPublished {
		return Event{}, fmt.Errorf("%s %s event %s: %w", what, e.Status, e.ID, ErrState)
	}
	return e, nil
}

// taken is what is sold or held of each ticket type of the event.
func (s *Service) taken(ctx context.Context, eventID string) (map[string]int, error) {
	if s.Inventory == nil {
		return map[string]int{}, nil
	}
	m, err := s.Inventory.Taken(ctx, eventID)
	if err != nil {
		return nil, fmt.Errorf("taken of event %q: %w", eventID, err)
	}
	return m, nil
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
