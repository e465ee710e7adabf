package sync_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	ticketsync "github.com/admitone/admitone/sync"
)

// TestUploadQuarantine: a gate's upload is checked against the event's
// tickets. A made-up ticket id, a wrong type and impossible times are
// acknowledged (the gate's outbox empties) but kept in the quarantine
// with a reason, not recorded: no log entry, no entry state. The good
// check-in of the same upload is recorded.
func TestUploadQuarantine(t *testing.T) {
	w := newWorld(t)
	token := w.ticket(t)
	sc, err := ticketcrypto.ParseText(token)
	must(t, err)
	real := sc.Ticket.String()
	g := w.enroll(t, "north")
	ws, _, err := dial(t, w, g.client.Credential)
	must(t, err)
	defer ws.Close()
	must(t, ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","version":1,"since":0}`)))

	now := time.Now().UTC()
	mk := func(ticket string, typ uint16, at time.Time) changelog.Checkin {
		return changelog.Checkin{ID: changelog.NewCheckinID(now).String(), EventID: w.eventID, GateID: g.id, TicketID: ticket,
			TypeNumber: typ, Direction: bundle.Entry, At: at}
	}
	good := mk(real, 1, now)
	bad := map[string]changelog.Checkin{
		ticketsync.QuarantineUnknownTicket: mk(ticketcrypto.NewTicketID().String(), 1, now),
		ticketsync.QuarantineWrongType:     mk(real, 999, now),
		ticketsync.QuarantineBadTime:       mk(real, 1, time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC)),
	}
	upload := []changelog.Checkin{good}
	for _, c := range bad {
		upload = append(upload, c)
	}
	raw, err := json.Marshal(map[string]any{"type": "upload", "checkins": upload})
	must(t, err)
	before, err := w.db.LastSeq(context.Background(), w.eventID)
	must(t, err)
	must(t, ws.WriteMessage(websocket.TextMessage, raw))
	acked := map[string]bool{}
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for len(acked) < len(upload) {
		_, msg, err := ws.ReadMessage()
		must(t, err)
		var f ticketsync.Frame
		must(t, json.Unmarshal(msg, &f))
		for _, id := range f.IDs {
			acked[id] = true
		}
	}
	after, err := w.db.LastSeq(context.Background(), w.eventID)
	must(t, err)
	if after != before+1 {
		t.Errorf("the log grew by %d entries, want 1 (the good check-in)", after-before)
	}
	if _, entered, err := w.db.Entered(context.Background(), w.eventID, real); err != nil || !entered {
		t.Errorf("the good check-in did not put the ticket inside: %v %v", entered, err)
	}
	q, err := w.db.Quarantine(context.Background(), w.eventID, 10)
	must(t, err)
	if len(q) != len(bad) {
		t.Fatalf("quarantine holds %d, want %d: %+v", len(q), len(bad), q)
	}
	for reason, c := range bad {
		i := slices.IndexFunc(q, func(x ticketsync.Quarantined) bool { return x.ID == c.ID })
		if i < 0 || q[i].Reason != reason || q[i].Detail == "" || q[i].GateID != g.id {
			t.Errorf("check-in %s (%s): quarantined as %+v", c.ID, reason, q)
		}
	}
	// The same upload again (a resend after a lost ack) adds nothing.
	must(t, ws.WriteMessage(websocket.TextMessage, raw))
	if _, _, err := ws.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	if q2, _ := w.db.Quarantine(context.Background(), w.eventID, 10); len(q2) != len(bad) {
		t.Errorf("a resend made the quarantine %d long", len(q2))
	}
}

// TestCheckUpload decides each case of an upload's check against the
// ticket it names.
func TestCheckUpload(t *testing.T) {
	now := time.Date(2026, 6, 1, 20, 0, 0, 0, time.UTC)
	tk := ticketsync.IssuedTicket{EventID: "ev_1", TypeNumber: 2, IssuedAt: now.Add(-48 * time.Hour), ValidUntil: now.Add(6 * time.Hour)}
	c := changelog.Checkin{ID: "ci_1", EventID: "ev_1", TicketID: "tk_a", TypeNumber: 2, At: now}
	for _, tc := range []struct {
		name   string
		mutate func(*changelog.Checkin, *ticketsync.IssuedTicket) bool // returns known
		want   string
	}{
		{"fits", func(*changelog.Checkin, *ticketsync.IssuedTicket) bool { return true }, ""},
		{"clock a little ahead", func(c *changelog.Checkin, _ *ticketsync.IssuedTicket) bool {
			c.At = now.Add(30 * time.Minute)
			return true
		}, ""},
		{"unknown", func(*changelog.Checkin, *ticketsync.IssuedTicket) bool { return false }, ticketsync.QuarantineUnknownTicket},
		{"other event", func(_ *changelog.Checkin, t *ticketsync.IssuedTicket) bool { t.EventID = "ev_2"; return true }, ticketsync.QuarantineWrongEvent},
		{"type", func(c *changelog.Checkin, _ *ticketsync.IssuedTicket) bool { c.TypeNumber = 999; return true }, ticketsync.QuarantineWrongType},
		{"before issue", func(c *changelog.Checkin, _ *ticketsync.IssuedTicket) bool {
			c.At = now.Add(-72 * time.Hour)
			return true
		}, ticketsync.QuarantineBadTime},
		{"future", func(c *changelog.Checkin, _ *ticketsync.IssuedTicket) bool {
			c.At = now.Add(3 * time.Hour)
			return true
		}, ticketsync.QuarantineBadTime},
		{"after validity", func(c *changelog.Checkin, t *ticketsync.IssuedTicket) bool {
			t.ValidUntil = now.Add(-2 * time.Hour)
			return true
		}, ticketsync.QuarantineBadTime},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, tk := c, tk
			known := tc.mutate(&c, &tk)
			got, detail := ticketsync.CheckUpload(c, tk, known, now)
			if got != tc.want || (got == "") != (detail == "") {
				t.Errorf("CheckUpload = %q (%s), want %q", got, detail, tc.want)
			}
		})
	}
}

// TestConnsPerGate: one gate credential holds at most MaxConnsPerGate
// websockets; the next is refused before the upgrade, and a slot frees
// when one closes.
func TestConnsPerGate(t *testing.T) {
	w := newWorld(t)
	g := w.enroll(t, "north")
	var open []*websocket.Conn
	for range ticketsync.MaxConnsPerGate {
		ws, _, err := dial(t, w, g.client.Credential)
		must(t, err)
		must(t, ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","version":1,"since":0}`)))
		_, _, err = ws.ReadMessage() // welcome: registered
		must(t, err)
		open = append(open, ws)
	}
	_, res, err := dial(t, w, g.client.Credential)
	if err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("connection %d of one gate: %v, %v; want 429", ticketsync.MaxConnsPerGate+1, res, err)
	}
	open[0].Close()
	if !eventually(5*time.Second, func() bool {
		ws, _, err := dial(t, w, g.client.Credential)
		if err == nil {
			ws.Close()
		}
		return err == nil
	}) {
		t.Error("no connection after one of the gate's closed")
	}
	for _, ws := range open[1:] {
		ws.Close()
	}
}
