package changelog_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
)

// TestCheckinChange: a check-in survives its log entry, and both keep
// their wire names.
func TestCheckinChange(t *testing.T) {
	at := time.Date(2026, 6, 1, 20, 0, 0, 0, time.UTC)
	c := changelog.Checkin{ID: changelog.NewCheckinID(at).String(), TicketID: "tk_a", EventID: "ev_1", TypeNumber: 2,
		GateID: "gat_1", Direction: bundle.Exit, At: at, Offline: true}
	ch := c.Change()
	if ch.Kind != changelog.KindCheckin || ch.CheckinID != c.ID {
		t.Fatalf("Change() = %+v", ch)
	}
	if got := ch.Checkin(); got != c {
		t.Errorf("Change().Checkin() = %+v, want %+v", got, c)
	}
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"` + c.ID + `","ticket_id":"tk_a","event_id":"ev_1","ticket_type":2,"gate_id":"gat_1","direction":"exit","at":"2026-06-01T20:00:00Z","offline":true}`
	if string(raw) != want {
		t.Errorf("check-in JSON\n got %s\nwant %s", raw, want)
	}
}

func TestCheckinIDText(t *testing.T) {
	id := changelog.NewCheckinID(time.Now())
	got, err := changelog.ParseCheckinID(id.String())
	if err != nil || got != id {
		t.Fatalf("ParseCheckinID(%s) = %v, %v", id, got, err)
	}
	for _, bad := range []string{"", "ci_", "tk_" + id.String()[3:], id.String() + "0", "ci_" + "zz" + id.String()[5:]} {
		if _, err := changelog.ParseCheckinID(bad); err == nil {
			t.Errorf("ParseCheckinID(%q) accepted", bad)
		}
	}
}
