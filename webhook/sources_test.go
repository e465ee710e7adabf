package webhook_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	ticketsync "github.com/admitone/admitone/sync"
	"github.com/admitone/admitone/webhook"
)

// TestCheckinsConflictsAndAlerts: an upload's entries (not exits) and
// its conflict reach the organization's endpoint once each, however
// often they are reported; the conflict, a payment webhook failure
// (twice, one alert) and a gate offline reach the operator's webhook,
// signed with the operator's secret.
func TestCheckinsConflictsAndAlerts(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t)
	org := newReceiver(t, f.clock, 200)
	op := newReceiver(t, f.clock, 200)
	opSecret := []byte("operator-secret-0123456789")
	op.check.Secret = opSecret
	f.worker.Senders[webhook.ChannelWebhook].(*webhook.Sender).Operator = &webhook.Operator{URL: op.srv.URL, Secret: opSecret}
	alerts := &webhook.Alerts{Outbox: f.db, Now: f.clock.Now}
	f.svc.Alerts = alerts
	_, secret, err := f.svc.Create(ctx, "org_1", org.srv.URL, []webhook.Kind{webhook.KindTicketCheckedIn, webhook.KindConflict})
	if err != nil {
		t.Fatal(err)
	}
	org.check.Secret = []byte(secret)

	g := ticketsync.Gate{ID: "gat_1", EventID: "ev_1"}
	at := f.clock.Now()
	cs := []changelog.Checkin{
		{ID: "ci_1", TicketID: "tk_1", EventID: "ev_1", GateID: "gat_1", Direction: bundle.Entry, At: at},
		{ID: "ci_2", TicketID: "tk_1", EventID: "ev_1", GateID: "gat_1", Direction: bundle.Exit, At: at.Add(time.Minute)},
		{ID: "ci_3", TicketID: "tk_2", EventID: "ev_1", GateID: "gat_1", Direction: bundle.Entry, At: at, Offline: true},
	}
	res := ticketsync.RecordResult{New: 3, Conflicts: []ticketsync.Conflict{{EventID: "ev_1", TicketID: "tk_2",
		First: ticketsync.ConflictSide{CheckinID: "ci_0", GateID: "gat_2", At: at}, Second: ticketsync.ConflictSide{CheckinID: "ci_3", GateID: "gat_1", At: at, Offline: true}, DetectedAt: at}}}
	f.svc.CheckinsRecorded(ctx, g, cs, res)
	f.svc.CheckinsRecorded(ctx, g, cs, res) // the gate sent it again
	alerts.PaymentWebhookFailed(ctx, "verify", "bad_signature")
	alerts.PaymentWebhookFailed(ctx, "verify", "bad_signature") // a flood makes one alert per period
	alerts.GateOffline(ctx, webhook.GateOfflineData{EventID: "ev_1", GateID: "gat_2", GateName: "East", LastSeen: at.Add(-10 * time.Minute)})
	if n := f.run(t); n != 6 {
		t.Errorf("worker finished %d deliveries, want 6", n)
	}

	kinds := func(rc *receiver) []string {
		reqs, verdicts := rc.requests()
		var out []string
		for i, r := range reqs {
			if verdicts[i] != nil {
				t.Errorf("%s refused: %v", r.header.Get(webhook.DeliveryHeader), verdicts[i])
			}
			out = append(out, r.header.Get(webhook.KindHeader)+" "+r.header.Get(webhook.DeliveryHeader))
		}
		slices.Sort(out)
		return out
	}
	period := at.Unix() / int64(webhook.PaymentAlertEvery/time.Second)
	if got, want := kinds(org), []string{
		"checkin.conflict wh/" + endpointOf(t, f) + "/checkin.conflict/ci_3",
		"ticket.checked_in wh/" + endpointOf(t, f) + "/ticket.checked_in/ci_1",
		"ticket.checked_in wh/" + endpointOf(t, f) + "/ticket.checked_in/ci_3",
	}; !slices.Equal(got, want) {
		t.Errorf("organization's receiver got\n%v\nwant\n%v", got, want)
	}
	if got, want := kinds(op), []string{
		"alert.conflict alert/alert.conflict/ci_3",
		"alert.gate_offline alert/alert.gate_offline/gat_2/" + itoa(at.Add(-10*time.Minute).Unix()),
		"alert.payment_webhook alert/alert.payment_webhook/verify/" + itoa(period),
	}; !slices.Equal(got, want) {
		t.Errorf("operator's receiver got\n%v\nwant\n%v", got, want)
	}
}

func endpointOf(t *testing.T, f *fixture) string {
	t.Helper()
	eps, err := f.svc.Endpoints(t.Context(), "org_1")
	if err != nil || len(eps) != 1 {
		t.Fatalf("endpoints %v, %v", eps, err)
	}
	return eps[0].ID
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
