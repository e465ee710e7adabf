package notify_test

import (
	"context"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/purchase"
)

// fakeShop is the catalog and purchasing as CheckDoors reads them.
type fakeShop struct {
	events  []catalog.Event
	orders  map[string][]purchase.Order
	tickets map[string][]purchase.Ticket
}

func (f *fakeShop) Event(_ context.Context, id string) (catalog.Event, error) {
	for _, e := range f.events {
		if e.ID == id {
			return e, nil
		}
	}
	return catalog.Event{}, catalog.ErrNotFound
}

func (f *fakeShop) Events(_ context.Context, after string, limit int) ([]catalog.Event, error) {
	var out []catalog.Event
	for _, e := range f.events {
		if e.ID > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeShop) OrdersOfEvent(_ context.Context, eventID, after string, limit int) ([]purchase.Order, error) {
	var out []purchase.Order
	for _, o := range f.orders[eventID] {
		if o.ID > after && len(out) < limit {
			out = append(out, o)
		}
	}
	return out, nil
}

func (f *fakeShop) TicketsOfOrder(_ context.Context, orderID string) ([]purchase.Ticket, error) {
	return f.tickets[orderID], nil
}

// TestCheckDoors: holders of valid tickets of a published event whose
// doors open within the hour are told once per device, however often
// the check runs; a transferred ticket's new holder is told, its old
// holder and a refunded buyer are not, nor are other events' holders.
func TestCheckDoors(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s := start(t, t.TempDir(), c)
	push := newPushService(t)
	ann := subscribe(t, s, "usr_ann", push.device("ann"))
	bob := subscribe(t, s, "usr_bob", push.device("bob"))
	subscribe(t, s, "usr_carl", push.device("carl"))
	dan := subscribe(t, s, "usr_dan", push.device("dan"))

	now := c.Now()
	ev := func(id string, doors time.Duration, status catalog.Status) catalog.Event {
		return catalog.Event{ID: id, Title: id, Status: status, TimeZone: "Europe/Berlin", DoorsAt: now.Add(doors), StartsAt: now.Add(doors + time.Hour)}
	}
	shop := &fakeShop{
		events: []catalog.Event{
			ev("ev_soon", 30*time.Minute, catalog.StatusPublished),
			ev("ev_later", 3*time.Hour, catalog.StatusPublished),
			ev("ev_off", 30*time.Minute, catalog.StatusCancelled),
			ev("ev_past", -time.Minute, catalog.StatusPublished),
		},
		orders: map[string][]purchase.Order{
			"ev_soon":  {{ID: "ord_1", BuyerID: "usr_ann", Status: purchase.StatusPaid}, {ID: "ord_2", BuyerID: "usr_carl", Status: purchase.StatusRefunded}},
			"ev_later": {{ID: "ord_3", BuyerID: "usr_dan", Status: purchase.StatusPaid}},
		},
		tickets: map[string][]purchase.Ticket{
			"ord_1": {
				{ID: "tk_1", OrderID: "ord_1", HolderID: "usr_ann", Status: purchase.TicketValid},
				{ID: "tk_2", OrderID: "ord_1", HolderID: "usr_ann", Status: purchase.TicketRevoked},
				{ID: "tk_3", OrderID: "ord_1", HolderID: "usr_bob", Status: purchase.TicketValid},
			},
			"ord_2": {{ID: "tk_4", OrderID: "ord_2", HolderID: "usr_carl", Status: purchase.TicketRevoked}},
			"ord_3": {{ID: "tk_5", OrderID: "ord_3", HolderID: "usr_dan", Status: purchase.TicketValid}},
		},
	}
	s.svc.Events, s.svc.Orders = shop, shop
	for range 3 {
		if n, err := s.svc.CheckDoors(ctx); err != nil || n != 1 {
			t.Fatalf("CheckDoors = %d, %v; want 1 event", n, err)
		}
		c.Add(time.Minute)
	}
	if _, err := s.worker.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	equalMap(t, "deliveries", push.deliveries(), map[string]int{
		"ann doors/ev_soon/" + ann.ID: 1,
		"bob doors/ev_soon/" + bob.ID: 1,
	})
	// Two hours on, the later event's doors are within the hour.
	c.Add(2 * time.Hour)
	if _, err := s.svc.CheckDoors(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.worker.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	got := push.deliveries()
	if got["dan doors/ev_later/"+dan.ID] != 1 || len(got) != 3 {
		t.Errorf("deliveries after two hours: %v", got)
	}
	m, err := s.db.Message(ctx, "doors/ev_soon/"+ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != notify.StatusSent {
		t.Errorf("status %s, want sent", m.Status)
	}
}
