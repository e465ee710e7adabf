package waitroom_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/internal/testclock"
	"github.com/admitone/admitone/storage/bolt"
	"github.com/admitone/admitone/waitroom"
)

// The service runs over the real embedded store; the PostgreSQL store
// is checked by storage/storetest and, two processes at a time, by
// httpapi's TestWaitingRoomTwoProcesses.

var t0 = time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)

type fixture struct {
	db    *bolt.DB
	clock *testclock.Clock
	svc   *waitroom.Service
	event string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := t.Context()
	org := catalog.Organization{ID: id.New("org"), Name: "Org", CreatedAt: t0}
	venue := catalog.Venue{ID: id.New("ven"), OrgID: org.ID, Name: "Hall", City: "Berlin", Country: "DE", CreatedAt: t0}
	ev := catalog.Event{ID: ticketcrypto.NewEventID().String(), OrgID: org.ID, VenueID: venue.ID, Title: "Show", Category: "music",
		TimeZone: "Europe/Berlin", StartsAt: t0.Add(30 * 24 * time.Hour), EndsAt: t0.Add(30*24*time.Hour + 3*time.Hour),
		Status: catalog.StatusPublished, CreatedAt: t0, UpdatedAt: t0}
	for _, err := range []error{db.CreateOrg(ctx, org), db.CreateVenue(ctx, venue), db.CreateEvent(ctx, ev)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	clock := testclock.New(t0)
	var key ticketcrypto.SealKey
	key[0] = 7
	return &fixture{db: db, clock: clock, event: ev.ID,
		svc: &waitroom.Service{Store: db, Catalog: db, Key: waitroom.KeyFromSeal(&key), Now: clock.Now}}
}

// other is a second service over the same store, as a second server
// process would have.
func (f *fixture) other() *waitroom.Service {
	s := *f.svc
	return &s
}

func (f *fixture) configure(t *testing.T, set waitroom.Settings) waitroom.View {
	t.Helper()
	v, err := f.svc.Configure(t.Context(), f.event, set)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (f *fixture) join(t *testing.T, user string) waitroom.Status {
	t.Helper()
	st, err := f.svc.Join(t.Context(), f.event, user)
	if err != nil {
		t.Fatalf("Join %s: %v", user, err)
	}
	return st
}

func (f *fixture) status(t *testing.T, svc *waitroom.Service, user string) waitroom.Status {
	t.Helper()
	st, err := svc.Status(t.Context(), f.event, user)
	if err != nil {
		t.Fatalf("Status %s: %v", user, err)
	}
	return st
}

func users(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("usr_%03d", i)
	}
	return out
}

// crowd sets the room and has n accounts join it in order; it returns
// them.
func (f *fixture) crowd(t *testing.T, set waitroom.Settings, n int) []string {
	t.Helper()
	f.configure(t, set)
	us := users(n)
	for _, u := range us {
		f.join(t, u)
	}
	return us
}

// admitted returns which of users are admitted, asking each.
func (f *fixture) admitted(t *testing.T, svc *waitroom.Service, us []string) []string {
	t.Helper()
	var out []string
	for _, u := range us {
		if st := f.status(t, svc, u); st.Status == waitroom.StatusAdmitted {
			out = append(out, u)
		}
	}
	return out
}

func TestAdmitsAtTheRateInArrivalOrder(t *testing.T) {
	f := newFixture(t)
	f.configure(t, waitroom.Settings{Enabled: true, AdmitPerMinute: 60})
	us := users(10)
	for i, u := range us {
		st := f.join(t, u)
		want := waitroom.Status{EventID: f.event, Status: waitroom.StatusWaiting, Number: int64(i + 1), Position: int64(i + 1),
			Ahead: int64(i), EstimatedWaitSeconds: int64(i + 1), AdmitPerMinute: 60, JoinedAt: t0, RoomEnabled: true}
		if st != want {
			t.Errorf("Join %s:\n got %+v\nwant %+v", u, st, want)
		}
	}
	for k := 1; k <= 10; k++ {
		f.clock.Advance(time.Second)
		got := f.admitted(t, f.svc, us)
		if len(got) != k || got[k-1] != us[k-1] {
			t.Fatalf("after %d s: admitted %v, want the first %d in arrival order", k, got, k)
		}
		if k < 9 {
			st := f.status(t, f.svc, us[k+1])
			if st.Position != 2 || st.Ahead != 1 || st.EstimatedWaitSeconds != 2 {
				t.Errorf("after %d s, %s: position %d, ahead %d, wait %d s; want 2, 1, 2", k, us[k+1], st.Position, st.Ahead, st.EstimatedWaitSeconds)
			}
		}
		// Half a second more admits nobody.
		f.clock.Advance(500 * time.Millisecond)
		if got := f.admitted(t, f.svc, us); len(got) != k {
			t.Fatalf("after %d.5 s: %d admitted, want %d", k, len(got), k)
		}
		f.clock.Advance(-500 * time.Millisecond)
	}
	st := f.status(t, f.svc, us[0])
	if !st.AdmittedAt.Equal(t0.Add(time.Second)) || !st.ExpiresAt.Equal(t0.Add(time.Second+waitroom.DefaultAdmissionTTL)) || st.AdmissionToken == "" {
		t.Errorf("first admitted: %+v; want admitted at t0+1s, for %v, with a token", st, waitroom.DefaultAdmissionTTL)
	}
}

func TestAdmissionsPendingWhileNobodyAsksAreGivenAtOnce(t *testing.T) {
	f := newFixture(t)
	us := f.crowd(t, waitroom.Settings{Enabled: true, AdmitPerMinute: 120}, 50)
	f.clock.Advance(10 * time.Second)
	// Nobody polled for 10 s: 20 are due, and the first poll gives them,
	// whoever asks.
	last := f.status(t, f.svc, us[49])
	if last.Position != 30 || last.Ahead != 29 || last.EstimatedWaitSeconds != 15 {
		t.Errorf("last place: %+v; want position 30, 29 ahead, 15 s", last)
	}
	if got := f.admitted(t, f.svc, us); len(got) != 20 || got[19] != us[19] {
		t.Errorf("admitted %v, want the first 20", got)
	}
}

func TestJoinIsOnePlacePerAccount(t *testing.T) {
	f := newFixture(t)
	f.configure(t, waitroom.Settings{Enabled: true, AdmitPerMinute: 60})
	a := f.join(t, "usr_a")
	f.join(t, "usr_b")
	f.clock.Advance(100 * time.Millisecond)
	again := f.join(t, "usr_a")
	if again.Number != a.Number || !again.JoinedAt.Equal(a.JoinedAt) {
		t.Errorf("joining again: %+v, want the same place as %+v", again, a)
	}
	r, err := f.db.Room(t.Context(), f.event)
	if err != nil || r.Joined != 2 {
		t.Errorf("room: %+v (%v), want 2 joined", r, err)
	}
}

func TestNobodyAdmittedTwiceAcrossProcesses(t *testing.T) {
	f := newFixture(t)
	f.configure(t, waitroom.Settings{Enabled: true, AdmitPerMinute: 600})
	us := users(100)
	a, b := f.svc, f.other()
	var wg sync.WaitGroup
	for i, u := range us {
		svc := a
		if i%2 == 1 {
			svc = b
		}
		wg.Go(func() {
			if _, err := svc.Join(t.Context(), f.event, u); err != nil {
				t.Errorf("Join %s: %v", u, err)
			}
		})
	}
	wg.Wait()
	first := make(map[string]time.Time)
	for step := 1; step <= 6; step++ {
		f.clock.Advance(time.Second) // 10 a second
		// Everybody polls, through either process, at once.
		for i, u := range us {
			svc := a
			if (i+step)%2 == 1 {
				svc = b
			}
			wg.Go(func() {
				if _, err := svc.Status(t.Context(), f.event, u); err != nil {
					t.Errorf("Status %s: %v", u, err)
				}
			})
		}
		wg.Wait()
		n := 0
		for _, u := range us {
			p, err := f.db.Place(t.Context(), f.event, u)
			if err != nil {
				t.Fatal(err)
			}
			if !p.Admitted() {
				continue
			}
			n++
			if at, ok := first[u]; ok && !at.Equal(p.AdmittedAt) {
				t.Errorf("%s admitted at %v, then again at %v", u, at, p.AdmittedAt)
			}
			first[u] = p.AdmittedAt
		}
		if n != 10*step {
			t.Errorf("after %d s: %d admitted, want %d", step, n, 10*step)
		}
	}
	// The admitted are the first 60 places, in arrival order.
	for _, u := range us {
		p, _ := f.db.Place(t.Context(), f.event, u)
		if p.Admitted() != (p.Seq <= 60) {
			t.Errorf("place %d admitted %v", p.Seq, p.Admitted())
		}
	}
}

func TestBurstAfterAQuietSpell(t *testing.T) {
	f := newFixture(t)
	f.configure(t, waitroom.Settings{Enabled: true, AdmitPerMinute: 600})
	f.clock.Advance(time.Hour)
	us := users(100)
	for _, u := range us {
		f.join(t, u)
	}
	// An hour of nobody banks one second's worth, not an hour's.
	if got := f.admitted(t, f.svc, us); len(got) != int(waitroom.Burst(600)) {
		t.Errorf("admitted %d at once after a quiet hour, want %d", len(got), waitroom.Burst(600))
	}
	f.clock.Advance(time.Second)
	if got := f.admitted(t, f.svc, us); len(got) != 20 {
		t.Errorf("admitted %d a second later, want 20", len(got))
	}
}

func TestNoCrowdThroughBehindAPlaceNobodyPolled(t *testing.T) {
	f := newFixture(t)
	f.configure(t, waitroom.Settings{Enabled: true, AdmitPerMinute: 600})
	f.join(t, "usr_early")
	// Nobody asks for an hour: the early buyer is due, and the hour's
	// credit is not the crowd's.
	f.clock.Advance(time.Hour)
	us := users(100)
	for _, u := range us {
		f.join(t, u)
	}
	if got := f.admitted(t, f.svc, us); len(got) != int(waitroom.Burst(600)) {
		t.Errorf("admitted %d of the crowd at once, want %d", len(got), waitroom.Burst(600))
	}
	if st := f.status(t, f.svc, "usr_early"); st.Status != waitroom.StatusAdmitted {
		t.Errorf("the early buyer: %+v, want admitted", st)
	}
}

func TestAdmissionsStartAtOpensAt(t *testing.T) {
	f := newFixture(t)
	opens := t0.Add(time.Hour)
	v := f.configure(t, waitroom.Settings{Enabled: true, AdmitPerMinute: 60, OpensAt: opens, AdmissionTTL: 5 * time.Minute})
	if !v.OpensAt.Equal(opens) || v.AdmissionTTLSeconds != 300 {
		t.Errorf("view %+v: want opens at %v, 300 s", v, opens)
	}
	us := users(3)
	for _, u := range us {
		f.join(t, u)
	}
	if st := f.status(t, f.svc, us[0]); st.EstimatedWaitSeconds != 3601 {
		t.Errorf("first in line: wait %d s, want 3601", st.EstimatedWaitSeconds)
	}
	f.clock.Advance(time.Hour)
	if got := f.admitted(t, f.svc, us); len(got) != 0 {
		t.Errorf("admitted %v at the opening, want none yet", got)
	}
	f.clock.Advance(2 * time.Second)
	if got := f.admitted(t, f.svc, us); len(got) != 2 {
		t.Errorf("admitted %v 2 s after the opening, want 2", got)
	}
}

func TestCheckAdmission(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	// No room: holds need nothing.
	if err := f.svc.CheckAdmission(ctx, f.event, "usr_a", ""); err != nil {
		t.Errorf("no room: %v", err)
	}
	f.configure(t, waitroom.Settings{Enabled: true, AdmitPerMinute: 60})
	f.join(t, "usr_a")
	f.join(t, "usr_b")
	if err := f.svc.CheckAdmission(ctx, f.event, "usr_a", ""); !errors.Is(err, waitroom.ErrAdmissionRequired) {
		t.Errorf("no token: %v", err)
	}
	f.clock.Advance(time.Second)
	a := f.status(t, f.svc, "usr_a")
	if a.Status != waitroom.StatusAdmitted || a.AdmissionToken == "" {
		t.Fatalf("usr_a: %+v, want admitted with a token", a)
	}
	for _, c := range []struct {
		name, user, token string
		want              error
	}{
		{"its own token", "usr_a", a.AdmissionToken, nil},
		{"another account's token", "usr_b", a.AdmissionToken, waitroom.ErrAdmissionRequired},
		{"waiting, with a token", "usr_b", a.AdmissionToken[:len(a.AdmissionToken)-1] + "A", waitroom.ErrAdmissionRequired},
		{"no place", "usr_c", a.AdmissionToken, waitroom.ErrAdmissionRequired},
		{"a changed token", "usr_a", changed(a.AdmissionToken, 10), waitroom.ErrAdmissionRequired},
		{"a long token", "usr_a", a.AdmissionToken + string(make([]byte, 200)), waitroom.ErrAdmissionRequired},
	} {
		err := f.svc.CheckAdmission(ctx, f.event, c.user, c.token)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if err != nil && c.token != "" && len(c.token) > 8 && strings.Contains(err.Error(), c.token) {
			t.Errorf("%s: the error shows the token", c.name)
		}
	}
	// Another process checks the token as well.
	if err := f.other().CheckAdmission(ctx, f.event, "usr_a", a.AdmissionToken); err != nil {
		t.Errorf("the other process: %v", err)
	}
	// A room turned off lets holds through; on again, the token is needed again.
	f.configure(t, waitroom.Settings{Enabled: false, AdmitPerMinute: 60})
	if err := f.svc.CheckAdmission(ctx, f.event, "usr_c", ""); err != nil {
		t.Errorf("room off: %v", err)
	}
}

// changed is tok with its i-th character replaced by another.
func changed(tok string, i int) string {
	c := "A"
	if tok[i] == 'A' {
		c = "B"
	}
	return tok[:i] + c + tok[i+1:]
}

func TestExpiredAdmissionCannotHold(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.configure(t, waitroom.Settings{Enabled: true, AdmitPerMinute: 60, AdmissionTTL: 2 * time.Minute})
	f.join(t, "usr_a")
	f.clock.Advance(time.Second)
	a := f.status(t, f.svc, "usr_a")
	f.clock.Advance(2*time.Minute - time.Microsecond)
	if err := f.svc.CheckAdmission(ctx, f.event, "usr_a", a.AdmissionToken); err != nil {
		t.Errorf("just before expiry: %v", err)
	}
	f.clock.Advance(time.Microsecond)
	if err := f.svc.CheckAdmission(ctx, f.event, "usr_a", a.AdmissionToken); !errors.Is(err, waitroom.ErrAdmissionExpired) {
		t.Errorf("at expiry: %v, want ErrAdmissionExpired", err)
	}
	st := f.status(t, f.svc, "usr_a")
	if st.Status != waitroom.StatusExpired || st.AdmissionToken != "" {
		t.Errorf("status at expiry: %+v, want expired without a token", st)
	}
	// Joining again is a new place at the end; the old token is void.
	f.join(t, "usr_b")
	again := f.join(t, "usr_a")
	if again.Status != waitroom.StatusWaiting || again.Number != 3 {
		t.Errorf("joining after expiry: %+v, want waiting as number 3", again)
	}
	if err := f.svc.CheckAdmission(ctx, f.event, "usr_a", a.AdmissionToken); !errors.Is(err, waitroom.ErrAdmissionRequired) {
		t.Errorf("the old token on the new place: %v, want ErrAdmissionRequired", err)
	}
	f.clock.Advance(2 * time.Second)
	if st := f.status(t, f.svc, "usr_a"); st.Status != waitroom.StatusAdmitted || st.AdmissionToken == a.AdmissionToken {
		t.Errorf("the new place: %+v, want admitted with a new token", st)
	}
}

func TestJoinRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	if _, err := f.svc.Join(ctx, f.event, "usr_a"); !errors.Is(err, waitroom.ErrNoRoom) {
		t.Errorf("no room: %v", err)
	}
	f.configure(t, waitroom.Settings{Enabled: false, AdmitPerMinute: 60})
	if _, err := f.svc.Join(ctx, f.event, "usr_a"); !errors.Is(err, waitroom.ErrNoRoom) {
		t.Errorf("room off: %v", err)
	}
	if _, err := f.svc.Join(ctx, "ev_00000000000000ff", "usr_a"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("no event: %v", err)
	}
	if _, err := f.svc.Status(ctx, f.event, "usr_a"); !errors.Is(err, waitroom.ErrNotInQueue) {
		t.Errorf("status without a place: %v", err)
	}
}

