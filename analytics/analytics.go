package analytics

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/errkind"
)

// TicketCounts are one ticket type's issued tickets.
type TicketCounts struct {
	// Valid tickets admit.
	Valid int
	// Revoked tickets were revoked and not replaced (a refund); a
	// ticket a transfer replaced is counted once, as its replacement.
	Revoked int
}

// RevenueCounts are one currency's order totals, in minor units.
type RevenueCounts struct {
	// Paid is the total of every order ever paid (paid or refunded
	// since); Refunded the total of those refunded.
	Paid, Refunded int64
}

// Counts are what a Store counts for one event.
type Counts struct {
	Tickets map[string]TicketCounts  // by ticket type id
	Revenue map[string]RevenueCounts // by currency
	// CheckedIn counts ticket lineages with an entry on record; Inside
	// those whose last check-in put them inside.
	CheckedIn, Inside int
	// Entries counts entry check-ins by gate id.
	Entries map[string]int
	// EntryMinutes counts entry check-ins by gate and minute (UTC) of
	// the check-in's own time (when the gate scanned, not when it
	// uploaded).
	EntryMinutes map[GateMinute]int
	// Conflicts counts the event's conflicts (a lineage admitted twice);
	// OfflineConflicts those with a side scanned offline.
	Conflicts, OfflineConflicts int
	// Sales counts paid orders (refunded since included) by the hour
	// (UTC) they were paid in.
	Sales map[time.Time]SalesCounts
	// NeverEntered counts valid tickets whose lineage has no entry.
	NeverEntered int
}

// GateMinute is one gate's minute.
type GateMinute struct {
	GateID string
	Minute time.Time
}

// SalesCounts are the orders paid in one hour and the units they
// bought (every line's quantity: tickets and merchandise).
type SalesCounts struct {
	Orders, Units int
}

// NewCounts is Counts with every map made, as a Store starts them.
func NewCounts() Counts {
	return Counts{Tickets: map[string]TicketCounts{}, Revenue: map[string]RevenueCounts{}, Entries: map[string]int{},
		EntryMinutes: map[GateMinute]int{}, Sales: map[time.Time]SalesCounts{}}
}

// Store counts an event's figures in one consistent read.
// Implementations: storage/bolt and storage/postgres; storage/storetest
// checks both. An unknown event has zero counts, not an error.
// NeverEntered is counted only when noShows is set (it is the one
// figure that compares every ticket with every lineage, and it means
// something only once the event has ended); otherwise it is zero.
type Store interface {
	EventCounts(ctx context.Context, eventID string, noShows bool) (Counts, error)
}

// Inventory reports sold plus held per ticket type (purchase.Store).
type Inventory interface {
	Taken(ctx context.Context, eventID string) (map[string]int, error)
}

// Catalog reads an event and its ticket types (*catalog.Service).
type Catalog interface {
	EventPage(ctx context.Context, eventID string) (catalog.EventPage, error)
}

// RefusalCounter reads the refusals gates reported for an event: how
// many scans each gate refused, by reason (such as "already_used" or
// "wrong_event"), as stored from the gates' status frames. It is the
// seam for gate telemetry, which stores them; analytics only reads.
type RefusalCounter interface {
	Refusals(ctx context.Context, eventID string) (map[GateReason]int, error)
}

// GateReason is one gate's refusals of one reason.
type GateReason struct {
	GateID, Reason string
}

// Service computes event figures.
type Service struct {
	Catalog   Catalog
	Store     Store
	Inventory Inventory
	// Records, when set, serves the CSV exports (WriteExport) and, with
	// Orgs, the insights (OrgInsights).
	Records Records
	Orgs    OrgCatalog
	// Refusals, when set, supplies the refusals by gate and reason; nil
	// answers an empty list (gates report none yet).
	Refusals RefusalCounter
	// Now defaults to time.Now.
	Now func() time.Time
}

