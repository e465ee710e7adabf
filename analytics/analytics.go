package analytics

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/admitone/admitone/catalog"
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
	// Conflicts counts the event's conflicts (a lineage admitted twice).
	Conflicts int
	// NeverEntered counts valid tickets whose lineage has no entry.
	NeverEntered int
}

// Store counts an event's figures in one consistent read.
// Implementations: storage/bolt and storage/postgres; storage/storetest
// checks both. An unknown event has zero counts, not an error.
type Store interface {
	EventCounts(ctx context.Context, eventID string) (Counts, error)
}

// Inventory reports sold plus held per ticket type (purchase.Store).
type Inventory interface {
	Taken(ctx context.Context, eventID string) (map[string]int, error)
}

// Catalog reads an event and its ticket types (*catalog.Service).
type Catalog interface {
	EventPage(ctx context.Context, eventID string) (catalog.EventPage, error)
}

// Service computes event figures.
type Service struct {
	Catalog   Catalog
	Store     Store
	Inventory Inventory
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

// EventStats are an event's figures as of AsOf.
type EventStats struct {
	EventID     string        `json:"event_id"`
	AsOf        time.Time     `json:"as_of"`
	TicketTypes []TypeStats   `json:"ticket_types"`
	Revenue     []Revenue     `json:"revenue"`
	CheckedIn   int           `json:"checked_in"`
	Inside      int           `json:"inside"`
	Entries     []GateEntries `json:"entries_by_gate"`
	Conflicts   int           `json:"conflicts"`
	// NoShows counts valid tickets never entered, once the event has
	// ended; nil before.
	NoShows *int `json:"no_shows"`
}

// EventStats computes an event's figures. An unknown event is the
// catalog's not-found error.
func (s *Service) EventStats(ctx context.Context, eventID string) (EventStats, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	p, err := s.Catalog.EventPage(ctx, eventID)
	if err != nil {
		return EventStats{}, err
	}
	c, err := s.Store.EventCounts(ctx, eventID)
	if err != nil {
		return EventStats{}, fmt.Errorf("figures of event %s: %w", eventID, err)
	}
	taken, err := s.Inventory.Taken(ctx, eventID)
	if err != nil {
		return EventStats{}, fmt.Errorf("inventory of event %s: %w", eventID, err)
	}
	at := now().UTC()
	st := EventStats{EventID: eventID, AsOf: at, TicketTypes: []TypeStats{}, Revenue: []Revenue{}, Entries: []GateEntries{},
		CheckedIn: c.CheckedIn, Inside: c.Inside, Conflicts: c.Conflicts}
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
	if !at.Before(p.Event.EndsAt) {
		n := c.NeverEntered
		st.NoShows = &n
	}
	return st, nil
}