func TestConfigureRefusesBadSettings(t *testing.T) {
	f := newFixture(t)
	before := f.configure(t, waitroom.Settings{Enabled: true, AdmitPerMinute: 60})
	for _, c := range []struct {
		set   waitroom.Settings
		field string
	}{
		{waitroom.Settings{Enabled: true}, "admit_per_minute"},
		{waitroom.Settings{Enabled: true, AdmitPerMinute: waitroom.MaxAdmitPerMinute + 1}, "admit_per_minute"},
		{waitroom.Settings{Enabled: true, AdmitPerMinute: 60, AdmissionTTL: 30 * time.Second}, "admission_ttl_seconds"},
		{waitroom.Settings{Enabled: true, AdmitPerMinute: 60, AdmissionTTL: 3 * time.Hour}, "admission_ttl_seconds"},
		{waitroom.Settings{Enabled: true, AdmitPerMinute: 60, OpensAt: t0.Add(400 * 24 * time.Hour)}, "opens_at"},
	} {
		_, err := f.svc.Configure(t.Context(), f.event, c.set)
		var fe *catalog.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%+v: %v, want a field error on %s", c.set, err, c.field)
		}
	}
	after, err := f.svc.Room(t.Context(), f.event)
	if err != nil || after != before {
		t.Errorf("room after refused settings: %+v (%v), want %+v", after, err, before)
	}
}

