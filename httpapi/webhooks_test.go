package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	gosync "sync"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/webhook"
)

type webhookCreatedJSON struct {
	ID     string         `json:"id"`
	URL    string         `json:"url"`
	Kinds  []webhook.Kind `json:"kinds"`
	Secret string         `json:"secret"`
}

// TestWebhooksHTTP: an organizer registers an endpoint on a loopback
// receiver (the harness admits it, as --webhook-insecure does), sees
// the secret once, and a paid and a refunded order are delivered,
// signed, and listed with their status; another organization's
// organizer gets 404 on every webhook route, its staff 403.
func TestWebhooksHTTP(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarnessWith(t, backend, func(h *harness) { h.api.OrgWebhooks.Insecure = true })
		ctx := t.Context()
		org := h.newUser(t, "organizer")
		other := h.newUser(t, "other")
		staff := h.newUser(t, "staff")
		buyer := h.newUser(t, "buyer")
		orgA := h.createOrg(t, org, "Org A", false)
		orgB := h.createOrg(t, other, "Org B", false)
		h.addMember(t, org, orgA.ID, staff.Email, account.RoleStaff)
		venue := h.createVenue(t, org, orgA.ID, venueBody("Hall", "Berlin", "DE", 52.5, 13.4))
		ev := h.createEvent(t, org, orgA.ID, eventBody(venue.ID, "Hooked", "music", h.clock.Now().Add(30*24*time.Hour)))
		tt := h.createTicketType(t, org, ev.ID, ticketTypeBody("Standing", 2500, "EUR"))
		h.publish(t, org, ev.ID)
		h.enableTickets(t)

		var mu gosync.Mutex
		recv := &webhook.Receiver{Now: h.clock.Now}
		var kinds []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			mu.Lock()
			defer mu.Unlock()
			if err := recv.Verify(r.Header, body); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			kinds = append(kinds, r.Header.Get(webhook.KindHeader))
		}))
		defer srv.Close()

		base := "/v1/orgs/" + orgA.ID + "/webhooks"
		h.do(t, "POST", base, org.Token, map[string]any{"url": srv.URL, "kinds": []string{"order.lost"}}).want(t, http.StatusUnprocessableEntity)
		h.do(t, "POST", base, org.Token, map[string]any{"kinds": []string{"order.paid"}}).want(t, http.StatusUnprocessableEntity)
		created := decodeAs[webhookCreatedJSON](t, h.do(t, "POST", base, org.Token,
			map[string]any{"url": srv.URL + "/in", "kinds": []string{"order.paid", "order.refunded"}}), http.StatusCreated)
		if len(created.Secret) < 40 || created.URL != srv.URL+"/in" || len(created.Kinds) != 2 {
			t.Fatalf("created %+v", created)
		}
		mu.Lock()
		recv.Secret = []byte(created.Secret)
		mu.Unlock()
		list := h.do(t, "GET", base, org.Token, nil).want(t, http.StatusOK)
		if !bytes.Contains(list.body, []byte(created.ID)) || bytes.Contains(list.body, []byte(created.Secret)) || bytes.Contains(list.body, []byte(`"secret"`)) {
			t.Errorf("list shows %s", list.body)
		}

		// Outside the organization it does not exist; its staff may not.
		one := base + "/" + created.ID
		for _, r := range []struct{ method, path string }{{"GET", base}, {"POST", base}, {"DELETE", one}, {"GET", one + "/deliveries"}} {
			var body any
			if r.method == "POST" {
				body = map[string]any{"url": "https://hooks.example/x", "kinds": []string{"order.paid"}}
			}
			h.do(t, r.method, r.path, other.Token, body).want(t, http.StatusNotFound)
			h.do(t, r.method, r.path, staff.Token, body).want(t, http.StatusForbidden)
		}
		// Organization B's own route does not reach A's endpoint.
		h.do(t, "DELETE", "/v1/orgs/"+orgB.ID+"/webhooks/"+created.ID, other.Token, nil).want(t, http.StatusNotFound)

		hold, err := h.purchase.CreateHold(ctx, buyer.ID, ev.ID, []purchase.Line{{TicketTypeID: tt.ID, Quantity: 1}})
		if err != nil {
			t.Fatal(err)
		}
		o, err := h.purchase.Checkout(ctx, hold.ID, buyer.ID)
		if err != nil {
			t.Fatal(err)
		}
		in, err := h.payments.CreateIntent(ctx, o.ID, o.Total.Amount, o.Total.Currency, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.payments.Confirm(ctx, in.ID, payment.TestCardSucceeds); err != nil {
			t.Fatal(err)
		}
		h.do(t, "POST", "/v1/orders/"+o.ID+"/refund", org.Token, nil).want(t, http.StatusOK)
		worker := &notify.Worker{Store: h.outbox, Now: h.clock.Now, Senders: map[string]notify.Sender{
			webhook.ChannelWebhook: &webhook.Sender{Endpoints: h.backend.Notify.(webhook.Store), Seal: h.api.OrgWebhooks.Seal, Insecure: true, Now: h.clock.Now},
		}}
		if _, err := worker.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		got := append([]string(nil), kinds...)
		mu.Unlock()
		if len(got) != 2 || got[0] == got[1] {
			t.Errorf("receiver verified %v, want order.paid and order.refunded", got)
		}
		ds := decodeAs[struct {
			Deliveries []webhook.Delivery `json:"deliveries"`
		}](t, h.do(t, "GET", one+"/deliveries?limit=5", org.Token, nil), http.StatusOK)
		if len(ds.Deliveries) != 2 {
			t.Fatalf("deliveries %+v", ds.Deliveries)
		}
		for _, d := range ds.Deliveries {
			if d.Status != notify.StatusSent || d.Attempts != 1 {
				t.Errorf("delivery %+v, want sent after one attempt", d)
			}
		}
		h.do(t, "GET", one+"/deliveries?limit=500", org.Token, nil).want(t, http.StatusUnprocessableEntity)

		h.do(t, "DELETE", one, org.Token, nil).want(t, http.StatusNoContent)
		h.do(t, "DELETE", one, org.Token, nil).want(t, http.StatusNotFound)
		if b := h.do(t, "GET", base, org.Token, nil).want(t, http.StatusOK).body; bytes.Contains(b, []byte(created.ID)) {
			t.Errorf("list after delete: %s", b)
		}
	})
}

