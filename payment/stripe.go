package payment

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"

	"github.com/admitone/admitone/purchase"
)

// Defaults of StripeConfig.
const (
	// DefaultStripeAPIBase is Stripe's API.
	DefaultStripeAPIBase = "https://api.stripe.com"
	// DefaultWebhookTolerance is how far a webhook's signed timestamp may
	// be from now, either way; it is Stripe's default.
	DefaultWebhookTolerance = 5 * time.Minute
	// DefaultMaxWebhookBytes bounds a webhook payload. Stripe's events
	// are a few KiB.
	DefaultMaxWebhookBytes = purchase.MaxWebhookBytes
)

// StripeConfig configures a Stripe provider. SecretKey and
// WebhookSecret are required; the rest has defaults.
type StripeConfig struct {
	// SecretKey is the API key, sk_... or a restricted rk_... key.
	SecretKey string
	// WebhookSecret is the webhook endpoint's signing secret, whsec_...
	WebhookSecret string
	// APIBase is the API's base URL; empty means DefaultStripeAPIBase.
	// Plain http is allowed on loopback only (stripe-mock in tests), so
	// the key never crosses a network in the clear.
	APIBase string
	// HTTPClient makes the API requests; nil means stripe-go's default
	// (80 s timeout). The request's context bounds each call too.
	HTTPClient *http.Client
	// WebhookTolerance bounds |now - signed timestamp| of a webhook;
	// zero means DefaultWebhookTolerance.
	WebhookTolerance time.Duration
	// MaxWebhookBytes bounds the payload ParseWebhook accepts; zero means
	// DefaultMaxWebhookBytes.
	MaxWebhookBytes int
	// Replay refuses a webhook event id seen before. Nil means an
	// in-memory SeenSet (DefaultSeenTTL, DefaultSeenMax), which protects
	// one process only: with several server instances, pass a guard
	// backed by the shared store.
	Replay ReplayGuard
}

