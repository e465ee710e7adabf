package desk

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/admitone/admitone/analytics"
	"github.com/admitone/admitone/bundle"
	ticketsync "github.com/admitone/admitone/sync"
)

// TestGateView: the gate panel says each gate's health in words from the
// hub's gate states, and flags quiet only enrolled, unrevoked gates.
func TestGateView(t *testing.T) {
	now := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	enrolled := ticketsync.Gate{ID: "gat_1", Name: "North", Direction: bundle.Entry, EnrolledAt: now.Add(-time.Hour)}
	skew := int64(-2300)
	cases := []struct {
		name   string
		g      ticketsync.GateState
		here   bool
		state  string
		quiet  bool
		sync   string
		skew   string
		rate   string
		outbox string
	}{
		{name: "never heard from", g: ticketsync.GateState{Gate: ticketsync.Gate{ID: "gat_2", Name: "New"}},
			state: "not enrolled", rate: "nil", outbox: "nil"},
		{name: "reporting", g: ticketsync.GateState{Gate: enrolled, Health: ticketsync.GateStatus{Online: true, LastSeen: now,
			LastSync: now.Add(-42 * time.Second), ClockSkewMS: &skew, Outbox: 3, ScansPerMinute: 12.345}},
			state: "online", sync: "42 s ago (19:59:18 UTC)", skew: "2.3s behind", rate: "12.3", outbox: "3"},
		{name: "offline at open doors", g: ticketsync.GateState{Gate: enrolled, Health: ticketsync.GateStatus{LastSeen: now.Add(-11 * time.Minute),
			Quiet: true, QuietReason: ticketsync.QuietOffline}},
			state: "offline, quiet during doors-open", quiet: true, rate: "0", outbox: "0"},
		{name: "connected here, store not told yet", here: true, g: ticketsync.GateState{Gate: enrolled, Health: ticketsync.GateStatus{
			Quiet: true, QuietReason: ticketsync.QuietOffline}},
			state: "online", rate: "nil", outbox: "nil"},
		{name: "online without scans", g: ticketsync.GateState{Gate: enrolled, Health: ticketsync.GateStatus{Online: true, LastSeen: now,
			Quiet: true, QuietReason: ticketsync.QuietNoScans}},
			state: "online, quiet during doors-open: no scans lately", quiet: true, rate: "0", outbox: "0"},
		{name: "revoked", g: ticketsync.GateState{Gate: ticketsync.Gate{ID: "gat_3", EnrolledAt: now.Add(-time.Hour), RevokedAt: now},
			Health: ticketsync.GateStatus{Quiet: true, QuietReason: ticketsync.QuietOffline}},
			state: "revoked", rate: "nil", outbox: "nil"},
	}
	str := func(p any) string {
		switch p := p.(type) {
		case *float64:
			if p == nil {
				return "nil"
			}
			return fmtFloat(*p)
		case *int64:
			if p == nil {
				return "nil"
			}
			return fmtFloat(float64(*p))
		}
		return "?"
	}
	for _, c := range cases {
		v := gateView(c.g, now, c.here, 7)
		if v.State != c.state || v.Quiet != c.quiet || v.LastSync != c.sync || v.ClockSkew != c.skew ||
			str(v.ScansPerMinute) != c.rate || str(v.Outbox) != c.outbox || v.Entries != 7 {
			t.Errorf("%s: %+v (rate %s, outbox %s)\nwant state %q quiet %v sync %q skew %q rate %s outbox %s",
				c.name, v, str(v.ScansPerMinute), str(v.Outbox), c.state, c.quiet, c.sync, c.skew, c.rate, c.outbox)
		}
	}
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// TestHistory: the chart's past adds up hourly sales and per-minute
// entries into one series in time order.
func TestHistory(t *testing.T) {
	h0 := time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC)
	st := analytics.EventStats{
		Sales: []analytics.SalesBucket{{Start: h0, Units: 3}, {Start: h0.Add(time.Hour), Units: 2}},
		EntriesPerMinute: []analytics.MinuteEntries{{GateID: "a", Minute: h0.Add(90 * time.Minute), Entries: 2},
			{GateID: "b", Minute: h0.Add(90 * time.Minute), Entries: 1}, {GateID: "a", Minute: h0.Add(30 * time.Minute), Entries: 1}},
	}
	got := history(st)
	want := []HistoryPoint{{h0.Unix(), 3, 0}, {h0.Add(30 * time.Minute).Unix(), 3, 1}, {h0.Add(time.Hour).Unix(), 5, 1}, {h0.Add(90 * time.Minute).Unix(), 5, 4}}
	if !slices.Equal(got, want) {
		t.Errorf("history %v, want %v", got, want)
	}
	if h := history(analytics.EventStats{}); len(h) != 0 {
		t.Errorf("an event without sales or entries has a past: %v", h)
	}
}
