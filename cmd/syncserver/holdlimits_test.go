package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/purchase"
)

// TestServeHoldLimitFlags: serve caps what one account holds of an event
// (--max-held-per-buyer, default 10) and how many holds it makes a
// minute (--holds-per-minute, default 20); 0 turns either off, and a
// negative value is refused naming the flag.
func TestServeHoldLimitFlags(t *testing.T) {
	open := func(t *testing.T, args ...string) (*purchase.Service, error) {
		t.Helper()
		cfg := parseServeFlags(t, append([]string{"--data-dir", t.TempDir()}, args...)...)
		a, err := openApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { a.Close() })
		return a.purchase, nil
	}
	svc, err := open(t)
	if err != nil {
		t.Fatal(err)
	}
	if svc.MaxHeldPerBuyer != purchase.DefaultMaxHeldPerBuyer || svc.HoldsPerMinute != purchase.DefaultHoldsPerMinute ||
		purchase.DefaultMaxHeldPerBuyer != 10 || purchase.DefaultHoldsPerMinute != 20 {
		t.Errorf("defaults: %d held per buyer, %d holds a minute; want 10 and 20", svc.MaxHeldPerBuyer, svc.HoldsPerMinute)
	}
	if svc, err = open(t, "--max-held-per-buyer", "4", "--holds-per-minute", "0"); err != nil {
		t.Fatal(err)
	}
	if svc.MaxHeldPerBuyer != 4 || svc.HoldsPerMinute >= 0 {
		t.Errorf("--max-held-per-buyer 4 --holds-per-minute 0: %d, %d; want 4 and off (negative)", svc.MaxHeldPerBuyer, svc.HoldsPerMinute)
	}
	if svc, err = open(t, "--hold-ttl", "3s"); err != nil || svc.HoldTTL != 3*time.Second {
		t.Errorf("--hold-ttl 3s: %v, %v; want a 3s hold", svc, err)
	}
	for _, flag := range []string{"--max-held-per-buyer", "--holds-per-minute"} {
		if _, err := open(t, flag, "-1"); err == nil || !strings.Contains(err.Error(), flag) {
			t.Errorf("%s -1: %v, want an error naming the flag", flag, err)
		}
	}
}
