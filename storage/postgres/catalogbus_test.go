package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/admitone/admitone/storage/postgres/pgtest"
)

// TestCatalogBus: one handle's announcement reaches another handle's
// ListenCatalog (after the "" that starts listening) and not its own.
func TestCatalogBus(t *testing.T) {
	t.Parallel()
	dsn := pgtest.FreshSchema(t)
	a, b := openDSN(t, dsn), openDSN(t, dsn)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	heardA, heardB := make(chan string, 100), make(chan string, 100)
	doneA, doneB := make(chan error, 1), make(chan error, 1)
	go func() { doneA <- a.ListenCatalog(ctx, func(id string) { heardA <- id }) }()
	go func() { doneB <- b.ListenCatalog(ctx, func(id string) { heardB <- id }) }()
	for _, heard := range []chan string{heardA, heardB} {
		select {
		case id := <-heard:
			if id != "" {
				t.Fatalf("first call %q, want \"\" (listening started)", id)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("listening never started")
		}
	}
	// The channel is the database's: other tests' announcements may
	// arrive too, so wait for ours.
	event := "ev_" + a.instance[len("pid_"):][:16]
	must(t, a.AnnounceCatalogChange(ctx, event))
	deadline := time.After(5 * time.Second)
	for got := ""; got != event; {
		select {
		case got = <-heardB:
		case <-deadline:
			t.Fatalf("the other handle never heard %s", event)
		}
	}
	// The announcing handle skips its own (it refreshed already); a
	// second announcement from b shows a's listener is live.
	other := event + "b"
	must(t, b.AnnounceCatalogChange(ctx, other))
	deadline = time.After(5 * time.Second)
	for got := ""; got != other; {
		select {
		case got = <-heardA:
			if got == event {
				t.Fatalf("handle a heard its own announcement %s", event)
			}
		case <-deadline:
			t.Fatalf("handle a never heard %s", other)
		}
	}
	cancel()
	for _, done := range []chan error{doneA, doneB} {
		if err := <-done; err != nil {
			t.Errorf("ListenCatalog after its context ended: %v", err)
		}
	}
}