// The webhook routes in the authorization walk: organizers of org A and
// admins only; to outsiders org A's webhooks do not exist (404), its
// staff are refused (403).
func init() {
	authzCases = append(authzCases,
		authzCase{
			route: "POST /v1/orgs/{org}/webhooks",
			want:  row{401, 404, 403, 201, 404, 201, 403},
			req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
				return walkRequest{path: "/v1/orgs/" + f.orgA.ID + "/webhooks",
					body: map[string]any{"url": "https://hooks.example/walk", "kinds": []string{"order.paid"}}}
			},
		},
		authzCase{
			route: "GET /v1/orgs/{org}/webhooks",
			want:  row{401, 404, 403, 200, 404, 200, 403},
			req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
				return walkRequest{path: "/v1/orgs/" + f.orgA.ID + "/webhooks"}
			},
		},
		authzCase{
			route: "DELETE /v1/orgs/{org}/webhooks/{id}",
			want:  row{401, 404, 403, 204, 404, 204, 403},
			req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
				id := f.webhook(t)
				return walkRequest{path: "/v1/orgs/" + f.orgA.ID + "/webhooks/" + id, after: func(t *testing.T, status int) {
					err := f.h.api.OrgWebhooks.Delete(t.Context(), f.orgA.ID, id) // refused: still there
					if (status == http.StatusNoContent) != errors.Is(err, webhook.ErrNotFound) {
						t.Errorf("status %d, then Delete: %v", status, err)
					}
				}}
			},
		},
		authzCase{
			route: "GET /v1/orgs/{org}/webhooks/{id}/deliveries",
			want:  row{401, 404, 403, 200, 404, 200, 403},
			req: func(t *testing.T, f *walkFixture, _ *user) walkRequest {
				id := f.webhook(t)
				return walkRequest{path: "/v1/orgs/" + f.orgA.ID + "/webhooks/" + id + "/deliveries", after: func(t *testing.T, _ int) {
					if err := f.h.api.OrgWebhooks.Delete(t.Context(), f.orgA.ID, id); err != nil {
						t.Error(err)
					}
				}}
			},
		},
	)
}

// webhook registers an endpoint of org A, through the service.
func (f *walkFixture) webhook(t *testing.T) string {
	t.Helper()
	e, _, err := f.h.api.OrgWebhooks.Create(t.Context(), f.orgA.ID, "https://hooks.example/"+f.h.email("walk"), []webhook.Kind{webhook.KindOrderPaid})
	if err != nil {
		t.Fatalf("Create webhook: %v", err)
	}
	return e.ID
}

// TestPaymentWebhookFailureAlerts: a Stripe webhook request that fails
// to verify makes one operator alert (however many come in a period),
// carrying the error's code only.
func TestPaymentWebhookFailureAlerts(t *testing.T) {
	h := newHarness(t, "bolt")
	st, err := payment.NewStripe(payment.StripeConfig{SecretKey: "sk_test_alerts", WebhookSecret: "whsec_alerts"})
	if err != nil {
		t.Fatal(err)
	}
	h.api.Webhooks = st
	h.api.Alerts = &webhook.Alerts{Outbox: h.outbox, Now: h.clock.Now}
	for range 3 {
		h.do(t, "POST", "/v1/webhooks/stripe", "", `{"id":"evt_forged","type":"payment_intent.succeeded"}`).want(t, http.StatusBadRequest)
	}
	period := h.clock.Now().Unix() / int64(webhook.PaymentAlertEvery/time.Second)
	m, err := h.outbox.Message(t.Context(), "alert/alert.payment_webhook/verify/"+strconv.FormatInt(period, 10))
	if err != nil {
		t.Fatalf("alert: %v", err)
	}
	var p webhook.Payload
	var data webhook.PaymentWebhookData
	if err := json.Unmarshal(m.Payload, &p); err != nil || json.Unmarshal(p.Data, &data) != nil {
		t.Fatalf("alert payload %s", m.Payload)
	}
	if m.Target != webhook.OperatorTarget || data != (webhook.PaymentWebhookData{Reason: "verify", Code: "bad_signature"}) {
		t.Errorf("alert to %s: %+v", m.Target, data)
	}
}
