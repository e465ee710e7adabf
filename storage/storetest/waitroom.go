package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/waitroom"
)

// RunWaitroom runs the waitroom.Store conformance subtests. open returns
// a new, empty store for each subtest, as the two interfaces over the
// same data.
func RunWaitroom(t *testing.T, open func(t *testing.T) (waitroom.Store, catalog.Store)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, w waitroom.Store, c catalog.Store)
	}{
		{"Room/RoundTrip", testRoomRoundTrip},
		{"Join/OnePlacePerAccount", testJoinOnce},
		{"Join/Concurrent", testJoinConcurrent},
		{"Join/AfterExpiry", testJoinAfterExpiry},
		{"Admit/Once", testAdmitOnce},
		{"Admit/Concurrent", testAdmitConcurrent},
		{"Admit/Stamp", testAdmitStamp},
		{"Admit/StampConcurrent", testAdmitStampConcurrent},
		{"DeleteEvent", testRoomDeletedWithEvent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, c := open(t)
			tt.fn(t, w, c)
		})
	}
}

// openRoom makes an event with a room that is on.
func openRoom(t *testing.T, w waitroom.Store, c catalog.Store) waitroom.Room {
	t.Helper()
	f := setup(t, c)
	r, err := w.UpdateRoom(t.Context(), f.event.ID, t0, func(r *waitroom.Room) error {
		r.Enabled, r.AdmitPerMinute, r.AdmissionTTL, r.CreditFrom = true, 60, 10*time.Minute, t0
		return nil
	})
	must(t, "UpdateRoom", err)
	return r
}

func noCredit(*waitroom.Room) {}

// placeIs checks the account's place as the store has it.
func placeIs(t *testing.T, w waitroom.Store, what, eventID, userID string, want waitroom.Place) {
	t.Helper()
	got, err := w.Place(t.Context(), eventID, userID)
	must(t, what, err)
	equal(t, what, got, want)
}

// testRoomRoundTrip: a room is made by its first update (fn sees a zero
// room of the event), keeps what fn set in UTC to the microsecond, and
// an update that fails stores nothing.
func testRoomRoundTrip(t *testing.T, w waitroom.Store, c catalog.Store) {
	ctx := t.Context()
	f := setup(t, c)
	_, err := w.Room(ctx, f.event.ID)
	is(t, "Room of an event without one", err, waitroom.ErrNotFound)
	_, err = w.UpdateRoom(ctx, "ev_00000000000000ff", t0, func(*waitroom.Room) error { return nil })
	is(t, "UpdateRoom of no event", err, waitroom.ErrNotFound)
	_, err = w.UpdateRoom(ctx, f.event.ID, t0, func(*waitroom.Room) error { return errBoom })
	is(t, "a failing first update", err, errBoom)
	_, err = w.Room(ctx, f.event.ID)
	is(t, "Room after a failing first update", err, waitroom.ErrNotFound)

	at := when(1)
	got, err := w.UpdateRoom(ctx, f.event.ID, at, func(r *waitroom.Room) error {
		equal(t, "the room fn sees first", *r, waitroom.Room{EventID: f.event.ID})
		r.Enabled, r.AdmitPerMinute = true, 120
		r.AdmissionTTL = 10*time.Minute + 1500*time.Nanosecond
		r.OpensAt, r.CreditFrom = when(2), when(2)
		r.EventID, r.Joined = "ev_other", 99 // the store's
		return nil
	})
	must(t, "UpdateRoom", err)
	want := waitroom.Room{EventID: f.event.ID, Enabled: true, AdmitPerMinute: 120, AdmissionTTL: 10*time.Minute + time.Microsecond,
		OpensAt: stored(when(2)), CreditFrom: stored(when(2)), UpdatedAt: stored(at)}
	equal(t, "UpdateRoom", got, want)
	got, err = w.Room(ctx, f.event.ID)
	must(t, "Room", err)
	equal(t, "Room", got, want)

	_, err = w.UpdateRoom(ctx, f.event.ID, when(3), func(r *waitroom.Room) error {
		r.Enabled = false
		return errBoom
	})
	is(t, "a failing update", err, errBoom)
	_, err = w.UpdateRoom(ctx, f.event.ID, when(3), func(r *waitroom.Room) error {
		r.Admitted = 1 // nobody joined
		return nil
	})
	is(t, "admitting more than joined", err, waitroom.ErrInvalid)
	got, err = w.Room(ctx, f.event.ID)
	must(t, "Room", err)
	equal(t, "Room after refused updates", got, want)
}

