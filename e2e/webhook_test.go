package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	gosync "sync"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/webhook"
)

// TestOrganizerWebhook runs syncserver and a scannerd gate as processes,
// the server with --webhook-insecure: an organizer registers a receiver
// on loopback, a buyer pays two orders and refunds one, the gate admits
// a ticket of the other, and the receiver gets each of those as a
// delivery signed with the secret the registration showed, which the
// deliveries route then lists as sent.
func TestOrganizerWebhook(t *testing.T) {
	dir := t.TempDir()
	alertSecret := filepath.Join(dir, "alert.secret")
	if err := os.WriteFile(alertSecret, []byte("e2e-operator-alert-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var mu gosync.Mutex
	recv := &webhook.Receiver{}
	var kinds []string
	var refused []error
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		mu.Lock()
		defer mu.Unlock()
		if err := recv.Verify(r.Header, body); err != nil {
			refused = append(refused, err)
			http.Error(w, "refused", http.StatusBadRequest)
			return
		}
		kinds = append(kinds, r.Header.Get(webhook.KindHeader))
	}))
	defer hooks.Close()

	srv := startServer(t, filepath.Join(dir, "data"), "", "127.0.0.1:0", "--webhook-insecure",
		"--alert-webhook-url", hooks.URL+"/alerts", "--alert-webhook-secret-file", alertSecret)
	ev := setupEvent(t, srv.url, 0)
	var orgs struct {
		Orgs []struct {
			ID string `json:"id"`
		} `json:"orgs"`
	}
	call(t, "GET", srv.url+"/v1/orgs", ev.organizer, nil, http.StatusOK, &orgs)
	if len(orgs.Orgs) != 1 {
		t.Fatalf("organizer's orgs: %+v", orgs)
	}
	base := srv.url + "/v1/orgs/" + orgs.Orgs[0].ID + "/webhooks"
	var created struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	call(t, "POST", base, ev.organizer, map[string]any{"url": hooks.URL + "/in", "kinds": []string{"order.paid", "order.refunded", "ticket.checked_in"}}, http.StatusCreated, &created)
	mu.Lock()
	recv.Secret = []byte(created.Secret)
	mu.Unlock()

	kept, refunded := ev.buy(t, 1), ev.buy(t, 2)
	call(t, "POST", srv.url+"/v1/orders/"+refunded.ID+"/refund", ev.buyer, map[string]any{}, http.StatusOK, nil)
	g := newGate(t, ev, srv.url, "A")
	g.start(t)
	g.waitConnected(t, 1, 10*time.Second)
	if v := g.admit(t, kept.Tickets[0]); v.Verdict != "accepted" {
		t.Fatalf("gate admits %s", v)
	}
	// The receiver answers before the worker records the answer: wait
	// for the deliveries route to show all four sent.
	var ds struct {
		Deliveries []webhook.Delivery `json:"deliveries"`
	}
	sent := func() bool {
		call(t, "GET", base+"/"+created.ID+"/deliveries", ev.organizer, nil, http.StatusOK, &ds)
		n := 0
		for _, d := range ds.Deliveries {
			if d.Status == "sent" {
				n++
			}
		}
		return len(ds.Deliveries) == 4 && n == 4
	}
	if _, ok := testenv.Poll(30*time.Second, 200*time.Millisecond, sent); !ok {
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("deliveries %+v within 30 s; the receiver verified %v and refused %v", ds.Deliveries, kinds, refused)
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(kinds)
	if want := []string{"order.paid", "order.paid", "order.refunded", "ticket.checked_in"}; !slices.Equal(kinds, want) || len(refused) != 0 {
		t.Errorf("receiver verified %v, refused %v; want %v", kinds, refused, want)
	}
}
