package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/logging"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/vault"
)

var _ purchase.Notifier = (*Service)(nil)

// Events is what the service reads of the catalog.
type Events interface {
	Event(ctx context.Context, id string) (catalog.Event, error)
	Events(ctx context.Context, after string, limit int) ([]catalog.Event, error)
}

// Orders is what the service reads of purchasing, to find an event's
// ticket holders.
type Orders interface {
	OrdersOfEvent(ctx context.Context, eventID, after string, limit int) ([]purchase.Order, error)
	TicketsOfOrder(ctx context.Context, orderID string) ([]purchase.Ticket, error)
}

// Service keeps the accounts' push subscriptions and turns what
// purchasing reports (purchase.Notifier) into outbox messages, one per
// subscribed device of each account concerned.
type Service struct {
	Store  Store
	Events Events
	Orders Orders
	// Secrets and Seal keep the VAPID key (LoadVAPID); Subject is its
	// contact.
	Secrets vault.SecretStore
	Seal    *ticketcrypto.SealKey
	Subject string
	// AllowHTTP admits http endpoints on loopback addresses (tests).
	AllowHTTP bool
	// DoorsWithin is how long before doors open the "doors open soon"
	// message goes; zero means DefaultDoorsWithin.
	DoorsWithin time.Duration
	Now         func() time.Time
	Log         *slog.Logger
	// Mailing turns on email: each message also goes by mail to the
	// account's address; nil sends none.
	Mailing *Mailing

	mu       sync.Mutex
	keys     *VAPID
	linkKeys map[string][]byte // HMAC keys of signed links, by secret name
}

// DefaultDoorsWithin is Service.DoorsWithin when not set.
const DefaultDoorsWithin = time.Hour

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger { return logging.OrDiscard(s.Log) }

// Keys returns the server's VAPID key, loading (or making) it once.
func (s *Service) Keys(ctx context.Context) (*VAPID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys != nil {
		return s.keys, nil
	}
	k, err := LoadVAPID(ctx, s.Secrets, s.Seal, s.Subject)
	if err != nil {
		return nil, err
	}
	s.keys = k
	return k, nil
}

// Subscribe stores the device subscription data (a PushSubscription's
// JSON) for userID. An account has at most MaxSubscriptions.
func (s *Service) Subscribe(ctx context.Context, userID string, data []byte) (Subscription, error) {
	sub, err := ParseSubscription(data, s.AllowHTTP)
	if err != nil {
		return Subscription{}, err
	}
	have, err := s.Store.Subscriptions(ctx, userID)
	if err != nil {
		return Subscription{}, err
	}
	known := false
	for _, h := range have {
		known = known || h.Endpoint == sub.Endpoint
	}
	if !known && len(have) >= MaxSubscriptions {
		return Subscription{}, fmt.Errorf("%w: %d devices already", ErrLimit, len(have))
	}
	sub.ID, sub.UserID, sub.CreatedAt = "ps_"+randomHex(12), userID, s.now().UTC().Truncate(time.Microsecond)
	return s.Store.PutSubscription(ctx, sub)
}

// Subscriptions lists userID's subscriptions.
func (s *Service) Subscriptions(ctx context.Context, userID string) ([]Subscription, error) {
	return s.Store.Subscriptions(ctx, userID)
}

// Unsubscribe removes userID's subscription id; another account's is
// ErrNotFound.
func (s *Service) Unsubscribe(ctx context.Context, userID, id string) error {
	sub, err := s.Store.Subscription(ctx, id)
	if err != nil {
		return err
	}
	if sub.UserID != userID {
		return fmt.Errorf("subscription %s: %w", id, ErrNotFound)
	}
	return s.Store.DeleteSubscription(ctx, id)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Payload is what a push message carries, as JSON; the service worker
// shows Title and Body and opens URL on a click. ID is the message's
// stable id: a device that sees an id again drops the message.
type Payload struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Title string `json:"title"`
	Body  string `json:"body"`
	URL   string `json:"url"`
}