// countingStore counts the writes a service makes through it.
type countingStore struct {
	waitroom.Store
	mu                     sync.Mutex
	updates, joins, admits int
}

func (c *countingStore) UpdateRoom(ctx context.Context, eventID string, now time.Time, fn func(*waitroom.Room) error) (waitroom.Room, error) {
	c.mu.Lock()
	c.updates++
	c.mu.Unlock()
	return c.Store.UpdateRoom(ctx, eventID, now, fn)
}

func (c *countingStore) Join(ctx context.Context, eventID, userID string, now time.Time, fn func(*waitroom.Room)) (waitroom.Place, bool, error) {
	c.mu.Lock()
	c.joins++
	c.mu.Unlock()
	return c.Store.Join(ctx, eventID, userID, now, fn)
}

func (c *countingStore) Admit(ctx context.Context, eventID, userID string, fn func(waitroom.Room, waitroom.Place) (time.Time, bool)) (waitroom.Place, error) {
	c.mu.Lock()
	c.admits++
	c.mu.Unlock()
	return c.Store.Admit(ctx, eventID, userID, fn)
}

func (c *countingStore) writes() (updates, joins, admits int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.updates, c.joins, c.admits
}

// TestPollsDoNotWriteTheRoom: polls read; a poll that finds its place
// due stamps that place once (Store.Admit) and never rewrites the
// room's record, however many admissions are due and however often the
// queue is polled; waiting buyers' polls and hold checks write nothing.
func TestPollsDoNotWriteTheRoom(t *testing.T) {
	f := newFixture(t)
	us := f.crowd(t, waitroom.Settings{Enabled: true, AdmitPerMinute: 600}, 100)
	room, err := f.db.Room(t.Context(), f.event)
	if err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: f.db}
	svc := f.other()
	svc.Store = cs
	for step := 1; step <= 3; step++ {
		f.clock.Advance(time.Second) // 10 more due
		for range 3 {
			if got := f.admitted(t, svc, us); len(got) != 10*step {
				t.Fatalf("after %d s: %d admitted, want %d", step, len(got), 10*step)
			}
			for _, u := range us[10*step:] {
				if err := svc.CheckAdmission(t.Context(), f.event, u, ""); !errors.Is(err, waitroom.ErrAdmissionRequired) {
					t.Fatalf("hold check of %s: %v", u, err)
				}
			}
		}
		if updates, joins, admits := cs.writes(); updates != 0 || joins != 0 || admits != 10*step {
			t.Errorf("after %d s of polls: %d room updates, %d joins, %d admits; want 0, 0, %d (one per admission)", step, updates, joins, admits, 10*step)
		}
	}
	after, err := f.db.Room(t.Context(), f.event)
	if err != nil {
		t.Fatal(err)
	}
	if after != room {
		t.Errorf("the room's record after polls:\n got %+v\nwant %+v (not rewritten)", after, room)
	}
	if v, err := svc.Room(t.Context(), f.event); err != nil || v.Admitted != 30 || v.Waiting != 70 {
		t.Errorf("the organizer's view: %+v (%v), want 30 admitted, 70 waiting", v, err)
	}
}

