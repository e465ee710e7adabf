package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	gosync "sync"
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// RunSync runs the sync.Store conformance subtests. open returns a new,
// empty store for each subtest, as a sync.Store, a purchase.Store and a
// catalog.Store over the same data: gates belong to catalog events, and
// check-ins share the purchase store's change log.
//
// Beyond the interface's doc comments it pins: CreateGate refuses a gate
// without id or event, or with a direction other than entry or exit
// (ErrInvalid); enrolment codes expire at CodeExpiresAt (a code used at
// that instant is ErrExpired; a zero expiry never expires); a revoked
// gate's code is ErrRevoked, not ErrNotFound; a credential hash used by
// another gate is ErrExists; RecordCheckins of a gate not stored is
// ErrNotFound; a repeated id within one batch counts once; Conflicts with
// limit < 1 is ErrInvalid, and lists conflicts in the change log order of
// their second check-ins.
func RunSync(t *testing.T, open func(t *testing.T) (ticketsync.Store, purchase.Store, catalog.Store)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s ticketsync.Store, p purchase.Store, c catalog.Store)
	}{
		{"Gate/RoundTrip", testGateRoundTrip},
		{"Gate/Enroll", testGateEnroll},
		{"Gate/Revoke", testGateRevoke},
		{"Gate/Update", testGateUpdate},
		{"Gate/ConcurrentEnroll", testGateConcurrentEnroll},
		{"Checkins/Idempotent", testCheckinsIdempotent},
		{"Checkins/Invalid", testCheckinsInvalid},
		{"Checkins/Changes", testCheckinsChanges},
		{"Conflicts", testConflicts},
		{"Lineage", testLineage},
		{"Quarantine", testQuarantine},
		{"Health", testHealth},
		{"Feedback", testFeedback},
		{"Pickups", testPickups},
		{"Concurrent/Checkins", testConcurrentCheckins},
		{"Concurrent/Figures", testFiguresRace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, p, c := open(t)
			tt.fn(t, s, p, c)
		})
	}
}

// randomHex is n random bytes in hex: enrolment code and credential
// hashes, check-in ids.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newGate is an entry gate of an event, not yet enrolled, whose code
// expires a day after when(0).
func newGate(eventID, name string, created time.Time) ticketsync.Gate {
	return ticketsync.Gate{
		ID: id.New("gat"), EventID: eventID, Name: name, Direction: bundle.Entry,
		CodeHash: randomHex(32), CodeExpiresAt: when(1), CreatedBy: "usr_000000000000000000000a01", CreatedAt: created,
	}
}

// storedGate is g as every backend returns it.
func storedGate(g ticketsync.Gate) ticketsync.Gate {
	g.CodeExpiresAt, g.CreatedAt = stored(g.CodeExpiresAt), stored(g.CreatedAt)
	g.EnrolledAt, g.RevokedAt = stored(g.EnrolledAt), stored(g.RevokedAt)
	if len(g.Types) == 0 {
		g.Types = nil
	}
	return g
}

func createGate(t *testing.T, s ticketsync.Store, g ticketsync.Gate) ticketsync.Gate {
	t.Helper()
	must(t, "CreateGate "+g.Name, s.CreateGate(t.Context(), g))
	return storedGate(g)
}

// checkin is a check-in of ticket at gate g, in g's direction, at at.
func checkin(g ticketsync.Gate, ticketID string, at time.Time) changelog.Checkin {
	return changelog.Checkin{
		ID: "ci_" + randomHex(16), EventID: g.EventID, GateID: g.ID, TicketID: ticketID, TypeNumber: 1,
		Direction: g.Direction, At: at,
	}
}

// side is c as a conflict names it.
func side(c changelog.Checkin) ticketsync.ConflictSide {
	return ticketsync.ConflictSide{TicketID: c.TicketID, CheckinID: c.ID, GateID: c.GateID, At: stored(c.At), Offline: c.Offline}
}