// Kinds of messages.
const (
	KindOrderPaid      = "order_paid"
	KindRefunded       = "refunded"
	KindEventMoved     = "event_moved"
	KindEventCancelled = "event_cancelled"
	KindDoorsOpen      = "doors_open"
)

// enqueue makes one message per subscription of each user: its id is
// key plus the subscription's id, so the same trigger enqueues nothing
// new.
func (s *Service) enqueue(ctx context.Context, users []string, kind, key, title, body string) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	var msgs []Message
	for _, u := range users {
		subs, err := s.Store.Subscriptions(ctx, u)
		if err != nil {
			return err
		}
		for _, sub := range subs {
			id := key + "/" + sub.ID
			p, err := json.Marshal(Payload{ID: id, Kind: kind, Title: cutRunes(title, 120), Body: cutRunes(body, 400), URL: "/app/"})
			if err != nil {
				return err
			}
			msgs = append(msgs, Message{ID: id, Channel: ChannelWebPush, UserID: u, Target: sub.ID, Payload: p,
				Status: StatusPending, NextAt: now, CreatedAt: now})
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	_, err := s.Store.Enqueue(ctx, msgs)
	return err
}

func cutRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func (s *Service) title(ctx context.Context, eventID string) string {
	ev, err := s.Events.Event(ctx, eventID)
	if err != nil {
		return "your event"
	}
	return ev.Title
}

func (s *Service) report(what, id string, err error) {
	if err != nil {
		s.log().Error("notify: enqueue", "what", what, "id", id, "err", err)
	}
}

// OrderPaid tells the buyer the order is confirmed.
func (s *Service) OrderPaid(ctx context.Context, o purchase.Order) {
	t := s.title(ctx, o.EventID)
	s.report(KindOrderPaid, o.ID, s.enqueue(ctx, []string{o.BuyerID}, KindOrderPaid, "paid/"+o.ID,
		"Order confirmed", "Your tickets for "+t+" are in My tickets."))
	s.mailOrder(ctx, KindOrderPaid, "paid/"+o.ID, o)
}

// OrderRefunded tells the buyer the money is on its way back.
func (s *Service) OrderRefunded(ctx context.Context, o purchase.Order) {
	t := s.title(ctx, o.EventID)
	s.report(KindRefunded, o.ID, s.enqueue(ctx, []string{o.BuyerID}, KindRefunded, "refund/"+o.ID,
		"Refund done", "Your order for "+t+" was refunded."))
	s.mailOrder(ctx, KindRefunded, "refund/"+o.ID, o)
}

// EventMoved tells an event's ticket holders its new date; the event's
// version keys the message, so a retry sends nothing new and a later
// move sends again.
func (s *Service) EventMoved(ctx context.Context, ev catalog.Event) {
	holders, err := s.holders(ctx, ev.ID, true)
	if err == nil {
		when := ev.StartsAt.Format("Mon 2 Jan 2006 15:04 MST")
		if loc, lerr := time.LoadLocation(ev.TimeZone); lerr == nil {
			when = ev.StartsAt.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
		}
		err = s.enqueue(ctx, holders, KindEventMoved, fmt.Sprintf("moved/%s/v%d", ev.ID, ev.Version),
			"Event moved", ev.Title+" now starts "+when+". Your tickets stay valid.")
		if err == nil {
			err = s.mailUsers(ctx, holders, KindEventMoved, fmt.Sprintf("moved/%s/v%d", ev.ID, ev.Version), func(m *Mail) {
				m.EventID, m.Event, m.When = ev.ID, ev.Title, when
			})
		}
	}
	s.report(KindEventMoved, ev.ID, err)
}

// EventCancelled tells the buyers of an event's paid (now refunded)
// orders that it is cancelled.
func (s *Service) EventCancelled(ctx context.Context, eventID string, orders []purchase.Order) {
	seen := map[string]bool{}
	var buyers []string
	for _, o := range orders {
		if !seen[o.BuyerID] {
			seen[o.BuyerID] = true
			buyers = append(buyers, o.BuyerID)
		}
	}
	title := s.title(ctx, eventID)
	s.report(KindEventCancelled, eventID, s.enqueue(ctx, buyers, KindEventCancelled, "cancel/"+eventID,
		"Event cancelled", title+" is cancelled; your orders are refunded."))
	s.report("mail "+KindEventCancelled, eventID, s.mailUsers(ctx, buyers, KindEventCancelled, "cancel/"+eventID, func(m *Mail) {
		m.EventID, m.Event = eventID, title
	}))
}

// holders returns the holders of an event's tickets (valid ones only
// when valid), each once.
func (s *Service) holders(ctx context.Context, eventID string, valid bool) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	after := ""
	for {
		page, err := s.Orders.OrdersOfEvent(ctx, eventID, after, purchase.MaxOrdersPage)
		if err != nil {
			return nil, err
		}
		for _, o := range page {
			after = o.ID
			if o.Status != purchase.StatusPaid {
				continue
			}
			tickets, err := s.Orders.TicketsOfOrder(ctx, o.ID)
			if err != nil {
				return nil, err
			}
			for _, t := range tickets {
				if (valid && t.Status != purchase.TicketValid) || seen[t.HolderID] {
					continue
				}
				seen[t.HolderID] = true
				out = append(out, t.HolderID)
			}
		}
		if len(page) < purchase.MaxOrdersPage {
			return out, nil
		}
	}
}