// testJoinOnce: places are numbered in arrival order from 1; joining
// again is the same place, and fn is called for new places only.
func testJoinOnce(t *testing.T, w waitroom.Store, c catalog.Store) {
	ctx := t.Context()
	f := setup(t, c)
	_, _, err := w.Join(ctx, f.event.ID, "usr_a", t0, noCredit)
	is(t, "Join without a room", err, waitroom.ErrNotFound)
	r := openRoom(t, w, c)
	users := []string{"usr_c", "usr_a", "usr_b"}
	var places []waitroom.Place
	for i, u := range users {
		called := false
		p, created, err := w.Join(ctx, r.EventID, u, t0.Add(time.Duration(i)*time.Second), func(r *waitroom.Room) {
			called = true
			equal(t, "Joined as fn sees it", r.Joined, int64(i))
		})
		must(t, "Join", err)
		want := waitroom.Place{EventID: r.EventID, UserID: u, Seq: int64(i + 1), JoinedAt: t0.Add(time.Duration(i) * time.Second)}
		equal(t, "Join "+u, p, want)
		if !created || !called {
			t.Errorf("Join %s: created %v, fn called %v; want both", u, created, called)
		}
		places = append(places, p)
	}
	for i, u := range users {
		p, created, err := w.Join(ctx, r.EventID, u, t0.Add(time.Minute), func(*waitroom.Room) { t.Errorf("fn called joining %s again", u) })
		must(t, "Join again", err)
		equal(t, "Join again "+u, p, places[i])
		if created {
			t.Errorf("Join %s again: created", u)
		}
		got, err := w.Place(ctx, r.EventID, u)
		must(t, "Place", err)
		equal(t, "Place "+u, got, places[i])
	}
	_, err = w.Place(ctx, r.EventID, "usr_d")
	is(t, "Place of an account that did not join", err, waitroom.ErrNotFound)
	room, err := w.Room(ctx, r.EventID)
	must(t, "Room", err)
	if room.Joined != 3 || room.Admitted != 0 {
		t.Errorf("room joined %d, admitted %d; want 3 and 0", room.Joined, room.Admitted)
	}
}

// testJoinConcurrent: 20 accounts joining at once, each twice, get 20
// places numbered 1 to 20, one each.
func testJoinConcurrent(t *testing.T, w waitroom.Store, c catalog.Store) {
	ctx := t.Context()
	r := openRoom(t, w, c)
	const n = 20
	seqs := make([][2]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		for k := range 2 {
			wg.Go(func() {
				p, _, err := w.Join(ctx, r.EventID, fmt.Sprintf("usr_%02d", i), t0, noCredit)
				if err != nil {
					t.Errorf("Join: %v", err)
					return
				}
				seqs[i][k] = p.Seq
			})
		}
	}
	wg.Wait()
	seen := make(map[int64]bool)
	for i, s := range seqs {
		if s[0] != s[1] {
			t.Errorf("usr_%02d joined twice as places %d and %d", i, s[0], s[1])
		}
		if s[0] < 1 || s[0] > n || seen[s[0]] {
			t.Errorf("usr_%02d has place %d: not in 1..%d or taken", i, s[0], n)
		}
		seen[s[0]] = true
	}
	room, err := w.Room(ctx, r.EventID)
	must(t, "Room", err)
	equal(t, "Joined", room.Joined, int64(n))
}

// testJoinAfterExpiry: an account whose admission expired joins again at
// the end of the queue, in place of its old place.
func testJoinAfterExpiry(t *testing.T, w waitroom.Store, c catalog.Store) {
	ctx := t.Context()
	r := openRoom(t, w, c)
	for _, u := range []string{"usr_a", "usr_b"} {
		_, _, err := w.Join(ctx, r.EventID, u, t0, noCredit)
		must(t, "Join", err)
	}
	_, err := w.UpdateRoom(ctx, r.EventID, t0, func(r *waitroom.Room) error { r.Admitted = 1; return nil })
	must(t, "UpdateRoom", err)
	expires := t0.Add(r.AdmissionTTL)
	p, created, err := w.Join(ctx, r.EventID, "usr_a", expires.Add(-time.Microsecond), noCredit)
	must(t, "Join before the admission expires", err)
	if created || p.Seq != 1 || !p.AdmittedAt.Equal(t0) || !p.ExpiresAt.Equal(expires) {
		t.Errorf("Join before expiry: %+v, created %v; want place 1 admitted at %v", p, created, t0)
	}
	p, created, err = w.Join(ctx, r.EventID, "usr_a", expires, func(r *waitroom.Room) { r.CreditFrom = when(5) })
	must(t, "Join after the admission expired", err)
	want := waitroom.Place{EventID: r.EventID, UserID: "usr_a", Seq: 3, JoinedAt: expires}
	if !created {
		t.Error("Join after expiry: not created")
	}
	equal(t, "Join after expiry", p, want)
	placeIs(t, w, "Place after expiry", r.EventID, "usr_a", want)
	room, err := w.Room(ctx, r.EventID)
	must(t, "Room", err)
	if room.Joined != 3 || room.Admitted != 1 || !room.CreditFrom.Equal(stored(when(5))) {
		t.Errorf("room %+v: want joined 3, admitted 1, credit from fn's %v", room, stored(when(5)))
	}
}

