package analytics

import (
	"fmt"
	"time"
)

// Figure names one of the figures a Counts is made of, as the stores keep
// them while an event's records change (storage/bolt in its own buckets,
// storage/postgres in event_figures). part and at say which one of a kind:
// the ticket type id (valid, revoked), the currency (paid, refunded), the
// gate id and minute (entries) or the hour (sales); the others have
// neither.
type Figure string

// The figures.
const (
	FigureValid            Figure = "valid"
	FigureRevoked          Figure = "revoked" // revoked and not replaced: a refund
	FigurePaid             Figure = "paid"    // every order paid, refunded since or not
	FigureRefunded         Figure = "refunded"
	FigureSalesOrders      Figure = "sales_orders"
	FigureSalesUnits       Figure = "sales_units"
	FigureEntries          Figure = "entries"
	FigureCheckedIn        Figure = "checked_in" // lineages with an entry on record
	FigureInside           Figure = "inside"     // lineages inside now
	FigureConflicts        Figure = "conflicts"
	FigureOfflineConflicts Figure = "offline_conflicts"
	FigureNeverEntered     Figure = "never_entered" // valid tickets whose lineage has no entry
)

// Set puts the value n of figure f (with its part and time) into c, which
// NewCounts made. An unknown figure is an error.
func (c *Counts) Set(f Figure, part string, at time.Time, n int64) error {
	switch f {
	case FigureValid, FigureRevoked:
		tc := c.Tickets[part]
		if f == FigureValid {
			tc.Valid = int(n)
		} else {
			tc.Revoked = int(n)
		}
		c.Tickets[part] = tc
	case FigurePaid, FigureRefunded:
		rc := c.Revenue[part]
		if f == FigurePaid {
			rc.Paid = n
		} else {
			rc.Refunded = n
		}
		c.Revenue[part] = rc
	case FigureSalesOrders, FigureSalesUnits:
		sc := c.Sales[at]
		if f == FigureSalesOrders {
			sc.Orders = int(n)
		} else {
			sc.Units = int(n)
		}
		c.Sales[at] = sc
	case FigureEntries:
		c.Entries[part] += int(n)
		c.EntryMinutes[GateMinute{GateID: part, Minute: at}] = int(n)
	case FigureCheckedIn:
		c.CheckedIn = int(n)
	case FigureInside:
		c.Inside = int(n)
	case FigureConflicts:
		c.Conflicts = int(n)
	case FigureOfflineConflicts:
		c.OfflineConflicts = int(n)
	case FigureNeverEntered:
		c.NeverEntered = int(n)
	default:
		return fmt.Errorf("unknown figure %q", f)
	}
	return nil
}
