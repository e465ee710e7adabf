package scanner

import (
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/purchase"
)

// transferChanges are the log entries of a transfer of old to next.
func transferChanges(f *gateFixture, seq int64, old, next ticketcrypto.SignedToken) []changelog.Change {
	return []changelog.Change{
		{EventID: f.event.String(), Seq: seq, Kind: changelog.KindRevoke, TicketID: old.Ticket.String(), TypeNumber: 1,
			Reason: purchase.RevokedTransferred, At: f.now},
		{EventID: f.event.String(), Seq: seq + 1, Kind: changelog.KindIssue, TicketID: next.Ticket.String(), TypeNumber: 1,
			At: f.now, Replaces: old.Ticket.String()},
	}
}

// TestStoreLineage: a person inside on a ticket is inside on the ticket
// a transfer issued in its place, whichever the gate learnt first.
func TestStoreLineage(t *testing.T) {
	t.Run("admitted, then transferred", func(t *testing.T) {
		f := newGateFixture(t, bundle.GateProfile{}, StoreOptions{})
		old := f.issue(t, 1, nil)
		f.load(t)
		f.check(t, old.Text(), Accepted) // the gate is offline; the server does not know
		next := f.issue(t, 1, nil)
		if err := f.store.ApplyChanges(transferChanges(f, 1, old, next)); err != nil {
			t.Fatal(err)
		}
		res := f.check(t, next.Text(), AlreadyUsed)
		if !strings.Contains(res.Reason, "north") {
			t.Errorf("already_used reason %q names no gate", res.Reason)
		}
		f.check(t, old.Text(), Revoked)
	})
	t.Run("new ticket admitted before the gate learnt the link", func(t *testing.T) {
		f := newGateFixture(t, bundle.GateProfile{}, StoreOptions{})
		old := f.issue(t, 1, nil)
		f.load(t)
		next := f.issue(t, 1, nil)
		f.check(t, next.Text(), Accepted) // signed mode admits a ticket the list does not have yet
		if err := f.store.ApplyChanges(transferChanges(f, 1, old, next)); err != nil {
			t.Fatal(err)
		}
		f.check(t, next.Text(), AlreadyUsed)
		st, err := f.store.Status()
		if err != nil {
			t.Fatal(err)
		}
		if st.Inside != 1 {
			t.Errorf("inside = %d after merging the states, want 1", st.Inside)
		}
	})
	t.Run("old ticket's check-in from another gate", func(t *testing.T) {
		f := newGateFixture(t, bundle.GateProfile{}, StoreOptions{})
		old := f.issue(t, 1, nil)
		f.load(t)
		next := f.issue(t, 1, nil)
		changes := transferChanges(f, 1, old, next)
		changes = append(changes, changelog.Change{EventID: f.event.String(), Seq: 3, Kind: changelog.KindCheckin,
			TicketID: old.Ticket.String(), TypeNumber: 1, At: f.now.Add(-time.Hour), CheckinID: changelog.NewCheckinID(f.now.Add(-time.Hour)).String(),
			GateID: "south", Direction: bundle.Entry, Offline: true})
		if err := f.store.ApplyChanges(changes); err != nil {
			t.Fatal(err)
		}
		res := f.check(t, next.Text(), AlreadyUsed)
		if !strings.Contains(res.Reason, "south") {
			t.Errorf("already_used reason %q does not name the south gate", res.Reason)
		}
	})
	t.Run("bundle", func(t *testing.T) {
		f := newGateFixture(t, bundle.GateProfile{}, StoreOptions{})
		old := f.issue(t, 1, nil)
		f.load(t)
		f.check(t, old.Text(), Accepted)
		next := f.issue(t, 1, nil)
		f.payload.Tickets[len(f.payload.Tickets)-1].Replaces = old.Ticket
		f.payload.Revocations = []bundle.Revocation{{Ticket: old.Ticket, At: f.now, Reason: purchase.RevokedTransferred}}
		f.payload.CreatedAt = f.now
		f.load(t)
		f.check(t, next.Text(), AlreadyUsed)
	})
}

// TestEventMovedValidity: a token issued before its event moved later
// says it expired; once the gate learns the new end (from the change log
// or a bundle) it admits until then.
func TestEventMovedValidity(t *testing.T) {
	for _, via := range []string{"change log", "bundle"} {
		t.Run(via, func(t *testing.T) {
			f := newGateFixture(t, bundle.GateProfile{}, StoreOptions{})
			tk := f.issue(t, 1, func(tok *ticketcrypto.Token) { tok.ValidUntil = f.now.Add(-time.Hour) })
			f.load(t)
			f.check(t, tk.Text(), Expired)
			moved := f.now.Add(7 * 24 * time.Hour)
			switch via {
			case "change log":
				if err := f.store.ApplyChanges([]changelog.Change{{EventID: f.event.String(), Seq: 1, Kind: changelog.KindValidity, At: moved}}); err != nil {
					t.Fatal(err)
				}
			case "bundle":
				f.payload.ValidUntil, f.payload.CreatedAt = moved, f.now
				f.load(t)
			}
			f.check(t, tk.Text(), Accepted)
			f.check(t, tk.Text(), AlreadyUsed)
			f.now = moved.Add(time.Minute)
			res := f.check(t, tk.Text(), Expired) // past the new end
			if !strings.Contains(res.Reason, moved.Format(time.RFC3339)) {
				t.Errorf("expired reason %q does not name the new end", res.Reason)
			}
		})
	}
}