// record stores cs and checks how many were new.
func record(t *testing.T, s ticketsync.Store, g ticketsync.Gate, wantNew int, cs ...changelog.Checkin) ticketsync.RecordResult {
	t.Helper()
	res, err := s.RecordCheckins(t.Context(), g, cs, when(0).Add(time.Hour))
	must(t, "RecordCheckins", err)
	if res.New != wantNew {
		t.Errorf("RecordCheckins of %d: New = %d, want %d", len(cs), res.New, wantNew)
	}
	return res
}

// newTicketID is a ticket id no store has issued: gates may check in
// tickets the server's log has not shown them yet.
func newTicketID() string { return ticketcrypto.NewTicketID().String() }

func testGateRoundTrip(t *testing.T, s ticketsync.Store, _ purchase.Store, c catalog.Store) {
	ctx := t.Context()
	f := setup(t, c)
	north := newGate(f.event.ID, "North", when(0))
	north.Types, north.AllowReentry = []uint16{1, 3}, true
	south := newGate(f.event.ID, "South", when(-1)) // created first
	south.Direction, south.CodeExpiresAt = bundle.Exit, time.Time{}
	wantNorth, wantSouth := createGate(t, s, north), createGate(t, s, south)

	got, err := s.Gate(ctx, north.ID)
	must(t, "Gate", err)
	equal(t, "Gate", got, wantNorth)
	got, err = s.Gate(ctx, south.ID)
	must(t, "Gate without types or expiry", err)
	equal(t, "Gate without types or expiry", got, wantSouth)
	list, err := s.GatesOfEvent(ctx, f.event.ID)
	must(t, "GatesOfEvent", err)
	equal(t, "GatesOfEvent", list, []ticketsync.Gate{wantSouth, wantNorth})

	dup := newGate(f.event.ID, "Duplicate", when(0))
	dup.ID = north.ID
	is(t, "CreateGate with a taken id", s.CreateGate(ctx, dup), ticketsync.ErrExists)
	got, err = s.Gate(ctx, north.ID)
	must(t, "Gate after the duplicate", err)
	equal(t, "Gate after the duplicate", got, wantNorth)
	sameCode := newGate(f.event.ID, "Same code", when(0))
	sameCode.CodeHash = north.CodeHash
	is(t, "CreateGate with another gate's code", s.CreateGate(ctx, sameCode), ticketsync.ErrExists)
	_, err = s.Gate(ctx, sameCode.ID)
	is(t, "gate refused for its code", err, ticketsync.ErrNotFound)

	is(t, "CreateGate of an unknown event", s.CreateGate(ctx, newGate("ev_0000000000000404", "Nowhere", when(0))), ticketsync.ErrNotFound)
	bad := newGate(f.event.ID, "Sideways", when(0))
	bad.Direction = "sideways"
	is(t, "CreateGate with a bad direction", s.CreateGate(ctx, bad), ticketsync.ErrInvalid)
	bad = newGate(f.event.ID, "No id", when(0))
	bad.ID = ""
	is(t, "CreateGate without an id", s.CreateGate(ctx, bad), ticketsync.ErrInvalid)

	_, err = s.Gate(ctx, id.New("gat"))
	is(t, "Gate unknown", err, ticketsync.ErrNotFound)
	list, err = s.GatesOfEvent(ctx, "ev_0000000000000404")
	must(t, "GatesOfEvent of an unknown event", err)
	equal(t, "GatesOfEvent of an unknown event", len(list), 0)
	list, err = s.GatesOfEvent(ctx, f.event.ID)
	must(t, "GatesOfEvent after refusals", err)
	equal(t, "GatesOfEvent after refusals", len(list), 2)
}

