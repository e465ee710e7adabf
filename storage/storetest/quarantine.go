package storetest

import (
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// testQuarantine: quarantined check-ins are kept once each, in check-in
// id order, per event; a batch naming another gate stores nothing; they
// never reach the change log.
func testQuarantine(t *testing.T, s ticketsync.Store, p purchase.Store, c catalog.Store) {
	ctx := t.Context()
	f := setup(t, c)
	north := createGate(t, s, newGate(f.event.ID, "North", when(0)))
	south := createGate(t, s, newGate(f.event.ID, "South", when(0)))
	q := func(g ticketsync.Gate, reason string, at time.Time) ticketsync.Quarantined {
		return ticketsync.Quarantined{Checkin: checkin(g, newTicketID(), at), Reason: reason, Detail: "because " + reason, ReceivedAt: when(0)}
	}
	a, b := q(north, ticketsync.QuarantineUnknownTicket, when(0)), q(north, ticketsync.QuarantineBadTime, when(900))
	a.ID, b.ID = "ci_1"+randomHex(15)+"0", "ci_0"+randomHex(15)+"0" // b sorts first
	n, err := s.QuarantineCheckins(ctx, north, []ticketsync.Quarantined{a, b})
	must(t, "QuarantineCheckins", err)
	equal(t, "new", n, 2)
	n, err = s.QuarantineCheckins(ctx, north, []ticketsync.Quarantined{a})
	must(t, "QuarantineCheckins again", err)
	equal(t, "new on a resend", n, 0)
	_, err = s.QuarantineCheckins(ctx, north, []ticketsync.Quarantined{q(south, ticketsync.QuarantineWrongType, when(0))})
	is(t, "QuarantineCheckins of another gate's", err, ticketsync.ErrInvalid)
	noReason := q(north, "", when(0))
	_, err = s.QuarantineCheckins(ctx, north, []ticketsync.Quarantined{noReason})
	is(t, "QuarantineCheckins without a reason", err, ticketsync.ErrInvalid)

	stored := func(x ticketsync.Quarantined) ticketsync.Quarantined {
		x.At, x.ReceivedAt = stored(x.At), stored(x.ReceivedAt)
		return x
	}
	got, err := s.Quarantine(ctx, f.event.ID, 10)
	must(t, "Quarantine", err)
	equal(t, "Quarantine", got, []ticketsync.Quarantined{stored(b), stored(a)})
	got, err = s.Quarantine(ctx, f.event.ID, 1)
	must(t, "Quarantine limit 1", err)
	equal(t, "Quarantine limit 1", got, []ticketsync.Quarantined{stored(b)})
	other, err := s.Quarantine(ctx, "ev_0000000000000000", 10)
	must(t, "Quarantine of another event", err)
	equal(t, "Quarantine of another event", len(other), 0)
	head, err := p.LastSeq(ctx, f.event.ID)
	must(t, "LastSeq", err)
	equal(t, "log head", head, int64(0))
}
