package services

import (
	"context"
	"log/slog"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/analytics"
	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/desk"

	"github.com/admitone/admitone/feedback"
	"github.com/admitone/admitone/internal/logging"
	"github.com/admitone/admitone/merch"
	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/search"
	ticketsync "github.com/admitone/admitone/sync"
	"github.com/admitone/admitone/vault"
	"github.com/admitone/admitone/voucher"
	"github.com/admitone/admitone/waitroom"
	"github.com/admitone/admitone/wallet"
	"github.com/admitone/admitone/webhook"
)

// Stores are the stores the services use; storage.Backend has them all
// (in one database). Tests may wrap one.
type Stores struct {
	Accounts  account.Store
	Catalog   catalog.Store
	Purchases purchase.Store
	Secrets   vault.SecretStore
	Sync      ticketsync.Store
	// Notify keeps push subscriptions and the outbox; nil: no
	// notifications.
	Notify notify.Store
	// CatalogBus tells other server processes of catalog changes
	// (storage.Backend.CatalogBus); nil: one process.
	CatalogBus catalog.Bus
}

// Config is what New builds the services from. Zero fields take the
// services' defaults.
type Config struct {
	Stores Stores
	// SealKey seals TOTP secrets and issuer keys at rest; all servers
	// sharing the stores need the same one.
	SealKey *ticketcrypto.SealKey
	// Index is the event search index; nil leaves the catalog without
	// one.
	Index *search.Index
	// Now is every service's clock; nil means time.Now.
	Now func() time.Time
	// Log receives every service's log; nil discards.
	Log *slog.Logger
	// Issuer names the service in authenticator apps; empty means
	// account.DefaultIssuer.
	Issuer string
	// AccountLimits are the login and sign-up limits.
	AccountLimits account.RateLimits
	// MaxHeldPerBuyer and HoldsPerMinute limit hoarding as
	// purchase.Service reads them: 0 is the default, negative is no
	// limit.
	MaxHeldPerBuyer int
	HoldsPerMinute  int
	// HoldTTL is how long a hold reserves; zero means
	// purchase.DefaultHoldTTL.
	HoldTTL time.Duration
	// Payments takes payments (payment.Stripe or payment.TestProvider);
	// nil sells free tickets only. A *payment.TestProvider's events are
	// delivered to the purchase service.
	Payments purchase.PaymentProvider
	// Webhooks verifies the provider's webhook requests (payment.Stripe);
	// nil: no webhook.
	Webhooks purchase.WebhookVerifier
	// PassSigner and GoogleWallet issue wallet passes; nil: none.
	PassSigner   *wallet.PassSigner
	GoogleWallet *wallet.GoogleIssuer
	// PushSubject is the VAPID contact (mailto: or https:) push services
	// see; PushAllowHTTP admits http push endpoints on loopback (tests).
	PushSubject   string
	PushAllowHTTP bool
	// WebhookInsecure admits http webhook URLs and loopback and private
	// addresses (tests, local use); OperatorWebhook receives operator
	// alerts, nil: none (see wireWebhooks).
	WebhookInsecure bool
	OperatorWebhook *webhook.Operator

	// Mail sends email through the outbox (New sets its Seal to
	// SealKey); MailBaseURL starts every link a mail carries. Nil: no
	// email.
	Mail        *notify.Email
	MailBaseURL string
}

