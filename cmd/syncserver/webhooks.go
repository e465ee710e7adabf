package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/admitone/admitone/internal/fileutil"
	"github.com/admitone/admitone/webhook"
)

// webhookConfig is how deliveries to organizers' webhooks go and where
// operator alerts go.
type webhookConfig struct {
	// Insecure admits http webhook URLs and loopback and private
	// addresses (tests and local use only).
	Insecure bool
	// AlertURL receives operator alerts, signed with the secret in
	// AlertSecretFile; empty: no alerts.
	AlertURL, AlertSecretFile string
}

// minAlertSecret is the shortest operator alert secret accepted.
const minAlertSecret = 16

func (c *webhookConfig) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&c.Insecure, "webhook-insecure", false, "testing and local use only: let webhooks (organizers' and --alert-webhook-url) use http:// and loopback or private addresses (env ADMITONE_WEBHOOK_INSECURE)")
	fs.StringVar(&c.AlertURL, "alert-webhook-url", "", "https URL that receives operator alerts (conflicts, payment webhook failures, gates offline during doors), signed like organizers' webhooks; empty: none (env ADMITONE_ALERT_WEBHOOK_URL)")
	fs.StringVar(&c.AlertSecretFile, "alert-webhook-secret-file", "", "file holding the secret operator alerts are signed with, with --alert-webhook-url; default: env ADMITONE_ALERT_WEBHOOK_SECRET (env ADMITONE_ALERT_WEBHOOK_SECRET_FILE)")
}

// load returns the operator webhook, nil when there is none.
func (c *webhookConfig) load() (*webhook.Operator, error) {
	if c.AlertURL == "" {
		if c.AlertSecretFile != "" {
			return nil, fmt.Errorf("--alert-webhook-secret-file is only used with --alert-webhook-url")
		}
		return nil, nil
	}
	u, err := webhook.CheckURL(c.AlertURL, c.Insecure)
	if err != nil {
		return nil, fmt.Errorf("--alert-webhook-url: %w", err)
	}
	secret, err := fileutil.ReadSecret(c.AlertSecretFile, "ADMITONE_ALERT_WEBHOOK_SECRET", "--alert-webhook-secret-file")
	if err != nil {
		return nil, fmt.Errorf("operator alert secret: %w", err)
	}
	if len(secret) < minAlertSecret {
		return nil, fmt.Errorf("operator alert secret: %d bytes; at least %d", len(secret), minAlertSecret)
	}
	return &webhook.Operator{URL: u.String(), Secret: secret}, nil
}
