package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/webhook"
)

// WebhookStore is a store of webhook endpoints whose deliveries are in
// its notify outbox, as both backends keep them.
type WebhookStore interface {
	webhook.Store
	notify.Store
}

// RunWebhook runs the webhook.Store conformance subtests. open returns a
// new, empty store for each subtest.
func RunWebhook(t *testing.T, open func(t *testing.T) WebhookStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s WebhookStore)
	}{
		{"Endpoints", testWebhookEndpoints},
		{"Endpoints/Invalid", testWebhookEndpointInvalid},
		{"Deliveries", testWebhookDeliveries},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

func whEndpoint(id, org string, days int, kinds ...webhook.Kind) webhook.Endpoint {
	return webhook.Endpoint{ID: id, OrgID: org, URL: "https://hooks.example/" + id, Kinds: kinds,
		SealedSecret: bytes.Repeat([]byte{byte(len(id) + days)}, 72), CreatedAt: when(days)}
}

func storedEndpoint(e webhook.Endpoint) webhook.Endpoint {
	e.CreatedAt = stored(e.CreatedAt)
	return e
}

const (
	whA = "whe_aaaaaaaaaaaaaaaaaaaaaaaa"
	whB = "whe_bbbbbbbbbbbbbbbbbbbbbbbb"
	whC = "whe_cccccccccccccccccccccccc"
)

func testWebhookEndpoints(t *testing.T, s WebhookStore) {
	ctx := t.Context()
	a := whEndpoint(whA, "org_1", 1, webhook.KindOrderPaid, webhook.KindConflict)
	b := whEndpoint(whB, "org_1", 0, webhook.KindTicketCheckedIn)
	c := whEndpoint(whC, "org_2", 0, webhook.Kinds...)
	for _, e := range []webhook.Endpoint{a, b, c} {
		must(t, "PutEndpoint", s.PutEndpoint(ctx, e))
	}
	is(t, "PutEndpoint with a stored id", s.PutEndpoint(ctx, whEndpoint(whA, "org_2", 3, webhook.KindOrderPaid)), webhook.ErrInvalid)
	got, err := s.Endpoints(ctx, "org_1")
	must(t, "Endpoints", err)
	equal(t, "Endpoints, oldest first", got, []webhook.Endpoint{storedEndpoint(b), storedEndpoint(a)})
	one, err := s.Endpoint(ctx, whC)
	must(t, "Endpoint", err)
	equal(t, "Endpoint", one, storedEndpoint(c))
	none, err := s.Endpoints(ctx, "org_3")
	must(t, "Endpoints of an organization without any", err)
	equal(t, "Endpoints of an organization without any", len(none), 0)

	must(t, "DeleteEndpoint", s.DeleteEndpoint(ctx, whA))
	is(t, "DeleteEndpoint again", s.DeleteEndpoint(ctx, whA), webhook.ErrNotFound)
	_, err = s.Endpoint(ctx, whA)
	is(t, "Endpoint deleted", err, webhook.ErrNotFound)
	got, err = s.Endpoints(ctx, "org_1")
	must(t, "Endpoints", err)
	equal(t, "Endpoints after a delete", got, []webhook.Endpoint{storedEndpoint(b)})
}

func testWebhookEndpointInvalid(t *testing.T, s WebhookStore) {
	ctx := t.Context()
	for name, change := range map[string]func(*webhook.Endpoint){
		"id":         func(e *webhook.Endpoint) { e.ID = "whe_x" },
		"org":        func(e *webhook.Endpoint) { e.OrgID = "" },
		"url":        func(e *webhook.Endpoint) { e.URL = "https://x/" + string(bytes.Repeat([]byte{'a'}, webhook.MaxURL)) },
		"no kinds":   func(e *webhook.Endpoint) { e.Kinds = nil },
		"kind":       func(e *webhook.Endpoint) { e.Kinds = []webhook.Kind{"order.lost"} },
		"no secret":  func(e *webhook.Endpoint) { e.SealedSecret = nil },
		"big secret": func(e *webhook.Endpoint) { e.SealedSecret = make([]byte, webhook.MaxSealedSecret+1) },
	} {
		e := whEndpoint(whA, "org_1", 0, webhook.KindOrderPaid)
		change(&e)
		is(t, "PutEndpoint with a bad "+name, s.PutEndpoint(ctx, e), webhook.ErrInvalid)
	}
	got, err := s.Endpoints(ctx, "org_1")
	must(t, "Endpoints", err)
	equal(t, "Endpoints after refusals", len(got), 0)
}

func whDelivery(endpoint, subject string, minutes int) notify.Message {
	at := when(0).Add(time.Duration(minutes) * time.Minute)
	return notify.Message{ID: webhook.DeliveryPrefix(endpoint) + "order.paid/" + subject, Channel: webhook.ChannelWebhook,
		UserID: endpoint, Target: endpoint, Payload: []byte(`{"id":"` + subject + `"}`), NextAt: at, CreatedAt: at}
}

func testWebhookDeliveries(t *testing.T, s WebhookStore) {
	ctx := t.Context()
	msgs := []notify.Message{
		whDelivery(whA, "ord_1", 0), whDelivery(whA, "ord_2", 2), whDelivery(whA, "ord_3", 1),
		whDelivery(whB, "ord_1", 5),
		// Another channel's message to the same target is not a delivery.
		{ID: "paid/ord_1/" + whA, Channel: notify.ChannelWebPush, UserID: "usr_1", Target: whA, Payload: []byte("{}"), NextAt: when(0), CreatedAt: when(0)},
	}
	_, err := s.Enqueue(ctx, msgs)
	must(t, "Enqueue", err)
	got, err := s.Deliveries(ctx, whA, 10)
	must(t, "Deliveries", err)
	equal(t, "Deliveries, newest first", ids(got), []string{msgs[1].ID, msgs[2].ID, msgs[0].ID})
	got, err = s.Deliveries(ctx, whA, 2)
	must(t, "Deliveries", err)
	equal(t, "Deliveries, limited", ids(got), []string{msgs[1].ID, msgs[2].ID})

	// A delivery shows where it is in the outbox: attempts, last error,
	// next attempt, status.
	claimed, err := s.Claim(ctx, when(1), time.Minute, 10)
	must(t, "Claim", err)
	equal(t, "claimed", len(claimed), 5)
	must(t, "Finish", s.Finish(ctx, msgs[0].ID, notify.StatusPending, when(1), when(2), "receiver answered 500"))
	must(t, "Finish", s.Finish(ctx, msgs[1].ID, notify.StatusSent, when(1), time.Time{}, ""))
	got, err = s.Deliveries(ctx, whA, 10)
	must(t, "Deliveries", err)
	equal(t, "sent", []any{got[0].Status, got[0].Attempts, got[0].DoneAt}, []any{notify.StatusSent, 1, stored(when(1))})
	equal(t, "retried", []any{got[2].Status, got[2].Attempts, got[2].NextAt, got[2].LastError},
		[]any{notify.StatusPending, 1, stored(when(2)), "receiver answered 500"})

	none, err := s.Deliveries(ctx, whC, 10)
	must(t, "Deliveries of an endpoint without any", err)
	equal(t, "Deliveries of an endpoint without any", len(none), 0)
	for _, limit := range []int{0, webhook.MaxDeliveries + 1} {
		_, err := s.Deliveries(ctx, whA, limit)
		is(t, "Deliveries with a bad limit", err, webhook.ErrInvalid)
	}
}
