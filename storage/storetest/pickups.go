package storetest

import (
	"errors"
	gosync "sync"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/merch"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// testPickups: a merch desk's purpose round-trips; each line of an order
// is claimed once: a second claim, from another desk, gets the first
// desk's pickup; of claims raced by several desks exactly one stores
// each line.
func testPickups(t *testing.T, s ticketsync.Store, p purchase.Store, c catalog.Store) {
	ctx := t.Context()
	ms, ok := p.(merch.Store)
	if !ok {
		t.Fatalf("%T does not implement merch.Store", p)
	}
	sh := newShop(t, c, 10)
	desk := newGate(sh.event.ID, "Merch desk 1", when(0))
	desk.Purpose = ticketsync.PurposeMerchPickup
	desk = createGate(t, s, desk)
	got, err := s.Gate(ctx, desk.ID)
	must(t, "Gate", err)
	equal(t, "merch desk as stored", got, desk)
	bad := newGate(sh.event.ID, "Odd", when(0))
	bad.Purpose = "bar"
	if err := s.CreateGate(ctx, bad); !errors.Is(err, ticketsync.ErrInvalid) {
		t.Errorf("CreateGate with purpose %q: %v, want ErrInvalid", bad.Purpose, err)
	}

	line := func(order, tt string, n int, g ticketsync.Gate, at time.Time) merch.Pickup {
		return merch.Pickup{EventID: sh.event.ID, OrderID: order, TicketTypeID: tt, Quantity: n, GateID: g.ID, GateName: g.Name, At: at}
	}
	const order = "ord_0000000000000000000000a1"
	shirt, mug := line(order, "tt_shirt", 2, desk, when(0)), line(order, "tt_mug", 1, desk, when(0))
	claimed, earlier, err := ms.ClaimPickups(ctx, []merch.Pickup{shirt})
	must(t, "ClaimPickups", err)
	shirt.At = stored(shirt.At)
	equal(t, "claimed", claimed, []merch.Pickup{shirt})
	equal(t, "earlier", len(earlier), 0)

	desk2 := createGate(t, s, newGate(sh.event.ID, "Merch desk 2", when(0)))
	claimed, earlier, err = ms.ClaimPickups(ctx, []merch.Pickup{line(order, "tt_shirt", 2, desk2, when(0).Add(time.Hour)),
		line(order, "tt_mug", 1, desk2, when(0).Add(time.Hour))})
	must(t, "ClaimPickups at desk 2", err)
	mug.GateID, mug.GateName, mug.At = desk2.ID, desk2.Name, stored(when(0).Add(time.Hour))
	equal(t, "claimed at desk 2", claimed, []merch.Pickup{mug})
	equal(t, "earlier at desk 2", earlier, []merch.Pickup{shirt})

	for _, ps := range [][]merch.Pickup{nil, {shirt, shirt}, {shirt, line("ord_0000000000000000000000a2", "tt_mug", 1, desk, when(0))},
		{line(order, "tt_cap", 0, desk, when(0))}} {
		if _, _, err := ms.ClaimPickups(ctx, ps); !errors.Is(err, merch.ErrInvalid) {
			t.Errorf("ClaimPickups(%d lines, bad) = %v, want ErrInvalid", len(ps), err)
		}
	}

	// Four desks race for one order's two lines: each line goes once.
	const raced = "ord_0000000000000000000000b1"
	var wg gosync.WaitGroup
	var mu gosync.Mutex
	won := map[string]int{}
	for i := range 4 {
		wg.Go(func() {
			g := desk
			if i%2 == 1 {
				g = desk2
			}
			claimed, earlier, err := ms.ClaimPickups(ctx, []merch.Pickup{line(raced, "tt_shirt", 1, g, when(0)), line(raced, "tt_mug", 3, g, when(0))})
			if err != nil {
				t.Errorf("raced claim: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if len(claimed)+len(earlier) != 2 {
				t.Errorf("raced claim answered %d claimed and %d earlier, want 2 in all", len(claimed), len(earlier))
			}
			for _, p := range claimed {
				won[p.TicketTypeID]++
			}
		})
	}
	wg.Wait()
	equal(t, "lines claimed by the racing desks", won, map[string]int{"tt_shirt": 1, "tt_mug": 1})
}
