package scanner

import (
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

// gateFixture is an event with an issuer key, a bundle and an open store.
type gateFixture struct {
	key     ticketcrypto.PrivateKey
	event   ticketcrypto.EventID
	payload *bundle.Payload
	store   *Store
	engine  *Engine
	now     time.Time
}

func newGateFixture(t testing.TB, profile bundle.GateProfile, opt StoreOptions) *gateFixture {
	t.Helper()
	key, err := ticketcrypto.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	f := &gateFixture{key: key, event: ticketcrypto.NewEventID(), now: time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC)}
	profile.Event = f.event
	if profile.GateID == "" {
		profile.GateID = "north"
	}
	if profile.Mode == "" {
		profile.Mode = bundle.ModeSigned
	}
	if profile.Direction == "" {
		profile.Direction = bundle.Entry
	}
	f.payload = &bundle.Payload{
		Format:    bundle.Format,
		CreatedAt: f.now.Add(-time.Hour),
		Event:     f.event,
		Keyring:   []ticketcrypto.KeyringEntry{{Event: f.event, KeyID: key.ID(), PublicKey: key.Public()}},
		Profiles:  []bundle.GateProfile{profile},
	}
	s, err := OpenStore(t.TempDir(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f.store = s
	f.engine = &Engine{Store: s, Now: func() time.Time { return f.now }}
	return f
}

// issue signs a ticket of type typ and adds it to the bundle's list.
func (f *gateFixture) issue(t testing.TB, typ uint16, mutate func(*ticketcrypto.Token)) ticketcrypto.SignedToken {
	t.Helper()
	tok := ticketcrypto.Token{Event: f.event, Ticket: ticketcrypto.NewTicketID(), TypeNumber: typ}
	if mutate != nil {
		mutate(&tok)
	}
	st, err := ticketcrypto.Sign(f.key, tok)
	if err != nil {
		t.Fatal(err)
	}
	f.payload.Tickets = append(f.payload.Tickets, bundle.Ticket{ID: st.Ticket, TypeNumber: typ})
	return st
}

// load imports the fixture's bundle into the store.
func (f *gateFixture) load(t testing.TB) {
	t.Helper()
	if err := f.payload.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Import(f.payload, "", f.key.Public(), f.now); err != nil {
		t.Fatal(err)
	}
}

func (f *gateFixture) check(t testing.TB, code string, want Verdict) Result {
	t.Helper()
	res, err := f.engine.Check(code, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != want {
		t.Fatalf("Check = %s (%s), want %s", res.Verdict, res.Reason, want)
	}
	return res
}