// testAdmitOnce: raising Admitted admits the places it passes at the
// update's time, each once; Admitted never goes down.
func testAdmitOnce(t *testing.T, w waitroom.Store, c catalog.Store) {
	ctx := t.Context()
	r := openRoom(t, w, c)
	users := []string{"usr_a", "usr_b", "usr_c", "usr_d", "usr_e"}
	for _, u := range users {
		_, _, err := w.Join(ctx, r.EventID, u, t0, noCredit)
		must(t, "Join", err)
	}
	t1, t2 := when(1), when(2)
	_, err := w.UpdateRoom(ctx, r.EventID, t1, func(r *waitroom.Room) error { r.Admitted = 2; return nil })
	must(t, "admit 2", err)
	_, err = w.UpdateRoom(ctx, r.EventID, t2, func(r *waitroom.Room) error { r.Admitted = 4; return nil })
	must(t, "admit 4", err)
	_, err = w.UpdateRoom(ctx, r.EventID, t2, func(r *waitroom.Room) error { r.Admitted = 3; return nil })
	is(t, "Admitted going down", err, waitroom.ErrInvalid)
	_, err = w.UpdateRoom(ctx, r.EventID, t2, func(r *waitroom.Room) error { r.Admitted = 6; return nil })
	is(t, "Admitted past Joined", err, waitroom.ErrInvalid)
	for i, u := range users {
		p, err := w.Place(ctx, r.EventID, u)
		must(t, "Place", err)
		var at time.Time
		switch {
		case i < 2:
			at = stored(t1)
		case i < 4:
			at = stored(t2)
		}
		want := waitroom.Place{EventID: r.EventID, UserID: u, Seq: int64(i + 1), JoinedAt: t0, AdmittedAt: at}
		if !at.IsZero() {
			want.ExpiresAt = at.Add(r.AdmissionTTL)
		}
		equal(t, "Place "+u, p, want)
	}
}

// testAdmitConcurrent: 20 updates at once, each admitting one more place
// at its own time, admit 20 places, each by exactly one of them.
func testAdmitConcurrent(t *testing.T, w waitroom.Store, c catalog.Store) {
	ctx := t.Context()
	r := openRoom(t, w, c)
	const n, joined = 20, 25
	for i := range joined {
		_, _, err := w.Join(ctx, r.EventID, fmt.Sprintf("usr_%02d", i), t0, noCredit)
		must(t, "Join", err)
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := w.UpdateRoom(ctx, r.EventID, t0.Add(time.Duration(i+1)*time.Second), func(r *waitroom.Room) error {
				r.Admitted++
				return nil
			})
			if err != nil {
				t.Errorf("UpdateRoom: %v", err)
			}
		})
	}
	wg.Wait()
	room, err := w.Room(ctx, r.EventID)
	must(t, "Room", err)
	equal(t, "Admitted", room.Admitted, int64(n))
	by := make(map[time.Time]int64) // admission time -> place
	for i := range joined {
		p, err := w.Place(ctx, r.EventID, fmt.Sprintf("usr_%02d", i))
		must(t, "Place", err)
		if p.Seq > n {
			if p.Admitted() {
				t.Errorf("place %d admitted at %v; only %d were", p.Seq, p.AdmittedAt, n)
			}
			continue
		}
		if prev, ok := by[p.AdmittedAt]; ok || !p.Admitted() {
			t.Errorf("place %d admitted at %v (place %d was too, %v)", p.Seq, p.AdmittedAt, prev, ok)
		}
		by[p.AdmittedAt] = p.Seq
	}
}

