package storetest

import (
	"testing"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// testGateUpdate changes a gate's name, direction, re-entry and types in
// place; a closure error or a change to anything else writes nothing.
func testGateUpdate(t *testing.T, s ticketsync.Store, _ purchase.Store, c catalog.Store) {
	ctx := t.Context()
	f := setup(t, c)
	g := createGate(t, s, newGate(f.event.ID, "North", when(0)))
	got, err := s.UpdateGate(ctx, g.ID, func(g *ticketsync.Gate) error {
		g.Name, g.Direction, g.AllowReentry, g.Types = "South", bundle.Both, true, []uint16{2, 1}
		return nil
	})
	must(t, "UpdateGate", err)
	want := g
	want.Name, want.Direction, want.AllowReentry, want.Types = "South", bundle.Both, true, []uint16{2, 1}
	equal(t, "UpdateGate result", got, want)
	read, err := s.Gate(ctx, g.ID)
	must(t, "Gate", err)
	equal(t, "gate read after UpdateGate", read, want)

	_, err = s.UpdateGate(ctx, g.ID, func(g *ticketsync.Gate) error { g.Name = "lost"; return errBoom })
	is(t, "UpdateGate with a failing closure", err, errBoom)
	_, err = s.UpdateGate(ctx, g.ID, func(g *ticketsync.Gate) error { g.EventID = "ev_0000000000000000"; return nil })
	is(t, "UpdateGate moving the gate", err, ticketsync.ErrInvalid)
	_, err = s.UpdateGate(ctx, g.ID, func(g *ticketsync.Gate) error { g.CodeHash = randomHex(32); return nil })
	is(t, "UpdateGate changing the code", err, ticketsync.ErrInvalid)
	_, err = s.UpdateGate(ctx, g.ID, func(g *ticketsync.Gate) error { g.Direction = "sideways"; return nil })
	is(t, "UpdateGate to a bad direction", err, ticketsync.ErrInvalid)
	read, err = s.Gate(ctx, g.ID)
	must(t, "Gate", err)
	equal(t, "gate after refused updates", read, want)

	// Back to every type: stored as none.
	got, err = s.UpdateGate(ctx, g.ID, func(g *ticketsync.Gate) error { g.Types = nil; return nil })
	must(t, "UpdateGate", err)
	want.Types = nil
	equal(t, "UpdateGate to every type", got, want)
	_, err = s.UpdateGate(ctx, id.New("gat"), func(*ticketsync.Gate) error { return nil })
	is(t, "UpdateGate unknown", err, ticketsync.ErrNotFound)
}