// Services is the server's service graph.
type Services struct {
	Accounts *account.Service
	Catalog  *catalog.Service
	Purchase *purchase.Service
	// Vault signs tickets with issuer keys sealed in Stores.Secrets.
	Vault *vault.Vault
	// Hub pushes each event's change log to its gates; Enroller makes
	// and enrols gates.
	Hub      *ticketsync.Hub
	Enroller *ticketsync.Enroller
	Search   *search.Index
	// Webhooks, PassSigner and GoogleWallet are Config's, for the HTTP
	// server.
	Webhooks     purchase.WebhookVerifier
	PassSigner   *wallet.PassSigner
	GoogleWallet *wallet.GoogleIssuer
	// Notify keeps Web Push subscriptions and enqueues what Purchase
	// reports; Outbox sends it (run both with RunNotify). Nil without
	// Stores.Notify or a seal key.
	Notify *notify.Service
	Outbox *notify.Worker
	// OrgWebhooks keeps organizations' webhooks and Alerts sends
	// operator alerts (nil without an operator webhook), both through
	// Outbox; nil without notifications.
	OrgWebhooks *webhook.Service
	Alerts      *webhook.Alerts
	// Analytics computes event figures from the purchase store, which
	// counts them (analytics.Store, as both backends do); nil when it
	// does not.
	Analytics *analytics.Service
	// Desk answers the organizer's lists over the stores (orders with
	// search, attendees, an organization's gates).
	Desk *desk.Service

	// Vouchers keeps events' access and discount codes, which Purchase
	// redeems; nil when the purchase store keeps no codes
	// (voucher.Store, as both backends do).
	Vouchers *voucher.Service

	// Feedback takes attendees' ratings and Merch hands out merchandise
	// at pickup desks, both over the purchase store (feedback.Store,
	// merch.Store, as both backends are); nil when it is not.
	Feedback *feedback.Service
	Merch    *merch.Service
	// Waitroom queues buyers of high-demand on-sales and admits them at
	// a rate; Purchase takes holds of such events from admitted buyers
	// only. Nil when the purchase store keeps no rooms (waitroom.Store,
	// as both backends do) or there is no seal key, from which admission
	// tokens are keyed.
	Waitroom *waitroom.Service
	// Now and Log are Config's.
	Now func() time.Time
	Log *slog.Logger
}