// Validate reports the first setting that is wrong. Its errors never
// repeat a secret.
func (c StripeConfig) Validate() error {
	switch {
	case c.SecretKey == "":
		return fmt.Errorf("stripe: secret key is required: %w", ErrInvalid)
	case !strings.HasPrefix(c.SecretKey, "sk_") && !strings.HasPrefix(c.SecretKey, "rk_"):
		return fmt.Errorf("stripe: secret key must start with sk_ or rk_ (a publishable pk_ key cannot create intents): %w", ErrInvalid)
	case c.WebhookSecret == "":
		return fmt.Errorf("stripe: webhook signing secret is required: %w", ErrInvalid)
	case c.WebhookTolerance < 0:
		return fmt.Errorf("stripe: webhook tolerance must not be negative (got %v): %w", c.WebhookTolerance, ErrInvalid)
	case c.MaxWebhookBytes < 0:
		return fmt.Errorf("stripe: webhook payload limit must not be negative (got %d): %w", c.MaxWebhookBytes, ErrInvalid)
	}
	if c.APIBase != "" {
		u, err := url.Parse(c.APIBase)
		if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return fmt.Errorf("stripe: API base %q must be a URL like https://api.stripe.com: %w", c.APIBase, ErrInvalid)
		}
		switch u.Scheme {
		case "https":
		case "http":
			if !isLoopback(u.Hostname()) {
				return fmt.Errorf("stripe: API base %q uses plain http on a non-loopback host: %w", c.APIBase, ErrInvalid)
			}
		default:
			return fmt.Errorf("stripe: API base %q must use https: %w", c.APIBase, ErrInvalid)
		}
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Stripe is the Stripe payment provider: PaymentIntents through the API
// and their outcomes through signed webhooks. It is safe for concurrent
// use.
type Stripe struct {
	client        *stripe.Client
	secretKey     string
	webhookSecret []byte
	tolerance     time.Duration
	maxPayload    int
	replay        ReplayGuard
}

var (
	_ Provider                 = (*Stripe)(nil)
	_ purchase.WebhookVerifier = (*Stripe)(nil)
)

// NewStripe returns a Stripe provider. It does not contact Stripe.
func NewStripe(cfg StripeConfig) (*Stripe, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	bc := &stripe.BackendConfig{
		HTTPClient: cfg.HTTPClient,
		// stripe-go's logger would print response bodies, client secrets
		// included, to stderr; errors come back to the caller instead.
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	if cfg.APIBase != "" {
		bc.URL = stripe.String(strings.TrimSuffix(cfg.APIBase, "/"))
	}
	s := &Stripe{
		client:        stripe.NewClient(cfg.SecretKey, stripe.WithBackends(stripe.NewBackendsWithConfig(bc))),
		secretKey:     cfg.SecretKey,
		webhookSecret: []byte(cfg.WebhookSecret),
		tolerance:     cfg.WebhookTolerance,
		maxPayload:    cfg.MaxWebhookBytes,
		replay:        cfg.Replay,
	}
	if s.tolerance == 0 {
		s.tolerance = DefaultWebhookTolerance
	}
	if s.maxPayload == 0 {
		s.maxPayload = DefaultMaxWebhookBytes
	}
	if s.replay == nil {
		set, err := NewSeenSet(DefaultSeenTTL, DefaultSeenMax)
		if err != nil {
			return nil, err
		}
		s.replay = set
	}
	return s, nil
}

// Name returns "stripe".
func (s *Stripe) Name() string { return "stripe" }

// CreateIntent creates a PaymentIntent with automatic payment methods
// and the order id in its metadata (order_id). Stripe keeps idempotency
// keys for 24 hours.
func (s *Stripe) CreateIntent(ctx context.Context, orderID string, amount int64, currency string, idempotencyKey string) (Intent, error) {
	if err := validateCreate(orderID, amount, currency, idempotencyKey); err != nil {
		return Intent{}, fmt.Errorf("create intent: %w", err)
	}
	params := &stripe.PaymentIntentCreateParams{
		Amount:   stripe.Int64(amount),
		Currency: stripe.String(strings.ToLower(currency)),
		AutomaticPaymentMethods: &stripe.PaymentIntentCreateAutomaticPaymentMethodsParams{
			Enabled: stripe.Bool(true),
		},
		Metadata: map[string]string{"order_id": orderID},
	}
	if idempotencyKey != "" {
		params.SetIdempotencyKey(idempotencyKey)
	}
	pi, err := s.client.V1PaymentIntents.Create(ctx, params)
	if err != nil {
		return Intent{}, s.fail("create intent for order "+orderID, err)
	}
	return intentFromStripe(pi)
}

// Intent retrieves a PaymentIntent.
func (s *Stripe) Intent(ctx context.Context, id string) (Intent, error) {
	if err := validateID("intent id", id, MaxOrderIDLen); err != nil {
		return Intent{}, fmt.Errorf("intent: %w", err)
	}
	pi, err := s.client.V1PaymentIntents.Retrieve(ctx, id, nil)
	if err != nil {
		return Intent{}, s.fail("intent "+id, err)
	}
	return intentFromStripe(pi)
}

// Refund refunds amount of a PaymentIntent; zero refunds all that is
// left. Stripe refuses more than that (ErrInvalid).
func (s *Stripe) Refund(ctx context.Context, intentID string, amount int64, idempotencyKey string) (Refund, error) {
	if err := validateRefund(intentID, amount, idempotencyKey); err != nil {
		return Refund{}, fmt.Errorf("refund: %w", err)
	}
	params := &stripe.RefundCreateParams{PaymentIntent: stripe.String(intentID)}
	if amount > 0 {
		params.Amount = stripe.Int64(amount)
	}
	if idempotencyKey != "" {
		params.SetIdempotencyKey(idempotencyKey)
	}
	r, err := s.client.V1Refunds.Create(ctx, params)
	if err != nil {
		return Refund{}, s.fail("refund "+intentID, err)
	}
	if r.ID == "" {
		return Refund{}, fmt.Errorf("stripe refund %s: response has no refund id: %w", intentID, ErrProvider)
	}
	out := Refund{
		ID:       r.ID,
		IntentID: intentID,
		Amount:   r.Amount,
		Currency: strings.ToUpper(string(r.Currency)),
		Status:   RefundStatus(r.Status),
	}
	if r.PaymentIntent != nil && r.PaymentIntent.ID != "" {
		out.IntentID = r.PaymentIntent.ID
	}
	return out, nil
}

// intentFromStripe normalizes a PaymentIntent. Stripe has no "failed"
// status: a declined attempt leaves the intent in
// requires_payment_method with a card error attached, which becomes
// StatusFailed. requires_confirmation (the client has yet to confirm)
// becomes StatusRequiresPaymentMethod; requires_capture (manual capture,
// which we do not use) and any status unknown to this version become
// StatusProcessing, which is neither paid nor failed, so the order
// waits for a webhook.
func intentFromStripe(pi *stripe.PaymentIntent) (Intent, error) {
	if pi == nil || pi.ID == "" {
		return Intent{}, fmt.Errorf("stripe: response has no payment intent id: %w", ErrProvider)
	}
	in := Intent{
		ID:           pi.ID,
		ClientSecret: pi.ClientSecret,
		Amount:       pi.Amount,
		Currency:     strings.ToUpper(string(pi.Currency)),
		OrderID:      pi.Metadata["order_id"],
	}
	switch pi.Status {
	case stripe.PaymentIntentStatusRequiresPaymentMethod:
		in.Status = StatusRequiresPaymentMethod
		if pi.LastPaymentError != nil && pi.LastPaymentError.Type == stripe.ErrorTypeCard {
			in.Status = StatusFailed
		}
	case stripe.PaymentIntentStatusRequiresConfirmation:
		in.Status = StatusRequiresPaymentMethod
	case stripe.PaymentIntentStatusRequiresAction:
		in.Status = StatusRequiresAction
	case stripe.PaymentIntentStatusSucceeded:
		in.Status = StatusSucceeded
	case stripe.PaymentIntentStatusCanceled:
		in.Status = StatusCanceled
	default:
		in.Status = StatusProcessing
	}
	return in, nil
}

// fail translates a stripe-go error into one of ours. A *stripe.Error is
// not wrapped: its Error() is the JSON of the response, which may carry
// a client secret. Its message is redacted all the same.
func (s *Stripe) fail(op string, err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		for _, ctxErr := range []error{context.Canceled, context.DeadlineExceeded} {
			if errors.Is(err, ctxErr) {
				return fmt.Errorf("stripe %s: %w: %w", op, ErrProvider, ctxErr)
			}
		}
		return fmt.Errorf("stripe %s: %s: %w", op, s.redact(err.Error()), ErrProvider)
	}
	kind := ErrProvider
	switch {
	case se.Type == stripe.ErrorTypeCard:
		kind = ErrDeclined
	case se.Code == stripe.ErrorCodeResourceMissing || se.HTTPStatusCode == http.StatusNotFound:
		kind = ErrNotFound
	case se.Type == stripe.ErrorTypeIdempotency:
		kind = ErrInvalid
	case se.Type == stripe.ErrorTypeInvalidRequest && se.HTTPStatusCode == http.StatusBadRequest:
		kind = ErrInvalid
	}
	var b strings.Builder
	fmt.Fprintf(&b, "stripe %s: %s (", op, s.redact(se.Msg))
	fmt.Fprintf(&b, "status %d, type %s", se.HTTPStatusCode, se.Type)
	if se.Code != "" {
		fmt.Fprintf(&b, ", code %s", se.Code)
	}
	if se.DeclineCode != "" {
		fmt.Fprintf(&b, ", decline code %s", se.DeclineCode)
	}
	if se.Param != "" {
		fmt.Fprintf(&b, ", param %s", se.Param)
	}
	if se.RequestID != "" {
		fmt.Fprintf(&b, ", request %s", se.RequestID)
	}
	b.WriteString(")")
	return fmt.Errorf("%s: %w", b.String(), kind)
}

// secretPattern matches Stripe API keys, webhook secrets and client
// secrets.
var secretPattern = regexp.MustCompile(`(?:sk|rk|pk)_(?:test|live)_[0-9A-Za-z]+|whsec_[0-9A-Za-z+/=]+|_secret_[0-9A-Za-z]+`)

// redact removes anything that looks like a secret, and the configured
// secrets whatever they look like.
func (s *Stripe) redact(msg string) string {
	msg = strings.ReplaceAll(msg, s.secretKey, "[redacted]")
	if len(s.webhookSecret) > 0 {
		msg = strings.ReplaceAll(msg, string(s.webhookSecret), "[redacted]")
	}
	return secretPattern.ReplaceAllString(msg, "[redacted]")
}
