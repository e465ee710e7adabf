package webhook

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

var _ purchase.Notifier = (*Service)(nil)

// Payload is a delivery's body, as JSON. ID is the delivery id (also in
// DeliveryHeader), the same on every retry: a receiver drops an id it
// processed before. Data's shape depends on Kind: OrderData,
// CheckinData, ticketsync.Conflict, CancelData, or for operator alerts
// AlertData.
type Payload struct {
	ID        string          `json:"id"`
	Kind      Kind            `json:"kind"`
	CreatedAt time.Time       `json:"created_at"`
	OrgID     string          `json:"org_id,omitempty"`
	Data      json.RawMessage `json:"data"`
}

// OrderData is the data of order.paid and order.refunded.
type OrderData struct {
	OrderID    string          `json:"order_id"`
	EventID    string          `json:"event_id"`
	BuyerID    string          `json:"buyer_id"`
	Status     purchase.Status `json:"status"`
	Total      catalog.Money   `json:"total"`
	Quantity   int             `json:"quantity"`
	PaidAt     time.Time       `json:"paid_at,omitzero"`
	RefundedAt time.Time       `json:"refunded_at,omitzero"`
}

// CheckinData is the data of ticket.checked_in.
type CheckinData struct {
	EventID   string    `json:"event_id"`
	TicketID  string    `json:"ticket_id"`
	CheckinID string    `json:"checkin_id"`
	GateID    string    `json:"gate_id"`
	At        time.Time `json:"at"`
	Offline   bool      `json:"offline,omitempty"`
}

// CancelData is the data of event.cancelled.
type CancelData struct {
	EventID string `json:"event_id"`
	// RefundedOrders counts the orders refunded by the cancellation.
	RefundedOrders int `json:"refunded_orders"`
}

// kindOf reads the kind out of a delivery id: DeliveryPrefix + kind +
// "/" + subject, or "alert/" + kind + "/" + subject.
func kindOf(deliveryID string) Kind {
	parts := strings.SplitN(deliveryID, "/", 4)
	switch {
	case parts[0] == "wh" && len(parts) == 4:
		return Kind(parts[2])
	case parts[0] == "alert" && len(parts) >= 3:
		return Kind(parts[1])
	}
	return ""
}

// enqueueTimeout bounds the store calls of one publish.
const enqueueTimeout = 10 * time.Second

// item is one thing a delivery tells of: its subject (an order,
// check-in or event id) and data.
type item struct {
	subject string
	data    any
}

// publish enqueues one delivery of kind per item to each of orgID's
// endpoints that wants it, in one Enqueue. Failures are logged: what
// happened has happened, and the caller goes on.
func (s *Service) publish(ctx context.Context, orgID string, kind Kind, items ...item) {
	if len(items) == 0 {
		return
	}
	log := s.log().With("kind", kind, "org", orgID)
	// What happened is committed: a caller that goes away (a client
	// that hung up, a gate that disconnected) must not lose its
	// deliveries.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), enqueueTimeout)
	defer cancel()
	eps, err := s.Store.Endpoints(ctx, orgID)
	if err != nil {
		log.Error("webhook: endpoints", "err", err)
		return
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var msgs []notify.Message
	for _, e := range eps {
		if !e.Wants(kind) {
			continue
		}
		for _, it := range items {
			m, err := message(DeliveryPrefix(e.ID)+string(kind)+"/"+it.subject, e.ID, kind, orgID, it.data, now)
			if err != nil {
				log.Error("webhook: payload", "subject", it.subject, "err", err)
				continue
			}
			msgs = append(msgs, m)
		}
	}
	for len(msgs) > 0 {
		n := min(len(msgs), notify.MaxClaim)
		if _, err := s.Outbox.Enqueue(ctx, msgs[:n]); err != nil {
			log.Error("webhook: enqueue", "err", err)
			return
		}
		msgs = msgs[n:]
	}
}

// message is the outbox message of one delivery to target.
func message(deliveryID, target string, kind Kind, orgID string, data any, now time.Time) (notify.Message, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return notify.Message{}, err
	}
	body, err := json.Marshal(Payload{ID: deliveryID, Kind: kind, CreatedAt: now, OrgID: orgID, Data: raw})
	if err != nil {
		return notify.Message{}, err
	}
	return notify.Message{ID: deliveryID, Channel: ChannelWebhook, UserID: target, Target: target, Payload: body,
		NextAt: now, CreatedAt: now}, nil
}

func (s *Service) orgOf(ctx context.Context, eventID string) (string, bool) {
	org, err := s.EventOrg(ctx, eventID)
	if err != nil {
		s.log().Error("webhook: organization of event", "event", eventID, "err", err)
		return "", false
	}
	return org, true
}

func orderData(o purchase.Order) OrderData {
	d := OrderData{OrderID: o.ID, EventID: o.EventID, BuyerID: o.BuyerID, Status: o.Status, Total: o.Total, PaidAt: o.PaidAt, RefundedAt: o.RefundedAt}
	for _, l := range o.Lines {
		d.Quantity += l.Quantity
	}
	return d
}

// OrderPaid implements purchase.Notifier: order.paid.
func (s *Service) OrderPaid(ctx context.Context, o purchase.Order) {
	if org, ok := s.orgOf(ctx, o.EventID); ok {
		s.publish(ctx, org, KindOrderPaid, item{o.ID, orderData(o)})
	}
}

// OrderRefunded implements purchase.Notifier: order.refunded.
func (s *Service) OrderRefunded(ctx context.Context, o purchase.Order) {
	if org, ok := s.orgOf(ctx, o.EventID); ok {
		s.publish(ctx, org, KindOrderRefunded, item{o.ID, orderData(o)})
	}
}

// EventMoved implements purchase.Notifier; no webhook kind tells of it.
func (s *Service) EventMoved(context.Context, catalog.Event) {}

// EventCancelled implements purchase.Notifier: event.cancelled (the
// refunds of its orders are order.refunded deliveries of their own only
// when refunded one by one).
func (s *Service) EventCancelled(ctx context.Context, eventID string, orders []purchase.Order) {
	if org, ok := s.orgOf(ctx, eventID); ok {
		s.publish(ctx, org, KindEventCancelled, item{eventID, CancelData{EventID: eventID, RefundedOrders: len(orders)}})
	}
}

// CheckinsRecorded is the sync hub's Recorded hook: each entry check-in
// of the upload is a ticket.checked_in delivery and each conflict a
// checkin.conflict one (and an operator alert). An upload sent again
// makes the same delivery ids, so nothing is delivered twice.
func (s *Service) CheckinsRecorded(ctx context.Context, g ticketsync.Gate, cs []changelog.Checkin, res ticketsync.RecordResult) {
	if s.Alerts != nil {
		for _, cf := range res.Conflicts {
			s.Alerts.Conflict(ctx, cf)
		}
	}
	org, ok := s.orgOf(ctx, g.EventID)
	if !ok {
		return
	}
	var entries, conflicts []item
	for _, c := range cs {
		if c.Direction == bundle.Entry {
			entries = append(entries, item{c.ID, CheckinData{EventID: c.EventID, TicketID: c.TicketID, CheckinID: c.ID, GateID: c.GateID, At: c.At, Offline: c.Offline}})
		}
	}
	for _, cf := range res.Conflicts {
		conflicts = append(conflicts, item{cf.Second.CheckinID, cf})
	}
	s.publish(ctx, org, KindTicketCheckedIn, entries...)
	s.publish(ctx, org, KindConflict, conflicts...)
}