func testGateEnroll(t *testing.T, s ticketsync.Store, _ purchase.Store, c catalog.Store) {
	ctx := t.Context()
	f := setup(t, c)
	g := createGate(t, s, newGate(f.event.ID, "North", when(0)))
	enrolledAt := when(0).Add(time.Hour)
	cred := randomHex(32)
	got, err := s.EnrollGate(ctx, g.CodeHash, cred, enrolledAt)
	must(t, "EnrollGate", err)
	want := g
	want.CodeHash, want.CredentialHash, want.EnrolledAt = "", cred, stored(enrolledAt)
	equal(t, "EnrollGate", got, want)
	got, err = s.Gate(ctx, g.ID)
	must(t, "Gate after enrolment", err)
	equal(t, "Gate after enrolment", got, want)
	_, err = s.EnrollGate(ctx, g.CodeHash, randomHex(32), enrolledAt)
	is(t, "EnrollGate with a used code", err, ticketsync.ErrNotFound)
	got, err = s.GateByCredential(ctx, cred)
	must(t, "GateByCredential", err)
	equal(t, "GateByCredential", got, want)
	_, err = s.GateByCredential(ctx, randomHex(32))
	is(t, "GateByCredential unknown", err, ticketsync.ErrNotFound)
	_, err = s.GateByCredential(ctx, "")
	is(t, "GateByCredential empty", err, ticketsync.ErrNotFound)
	_, err = s.EnrollGate(ctx, randomHex(32), randomHex(32), enrolledAt)
	is(t, "EnrollGate with an unknown code", err, ticketsync.ErrNotFound)
	_, err = s.EnrollGate(ctx, "", randomHex(32), enrolledAt)
	is(t, "EnrollGate with an empty code", err, ticketsync.ErrNotFound)

	// The code expires at CodeExpiresAt, and stays unused.
	late := createGate(t, s, newGate(f.event.ID, "Late", when(0)))
	for _, at := range []time.Time{late.CodeExpiresAt, late.CodeExpiresAt.Add(time.Hour)} {
		_, err = s.EnrollGate(ctx, late.CodeHash, randomHex(32), at)
		is(t, "EnrollGate at "+at.String(), err, ticketsync.ErrExpired)
	}
	got, err = s.Gate(ctx, late.ID)
	must(t, "Gate after expired enrolment", err)
	equal(t, "Gate after expired enrolment", got, late)
	_, err = s.EnrollGate(ctx, late.CodeHash, randomHex(32), late.CodeExpiresAt.Add(-time.Microsecond))
	must(t, "EnrollGate just before expiry", err)

	// A zero expiry never expires.
	forever := newGate(f.event.ID, "Forever", when(0))
	forever.CodeExpiresAt = time.Time{}
	createGate(t, s, forever)
	_, err = s.EnrollGate(ctx, forever.CodeHash, randomHex(32), when(1000))
	must(t, "EnrollGate without expiry", err)

	revoked := createGate(t, s, newGate(f.event.ID, "Revoked", when(0)))
	_, err = s.RevokeGate(ctx, revoked.ID, when(0))
	must(t, "RevokeGate", err)
	_, err = s.EnrollGate(ctx, revoked.CodeHash, randomHex(32), when(0))
	is(t, "EnrollGate of a revoked gate", err, ticketsync.ErrRevoked)

	// A credential is one gate's.
	other := createGate(t, s, newGate(f.event.ID, "Other", when(0)))
	_, err = s.EnrollGate(ctx, other.CodeHash, cred, enrolledAt)
	is(t, "EnrollGate with another gate's credential", err, ticketsync.ErrExists)
	got, err = s.Gate(ctx, other.ID)
	must(t, "Gate after refused credential", err)
	equal(t, "Gate after refused credential", got, other)
}

