package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/purchase"
)

// testLinks: a link round-trips; the first device binds it and later
// binds leave it bound to that device, also when they race; revoking a
// ticket's links marks each once and counts them; a link to a missing
// ticket, a taken hash and an unknown hash are refused.
func testLinks(t *testing.T, s purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh, o := orderedShop(t, s, c, 2)
	tickets := ticketsFor(sh, o, 2, when(0))
	_, err := s.MarkPaid(ctx, o.ID, "pi_1", when(0), tickets)
	must(t, "MarkPaid", err)

	hash := func(i int) string { return fmt.Sprintf("%064x", i+1) }
	link := func(i, ticket int) purchase.Link {
		return purchase.Link{Hash: hash(i), TicketID: tickets[ticket].ID, HolderID: o.BuyerID,
			CreatedAt: stored(when(0)), ExpiresAt: stored(when(0).Add(7 * 24 * time.Hour))}
	}
	for i, tk := range []int{0, 0, 1} {
		must(t, "CreateLink", s.CreateLink(ctx, link(i, tk)))
	}
	got, err := s.Link(ctx, hash(0))
	must(t, "Link", err)
	equal(t, "stored link", got, link(0, 0))

	if err := s.CreateLink(ctx, link(0, 1)); !errors.Is(err, purchase.ErrConflict) {
		t.Errorf("CreateLink with a taken hash = %v, want ErrConflict", err)
	}
	missing := link(5, 0)
	missing.TicketID = "tk_000000000000000000000000"
	if err := s.CreateLink(ctx, missing); !errors.Is(err, purchase.ErrNotFound) {
		t.Errorf("CreateLink of a missing ticket = %v, want ErrNotFound", err)
	}
	if _, err := s.Link(ctx, hash(6)); !errors.Is(err, purchase.ErrNotFound) {
		t.Errorf("Link of an unknown hash = %v, want ErrNotFound", err)
	}
	if _, err := s.BindLink(ctx, hash(6), "dev", when(1)); !errors.Is(err, purchase.ErrNotFound) {
		t.Errorf("BindLink of an unknown hash = %v, want ErrNotFound", err)
	}

	bound, err := s.BindLink(ctx, hash(0), "device-1", when(1))
	must(t, "BindLink", err)
	want := link(0, 0)
	want.DeviceHash, want.BoundAt = "device-1", stored(when(1))
	equal(t, "bound link", bound, want)
	again, err := s.BindLink(ctx, hash(0), "device-2", when(2))
	must(t, "BindLink again", err)
	equal(t, "link bound by a second device", again, want)

	// Twenty devices race for link 1: one wins, all see the winner.
	var wg sync.WaitGroup
	seen := make([]string, 20)
	for i := range seen {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := s.BindLink(ctx, hash(1), fmt.Sprint("racer-", i), when(1))
			if err != nil {
				t.Errorf("BindLink racer %d: %v", i, err)
				return
			}
			seen[i] = l.DeviceHash
		}()
	}
	wg.Wait()
	for i := range seen {
		if seen[i] != seen[0] || seen[0] == "" {
			t.Fatalf("racing binds saw devices %q, want one winner for all", seen)
		}
	}

	n, err := s.CountLinks(ctx, tickets[0].ID, when(1))
	must(t, "CountLinks", err)
	equal(t, "links of ticket 0", n, 2)
	n, err = s.CountLinks(ctx, tickets[0].ID, when(0).Add(8*24*time.Hour))
	must(t, "CountLinks after expiry", err)
	equal(t, "unexpired links of ticket 0 a week on", n, 0)

	n, err = s.RevokeLinks(ctx, tickets[0].ID, when(3))
	must(t, "RevokeLinks", err)
	equal(t, "links revoked", n, 2)
	n, err = s.RevokeLinks(ctx, tickets[0].ID, when(4))
	must(t, "RevokeLinks again", err)
	equal(t, "links revoked again", n, 0)
	got, err = s.Link(ctx, hash(1))
	must(t, "Link", err)
	equal(t, "revoked at", got.RevokedAt, stored(when(3)))
	got, err = s.Link(ctx, hash(2))
	must(t, "Link", err)
	equal(t, "other ticket's link revoked at", got.RevokedAt, time.Time{})
	n, err = s.CountLinks(ctx, tickets[0].ID, when(1))
	must(t, "CountLinks", err)
	equal(t, "links of ticket 0 after revoking", n, 0)
}
