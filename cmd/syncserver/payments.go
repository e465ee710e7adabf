package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/admitone/admitone/internal/fileutil"
	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/purchase"
)

// paymentConfig says which payment provider takes payments for orders.
type paymentConfig struct {
	// Provider is "none" (the default: no payments, so only free tickets
	// sell), "stripe", or "test" (the built-in provider whose test cards
	// pay for real tickets: for demos and tests, asked for by name).
	Provider string
	// StripeKeyFile and StripeWebhookSecretFile hold Stripe's secret key
	// (sk_...) and the webhook endpoint's signing secret (whsec_...);
	// empty reads ADMITONE_STRIPE_SECRET_KEY and
	// ADMITONE_STRIPE_WEBHOOK_SECRET instead.
	StripeKeyFile, StripeWebhookSecretFile string
	// StripeAPIBase points at another Stripe API (stripe-mock in tests).
	StripeAPIBase string
	// StripePublishableKey (pk_...) is what the attendee app hands
	// Stripe.js to show the Payment Element (GET /v1/config); it is
	// public by design.
	StripePublishableKey string
}

func (c *paymentConfig) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Provider, "payments", "none", "payment provider: none (only free tickets sell), stripe, or test (built-in test cards: demos and tests only) (env ADMITONE_PAYMENTS)")
	fs.StringVar(&c.StripeKeyFile, "stripe-secret-key-file", "", "stripe: file holding the secret key sk_...; default: env ADMITONE_STRIPE_SECRET_KEY (env ADMITONE_STRIPE_SECRET_KEY_FILE)")
	fs.StringVar(&c.StripeWebhookSecretFile, "stripe-webhook-secret-file", "", "stripe: file holding the webhook signing secret whsec_...; default: env ADMITONE_STRIPE_WEBHOOK_SECRET (env ADMITONE_STRIPE_WEBHOOK_SECRET_FILE)")
	fs.StringVar(&c.StripePublishableKey, "stripe-publishable-key", "", "stripe: the publishable key pk_... the attendee app's payment page gives Stripe.js (public) (env ADMITONE_STRIPE_PUBLISHABLE_KEY)")
	fs.StringVar(&c.StripeAPIBase, "stripe-api-base", "", "stripe: API base URL; default Stripe's (http only on loopback, for stripe-mock) (env ADMITONE_STRIPE_API_BASE)")
}

// load makes the provider and, for Stripe, the webhook verifier. The
// test provider keeps intents in memory: a restart forgets unpaid test
// intents, never a paid order (that is in the database).
func (c *paymentConfig) load() (payment.Provider, purchase.WebhookVerifier, error) {
	switch strings.ToLower(c.Provider) {
	case "none", "":
		return nil, nil, nil
	case "test":
		return payment.NewTestProvider(payment.TestConfig{}), nil, nil
	case "stripe":
		if pk := c.StripePublishableKey; pk != "" && (!strings.HasPrefix(pk, "pk_") || len(pk) > 255) {
			return nil, nil, fmt.Errorf("--stripe-publishable-key: want a publishable key pk_... (up to 255 characters)")
		}
		key, err := readStripeSecret(c.StripeKeyFile, "ADMITONE_STRIPE_SECRET_KEY", "--stripe-secret-key-file")
		if err != nil {
			return nil, nil, err
		}
		hook, err := readStripeSecret(c.StripeWebhookSecretFile, "ADMITONE_STRIPE_WEBHOOK_SECRET", "--stripe-webhook-secret-file")
		if err != nil {
			return nil, nil, err
		}
		st, err := payment.NewStripe(payment.StripeConfig{SecretKey: key, WebhookSecret: hook, APIBase: c.StripeAPIBase})
		if err != nil {
			return nil, nil, fmt.Errorf("--payments stripe: %w", err)
		}
		return st, st, nil
	default:
		return nil, nil, fmt.Errorf("--payments %q: want test, stripe or none", c.Provider)
	}
}

// readStripeSecret reads a secret from a file or the environment; errors
// name where it was looked for, never what was found.
func readStripeSecret(file, env, flag string) (string, error) {
	if file == "" && os.Getenv(env) == "" {
		return "", fmt.Errorf("--payments stripe needs %s or %s", flag, env)
	}
	b, err := fileutil.ReadSecret(file, env, flag)
	if err != nil {
		return "", fmt.Errorf("--payments stripe: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