// TypeStats are one ticket type's figures.
type TypeStats struct {
	TicketTypeID string       `json:"ticket_type_id"`
	Name         string       `json:"name"`
	Kind         catalog.Kind `json:"kind"`
	Capacity     int          `json:"capacity"`
	// Sold counts valid tickets; Revoked tickets revoked by a refund.
	Sold    int `json:"sold"`
	Revoked int `json:"revoked"`
	// Remaining is capacity minus sold and held (never below zero).
	Remaining int `json:"remaining"`
}

// Revenue is one currency's revenue, in minor units.
type Revenue struct {
	Currency string `json:"currency"`
	Paid     int64  `json:"paid"`
	Refunded int64  `json:"refunded"`
	// Net is Paid minus Refunded.
	Net int64 `json:"net"`
}

// GateEntries is one gate's entry count.
type GateEntries struct {
	GateID  string `json:"gate_id"`
	Entries int    `json:"entries"`
}

// MinuteEntries is a gate's entries in the minute starting at Minute.
type MinuteEntries struct {
	GateID  string    `json:"gate_id"`
	Minute  time.Time `json:"minute"`
	Entries int       `json:"entries"`
}

// SalesBucket is the orders paid (refunded since included) in the hour
// or day starting at Start, and the units they bought (tickets and
// merchandise).
type SalesBucket struct {
	Start  time.Time `json:"start"`
	Orders int       `json:"orders"`
	Units  int       `json:"units"`
}

