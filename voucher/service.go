package voucher

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/id"
)

// Catalog is what codes read of the catalog: an event's ticket types.
// *catalog.Service implements it.
type Catalog interface {
	TicketTypes(ctx context.Context, eventID string) ([]catalog.TicketType, error)
}

// Service holds the rules of codes. Authorization is the caller's: an
// organizer of the event's organization creates, lists and disables.
type Service struct {
	Store   Store
	Catalog Catalog
	// Used returns how many uses of a code are taken (package purchase
	// counts them: purchase.Store.Counts of purchase.CodeKey); nil
	// lists every code as unused.
	Used func(ctx context.Context, codeID string) (int, error)
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func invalid(field, format string, args ...any) error {
	return &catalog.FieldError{Field: field, Message: field + " " + fmt.Sprintf(format, args...)}
}

// Create checks and stores a new code of c.EventID, setting its ID,
// CreatedAt and normalized text. Access codes name at least one hidden
// type of the event; discount codes give PercentOff (1..100) or AmountOff
// (1..catalog.MaxPrice), not both, and name types of the event or none
// (all). Invalid input is a *catalog.FieldError; a text the event has
// already is ErrExists.
func (s *Service) Create(ctx context.Context, c Code) (Code, error) {
	text, err := Normalize(c.Code)
	if err != nil {
		return Code{}, invalid("code", "is not accepted: %v", err)
	}
	c.Code = text
	if len(c.TicketTypeIDs) > 100 {
		return Code{}, invalid("ticket_type_ids", "names at most 100 types (got %d)", len(c.TicketTypeIDs))
	}
	types, err := s.Catalog.TicketTypes(ctx, c.EventID)
	if err != nil {
		return Code{}, err
	}
	byID := make(map[string]catalog.TicketType, len(types))
	for _, t := range types {
		byID[t.ID] = t
	}
	for i, tid := range c.TicketTypeIDs {
		t, ok := byID[tid]
		field := fmt.Sprintf("ticket_type_ids[%d]", i)
		switch {
		case !ok:
			return Code{}, invalid(field, "does not name a ticket type of event %s (got %q)", c.EventID, tid)
		case slices.Contains(c.TicketTypeIDs[:i], tid):
			return Code{}, invalid(field, "repeats ticket type %q", t.Name)
		case c.Kind == KindAccess && !t.Hidden:
			return Code{}, invalid(field, "names %q, which is not hidden: an access code unlocks hidden types only", t.Name)
		}
	}
	switch c.Kind {
	case KindAccess:
		if len(c.TicketTypeIDs) == 0 {
			return Code{}, invalid("ticket_type_ids", "must name the hidden ticket types the access code unlocks")
		}
		if c.PercentOff != 0 || c.AmountOff != 0 {
			return Code{}, invalid("kind", "access codes give no discount: make a discount code for that")
		}
	case KindDiscount:
		switch {
		case (c.PercentOff == 0) == (c.AmountOff == 0):
			return Code{}, invalid("percent_off", "or amount_off must be given, one of them")
		case c.PercentOff < 0 || c.PercentOff > 100:
			return Code{}, invalid("percent_off", "must be between 1 and 100 (got %d)", c.PercentOff)
		case c.AmountOff < 0 || c.AmountOff > catalog.MaxPrice:
			return Code{}, invalid("amount_off", "must be between 1 and %d minor units (got %d)", catalog.MaxPrice, c.AmountOff)
		}
	default:
		return Code{}, invalid("kind", "must be access or discount (got %q)", c.Kind)
	}
	if c.MaxUses < 0 || c.MaxUses > catalog.MaxCapacity {
		return Code{}, invalid("max_uses", "must be between 0 (no limit) and %d (got %d)", catalog.MaxCapacity, c.MaxUses)
	}
	if !c.ValidFrom.IsZero() && !c.ValidUntil.IsZero() && !c.ValidUntil.After(c.ValidFrom) {
		return Code{}, invalid("valid_until", "must be after valid_from")
	}
	if c.TicketTypeIDs == nil {
		c.TicketTypeIDs = []string{}
	}
	c.ID = id.New("vch")
	c.CreatedAt = s.now().UTC().Truncate(time.Microsecond)
	c.DisabledAt = time.Time{}
	c.ValidFrom, c.ValidUntil = stamp(c.ValidFrom), stamp(c.ValidUntil)
	if err := s.Store.CreateCode(ctx, c); err != nil {
		return Code{}, fmt.Errorf("create code: %w", err)
	}
	return c, nil
}

func stamp(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// List returns an event's codes with the uses taken and left.
func (s *Service) List(ctx context.Context, eventID string) ([]Listed, error) {
	codes, err := s.Store.CodesOfEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	out := make([]Listed, 0, len(codes))
	for _, c := range codes {
		l := Listed{Code: c}
		if s.Used != nil {
			if l.Used, err = s.Used(ctx, c.ID); err != nil {
				return nil, fmt.Errorf("uses of code %s: %w", c.ID, err)
			}
		}
		if c.MaxUses > 0 {
			left := max(c.MaxUses-l.Used, 0)
			l.UsesLeft = &left
		}
		out = append(out, l)
	}
	return out, nil
}

// Disable disables one of an event's codes: holds no longer redeem it;
// what was redeemed stands. A code of another event is ErrNotFound.
func (s *Service) Disable(ctx context.Context, eventID, codeID string) (Code, error) {
	c, err := s.Store.Code(ctx, codeID)
	if err != nil {
		return Code{}, err
	}
	if c.EventID != eventID {
		return Code{}, fmt.Errorf("code %s: %w", codeID, ErrNotFound)
	}
	return s.Store.DisableCode(ctx, codeID, s.now().UTC().Truncate(time.Microsecond))
}

// Resolve returns the event's code that text names, if a hold may redeem
// it at the time at: enabled and inside its validity window. Otherwise
// it is ErrCodeNotValid, with a reason that never repeats the text.
func (s *Service) Resolve(ctx context.Context, eventID, text string, at time.Time) (Code, error) {
	norm, err := Normalize(text)
	if err != nil {
		return Code{}, fmt.Errorf("%w: %v", ErrCodeNotValid, err)
	}
	c, err := s.Store.CodeByLookup(ctx, eventID, Lookup(eventID, norm))
	if errors.Is(err, ErrNotFound) {
		return Code{}, fmt.Errorf("%w: event %s has no such code", ErrCodeNotValid, eventID)
	}
	if err != nil {
		return Code{}, err
	}
	switch {
	case !c.matches(norm):
		return Code{}, fmt.Errorf("%w: event %s has no such code", ErrCodeNotValid, eventID)
	case !c.DisabledAt.IsZero():
		return Code{}, fmt.Errorf("%w: the code was disabled", ErrCodeNotValid)
	case !c.ValidFrom.IsZero() && at.Before(c.ValidFrom):
		return Code{}, fmt.Errorf("%w: the code is valid from %s", ErrCodeNotValid, c.ValidFrom.Format(time.RFC3339))
	case !c.ValidUntil.IsZero() && !at.Before(c.ValidUntil):
		return Code{}, fmt.Errorf("%w: the code was valid until %s", ErrCodeNotValid, c.ValidUntil.Format(time.RFC3339))
	}
	return c, nil
}
