package analytics_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/admitone/admitone/analytics"
)

// Every figure lands in its own place of Counts; an unknown one is an
// error that changes nothing.
func TestCountsSet(t *testing.T) {
	hour := time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC)
	minute := hour.Add(7 * time.Minute)
	c := analytics.NewCounts()
	for _, f := range []struct {
		f    analytics.Figure
		part string
		at   time.Time
		n    int64
	}{
		{analytics.FigureValid, "tt_a", time.Time{}, 5},
		{analytics.FigureRevoked, "tt_a", time.Time{}, 2},
		{analytics.FigurePaid, "EUR", time.Time{}, 9000},
		{analytics.FigureRefunded, "EUR", time.Time{}, 1500},
		{analytics.FigureSalesOrders, "", hour, 3},
		{analytics.FigureSalesUnits, "", hour, 7},
		{analytics.FigureEntries, "gat_1", minute, 4},
		{analytics.FigureEntries, "gat_1", minute.Add(time.Minute), 1},
		{analytics.FigureCheckedIn, "", time.Time{}, 5},
		{analytics.FigureInside, "", time.Time{}, 3},
		{analytics.FigureConflicts, "", time.Time{}, 2},
		{analytics.FigureOfflineConflicts, "", time.Time{}, 1},
		{analytics.FigureNeverEntered, "", time.Time{}, 6},
	} {
		if err := c.Set(f.f, f.part, f.at, f.n); err != nil {
			t.Fatalf("Set(%s): %v", f.f, err)
		}
	}
	want := analytics.NewCounts()
	want.Tickets["tt_a"] = analytics.TicketCounts{Valid: 5, Revoked: 2}
	want.Revenue["EUR"] = analytics.RevenueCounts{Paid: 9000, Refunded: 1500}
	want.Sales[hour] = analytics.SalesCounts{Orders: 3, Units: 7}
	want.Entries["gat_1"] = 5
	want.EntryMinutes[analytics.GateMinute{GateID: "gat_1", Minute: minute}] = 4
	want.EntryMinutes[analytics.GateMinute{GateID: "gat_1", Minute: minute.Add(time.Minute)}] = 1
	want.CheckedIn, want.Inside, want.Conflicts, want.OfflineConflicts, want.NeverEntered = 5, 3, 2, 1, 6
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Counts = %+v, want %+v", c, want)
	}
	if err := c.Set("sold_out", "", time.Time{}, 1); err == nil {
		t.Error("Set of an unknown figure succeeded")
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("an unknown figure changed the counts: %+v", c)
	}
}