// Refusal is one gate's refusals of one reason.
type Refusal struct {
	GateID string `json:"gate_id"`
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// Bucket is the width of a sales bucket: an hour or a day (UTC).
type Bucket string

// The buckets ParseBucket accepts.
const (
	Hour Bucket = "hour"
	Day  Bucket = "day"
)

// ErrBucket is a sales bucket other than hour or day.
var ErrBucket = errkind.New(errkind.Invalid, "invalid_bucket", "the sales bucket must be hour or day")

// ParseBucket reads a bucket name; empty is Hour.
func ParseBucket(s string) (Bucket, error) {
	switch Bucket(s) {
	case "", Hour:
		return Hour, nil
	case Day:
		return Day, nil
	}
	return "", ErrBucket
}

// EventStats are an event's figures as of AsOf.
type EventStats struct {
	EventID     string        `json:"event_id"`
	AsOf        time.Time     `json:"as_of"`
	TicketTypes []TypeStats   `json:"ticket_types"`
	Revenue     []Revenue     `json:"revenue"`
	CheckedIn   int           `json:"checked_in"`
	Inside      int           `json:"inside"`
	Entries     []GateEntries `json:"entries_by_gate"`
	// EntriesPerMinute lists each gate's entries per minute with any,
	// by gate then minute.
	EntriesPerMinute []MinuteEntries `json:"entries_per_minute"`
	// Sales lists the buckets with sales, oldest first, of SalesBucket
	// width.
	SalesBucket Bucket        `json:"sales_bucket"`
	Sales       []SalesBucket `json:"sales"`
	// Refusals lists the scans gates refused, by gate and reason.
	Refusals         []Refusal `json:"refusals"`
	Conflicts        int       `json:"conflicts"`
	OfflineConflicts int       `json:"offline_conflicts"`
	// NoShows counts valid tickets never entered, once the event has
	// ended; nil before.
	NoShows *int `json:"no_shows"`
}

// EventStats computes an event's figures with hourly sales.
func (s *Service) EventStats(ctx context.Context, eventID string) (EventStats, error) {
	return s.EventStatsBy(ctx, eventID, Hour)
}

// EventStatsBy computes an event's figures with sales in buckets of
// width b. An unknown event is the catalog's not-found error.
func (s *Service) EventStatsBy(ctx context.Context, eventID string, b Bucket) (EventStats, error) {
	if _, err := ParseBucket(string(b)); err != nil {
		return EventStats{}, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	p, err := s.Catalog.EventPage(ctx, eventID)
	if err != nil {
		return EventStats{}, err
	}
	at := now().UTC()
	ended := !at.Before(p.Event.EndsAt)
	c, err := s.Store.EventCounts(ctx, eventID, ended)
	if err != nil {
		return EventStats{}, fmt.Errorf("figures of event %s: %w", eventID, err)
	}
	taken, err := s.Inventory.Taken(ctx, eventID)
	if err != nil {
		return EventStats{}, fmt.Errorf("inventory of event %s: %w", eventID, err)
	}
	st := EventStats{EventID: eventID, AsOf: at, TicketTypes: []TypeStats{}, Revenue: []Revenue{}, Entries: []GateEntries{},
		EntriesPerMinute: []MinuteEntries{}, SalesBucket: b, Sales: []SalesBucket{}, Refusals: []Refusal{},
		CheckedIn: c.CheckedIn, Inside: c.Inside, Conflicts: c.Conflicts, OfflineConflicts: c.OfflineConflicts}
	for _, t := range p.TicketTypes {
		tc := c.Tickets[t.ID]
		st.TicketTypes = append(st.TicketTypes, TypeStats{TicketTypeID: t.ID, Name: t.Name, Kind: t.Kind, Capacity: t.Capacity,
			Sold: tc.Valid, Revoked: tc.Revoked, Remaining: max(0, t.Capacity-taken[t.ID])})
	}
	for cur, r := range c.Revenue {
		st.Revenue = append(st.Revenue, Revenue{Currency: cur, Paid: r.Paid, Refunded: r.Refunded, Net: r.Paid - r.Refunded})
	}
	sort.Slice(st.Revenue, func(i, j int) bool { return st.Revenue[i].Currency < st.Revenue[j].Currency })
	for g, n := range c.Entries {
		st.Entries = append(st.Entries, GateEntries{GateID: g, Entries: n})
	}
	sort.Slice(st.Entries, func(i, j int) bool { return st.Entries[i].GateID < st.Entries[j].GateID })
	for gm, n := range c.EntryMinutes {
		st.EntriesPerMinute = append(st.EntriesPerMinute, MinuteEntries{GateID: gm.GateID, Minute: gm.Minute.UTC(), Entries: n})
	}
	sort.Slice(st.EntriesPerMinute, func(i, j int) bool {
		a, b := st.EntriesPerMinute[i], st.EntriesPerMinute[j]
		return a.GateID < b.GateID || (a.GateID == b.GateID && a.Minute.Before(b.Minute))
	})
	st.Sales = salesBuckets(c.Sales, b)
	if s.Refusals != nil {
		rs, err := s.Refusals.Refusals(ctx, eventID)
		if err != nil {
			return EventStats{}, fmt.Errorf("refusals of event %s: %w", eventID, err)
		}
		for gr, n := range rs {
			st.Refusals = append(st.Refusals, Refusal{GateID: gr.GateID, Reason: gr.Reason, Count: n})
		}
		sort.Slice(st.Refusals, func(i, j int) bool {
			a, b := st.Refusals[i], st.Refusals[j]
			return a.GateID < b.GateID || (a.GateID == b.GateID && a.Reason < b.Reason)
		})
	}
	if ended {
		n := c.NeverEntered
		st.NoShows = &n
	}
	return st, nil
}

// salesBuckets sums hourly sales into buckets of width b, oldest first.
func salesBuckets(hourly map[time.Time]SalesCounts, b Bucket) []SalesBucket {
	sum := map[time.Time]SalesCounts{}
	for h, n := range hourly {
		start := h.UTC().Truncate(time.Hour)
		if b == Day {
			start = time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
		}
		s := sum[start]
		s.Orders += n.Orders
		s.Units += n.Units
		sum[start] = s
	}
	out := make([]SalesBucket, 0, len(sum))
	for start, n := range sum {
		out = append(out, SalesBucket{Start: start, Orders: n.Orders, Units: n.Units})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}
