package sync_test

import (
	"context"
	"errors"
	"testing"
	"time"

	ticketsync "github.com/admitone/admitone/sync"
)

// TestProbe: a probe of a real hub returns the welcome (the gate's id,
// the server's clock) and changes nothing; a server whose clock is a
// minute behind shows as a minute of skew; a revoked credential is
// ErrGateRevoked; a server that is not there is an error.
func TestProbe(t *testing.T) {
	w := newWorld(t)
	// The hub's clock is set before any connection: the first probe's
	// connection may still be ending on the server when it moves.
	clock := &offsetClock{}
	w.hub.Now = clock.now
	g := w.enroll(t, "gate")
	ctx := context.Background()

	welcome, rtt, err := g.client.Probe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if welcome.GateID != g.id || welcome.EventID != w.eventID {
		t.Errorf("welcome for gate %q of event %q, want %q of %q", welcome.GateID, welcome.EventID, g.id, w.eventID)
	}
	if skew := time.Since(welcome.ServerTime) - rtt/2; skew.Abs() > time.Second {
		t.Errorf("clock skew %v against a server on this machine", skew)
	}
	if n, err := g.store.OutboxLen(); err != nil || n != 0 {
		t.Errorf("outbox %d (%v) after a probe", n, err)
	}

	clock.advance(-time.Minute)
	welcome, rtt, err = g.client.Probe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if skew := time.Since(welcome.ServerTime) - rtt/2; skew < 59*time.Second || skew > 61*time.Second {
		t.Errorf("clock skew %v against a server a minute behind", skew)
	}

	if _, err := w.db.RevokeGate(ctx, g.id, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := g.client.Probe(ctx); !errors.Is(err, ticketsync.ErrGateRevoked) {
		t.Errorf("probe with a revoked credential: %v, want ErrGateRevoked", err)
	}

	gone := &ticketsync.Client{Server: "http://127.0.0.1:1", Credential: "x", Store: g.store}
	if _, _, err := gone.Probe(ctx); err == nil || errors.Is(err, ticketsync.ErrGateRevoked) {
		t.Errorf("probe of a server that is not there: %v", err)
	}
}