func (s *Service) remindWithin() time.Duration {
	if s.Mailing == nil || s.Mailing.RemindWithin <= 0 {
		return DefaultRemindWithin
	}
	return s.Mailing.RemindWithin
}

// CheckDoors enqueues "doors open soon" for the holders of valid tickets
// of every published event whose doors open within DoorsWithin from now;
// the message id is the event's and the device's, so each device hears
// it once per event however often CheckDoors runs. It returns how many
// events it looked at.
func (s *Service) CheckDoors(ctx context.Context) (int, error) {
	within := s.DoorsWithin
	if within <= 0 {
		within = DefaultDoorsWithin
	}
	now := s.now()
	n, after := 0, ""
	for {
		page, err := s.Events.Events(ctx, after, 500)
		if err != nil {
			return n, err
		}
		for _, ev := range page {
			after = ev.ID
			doors := ev.DoorsAt
			if doors.IsZero() {
				doors = ev.StartsAt
			}
			push := !doors.After(now.Add(within))
			mail := s.Mailing != nil && !doors.After(now.Add(s.remindWithin()))
			if ev.Status != catalog.StatusPublished || doors.Before(now) || !push && !mail {
				continue
			}
			n++
			holders, err := s.holders(ctx, ev.ID, true)
			if err != nil {
				return n, err
			}
			if push {
				if err := s.enqueue(ctx, holders, KindDoorsOpen, "doors/"+ev.ID, "Doors open soon",
					ev.Title+": doors open at "+doorsTime(ev, doors)+". Have your ticket ready."); err != nil {
					return n, err
				}
			}
			if mail {
				if err := s.mailUsers(ctx, holders, KindReminder, "remind/"+ev.ID, func(m *Mail) {
					m.EventID, m.Event, m.When = ev.ID, ev.Title, eventWhen(ev, doors)
				}); err != nil {
					return n, err
				}
			}
		}
		if len(page) < 500 {
			return n, nil
		}
	}
}

func doorsTime(ev catalog.Event, t time.Time) string {
	if loc, err := time.LoadLocation(ev.TimeZone); err == nil {
		t = t.In(loc)
	}
	return t.Format("15:04")
}

// Run sends the outbox through w and checks for doors opening every
// minute, until ctx is done; it returns once the worker has stopped
// too.
func (s *Service) Run(ctx context.Context, w *Worker) {
	stopped := make(chan struct{})
	go func() { defer close(stopped); w.Run(ctx) }()
	defer func() { <-stopped }()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if _, err := s.CheckDoors(ctx); err != nil && !errors.Is(err, context.Canceled) {
			s.log().Error("notify: doors check", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
