package scanner

import (
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

func TestDecide(t *testing.T) {
	ev := ticketcrypto.EventID{1}
	other := ticketcrypto.EventID{2}
	now := time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC)
	entry := bundle.GateProfile{GateID: "north", Event: ev, Mode: bundle.ModeSigned, Direction: bundle.Entry}
	listed := entry
	listed.Mode = bundle.ModeListed
	reentry := entry
	reentry.AllowReentry = true
	exit := entry
	exit.Direction = bundle.Exit
	vip := entry
	vip.Types = []uint16{2, 3}
	tk := Ticket{ID: ticketcrypto.TicketID{9}, Event: ev, TypeNumber: 1, Token: true}
	window := tk
	window.ValidFrom, window.ValidUntil = now.Add(time.Hour), now.Add(2*time.Hour)
	past := tk
	past.ValidFrom, past.ValidUntil = now.Add(-2*time.Hour), now.Add(-time.Hour)
	endsNow := tk
	endsNow.ValidUntil = now
	prev := &changelog.Checkin{GateID: "south", At: now.Add(-time.Minute), Direction: bundle.Entry}
	revoked := &bundle.Revocation{At: now.Add(-time.Hour), Reason: "refunded"}

	tests := []struct {
		name    string
		profile bundle.GateProfile
		ticket  Ticket
		state   TicketState
		want    Verdict
		record  bool
	}{
		{"accepted first entry", entry, tk, TicketState{}, Accepted, true},
		{"accepted listed ticket in listed mode", listed, tk, TicketState{Listed: true}, Accepted, true},
		{"already used", entry, tk, TicketState{Uses: 1, Inside: true, Last: prev}, AlreadyUsed, false},
		{"already used after exit without re-entry", entry, tk, TicketState{Uses: 1, Last: prev}, AlreadyUsed, false},
		{"re-entry after exit", reentry, tk, TicketState{Uses: 1, Last: prev}, Accepted, true},
		{"re-entry refused while inside", reentry, tk, TicketState{Uses: 1, Inside: true, Last: prev}, AlreadyUsed, false},
		{"exit of a ticket inside", exit, tk, TicketState{Uses: 1, Inside: true, Last: prev}, Accepted, true},
		{"exit with no entry on record", exit, tk, TicketState{}, Accepted, true},
		{"revoked", entry, tk, TicketState{Revoked: revoked}, Revoked, false},
		{"revoked beats already used", entry, tk, TicketState{Revoked: revoked, Uses: 1, Inside: true}, Revoked, false},
		{"revoked at exit", exit, tk, TicketState{Revoked: revoked, Uses: 1, Inside: true}, Revoked, false},
		{"wrong event", entry, Ticket{ID: tk.ID, Event: other, TypeNumber: 1}, TicketState{}, WrongEvent, false},
		{"not allowed here", vip, tk, TicketState{}, NotAllowedHere, false},
		{"allowed type at restricted gate", vip, Ticket{ID: tk.ID, Event: ev, TypeNumber: 3}, TicketState{}, Accepted, true},
		{"not yet valid", entry, window, TicketState{}, NotYetValid, false},
		{"expired", entry, past, TicketState{}, Expired, false},
		{"expired at the end instant", entry, endsNow, TicketState{}, Expired, false},
		{"unknown ticket in listed mode", listed, tk, TicketState{}, UnknownTicket, false},
		{"unlisted signed ticket admitted in signed mode", entry, tk, TicketState{Listed: false}, Accepted, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.profile, now, tt.ticket, tt.state)
			if got.Verdict != tt.want || got.Record != tt.record {
				t.Fatalf("Decide = %s record=%v (%s), want %s record=%v", got.Verdict, got.Record, got.Reason, tt.want, tt.record)
			}
			if got.Reason == "" {
				t.Errorf("verdict %s has no reason", got.Verdict)
			}
			if got.Verdict == AlreadyUsed && got.Previous != tt.state.Last {
				t.Errorf("already_used does not carry the previous check-in")
			}
		})
	}
}

func TestDecideWindowBoundaries(t *testing.T) {
	ev := ticketcrypto.EventID{1}
	p := bundle.GateProfile{GateID: "g", Event: ev, Mode: bundle.ModeSigned, Direction: bundle.Entry}
	from := time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC)
	tk := Ticket{ID: ticketcrypto.TicketID{1}, Event: ev, ValidFrom: from, ValidUntil: from.Add(time.Hour)}
	for _, tc := range []struct {
		at   time.Time
		want Verdict
	}{
		{from.Add(-time.Nanosecond), NotYetValid},
		{from, Accepted},
		{from.Add(time.Hour - time.Nanosecond), Accepted},
		{from.Add(time.Hour), Expired},
	} {
		if got := Decide(p, tc.at, tk, TicketState{}).Verdict; got != tc.want {
			t.Errorf("at %s: %s, want %s", tc.at.Format(time.RFC3339Nano), got, tc.want)
		}
	}
}