// TestTokenSurvivesTheCursor: an admission stamped by a poll keeps its
// time and token when the organizer's change moves the room's cursor
// past it; places the cursor passes unpolled are admitted then.
func TestTokenSurvivesTheCursor(t *testing.T) {
	f := newFixture(t)
	f.crowd(t, waitroom.Settings{Enabled: true, AdmitPerMinute: 60}, 3)
	f.clock.Advance(1500 * time.Millisecond)
	a := f.status(t, f.svc, "usr_000")
	if a.Status != waitroom.StatusAdmitted || !a.AdmittedAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("usr_000: %+v, want admitted at t0+1s, when its turn came", a)
	}
	f.clock.Advance(time.Second) // usr_001 due at t0+2s, never polled
	f.configure(t, waitroom.Settings{Enabled: true, AdmitPerMinute: 30})
	again := f.status(t, f.svc, "usr_000")
	if again.AdmittedAt != a.AdmittedAt || again.AdmissionToken != a.AdmissionToken {
		t.Errorf("usr_000 after the cursor moved: %+v, want %+v", again, a)
	}
	if err := f.svc.CheckAdmission(t.Context(), f.event, "usr_000", a.AdmissionToken); err != nil {
		t.Errorf("the token after the cursor moved: %v", err)
	}
	if b := f.status(t, f.svc, "usr_001"); b.Status != waitroom.StatusAdmitted || !b.AdmittedAt.Equal(f.clock.Now()) {
		t.Errorf("usr_001: %+v, want admitted by the change, at %v", b, f.clock.Now())
	}
	if c := f.status(t, f.svc, "usr_002"); c.Status != waitroom.StatusWaiting || c.Position != 1 || c.EstimatedWaitSeconds != 2 {
		t.Errorf("usr_002: %+v, want waiting, next, 2 s at the new rate", c)
	}
}

// TestJoinAfterAnUnpolledAdmissionExpired: a buyer admitted by the
// clock who never polled until the admission expired gets a new place
// when joining again, at once.
func TestJoinAfterAnUnpolledAdmissionExpired(t *testing.T) {
	f := newFixture(t)
	f.configure(t, waitroom.Settings{Enabled: true, AdmitPerMinute: 60, AdmissionTTL: time.Minute})
	f.join(t, "usr_a")
	f.join(t, "usr_b")
	f.clock.Advance(2 * time.Minute)
	if st := f.status(t, f.svc, "usr_b"); st.Status != waitroom.StatusExpired {
		t.Errorf("usr_b: %+v, want expired", st)
	}
	if st := f.join(t, "usr_a"); st.Number != 3 {
		t.Errorf("usr_a joining after its unpolled admission expired: %+v, want a new place, number 3", st)
	}
}
