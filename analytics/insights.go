package analytics

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/purchase"
)

// OrgCatalog lists an organization's events and their ticket types
// (*catalog.Service).
type OrgCatalog interface {
	Org(ctx context.Context, orgID string) (catalog.Organization, error)
	OrgEvents(ctx context.Context, orgID, after string, limit int) ([]catalog.Event, error)
	TicketTypes(ctx context.Context, eventID string) ([]catalog.TicketType, error)
}

// orgEventsPage is how many events one catalog read lists.
const orgEventsPage = 100

// LeadTimeBuckets are the upper bounds of the lead time distribution's
// buckets; the last bucket has none.
var LeadTimeBuckets = []struct {
	Label string
	Max   time.Duration
}{
	{"under_1_day", 24 * time.Hour},
	{"1_to_7_days", 7 * 24 * time.Hour},
	{"7_to_30_days", 30 * 24 * time.Hour},
	{"30_days_or_more", 0},
}

// OrgInsights are figures across an organization's events, as of AsOf,
// from its orders ever paid (refunded since included unless said).
type OrgInsights struct {
	OrgID  string    `json:"org_id"`
	AsOf   time.Time `json:"as_of"`
	Events int       `json:"events"`
	// Orders counts orders ever paid; Refunded those refunded since, and
	// RefundRate is Refunded / Orders (0 without orders).
	Orders     int     `json:"orders"`
	Refunded   int     `json:"refunded"`
	RefundRate float64 `json:"refund_rate"`
	// Buyers counts distinct buyers with a paid order; RepeatBuyers
	// those with paid orders for two or more of the org's events.
	Buyers       int `json:"buyers"`
	RepeatBuyers int `json:"repeat_buyers"`
	// LeadTime is how long before its event's start orders were paid.
	LeadTime LeadTime `json:"lead_time"`
	// TypeMix is the units of paid (not refunded) orders by ticket type
	// name and kind across events, most first.
	TypeMix []TypeShare `json:"ticket_type_mix"`
	// Cities counts distinct buyers by the city given at checkout ("" for
	// orders without one), most first.
	Cities []CityBuyers `json:"buyers_by_city"`
}

// LeadTime is the distribution of order lead times.
type LeadTime struct {
	// MedianHours is the median lead time in hours (a negative lead time
	// is an order paid after doors); null without orders.
	MedianHours  *float64       `json:"median_hours"`
	Distribution []LeadTimeBand `json:"distribution"`
}

// LeadTimeBand counts orders of one LeadTimeBuckets bucket.
type LeadTimeBand struct {
	Label  string `json:"label"`
	Orders int    `json:"orders"`
}

// TypeShare is the units sold of ticket types of one name and kind.
type TypeShare struct {
	Name  string       `json:"name"`
	Kind  catalog.Kind `json:"kind"`
	Units int          `json:"units"`
	// Share is Units over all units of the mix.
	Share float64 `json:"share"`
}

// CityBuyers counts the distinct buyers of one city.
type CityBuyers struct {
	City   string `json:"city"`
	Buyers int    `json:"buyers"`
}

