package services

import (
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/webhook"
)

// wireWebhooks adds organizers' webhooks and operator alerts to the
// notify outbox: purchasing tells webhook.Service too (composed with
// notify.Service, not replacing it), the hub reports stored check-ins
// and conflicts to it, and the outbox worker sends ChannelWebhook
// messages through a webhook.Sender. It needs the outbox (s.Outbox) and
// a store that keeps endpoints; without them there are no webhooks.
func wireWebhooks(s *Services, cfg Config) {
	ws, ok := cfg.Stores.Notify.(webhook.Store)
	if !ok || s.Outbox == nil {
		return
	}
	outbox := cfg.Stores.Notify
	if cfg.OperatorWebhook != nil {
		s.Alerts = &webhook.Alerts{Outbox: outbox, Now: cfg.Now, Log: s.Log}
	}
	s.OrgWebhooks = &webhook.Service{Store: ws, Outbox: outbox, Seal: cfg.SealKey, EventOrg: s.Catalog.EventOrg,
		Insecure: cfg.WebhookInsecure, Alerts: s.Alerts, Now: cfg.Now, Log: s.Log}
	s.Purchase.Notifier = purchase.Notifiers{s.Purchase.Notifier, s.OrgWebhooks}
	s.Hub.Recorded = s.OrgWebhooks.CheckinsRecorded
	s.Outbox.Senders[webhook.ChannelWebhook] = &webhook.Sender{Endpoints: ws, Seal: cfg.SealKey, Operator: cfg.OperatorWebhook,
		Insecure: cfg.WebhookInsecure, Now: cfg.Now}
}
