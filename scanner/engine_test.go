package scanner

import (
	"errors"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

func TestEngineVerdicts(t *testing.T) {
	f := newGateFixture(t, bundle.GateProfile{Types: []uint16{1, 2}}, StoreOptions{})
	good := f.issue(t, 1, nil)
	vip := f.issue(t, 2, nil)
	backstage := f.issue(t, 7, nil)
	later := f.issue(t, 1, func(tk *ticketcrypto.Token) { tk.ValidFrom = f.now.Add(24 * time.Hour) })
	old := f.issue(t, 1, func(tk *ticketcrypto.Token) { tk.ValidUntil = f.now.Add(-24 * time.Hour) })
	refunded := f.issue(t, 1, nil)
	f.payload.Revocations = []bundle.Revocation{{Ticket: refunded.Ticket, At: f.now.Add(-time.Minute), Reason: "refunded"}}
	rk, _ := ticketcrypto.GenerateRotationKey()
	f.payload.RotationKeys = []bundle.RotationKey{{Event: f.event, Key: rk.Secret()}}
	rotating := f.issue(t, 1, func(tk *ticketcrypto.Token) { tk.Flags = ticketcrypto.FlagRotating })
	f.load(t)

	otherKey, _ := ticketcrypto.GeneratePrivateKey()
	foreign, _ := ticketcrypto.Sign(otherKey, ticketcrypto.Token{Event: f.event, Ticket: ticketcrypto.NewTicketID(), TypeNumber: 1})
	otherEvent, _ := ticketcrypto.Sign(f.key, ticketcrypto.Token{Event: ticketcrypto.NewEventID(), Ticket: ticketcrypto.NewTicketID(), TypeNumber: 1})
	forgedBytes := good.Bytes()
	forgedBytes[20] ^= 0x01 // a different ticket id under the old signature
	forged := ticketcrypto.TokenPrefix + ticketcrypto.Base45Encode(forgedBytes)

	res := f.check(t, good.Text(), Accepted)
	if res.CheckinID == "" || res.TicketID != good.Ticket.String() {
		t.Fatalf("accepted result lacks check-in or ticket id: %+v", res)
	}
	used := f.check(t, good.Text(), AlreadyUsed)
	if used.Previous == nil || used.Previous.ID != res.CheckinID || used.Previous.GateID != "north" {
		t.Fatalf("already_used does not name the earlier check-in: %+v", used.Previous)
	}
	f.check(t, strings.ToLower(vip.Text()), Accepted) // a Caps Lock wedge
	f.check(t, backstage.Text(), NotAllowedHere)
	f.check(t, later.Text(), NotYetValid)
	f.check(t, old.Text(), Expired)
	f.check(t, refunded.Text(), Revoked)
	f.check(t, foreign.Text(), UnknownKey)
	f.check(t, otherEvent.Text(), WrongEvent)
	f.check(t, forged, InvalidSignature)
	f.check(t, "AT1:NOT-A-TOKEN", Malformed)
	f.check(t, "4006381333931", Malformed) // a retail EAN at a signed-mode gate
	f.check(t, "", Malformed)
	f.check(t, strings.Repeat("A", MaxCodeLen+1), Malformed)
	f.check(t, rotating.Text(), CodeExpired)
	f.check(t, rotating.TextWithCode(rk.Code(f.event, rotating.Ticket, f.now.Add(-5*time.Minute))), CodeExpired)
	f.check(t, rotating.TextWithCode(rk.Code(f.event, rotating.Ticket, f.now)), Accepted)

	st, err := f.store.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.Checkins != 3 || st.Outbox != 3 || st.Inside != 3 {
		t.Fatalf("status after 3 admissions = %+v", st)
	}
}

func TestEngineDryRunRecordsNothing(t *testing.T) {
	f := newGateFixture(t, bundle.GateProfile{}, StoreOptions{})
	tk := f.issue(t, 1, nil)
	f.load(t)
	for range 2 {
		res, err := f.engine.Check(tk.Text(), CheckOptions{DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict != Accepted || res.CheckinID != "" || !res.DryRun {
			t.Fatalf("dry run = %+v", res)
		}
	}
	f.check(t, tk.Text(), Accepted)
	res, _ := f.engine.Check(tk.Text(), CheckOptions{DryRun: true})
	if res.Verdict != AlreadyUsed {
		t.Fatalf("dry run after entry = %s", res.Verdict)
	}
}

func TestEngineListedMode(t *testing.T) {
	f := newGateFixture(t, bundle.GateProfile{Mode: bundle.ModeListed}, StoreOptions{})
	onList := f.issue(t, 1, nil)
	offList, _ := ticketcrypto.Sign(f.key, ticketcrypto.Token{Event: f.event, Ticket: ticketcrypto.NewTicketID(), TypeNumber: 1})
	imported := ticketcrypto.NewTicketID()
	f.payload.Tickets = append(f.payload.Tickets, bundle.Ticket{ID: imported, TypeNumber: 3, Code: "4006381333931"})
	f.load(t)
	f.check(t, onList.Text(), Accepted)
	f.check(t, offList.Text(), UnknownTicket)
	res := f.check(t, "4006381333931", Accepted)
	if res.TicketID != imported.String() || res.TicketType == nil || *res.TicketType != 3 {
		t.Fatalf("foreign barcode resolved to %+v", res)
	}
	f.check(t, "4006381333931", AlreadyUsed)
	f.check(t, "9780201379624", UnknownTicket)
}

func TestEngineEntryExitReentry(t *testing.T) {
	f := newGateFixture(t, bundle.GateProfile{AllowReentry: true}, StoreOptions{})
	tk := f.issue(t, 1, nil)
	exit := bundle.GateProfile{GateID: "exit", Event: f.event, Mode: bundle.ModeSigned, Direction: bundle.Exit}
	f.payload.Profiles = append(f.payload.Profiles, exit)
	if _, err := f.store.Import(f.payload, "north", f.key.Public(), f.now); err != nil {
		t.Fatal(err)
	}
	f.check(t, tk.Text(), Accepted)
	f.check(t, tk.Text(), AlreadyUsed)
	// The same store switched to the exit profile: a single device at a
	// door that scans people out, then in again.
	f.payload.CreatedAt = f.payload.CreatedAt.Add(time.Minute)
	if _, err := f.store.Import(f.payload, "exit", f.key.Public(), f.now); err != nil {
		t.Fatal(err)
	}
	f.check(t, tk.Text(), Accepted)
	f.payload.CreatedAt = f.payload.CreatedAt.Add(time.Minute)
	if _, err := f.store.Import(f.payload, "north", f.key.Public(), f.now); err != nil {
		t.Fatal(err)
	}
	res := f.check(t, tk.Text(), Accepted)
	if !strings.Contains(res.Reason, "re-entry") {
		t.Fatalf("re-entry reason = %q", res.Reason)
	}
}

func TestEngineNotConfigured(t *testing.T) {
	s, err := OpenStore(t.TempDir(), StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := &Engine{Store: s}
	if _, err := e.Check("AT1:X", CheckOptions{}); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("Check before import: %v, want ErrNotConfigured", err)
	}
}

// TestEngineConcurrentLanesAdmitOnce races many lanes on one ticket: the
// decision and the write are one transaction, so exactly one is accepted.
func TestEngineConcurrentLanesAdmitOnce(t *testing.T) {
	for _, lanes := range []int{1, 4} {
		f := newGateFixture(t, bundle.GateProfile{}, StoreOptions{Lanes: lanes})
		var tickets []ticketcrypto.SignedToken
		for range 20 {
			tickets = append(tickets, f.issue(t, 1, nil))
		}
		f.load(t)
		var mu gosync.Mutex
		counts := map[Verdict]int{}
		var wg gosync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for _, tk := range tickets {
					res, err := f.engine.Check(tk.Text(), CheckOptions{})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					counts[res.Verdict]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if counts[Accepted] != len(tickets) || counts[AlreadyUsed] != 7*len(tickets) {
			t.Fatalf("lanes=%d: verdicts %v, want %d accepted", lanes, counts, len(tickets))
		}
		st, _ := f.store.Status()
		if st.Checkins != len(tickets) {
			t.Fatalf("lanes=%d: %d check-ins logged, want %d", lanes, st.Checkins, len(tickets))
		}
	}
}

func TestStoreImportRules(t *testing.T) {
	f := newGateFixture(t, bundle.GateProfile{}, StoreOptions{})
	tk := f.issue(t, 1, nil)
	f.load(t)
	f.check(t, tk.Text(), Accepted)

	older := *f.payload
	older.CreatedAt = f.payload.CreatedAt.Add(-time.Hour)
	if _, err := f.store.Import(&older, "", f.key.Public(), f.now); err == nil || !strings.Contains(err.Error(), "before the one already imported") {
		t.Fatalf("older bundle: %v", err)
	}
	other := *f.payload
	other.Event = ticketcrypto.NewEventID()
	other.Profiles = []bundle.GateProfile{{GateID: "x", Event: other.Event, Mode: bundle.ModeSigned, Direction: bundle.Entry}}
	other.Keyring = nil
	other.CreatedAt = f.now
	if _, err := f.store.Import(&other, "", f.key.Public(), f.now); err == nil || !strings.Contains(err.Error(), "this gate checks event") {
		t.Fatalf("other event's bundle: %v", err)
	}
	// A newer bundle revokes the ticket; its check-in history stays.
	newer := *f.payload
	newer.CreatedAt = f.now
	newer.Revocations = []bundle.Revocation{{Ticket: tk.Ticket, At: f.now, Reason: "transferred"}}
	if _, err := f.store.Import(&newer, "", f.key.Public(), f.now); err != nil {
		t.Fatal(err)
	}
	f.check(t, tk.Text(), Revoked)
	st, _ := f.store.Status()
	if st.Checkins != 1 || st.Revocations != 1 {
		t.Fatalf("status after re-import = %+v", st)
	}
}

func TestStoreOutboxSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	f := newGateFixture(t, bundle.GateProfile{}, StoreOptions{})
	f.store.Close()
	s, err := OpenStore(dir, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.store, f.engine.Store = s, s
	a, b := f.issue(t, 1, nil), f.issue(t, 1, nil)
	f.load(t)
	ra := f.check(t, a.Text(), Accepted)
	f.check(t, b.Text(), Accepted)
	s.Close()

	s, err = OpenStore(dir, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f.engine.Store = s
	f.check(t, a.Text(), AlreadyUsed)
	out, err := s.Outbox(10)
	if err != nil || len(out) != 2 {
		t.Fatalf("outbox after reopen: %d entries, %v", len(out), err)
	}
	if out[0].ID != ra.CheckinID || out[0].TicketID != a.Ticket.String() || out[0].GateID != "north" {
		t.Fatalf("outbox[0] = %+v, want check-in %s", out[0], ra.CheckinID)
	}
	acked, err := changelog.ParseCheckinID(out[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(acked); err != nil {
		t.Fatal(err)
	}
	out, _ = s.Outbox(10)
	if len(out) != 1 || out[0].TicketID != b.Ticket.String() {
		t.Fatalf("outbox after ack = %+v", out)
	}
	n := 0
	s.Checkins(func(changelog.Checkin) bool { n++; return true })
	if n != 2 {
		t.Fatalf("log holds %d check-ins after ack, want 2", n)
	}
}
