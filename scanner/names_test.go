package scanner

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

// TestEngineNames: a gate that imported a bundle with ticket type names
// and holder names answers with them, also after a restart, and a ticket
// whose type or holder the bundle does not name answers without.
func TestEngineNames(t *testing.T) {
	f := newGateFixture(t, bundle.GateProfile{}, StoreOptions{})
	named := f.issue(t, 1, nil)
	f.payload.Tickets[len(f.payload.Tickets)-1].Holder = "Ada Lovelace"
	plain := f.issue(t, 2, nil)
	f.payload.TicketTypes = []bundle.TicketType{{Number: 1, Name: "Standing"}}
	f.load(t)

	res := f.check(t, named.Text(), Accepted)
	if res.TicketTypeName != "Standing" || res.Holder != "Ada Lovelace" {
		t.Fatalf("named ticket: type name %q, holder %q", res.TicketTypeName, res.Holder)
	}
	res = f.check(t, named.Text(), AlreadyUsed)
	if res.TicketTypeName != "Standing" || res.Holder != "Ada Lovelace" {
		t.Fatalf("already used: type name %q, holder %q", res.TicketTypeName, res.Holder)
	}
	res = f.check(t, plain.Text(), Accepted)
	if res.TicketTypeName != "" || res.Holder != "" || res.TicketType == nil || *res.TicketType != 2 {
		t.Fatalf("unnamed ticket: %+v", res)
	}

	// The names live in the store file.
	dir := filepath.Dir(f.store.db.Path())
	f.store.Close()
	s, err := OpenStore(dir, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f.engine.Store = s
	res, err = f.engine.Check(named.Text(), CheckOptions{DryRun: true})
	if err != nil || res.TicketTypeName != "Standing" || res.Holder != "Ada Lovelace" {
		t.Fatalf("after reopening: %+v, %v", res, err)
	}

	// A later bundle without names takes them away.
	f.payload.TicketTypes = nil
	f.payload.Tickets[0].Holder = ""
	if _, err := s.Import(f.payload, "", f.key.Public(), f.now); err != nil {
		t.Fatal(err)
	}
	res, _ = f.engine.Check(named.Text(), CheckOptions{DryRun: true})
	if res.TicketTypeName != "" || res.Holder != "" {
		t.Fatalf("names kept after a bundle without them: %+v", res)
	}
}

// TestEngineListedHolder: a foreign barcode's holder comes from the list.
func TestEngineListedHolder(t *testing.T) {
	f := newGateFixture(t, bundle.GateProfile{Mode: bundle.ModeListed}, StoreOptions{})
	f.payload.Tickets = append(f.payload.Tickets, bundle.Ticket{ID: ticketcrypto.NewTicketID(), TypeNumber: 3, Code: "4006381333931", Holder: "Grace Hopper"})
	f.payload.TicketTypes = []bundle.TicketType{{Number: 3, Name: "Balkon"}}
	f.load(t)
	res := f.check(t, "4006381333931", Accepted)
	if res.TicketTypeName != "Balkon" || res.Holder != "Grace Hopper" {
		t.Fatalf("listed code: %+v", res)
	}
}

// TestEngineBothDirections: a gate for both ways records entries and
// exits as each scan says, an entry when it says nothing, and refuses a
// direction a one-way gate does not record.
func TestEngineBothDirections(t *testing.T) {
	f := newGateFixture(t, bundle.GateProfile{Direction: bundle.Both, AllowReentry: true}, StoreOptions{})
	tk := f.issue(t, 1, nil)
	f.load(t)
	scan := func(dir bundle.Direction, want Verdict) Result {
		t.Helper()
		res, err := f.engine.Check(tk.Text(), CheckOptions{Direction: dir})
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict != want {
			t.Fatalf("%q scan = %s (%s), want %s", dir, res.Verdict, res.Reason, want)
		}
		return res
	}
	if res := scan("", Accepted); res.Direction != "entry" {
		t.Fatalf("no direction on a both gate recorded %q", res.Direction)
	}
	scan(bundle.Entry, AlreadyUsed)
	if res := scan(bundle.Exit, Accepted); res.Direction != "exit" {
		t.Fatalf("exit recorded as %q", res.Direction)
	}
	if st, _ := f.store.Status(); st.Inside != 0 || st.Checkins != 2 {
		t.Fatalf("after entry and exit: %+v", st)
	}
	if res := scan(bundle.Entry, Accepted); res.Direction != "entry" || res.Reason != "re-entry (entry 2)" {
		t.Fatalf("re-entry: %+v", res)
	}
	var dirs []string
	f.store.Checkins(func(ci changelog.Checkin) bool { dirs = append(dirs, string(ci.Direction)); return true })
	if len(dirs) != 3 || dirs[0] != "entry" || dirs[1] != "exit" || dirs[2] != "entry" {
		t.Fatalf("logged directions %v", dirs)
	}
	if _, err := f.engine.Check(tk.Text(), CheckOptions{Direction: "sideways"}); !errors.Is(err, ErrDirection) {
		t.Fatalf("unknown direction: %v", err)
	}

	one := newGateFixture(t, bundle.GateProfile{Direction: bundle.Entry}, StoreOptions{})
	tk2 := one.issue(t, 1, nil)
	one.load(t)
	for _, dry := range []bool{false, true} {
		if _, err := one.engine.Check(tk2.Text(), CheckOptions{Direction: bundle.Exit, DryRun: dry}); !errors.Is(err, ErrDirection) {
			t.Fatalf("exit at an entry gate (dry run %v): %v", dry, err)
		}
	}
	if st, _ := one.store.Status(); st.Checkins != 0 {
		t.Fatalf("a refused direction recorded %d check-ins", st.Checkins)
	}
	if res, err := one.engine.Check(tk2.Text(), CheckOptions{Direction: bundle.Entry}); err != nil || res.Verdict != Accepted {
		t.Fatalf("entry at an entry gate: %+v, %v", res, err)
	}
	if _, _, err := one.store.Admit(Ticket{ID: tk2.Ticket, Event: one.event, TypeNumber: 1}, one.now, AdmitOptions{Direction: bundle.Exit}); !errors.Is(err, ErrDirection) {
		t.Fatalf("store admitted an exit at an entry gate: %v", err)
	}
}