// New builds the services and wires them to each other: availability
// counts what purchasing holds and sells (every change invalidates the
// catalog's cached figures), paid orders get tickets signed by the vault,
// every write to a change log pokes the hub, and the test provider's
// events pay orders.
func New(cfg Config) *Services {
	log := logging.OrDiscard(cfg.Log)
	st := cfg.Stores
	s := &Services{Search: cfg.Index, Webhooks: cfg.Webhooks, PassSigner: cfg.PassSigner, GoogleWallet: cfg.GoogleWallet, Now: cfg.Now, Log: log}
	s.Accounts = &account.Service{Store: st.Accounts, SealKey: cfg.SealKey, Issuer: cfg.Issuer, Limits: cfg.AccountLimits, Now: cfg.Now, Log: log}
	s.Catalog = &catalog.Service{Store: st.Catalog, Index: cfg.Index, Now: cfg.Now, Log: log, Bus: st.CatalogBus}
	s.Vault = &vault.Vault{Store: st.Secrets, Seal: cfg.SealKey, Now: cfg.Now}
	s.Purchase = &purchase.Service{Store: st.Purchases, Catalog: s.Catalog, Now: cfg.Now, Changed: s.Catalog.InvalidateAvailability,
		Signer: s.Vault, Log: log, MaxHeldPerBuyer: cfg.MaxHeldPerBuyer, HoldsPerMinute: cfg.HoldsPerMinute, HoldTTL: cfg.HoldTTL, Payments: cfg.Payments}
	s.Catalog.Inventory = s.Purchase
	if as, ok := st.Purchases.(analytics.Store); ok {
		s.Analytics = &analytics.Service{Catalog: s.Catalog, Store: as, Inventory: st.Purchases, Records: st.Purchases, Orgs: s.Catalog, Now: cfg.Now}
	}
	s.Desk = &desk.Service{Orders: st.Purchases, Users: st.Accounts, Events: st.Catalog, Gates: st.Sync}

	if vs, ok := st.Purchases.(voucher.Store); ok {
		s.Vouchers = &voucher.Service{Store: vs, Catalog: s.Catalog, Now: cfg.Now,
			Used: func(ctx context.Context, codeID string) (int, error) {
				sold, held, err := st.Purchases.Counts(ctx, purchase.CodeKey(codeID))
				return sold + held, err
			}}
		s.Purchase.Codes = s.Vouchers
	}
	if fs, ok := st.Purchases.(feedback.Store); ok {
		s.Feedback = &feedback.Service{Store: fs, Tickets: st.Purchases, Now: cfg.Now}
	}
	if ms, ok := st.Purchases.(merch.Store); ok {
		s.Merch = &merch.Service{Store: ms, Orders: st.Purchases, Catalog: s.Catalog, Keys: s.Vault, Now: cfg.Now}
	}
	if ws, ok := st.Purchases.(waitroom.Store); ok && cfg.SealKey != nil {
		s.Waitroom = &waitroom.Service{Store: ws, Catalog: s.Catalog, Key: waitroom.KeyFromSeal(cfg.SealKey), Now: cfg.Now}
		s.Purchase.Admissions = s.Waitroom
	}
	s.Hub = &ticketsync.Hub{Store: st.Sync, Changes: st.Purchases, Tickets: HubTickets{Store: st.Purchases}, Now: cfg.Now, Logger: log}
	s.Purchase.ChangesAppended = s.Hub.Poke
	s.Hub.Doors = func(ctx context.Context, eventID string) (time.Time, time.Time, error) {
		e, err := s.Catalog.Event(ctx, eventID)
		return doorsAt(e), e.EndsAt, err
	}
	s.Enroller = &ticketsync.Enroller{Store: st.Sync, Changes: st.Purchases, Keys: s.Vault, Now: cfg.Now,
		EventName: func(ctx context.Context, eventID string) (string, error) {
			e, err := s.Catalog.Event(ctx, eventID)
			return e.Title, err
		},
		TypeNames: GateTypeNames(st.Catalog)}
	if st.Notify != nil && cfg.SealKey != nil {
		s.Notify = &notify.Service{Store: st.Notify, Events: pagedEvents{store: st.Catalog, pages: s.Catalog}, Orders: st.Purchases, Secrets: st.Secrets, Seal: cfg.SealKey,
			Subject: cfg.PushSubject, AllowHTTP: cfg.PushAllowHTTP, Now: cfg.Now, Log: log}
		s.Purchase.Notifier = s.Notify
		s.Outbox = &notify.Worker{Store: st.Notify, Now: cfg.Now, Log: log, Senders: map[string]notify.Sender{
			notify.ChannelWebPush: &notify.WebPush{Keys: s.Notify.Keys, Subscriptions: st.Notify, Now: cfg.Now},
		}}
		if cfg.Mail != nil {
			cfg.Mail.Seal = cfg.SealKey
			s.Notify.Mailing = &notify.Mailing{Users: st.Accounts, BaseURL: cfg.MailBaseURL}
			s.Outbox.Senders[notify.ChannelEmail] = cfg.Mail
		}
	}
	wireWebhooks(s, cfg)
	wireGateAlerts(s)
	if tp, ok := cfg.Payments.(purchase.PaymentEventSource); ok {
		tp.OnEvent(s.Purchase.HandlePaymentEvent) // Stripe's events come through the webhook
	}
	return s
}

// RunNotify sends the outbox and checks for doors opening soon until ctx
// is done; without notifications it returns at once.
func (s *Services) RunNotify(ctx context.Context) {
	if s.Notify != nil {
		s.Notify.Run(ctx, s.Outbox)
	}
}

// pagedEvents reads one event through the catalog's page cache: a paid
// order's email and push message name its event, and on PostgreSQL a
// read of the row for each one is a round trip a flash sale pays twice a
// purchase. A title cached for up to catalog.DefaultPageTTL is fresh
// enough for a message. Listing events goes to the store.
type pagedEvents struct {
	store notify.Events
	pages *catalog.Service
}

func (e pagedEvents) Events(ctx context.Context, after string, limit int) ([]catalog.Event, error) {
	return e.store.Events(ctx, after, limit)
}

func (e pagedEvents) Event(ctx context.Context, id string) (catalog.Event, error) {
	p, err := e.pages.EventPage(ctx, id)
	return p.Event, err
}
