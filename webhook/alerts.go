package webhook

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/admitone/admitone/internal/logging"
	"github.com/admitone/admitone/notify"
	ticketsync "github.com/admitone/admitone/sync"
)

// Alerts tells the server's operator what needs a person: conflicts,
// payment webhooks that fail, gates offline during doors. Each alert is
// a signed delivery to the operator's webhook (Sender.Operator) through
// the outbox, with retries like any other. A nil *Alerts drops every
// alert, so callers need not check.
type Alerts struct {
	Outbox Outbox
	Now    func() time.Time
	Log    *slog.Logger
}

// PaymentAlertEvery is how often at most one payment webhook alert of a
// reason goes out: a flood of forged requests makes one alert per
// period, not one per request.
const PaymentAlertEvery = 10 * time.Minute

// PaymentWebhookData is the data of alert.payment_webhook.
type PaymentWebhookData struct {
	// Reason is "verify" (a request whose signature, timestamp or body
	// was refused) or "apply" (a verified event that could not be
	// processed; the provider retries it).
	Reason string `json:"reason"`
	// Code is the error's wire code (errkind), never its text.
	Code string `json:"code"`
}

// GateOfflineData is the data of alert.gate_offline.
type GateOfflineData struct {
	EventID  string    `json:"event_id"`
	GateID   string    `json:"gate_id"`
	GateName string    `json:"gate_name,omitempty"`
	LastSeen time.Time `json:"last_seen,omitzero"`
	// Reason is why the gate counts as quiet: "offline" (no server heard
	// from it lately) or "no_scans" (connected, but nothing scanned for
	// a while during doors-open).
	Reason string `json:"reason,omitempty"`
}

func (a *Alerts) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// send enqueues an alert of kind whose id ends in subject.
func (a *Alerts) send(ctx context.Context, kind Kind, subject string, data any) {
	if a == nil {
		return
	}
	log := logging.OrDiscard(a.Log)
	now := a.now().UTC().Truncate(time.Microsecond)
	m, err := message("alert/"+string(kind)+"/"+subject, OperatorTarget, kind, "", data, now)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), enqueueTimeout)
		_, err = a.Outbox.Enqueue(ctx, []notify.Message{m})
		cancel()
	}
	if err != nil {
		log.Error("operator alert", "kind", kind, "err", err)
	}
}

// Conflict alerts of a ticket admitted twice.
func (a *Alerts) Conflict(ctx context.Context, cf ticketsync.Conflict) {
	a.send(ctx, KindAlertConflict, cf.Second.CheckinID, cf)
}

// PaymentWebhookFailed alerts of a payment provider webhook request that
// failed to verify (reason "verify") or to apply ("apply"), code being
// the error's wire code; at most one per reason per PaymentAlertEvery.
func (a *Alerts) PaymentWebhookFailed(ctx context.Context, reason, code string) {
	if a == nil {
		return
	}
	period := a.now().Unix() / int64(PaymentAlertEvery/time.Second)
	a.send(ctx, KindAlertPaymentWebhook, reason+"/"+strconv.FormatInt(period, 10), PaymentWebhookData{Reason: reason, Code: code})
}

// GateOffline alerts of a gate that went quiet while its event's doors
// are open: once per gate and last-seen time, so a gate that comes back
// and goes quiet again alerts again. The hub's gate health decides when
// (sync.Hub.CheckQuiet, wired in internal/services).
func (a *Alerts) GateOffline(ctx context.Context, d GateOfflineData) {
	a.send(ctx, KindAlertGateOffline, d.GateID+"/"+strconv.FormatInt(d.LastSeen.Unix(), 10), d)
}