// testAdmitStamp: Admit stamps one place at the time fn gives, with
// the room's TTL, without writing the room's record; it calls fn with
// the room and place as stored, not for a place already admitted, and
// stores nothing when fn says not due. UpdateRoom moving the cursor
// past a stamped place keeps its stamp.
func testAdmitStamp(t *testing.T, w waitroom.Store, c catalog.Store) {
	ctx := t.Context()
	r := openRoom(t, w, c)
	_, err := w.Admit(ctx, r.EventID, "usr_a", func(waitroom.Room, waitroom.Place) (time.Time, bool) { return t0, true })
	is(t, "Admit of a place nobody has", err, waitroom.ErrNotFound)
	_, err = w.Admit(ctx, "ev_00000000000000ff", "usr_a", func(waitroom.Room, waitroom.Place) (time.Time, bool) { return t0, true })
	is(t, "Admit without a room", err, waitroom.ErrNotFound)
	var joined []waitroom.Place
	for _, u := range []string{"usr_a", "usr_b", "usr_c"} {
		p, _, err := w.Join(ctx, r.EventID, u, t0, noCredit)
		must(t, "Join", err)
		joined = append(joined, p)
	}
	before, err := w.Room(ctx, r.EventID)
	must(t, "Room", err)

	p, err := w.Admit(ctx, r.EventID, "usr_b", func(room waitroom.Room, p waitroom.Place) (time.Time, bool) {
		equal(t, "the room Admit's fn sees", room, before)
		equal(t, "the place Admit's fn sees", p, joined[1])
		return time.Time{}, false
	})
	must(t, "Admit not due", err)
	equal(t, "Admit not due", p, joined[1])
	at := when(1).Add(1500 * time.Nanosecond)
	p, err = w.Admit(ctx, r.EventID, "usr_b", func(waitroom.Room, waitroom.Place) (time.Time, bool) { return at, true })
	must(t, "Admit", err)
	want := joined[1]
	want.AdmittedAt, want.ExpiresAt = stored(at), stored(at).Add(r.AdmissionTTL)
	equal(t, "Admit", p, want)
	p, err = w.Admit(ctx, r.EventID, "usr_b", func(waitroom.Room, waitroom.Place) (time.Time, bool) {
		t.Error("fn called for a place admitted already")
		return when(2), true
	})
	must(t, "Admit again", err)
	equal(t, "Admit again", p, want)
	placeIs(t, w, "Place after Admit", r.EventID, "usr_b", want)
	after, err := w.Room(ctx, r.EventID)
	must(t, "Room", err)
	equal(t, "the room after Admit", after, before)

	// The cursor passes usr_a (stamped at now) and usr_b (kept).
	_, err = w.UpdateRoom(ctx, r.EventID, when(3), func(r *waitroom.Room) error { r.Admitted = 2; return nil })
	must(t, "UpdateRoom", err)
	placeIs(t, w, "the stamped place after the cursor passed it", r.EventID, "usr_b", want)
	got, err := w.Place(ctx, r.EventID, "usr_a")
	must(t, "Place", err)
	if !got.AdmittedAt.Equal(stored(when(3))) {
		t.Errorf("usr_a admitted at %v, want the update's %v", got.AdmittedAt, stored(when(3)))
	}
	placeIs(t, w, "the place after the cursor", r.EventID, "usr_c", joined[2])
}

// testAdmitStampConcurrent: 20 Admits of one place at once, each with
// its own time, stamp it once: every one returns the same stamp.
func testAdmitStampConcurrent(t *testing.T, w waitroom.Store, c catalog.Store) {
	ctx := t.Context()
	r := openRoom(t, w, c)
	_, _, err := w.Join(ctx, r.EventID, "usr_a", t0, noCredit)
	must(t, "Join", err)
	const n = 20
	got := make([]waitroom.Place, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			at := t0.Add(time.Duration(i+1) * time.Second)
			p, err := w.Admit(ctx, r.EventID, "usr_a", func(waitroom.Room, waitroom.Place) (time.Time, bool) { return at, true })
			if err != nil {
				t.Errorf("Admit: %v", err)
			}
			got[i] = p
		})
	}
	wg.Wait()
	stamp, err := w.Place(ctx, r.EventID, "usr_a")
	must(t, "Place", err)
	if !stamp.Admitted() {
		t.Fatalf("place %+v not admitted", stamp)
	}
	for i, p := range got {
		equal(t, fmt.Sprintf("Admit %d", i), p, stamp)
	}
}

// testRoomDeletedWithEvent: deleting an event (one never held) deletes
// its room and places.
func testRoomDeletedWithEvent(t *testing.T, w waitroom.Store, c catalog.Store) {
	ctx := t.Context()
	r := openRoom(t, w, c)
	_, _, err := w.Join(ctx, r.EventID, "usr_a", t0, noCredit)
	must(t, "Join", err)
	must(t, "DeleteEvent", c.DeleteEvent(ctx, r.EventID, func(catalog.Event) error { return nil }))
	_, err = w.Room(ctx, r.EventID)
	is(t, "Room of a deleted event", err, waitroom.ErrNotFound)
	_, err = w.Place(ctx, r.EventID, "usr_a")
	is(t, "Place in a deleted event's queue", err, waitroom.ErrNotFound)
}
