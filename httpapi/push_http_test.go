package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/payment"
)

type pushSubJSON struct {
	ID        string    `json:"id"`
	Endpoint  string    `json:"endpoint"`
	CreatedAt time.Time `json:"created_at"`
}

// TestPushSubscriptions: a device subscribes with its PushSubscription
// JSON, again with the same endpoint keeps its id, lists show no keys,
// bad subscriptions are 422, and only the account deletes its own.
func TestPushSubscriptions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		ann, bob := h.newUser(t, "ann"), h.newUser(t, "bob")

		key := decodeAs[struct {
			PublicKey string `json:"public_key"`
		}](t, h.do(t, "GET", "/v1/push/key", ann.Token, nil), http.StatusOK)
		if len(key.PublicKey) != 87 || !strings.HasPrefix(key.PublicKey, "B") {
			t.Errorf("public key %q: want 65 bytes, uncompressed, base64url", key.PublicKey)
		}
		again := decodeAs[struct {
			PublicKey string `json:"public_key"`
		}](t, h.do(t, "GET", "/v1/push/key", bob.Token, nil), http.StatusOK)
		if again.PublicKey != key.PublicKey {
			t.Errorf("the key changed between requests")
		}

		phone := decodeAs[pushSubJSON](t, h.do(t, "POST", "/v1/push/subscriptions", ann.Token, pushSubscriptionBody("https://push.example/ann-phone")), http.StatusCreated)
		same := decodeAs[pushSubJSON](t, h.do(t, "POST", "/v1/push/subscriptions", ann.Token, pushSubscriptionBody("https://push.example/ann-phone")), http.StatusCreated)
		if phone.ID == "" || same.ID != phone.ID {
			t.Errorf("subscribing the same endpoint again: id %q, then %q", phone.ID, same.ID)
		}
		h.do(t, "POST", "/v1/push/subscriptions", ann.Token, pushSubscriptionBody("https://push.example/ann-laptop")).want(t, http.StatusCreated)

		for name, body := range map[string]any{
			"http":          pushSubscriptionBody("http://push.example/x"),
			"http loopback": pushSubscriptionBody("http://127.0.0.1:1/x"),
			"no keys":       map[string]any{"endpoint": "https://push.example/x"},
			"not json":      "endpoint=x",
		} {
			if e := h.do(t, "POST", "/v1/push/subscriptions", ann.Token, body).want(t, http.StatusUnprocessableEntity).apiErr(t); e.Code != "invalid" {
				t.Errorf("%s: code %q", name, e.Code)
			}
		}
		h.do(t, "POST", "/v1/push/subscriptions", ann.Token, strings.Repeat(" ", notify.MaxSubscriptionJSON+1)).want(t, http.StatusRequestEntityTooLarge)

		res := h.do(t, "GET", "/v1/push/subscriptions", ann.Token, nil).want(t, http.StatusOK)
		if strings.Contains(string(res.body), "p256dh") || strings.Contains(string(res.body), "auth\"") {
			t.Errorf("the list shows keys: %s", res.body)
		}
		list := decodeAs[struct {
			Subscriptions []pushSubJSON `json:"subscriptions"`
		}](t, res, http.StatusOK)
		if len(list.Subscriptions) != 2 || (list.Subscriptions[0].ID != phone.ID && list.Subscriptions[1].ID != phone.ID) {
			t.Errorf("ann's subscriptions %+v", list.Subscriptions)
		}
		bobs := decodeAs[struct {
			Subscriptions []pushSubJSON `json:"subscriptions"`
		}](t, h.do(t, "GET", "/v1/push/subscriptions", bob.Token, nil), http.StatusOK)
		if len(bobs.Subscriptions) != 0 {
			t.Errorf("bob sees %+v", bobs.Subscriptions)
		}

		h.do(t, "DELETE", "/v1/push/subscriptions/"+phone.ID, bob.Token, nil).want(t, http.StatusNotFound)
		h.do(t, "DELETE", "/v1/push/subscriptions/"+phone.ID, ann.Token, nil).want(t, http.StatusNoContent)
		h.do(t, "DELETE", "/v1/push/subscriptions/"+phone.ID, ann.Token, nil).want(t, http.StatusNotFound)
		h.do(t, "GET", "/v1/push/subscriptions", "", nil).want(t, http.StatusUnauthorized)
	})
}

// TestPushTriggers: paying, refunding, moving and cancelling enqueue one
// message per subscribed device of the accounts concerned, keyed so a
// repeat enqueues nothing, each payload carrying its message id.
func TestPushTriggers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		ctx := t.Context()
		f := h.shopFixture(t, h.clock.Now().Add(30*24*time.Hour))
		sub := decodeAs[pushSubJSON](t, h.do(t, "POST", "/v1/push/subscriptions", f.buyer.Token, pushSubscriptionBody("https://push.example/buyer")), http.StatusCreated)
		message := func(id, kind string) {
			t.Helper()
			m, err := h.outbox.Message(ctx, id)
			if err != nil {
				t.Errorf("message %s: %v", id, err)
				return
			}
			var p notify.Payload
			if err := json.Unmarshal(m.Payload, &p); err != nil || p.ID != id || p.Kind != kind || p.Title == "" || m.Target != sub.ID || m.UserID != f.buyer.ID {
				t.Errorf("message %s: %+v, payload %+v, %v", id, m, p, err)
			}
		}

		o := h.order(t, f, f.buyer, 1, 0)
		h.pay(t, f.buyer, o.ID, map[string]any{"test_card": payment.TestCardSucceeds}, http.StatusOK)
		message("paid/"+o.ID+"/"+sub.ID, notify.KindOrderPaid)
		h.do(t, "POST", "/v1/orders/"+o.ID+"/refund", f.buyer.Token, map[string]any{}).want(t, http.StatusOK)
		message("refund/"+o.ID+"/"+sub.ID, notify.KindRefunded)

		kept := h.order(t, f, f.buyer, 1, 0)
		h.pay(t, f.buyer, kept.ID, map[string]any{"test_card": payment.TestCardSucceeds}, http.StatusOK)
		starts := f.event.StartsAt.Add(7 * 24 * time.Hour)
		h.do(t, "PATCH", "/v1/events/"+f.event.ID, f.org.Token, map[string]any{
			"starts_at": starts.Format(time.RFC3339), "ends_at": starts.Add(3 * time.Hour).Format(time.RFC3339)}).want(t, http.StatusOK)
		moved, err := h.catalog.Event(ctx, f.event.ID)
		if err != nil {
			t.Fatal(err)
		}
		message("moved/"+f.event.ID+"/v"+strconv.FormatInt(moved.Version, 10)+"/"+sub.ID, notify.KindEventMoved)

		// Cancelling refunds the paid order through the provider, whose
		// refund event tells of the refund too.
		h.do(t, "POST", "/v1/events/"+f.event.ID+"/cancel", f.org.Token, nil).want(t, http.StatusOK)
		message("cancel/"+f.event.ID+"/"+sub.ID, notify.KindEventCancelled)
		message("refund/"+kept.ID+"/"+sub.ID, notify.KindRefunded)

		// Nothing was enqueued twice.
		got, err := h.outbox.Claim(ctx, h.clock.Now(), time.Minute, notify.MaxClaim)
		var ids []string
		for _, m := range got {
			ids = append(ids, m.ID)
		}
		if err != nil || len(got) != 6 {
			t.Errorf("outbox holds %q, %v; want 6 (paid twice, refunded twice, moved, cancelled)", ids, err)
		}
	})
}
