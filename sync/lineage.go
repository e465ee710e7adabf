package sync

import (
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
)

// Lineage is the server's record of one ticket lineage's entry state
// (see Store.RecordCheckins), as a store reads it before a check-in.
type Lineage struct {
	// Inside reports whether the lineage is inside; Since is then the
	// entry that put it there.
	Inside bool
	Since  ConflictSide
	// Entered reports whether an entry of the lineage is on record.
	Entered bool
}

// Side is c as one side of a conflict.
func Side(c changelog.Checkin) ConflictSide {
	return ConflictSide{TicketID: c.TicketID, CheckinID: c.ID, GateID: c.GateID, At: c.At, Offline: c.Offline}
}

// ApplyCheckin is the rule both stores apply to each new check-in c of
// the lineage whose original ticket is root and whose record is l: an
// entry while the lineage is inside is a Conflict with the entry that
// put it inside, which stays; any other entry puts it inside; an exit
// puts it outside. It returns the record after c, the conflict (nil for
// none, DetectedAt receivedAt) and whether c is the lineage's first entry,
// which stays on record for good (purchase.TicketStore.Entered).
func ApplyCheckin(l Lineage, root string, c changelog.Checkin, receivedAt time.Time) (next Lineage, conflict *Conflict, first bool) {
	next = l
	side := Side(c)
	switch c.Direction {
	case bundle.Entry:
		first = !l.Entered
		next.Entered = true
		if l.Inside {
			conflict = &Conflict{EventID: c.EventID, TicketID: root, First: l.Since, Second: side, DetectedAt: receivedAt}
			break
		}
		next.Inside, next.Since = true, side
	case bundle.Exit:
		next.Inside, next.Since = false, ConflictSide{}
	}
	return next, conflict, first
}
