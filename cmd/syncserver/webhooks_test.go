package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAlertWebhookFlags: the operator alert flags are checked before
// anything starts, a loopback or http URL only with --webhook-insecure;
// a good pair wires alerts and organizers' webhooks into the services.
func TestAlertWebhookFlags(t *testing.T) {
	t.Setenv("ADMITONE_ALERT_WEBHOOK_SECRET", "")
	os.Unsetenv("ADMITONE_ALERT_WEBHOOK_SECRET")
	dir := t.TempDir()
	secret := filepath.Join(dir, "alert.secret")
	short := filepath.Join(dir, "short.secret")
	os.WriteFile(secret, []byte("operator-alert-secret-0123456789\n"), 0o600)
	os.WriteFile(short, []byte("tiny\n"), 0o600)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"secret without url", []string{"--alert-webhook-secret-file", secret}, "--alert-webhook-url"},
		{"url without secret", []string{"--alert-webhook-url", "https://alerts.example/in"}, "--alert-webhook-secret-file"},
		{"short secret", []string{"--alert-webhook-url", "https://alerts.example/in", "--alert-webhook-secret-file", short}, "at least 16"},
		{"http", []string{"--alert-webhook-url", "http://alerts.example/in", "--alert-webhook-secret-file", secret}, "https"},
		{"loopback", []string{"--alert-webhook-url", "https://127.0.0.1:9/in", "--alert-webhook-secret-file", secret}, "not a public address"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parseServeFlags(t, append([]string{"--data-dir", filepath.Join(t.TempDir(), "data")}, tt.args...)...)
			a, err := openApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
			if err == nil {
				a.Close()
				t.Fatalf("openApp %v: started", tt.args)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("openApp %v: %v, want it to name %s", tt.args, err, tt.want)
			}
		})
	}
	cfg := parseServeFlags(t, "--data-dir", filepath.Join(t.TempDir(), "data"), "--webhook-insecure",
		"--alert-webhook-url", "http://127.0.0.1:9/in", "--alert-webhook-secret-file", secret)
	a, err := openApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.svc.OrgWebhooks == nil || !a.svc.OrgWebhooks.Insecure || a.svc.Alerts == nil || a.api.OrgWebhooks == nil || a.api.Alerts == nil {
		t.Errorf("webhooks %v, alerts %v: not wired", a.svc.OrgWebhooks, a.svc.Alerts)
	}
}