func testGateRevoke(t *testing.T, s ticketsync.Store, _ purchase.Store, c catalog.Store) {
	ctx := t.Context()
	f := setup(t, c)
	g := createGate(t, s, newGate(f.event.ID, "North", when(0)))
	cred := randomHex(32)
	g, err := s.EnrollGate(ctx, g.CodeHash, cred, when(0))
	must(t, "EnrollGate", err)
	got, err := s.RevokeGate(ctx, g.ID, when(1))
	must(t, "RevokeGate", err)
	want := g
	want.RevokedAt = stored(when(1))
	equal(t, "RevokeGate", got, want)
	got, err = s.RevokeGate(ctx, g.ID, when(2))
	must(t, "RevokeGate again", err)
	equal(t, "RevokeGate again", got, want)
	got, err = s.Gate(ctx, g.ID)
	must(t, "Gate after revoking", err)
	equal(t, "Gate after revoking", got, want)
	got, err = s.GateByCredential(ctx, cred)
	must(t, "GateByCredential of a revoked gate", err)
	equal(t, "GateByCredential of a revoked gate", got, want)
	_, err = s.RevokeGate(ctx, id.New("gat"), when(1))
	is(t, "RevokeGate unknown", err, ticketsync.ErrNotFound)
}

// One code enrolls one device, however many try at once.
func testGateConcurrentEnroll(t *testing.T, s ticketsync.Store, _ purchase.Store, c catalog.Store) {
	ctx := t.Context()
	f := setup(t, c)
	g := createGate(t, s, newGate(f.event.ID, "North", when(0)))
	const n = 10
	creds, errs := make([]string, n), make([]error, n)
	var wg gosync.WaitGroup
	for i := range n {
		creds[i] = randomHex(32)
		wg.Go(func() { _, errs[i] = s.EnrollGate(ctx, g.CodeHash, creds[i], when(0)) })
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("enrolments %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, ticketsync.ErrNotFound):
			t.Errorf("enrolment %d: %v, want ErrNotFound", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no enrolment succeeded")
	}
	got, err := s.GateByCredential(ctx, creds[winner])
	must(t, "GateByCredential of the winner", err)
	equal(t, "winner's gate", got.ID, g.ID)
	for i, cred := range creds {
		if i != winner {
			_, err := s.GateByCredential(ctx, cred)
			is(t, "GateByCredential of a loser", err, ticketsync.ErrNotFound)
		}
	}
}

// checkinChange is the log entry every backend makes of c at seq.
func checkinChange(c changelog.Checkin, seq int64) changelog.Change {
	return changelog.Change{
		EventID: c.EventID, Seq: seq, Kind: changelog.KindCheckin, TicketID: c.TicketID, TypeNumber: c.TypeNumber,
		At: stored(c.At), CheckinID: c.ID, GateID: c.GateID, Direction: c.Direction, Offline: c.Offline,
	}
}

func testCheckinsIdempotent(t *testing.T, s ticketsync.Store, p purchase.Store, c catalog.Store) {
	ctx := t.Context()
	f := setup(t, c)
	g := createGate(t, s, newGate(f.event.ID, "North", when(0)))
	t1, t2 := newTicketID(), newTicketID()
	cs := []changelog.Checkin{checkin(g, t1, when(0)), checkin(g, t2, when(0).Add(time.Second))}
	cs[1].Offline = true
	res := record(t, s, g, 2, cs...)
	equal(t, "conflicts", len(res.Conflicts), 0)

	// A resend stores and logs nothing, and is no conflict.
	res = record(t, s, g, 0, cs...)
	equal(t, "conflicts of a resend", len(res.Conflicts), 0)
	// Part resend, part new; a repeated id within a batch counts once.
	third := checkin(g, newTicketID(), when(0).Add(2*time.Second))
	record(t, s, g, 1, cs[1], third, third)
	changes, err := p.Changes(ctx, f.event.ID, 0, changelog.MaxChanges)
	must(t, "Changes", err)
	equal(t, "change log", changes, []changelog.Change{checkinChange(cs[0], 1), checkinChange(cs[1], 2), checkinChange(third, 3)})
	cfs, err := s.Conflicts(ctx, f.event.ID, 10)
	must(t, "Conflicts", err)
	equal(t, "conflicts", len(cfs), 0)

	// An empty batch is fine.
	record(t, s, g, 0)
}

func testCheckinsInvalid(t *testing.T, s ticketsync.Store, p purchase.Store, c catalog.Store) {
	ctx := t.Context()
	f := setup(t, c)
	g := createGate(t, s, newGate(f.event.ID, "North", when(0)))
	other := createGate(t, s, newGate(f.event.ID, "South", when(0)))
	good := checkin(g, newTicketID(), when(0))
	bad := map[string]func(*changelog.Checkin){
		"another event": func(c *changelog.Checkin) { c.EventID = "ev_0000000000000404" },
		"another gate":  func(c *changelog.Checkin) { c.GateID = other.ID },
		"no id":         func(c *changelog.Checkin) { c.ID = "" },
		"no ticket":     func(c *changelog.Checkin) { c.TicketID = "" },
		"bad direction": func(c *changelog.Checkin) { c.Direction = "sideways" },
	}
	for name, change := range bad {
		b := checkin(g, newTicketID(), when(0))
		change(&b)
		_, err := s.RecordCheckins(ctx, g, []changelog.Checkin{good, b}, when(0))
		is(t, "RecordCheckins with "+name, err, ticketsync.ErrInvalid)
	}
	tooMany := make([]changelog.Checkin, ticketsync.MaxBatch+1)
	for i := range tooMany {
		tooMany[i] = checkin(g, newTicketID(), when(0))
	}
	_, err := s.RecordCheckins(ctx, g, tooMany, when(0))
	is(t, "RecordCheckins over MaxBatch", err, ticketsync.ErrInvalid)
	unknown := newGate(f.event.ID, "Not stored", when(0))
	_, err = s.RecordCheckins(ctx, unknown, []changelog.Checkin{checkin(unknown, newTicketID(), when(0))}, when(0))
	is(t, "RecordCheckins of an unknown gate", err, ticketsync.ErrNotFound)
	changes, err := p.Changes(ctx, f.event.ID, 0, changelog.MaxChanges)
	must(t, "Changes", err)
	equal(t, "change log after refusals", len(changes), 0)

	// Nothing of a refused batch was stored; a full batch is fine.
	record(t, s, g, ticketsync.MaxBatch, append(tooMany[:ticketsync.MaxBatch-1], good)...)
	changes, err = p.Changes(ctx, f.event.ID, 0, changelog.MaxChanges)
	must(t, "Changes", err)
	equal(t, "change log of a full batch", len(changes), ticketsync.MaxBatch)
}

// Check-ins and tickets issued, transferred and revoked share one log.
func testCheckinsChanges(t *testing.T, s ticketsync.Store, p purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh, o := orderedShop(t, p, c, 2)
	tickets := ticketsFor(sh, o, 2, when(0))
	_, err := p.MarkPaid(ctx, o.ID, "pi_1", when(0), tickets)
	must(t, "MarkPaid", err)
	north := createGate(t, s, newGate(sh.event.ID, "North", when(0)))
	exit := newGate(sh.event.ID, "Exit", when(0))
	exit.Direction = bundle.Exit
	exit = createGate(t, s, exit)

	in := checkin(north, tickets[0].ID, when(0).Add(time.Hour))
	in.TypeNumber = sh.types[0].Number
	record(t, s, north, 1, in)
	next := ticketsFor(sh, o, 1, when(0).Add(2*time.Hour))[0]
	next.Replaces, next.Lineage = tickets[1].ID, tickets[1].ID
	_, err = p.Transfer(ctx, tickets[1].ID, o.BuyerID, next, when(0).Add(2*time.Hour))
	must(t, "Transfer", err)
	out := checkin(exit, tickets[0].ID, when(0).Add(3*time.Hour))
	out.Offline = true
	record(t, s, exit, 1, out)

	changes := wantChanges(t, p, sh.event.ID,
		"issue "+tickets[0].ID, "issue "+tickets[1].ID, "checkin "+tickets[0].ID,
		"revoke "+tickets[1].ID, "issue "+next.ID, "checkin "+tickets[0].ID)
	if len(changes) == 6 {
		equal(t, "entry's log entry", changes[2], checkinChange(in, 3))
		equal(t, "exit's log entry", changes[5], checkinChange(out, 6))
	}
}

func testConflicts(t *testing.T, s ticketsync.Store, _ purchase.Store, c catalog.Store) {
	ctx := t.Context()
	f := setup(t, c)
	a := createGate(t, s, newGate(f.event.ID, "A", when(0)))
	b := createGate(t, s, newGate(f.event.ID, "B", when(0)))
	x := newGate(f.event.ID, "Exit", when(0))
	x.Direction = bundle.Exit
	x = createGate(t, s, x)
	t1, t2, t3, t4 := newTicketID(), newTicketID(), newTicketID(), newTicketID()
	at := func(minutes int) time.Time { return when(0).Add(time.Duration(minutes) * time.Minute) }
	received := stored(when(0).Add(time.Hour))

	// Two gates admit t1: one conflict naming both.
	first := checkin(a, t1, at(0))
	record(t, s, a, 1, first)
	second := checkin(b, t1, at(5))
	second.Offline = true
	res := record(t, s, b, 1, second)
	c1 := ticketsync.Conflict{EventID: f.event.ID, TicketID: t1, First: side(first), Second: side(second), DetectedAt: received}
	equal(t, "conflicts of the second entry", res.Conflicts, []ticketsync.Conflict{c1})
	// A resend is no new conflict.
	res = record(t, s, b, 0, second)
	equal(t, "conflicts of a resend", len(res.Conflicts), 0)

	// Entry, exit, entry: no conflict; an exit of a ticket outside is
	// none either.
	res = record(t, s, a, 1, checkin(a, t2, at(1)))
	res.Conflicts = append(res.Conflicts, record(t, s, x, 2, checkin(x, t2, at(2)), checkin(x, t3, at(2))).Conflicts...)
	res.Conflicts = append(res.Conflicts, record(t, s, b, 2, checkin(b, t2, at(3)), checkin(b, t3, at(3))).Conflicts...)
	equal(t, "conflicts of entries after exits", len(res.Conflicts), 0)

	// t1 is still inside by the first entry: a third is another conflict
	// with it. Two entries in one batch conflict too.
	third := checkin(a, t1, at(10))
	t4a, t4b := checkin(a, t4, at(11)), checkin(a, t4, at(12))
	res = record(t, s, a, 3, third, t4a, t4b)
	c2 := ticketsync.Conflict{EventID: f.event.ID, TicketID: t1, First: side(first), Second: side(third), DetectedAt: received}
	c3 := ticketsync.Conflict{EventID: f.event.ID, TicketID: t4, First: side(t4a), Second: side(t4b), DetectedAt: received}
	equal(t, "conflicts of the third entry and a double entry in one batch", res.Conflicts, []ticketsync.Conflict{c2, c3})

	got, err := s.Conflicts(ctx, f.event.ID, 10)
	must(t, "Conflicts", err)
	equal(t, "Conflicts", got, []ticketsync.Conflict{c1, c2, c3})
	got, err = s.Conflicts(ctx, f.event.ID, 2)
	must(t, "Conflicts limit 2", err)
	equal(t, "Conflicts limit 2", got, []ticketsync.Conflict{c1, c2})
	got, err = s.Conflicts(ctx, "ev_0000000000000404", 10)
	must(t, "Conflicts of an unknown event", err)
	equal(t, "Conflicts of an unknown event", len(got), 0)
	_, err = s.Conflicts(ctx, f.event.ID, 0)
	is(t, "Conflicts limit 0", err, ticketsync.ErrInvalid)
}

// Gates uploading at once while tickets are sold get one gapless log, and
// exactly the conflicts their check-ins make: replaying the log's
// check-ins in order by the rules of RecordCheckins gives the stored
// conflicts. The shared tickets were in and out before, so each upload
// changes state a concurrent one reads: a store that decides on stale
// state misses conflicts.
func testConcurrentCheckins(t *testing.T, s ticketsync.Store, p purchase.Store, c catalog.Store) {
	ctx := t.Context()
	sh, o := orderedShop(t, p, c, 5)
	const (
		gates  = 8
		shared = 10 // tickets every gate admits: 7 conflicts each
		own    = 3  // tickets one gate admits, lets out and admits again
		chunk  = 3
	)
	gs := make([]ticketsync.Gate, gates)
	exits := make([]ticketsync.Gate, gates)
	for i := range gs {
		gs[i] = createGate(t, s, newGate(sh.event.ID, fmt.Sprintf("Entry %d", i), when(0)))
		x := newGate(sh.event.ID, fmt.Sprintf("Exit %d", i), when(0))
		x.Direction = bundle.Exit
		exits[i] = createGate(t, s, x)
	}
	sharedTickets := make([]string, shared)
	for i := range sharedTickets {
		sharedTickets[i] = newTicketID()
		record(t, s, gs[0], 1, checkin(gs[0], sharedTickets[i], when(0)))
		record(t, s, exits[0], 1, checkin(exits[0], sharedTickets[i], when(0)))
	}

	var wg gosync.WaitGroup
	errs := make(chan error, gates+1)
	returned := make(chan int, gates)
	for i, g := range gs {
		wg.Go(func() {
			var batch []changelog.Checkin
			for _, tk := range sharedTickets {
				batch = append(batch, checkin(g, tk, when(0)))
			}
			for range own {
				tk := newTicketID()
				batch = append(batch, checkin(g, tk, when(0)), checkin(exits[i], tk, when(0)), checkin(g, tk, when(0)))
			}
			n := 0
			for len(batch) > 0 {
				// One call per run of one gate's check-ins, at most chunk.
				k := 1
				for k < min(chunk, len(batch)) && batch[k].GateID == batch[0].GateID {
					k++
				}
				g := gs[i]
				if batch[0].GateID == exits[i].ID {
					g = exits[i]
				}
				res, err := s.RecordCheckins(ctx, g, batch[:k], when(0))
				if err != nil {
					errs <- err
					return
				}
				n += len(res.Conflicts)
				batch = batch[k:]
			}
			returned <- n
		})
	}
	wg.Go(func() {
		_, err := p.MarkPaid(ctx, o.ID, "pi_1", when(0), ticketsFor(sh, o, 5, when(0)))
		errs <- err
	})
	wg.Wait()
	close(errs)
	close(returned)
	for err := range errs {
		must(t, "concurrent upload", err)
	}
	total := 0
	for n := range returned {
		total += n
	}
	equal(t, "conflicts returned", total, (gates-1)*shared)

	changes, err := p.Changes(ctx, sh.event.ID, 0, changelog.MaxChanges)
	must(t, "Changes", err)
	equal(t, "log length", len(changes), 2*shared+gates*(shared+3*own)+5)
	inside := make(map[string]ticketsync.ConflictSide)
	var want []ticketsync.Conflict
	for i, ch := range changes {
		if ch.Seq != int64(i+1) {
			t.Fatalf("entry %d has seq %d", i, ch.Seq)
		}
		if ch.Kind != changelog.KindCheckin {
			continue
		}
		sd := ticketsync.ConflictSide{TicketID: ch.TicketID, CheckinID: ch.CheckinID, GateID: ch.GateID, At: ch.At, Offline: ch.Offline}
		first, ok := inside[ch.TicketID]
		switch {
		case ch.Direction == bundle.Exit:
			delete(inside, ch.TicketID)
		case ok:
			want = append(want, ticketsync.Conflict{EventID: sh.event.ID, TicketID: ch.TicketID, First: first, Second: sd, DetectedAt: stored(when(0))})
		default:
			inside[ch.TicketID] = sd
		}
	}
	equal(t, "conflicts replayed from the log", len(want), (gates-1)*shared)
	got, err := s.Conflicts(ctx, sh.event.ID, 1000)
	must(t, "Conflicts", err)
	equal(t, "conflicts stored", got, want)
}