// OrgInsights computes an organization's insights from its events'
// orders, read page by page from the store on every call: its cost
// grows with the organization's orders. An unknown organization is the
// catalog's not-found error.
func (s *Service) OrgInsights(ctx context.Context, orgID string) (OrgInsights, error) {
	if s.Orgs == nil || s.Records == nil {
		return OrgInsights{}, fmt.Errorf("insights of %s: no catalog or records store", orgID)
	}
	if _, err := s.Orgs.Org(ctx, orgID); err != nil {
		return OrgInsights{}, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	in := OrgInsights{OrgID: orgID, AsOf: now().UTC(), TypeMix: []TypeShare{}, Cities: []CityBuyers{}}
	buyerEvents := map[string]map[string]bool{}
	cityBuyers := map[string]map[string]bool{}
	type nameKind struct {
		name string
		kind catalog.Kind
	}
	mix := map[nameKind]int{}
	var leads []time.Duration
	for after := ""; ; {
		events, err := s.Orgs.OrgEvents(ctx, orgID, after, orgEventsPage)
		if err != nil {
			return OrgInsights{}, err
		}
		for _, e := range events {
			in.Events++
			types, err := s.Orgs.TicketTypes(ctx, e.ID)
			if err != nil {
				return OrgInsights{}, fmt.Errorf("ticket types of %s: %w", e.ID, err)
			}
			kinds := map[string]nameKind{}
			for _, t := range types {
				kinds[t.ID] = nameKind{t.Name, t.Kind}
			}
			for from := ""; ; {
				orders, err := s.Records.OrdersOfEvent(ctx, e.ID, from, exportPage)
				if err != nil {
					return OrgInsights{}, fmt.Errorf("orders of %s: %w", e.ID, err)
				}
				for _, o := range orders {
					if o.Status != purchase.StatusPaid && o.Status != purchase.StatusRefunded {
						continue
					}
					in.Orders++
					if buyerEvents[o.BuyerID] == nil {
						buyerEvents[o.BuyerID] = map[string]bool{}
					}
					buyerEvents[o.BuyerID][e.ID] = true
					if cityBuyers[o.BuyerCity] == nil {
						cityBuyers[o.BuyerCity] = map[string]bool{}
					}
					cityBuyers[o.BuyerCity][o.BuyerID] = true
					leads = append(leads, e.StartsAt.Sub(o.PaidAt))
					if o.Status == purchase.StatusRefunded {
						in.Refunded++
						continue
					}
					for _, l := range o.Lines {
						mix[kinds[l.TicketTypeID]] += l.Quantity
					}
				}
				if len(orders) < exportPage {
					break
				}
				from = orders[len(orders)-1].ID
			}
		}
		if len(events) < orgEventsPage {
			break
		}
		after = events[len(events)-1].ID
	}
	if in.Orders > 0 {
		in.RefundRate = float64(in.Refunded) / float64(in.Orders)
	}
	in.Buyers = len(buyerEvents)
	for _, evs := range buyerEvents {
		if len(evs) > 1 {
			in.RepeatBuyers++
		}
	}
	in.LeadTime = leadTime(leads)
	total := 0
	for _, n := range mix {
		total += n
	}
	for k, n := range mix {
		in.TypeMix = append(in.TypeMix, TypeShare{Name: k.name, Kind: k.kind, Units: n, Share: float64(n) / float64(total)})
	}
	sort.Slice(in.TypeMix, func(i, j int) bool {
		a, b := in.TypeMix[i], in.TypeMix[j]
		return a.Units > b.Units || (a.Units == b.Units && (a.Name < b.Name || (a.Name == b.Name && a.Kind < b.Kind)))
	})
	for city, buyers := range cityBuyers {
		in.Cities = append(in.Cities, CityBuyers{City: city, Buyers: len(buyers)})
	}
	sort.Slice(in.Cities, func(i, j int) bool {
		a, b := in.Cities[i], in.Cities[j]
		return a.Buyers > b.Buyers || (a.Buyers == b.Buyers && a.City < b.City)
	})
	return in, nil
}

// leadTime is the median and distribution of lead times.
func leadTime(leads []time.Duration) LeadTime {
	lt := LeadTime{Distribution: make([]LeadTimeBand, len(LeadTimeBuckets))}
	for i, b := range LeadTimeBuckets {
		lt.Distribution[i].Label = b.Label
	}
	if len(leads) == 0 {
		return lt
	}
	sort.Slice(leads, func(i, j int) bool { return leads[i] < leads[j] })
	n := len(leads)
	median := leads[n/2]
	if n%2 == 0 {
		median = (leads[n/2-1] + leads[n/2]) / 2
	}
	h := median.Hours()
	lt.MedianHours = &h
	for _, d := range leads {
		i := len(LeadTimeBuckets) - 1
		for j, b := range LeadTimeBuckets[:len(LeadTimeBuckets)-1] {
			if d < b.Max {
				i = j
				break
			}
		}
		lt.Distribution[i].Orders++
	}
	return lt
}
