package main

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeChecksFlagsFirst: a bad --payments, wallet or hold limit flag
// fails the start before anything is created: no data directory, so no
// database, no migrations and no search index.
func TestServeChecksFlagsFirst(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in the error
	}{
		{"unknown payments", []string{"--payments", "paypal"}, "--payments"},
		{"stripe without secrets", []string{"--payments", "stripe"}, "--stripe-secret-key-file"},
		{"apple wallet half set", []string{"--apple-pass-cert", "cert.pem"}, "apple-pass-key"},
		{"google wallet half set", []string{"--google-wallet-issuer-id", "3388000000022222222"}, "google-wallet-service-account"},
		{"negative hold limit", []string{"--holds-per-minute", "-1"}, "--holds-per-minute"},
		{"hold ttl too short", []string{"--hold-ttl", "500ms"}, "--hold-ttl"},
		{"hold ttl too long", []string{"--hold-ttl", "2h"}, "--hold-ttl"},
		{"gate quiet after too short", []string{"--gate-quiet-after", "10s"}, "--gate-quiet-after"},
		{"not a publishable key", []string{"--payments", "stripe", "--stripe-publishable-key", "sk_test_x"}, "--stripe-publishable-key"},
	}
	for _, k := range []string{"ADMITONE_STRIPE_SECRET_KEY", "ADMITONE_STRIPE_WEBHOOK_SECRET"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			cfg := parseServeFlags(t, append([]string{"--data-dir", dir}, tt.args...)...)
			a, err := openApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
			if err == nil {
				a.Close()
				t.Fatalf("openApp %v: started, want an error naming %s", tt.args, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("openApp %v: %v, want an error naming %s", tt.args, err, tt.want)
			}
			if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("openApp %v failed but left the data directory behind (%v): storage was opened before the flags were checked", tt.args, err)
			}
		})
	}
}

// TestServerConfigInGoKeepsHoldLimits: a serverConfig built in Go, not
// from flags, gets the purchase defaults for its zero hold limits, not
// "no limit".
func TestServerConfigInGoKeepsHoldLimits(t *testing.T) {
	a, err := openApp(context.Background(), serverConfig{DataDir: t.TempDir()}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if a.purchase.MaxHeldPerBuyer < 0 || a.purchase.HoldsPerMinute < 0 {
		t.Errorf("serverConfig{}: %d held per buyer, %d holds a minute; want the defaults (0), not off", a.purchase.MaxHeldPerBuyer, a.purchase.HoldsPerMinute)
	}
}
