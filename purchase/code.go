package purchase

import (
	"context"
	"fmt"
	"time"

	"github.com/admitone/admitone/internal/errkind"
	"github.com/admitone/admitone/voucher"
)

// Codes resolves the access or discount code a buyer gives with a hold;
// *voucher.Service implements it.
type Codes interface {
	Resolve(ctx context.Context, eventID, text string, at time.Time) (voucher.Code, error)
}

var (
	// ErrCodeUsedUp is a hold whose code has fewer uses left than the
	// hold needs.
	ErrCodeUsedUp = errkind.New(errkind.Conflict, "code_used_up", "the code has no uses left")
	// ErrCodeRequired is a hold of a hidden ticket type without an
	// access code that unlocks it.
	ErrCodeRequired = errkind.New(errkind.Forbidden, "code_required", "an access code is required")
	// ErrCodeChecks is a caller checking codes (UnlockCode) faster than
	// CodeChecksPerMinute; the error chain's RetryAfter says how long
	// to wait.
	ErrCodeChecks = errkind.New(errkind.RateLimited, "code_rate_limited", "too many code checks")
)

// DefaultCodeChecksPerMinute is Service.CodeChecksPerMinute when not set.
const DefaultCodeChecksPerMinute = 20

// UnlockCode resolves an access or discount code of an event for a
// caller who wants to see the hidden types it unlocks (the event page's
// ?code=), at most CodeChecksPerMinute a minute per caller (an account
// id, or a client address for anonymous callers) whatever the outcome,
// so that codes cannot be guessed by trying many; over it the error
// wraps ErrCodeChecks with a RetryAfter. Holds need no such limit of
// their own: HoldsPerMinute bounds them, code or not. Without Codes
// every code is voucher.ErrCodeNotValid.
func (s *Service) UnlockCode(ctx context.Context, caller, eventID, code string) (voucher.Code, error) {
	if s.Codes == nil {
		return voucher.Code{}, fmt.Errorf("%w: this server takes no codes", voucher.ErrCodeNotValid)
	}
	n := s.CodeChecksPerMinute
	if n <= 0 {
		n = DefaultCodeChecksPerMinute
	}
	if wait := s.codeRate.take(caller, n, s.now()); wait > 0 {
		wait = max(time.Second, (wait + time.Second - 1).Truncate(time.Second))
		return voucher.Code{}, fmt.Errorf("%w: at most %d a minute; try again in %v", ErrCodeChecks.WithRetryAfter(wait), n, wait)
	}
	return s.Codes.Resolve(ctx, eventID, code, s.stamp())
}

// CodeUse is what a hold or order redeemed of a code: the code's terms
// as they were when the hold was made, and its number of uses (one per
// ticket of the types it applies to).
type CodeUse struct {
	ID            string       `json:"id"`
	Kind          voucher.Kind `json:"kind"`
	TicketTypeIDs []string     `json:"ticket_type_ids,omitempty"`
	PercentOff    int          `json:"percent_off,omitempty"`
	AmountOff     int64        `json:"amount_off,omitempty"`
	Uses          int          `json:"uses"`
}

// CodeKeyPrefix starts every CodeKey; no ticket type or event id does.
const CodeKeyPrefix = "cd:"

// CodeKey is the counter of a code's uses, kept with the ticket types'
// counters (Counter: held by active holds, sold by orders) so that Fit
// applies Limits.CodeMaxUses in the same atomic step as capacity.
// Refunds leave it as it is: a refunded order's uses stay spent.
func CodeKey(codeID string) string { return CodeKeyPrefix + codeID }

// codeUse is what a hold of lines redeems of c.
func codeUse(c voucher.Code, lines []Line) *CodeUse {
	u := &CodeUse{ID: c.ID, Kind: c.Kind, TicketTypeIDs: c.TicketTypeIDs, PercentOff: c.PercentOff, AmountOff: c.AmountOff}
	if len(u.TicketTypeIDs) == 0 {
		u.TicketTypeIDs = nil
	}
	for _, l := range lines {
		if c.AppliesTo(l.TicketTypeID) {
			u.Uses += l.Quantity
		}
	}
	return u
}

// applies reports whether the code applies to a ticket type.
func (u *CodeUse) applies(ticketTypeID string) bool {
	return voucher.Code{Kind: u.Kind, TicketTypeIDs: u.TicketTypeIDs}.AppliesTo(ticketTypeID)
}

// Discount is what a discount code takes off lines: per ticket of each
// line it applies to, PercentOff of the unit price (rounded down) or
// AmountOff, never more than the unit price. Access codes discount
// nothing. Lines must have passed Total.
func Discount(u *CodeUse, lines []OrderLine) int64 {
	if u == nil || u.Kind != voucher.KindDiscount {
		return 0
	}
	var off int64
	for _, l := range lines {
		if !u.applies(l.TicketTypeID) {
			continue
		}
		per := min(u.AmountOff, l.UnitPrice.Amount)
		if u.PercentOff > 0 {
			per = l.UnitPrice.Amount * int64(min(u.PercentOff, 100)) / 100
		}
		off += per * int64(l.Quantity)
	}
	return off
}

// sameCode reports whether an order redeems what its hold did.
func sameCode(a, b *CodeUse) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.ID == b.ID && a.Uses == b.Uses
}

// checkHidden refuses a hidden type that the code c does not unlock.
func checkHidden(field, name string, hidden bool, ticketTypeID string, c *voucher.Code) error {
	if hidden && (c == nil || !c.Unlocks(ticketTypeID)) {
		return fmt.Errorf("%s: ticket type %q is sold only with an access code that unlocks it: %w", field, name, ErrCodeRequired)
	}
	return nil
}
