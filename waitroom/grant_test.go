package waitroom

import (
	"testing"
	"time"
)

// FuzzGrant checks Grant's promises for any room and time: it never
// admits more than wait, nor more than the rate allows since CreditFrom
// (plus nothing), and the credit it keeps never runs ahead of now.
func FuzzGrant(f *testing.F) {
	f.Add(true, 60, int64(10), int64(3), int64(5_000_000_000))
	f.Add(true, 60000, int64(1<<40), int64(0), int64(1<<62))
	f.Add(true, 7, int64(3), int64(3), int64(-5))
	f.Add(false, 60, int64(10), int64(0), int64(1e12))
	f.Fuzz(func(t *testing.T, enabled bool, rate int, joined, admitted, elapsed int64) {
		base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		if admitted < 0 || joined < admitted {
			return
		}
		r := Room{Enabled: enabled, AdmitPerMinute: rate, Joined: joined, Admitted: admitted, CreditFrom: base}
		now := base.Add(time.Duration(elapsed))
		n, cf := Grant(r, now)
		switch {
		case n < 0 || n > joined-admitted:
			t.Fatalf("granted %d of %d waiting", n, joined-admitted)
		case n > 0 && !enabled:
			t.Fatalf("granted %d with the room off", n)
		case n == 0 && !cf.Equal(base):
			t.Fatalf("granted none but moved the credit to %v", cf)
		case n > 0 && cf.After(now.Add(time.Microsecond)):
			t.Fatalf("credit at %v, after now %v", cf, now)
		}
		if n > 0 {
			// What was granted took its time at the rate.
			if took := cf.Sub(base); took < time.Duration(n)*time.Minute/time.Duration(rate) {
				t.Fatalf("granted %d at %d/min in %v", n, rate, took)
			}
			// And granting again at the same instant gives nothing new
			// beyond the rate's rounding.
			r.Admitted, r.CreditFrom = r.Admitted+n, cf
			if m, _ := Grant(r, now); m > 0 && elapsed <= int64(maxCredit) {
				t.Fatalf("granted %d more at the same instant", m)
			}
		}
	})
}

// FuzzTokenMatches checks that no string but the place's token matches
// it, whatever its length or bytes.
func FuzzTokenMatches(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	p := Place{EventID: "ev_1", UserID: "usr_1", Seq: 3, AdmittedAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	good := token(key, p)
	f.Add(good)
	f.Add("")
	f.Add(TokenPrefix)
	f.Add(good[:len(good)-1] + "B")
	f.Fuzz(func(t *testing.T, given string) {
		if tokenMatches(key, p, given) != (given == good) {
			t.Fatalf("tokenMatches(%q) = %v", given, !(given == good))
		}
		if tokenMatches(key, Place{EventID: "ev_1", UserID: "usr_1", Seq: 3}, given) {
			t.Fatal("a waiting place matched a token")
		}
	})
}

// FuzzFrontier checks the read-side schedule against Grant: within
// Grant's one-step bound both count the same admissions, and a place is
// due (AdmissionAt) exactly when its number is at most Frontier, at a
// time no later than now, no earlier than its turn or its arrival, and
// the same whenever it is asked after it.
func FuzzFrontier(f *testing.F) {
	f.Add(true, 60, int64(10), int64(3), int64(5_000_000_000), int64(5), int64(0))
	f.Add(true, 60000, int64(1<<40), int64(0), int64(1<<62), int64(1<<39), int64(-7))
	f.Add(true, 7, int64(3), int64(3), int64(-5), int64(3), int64(1))
	f.Add(false, 60, int64(10), int64(0), int64(1e12), int64(1), int64(0))
	f.Fuzz(func(t *testing.T, enabled bool, rate int, joined, admitted, elapsed, seq, joinedAt int64) {
		base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		if admitted < 0 || joined < admitted || seq < 1 || seq > joined {
			return
		}
		r := Room{Enabled: enabled, AdmitPerMinute: rate, Joined: joined, Admitted: admitted, CreditFrom: base}
		now := base.Add(time.Duration(elapsed)).Truncate(time.Microsecond)
		front := Frontier(r, now)
		if front < admitted || front > joined {
			t.Fatalf("frontier %d outside %d..%d", front, admitted, joined)
		}
		if n, _ := Grant(r, now); elapsed <= int64(maxCredit) && admitted+n != front {
			t.Fatalf("Grant gives %d, the frontier is %d past the cursor", n, front-admitted)
		}
		p := Place{Seq: seq, JoinedAt: base.Add(time.Duration(joinedAt) * time.Millisecond)}
		at, ok := AdmissionAt(r, p, now)
		if ok != (seq > admitted && seq <= front) {
			t.Fatalf("place %d due %v with the cursor at %d and the frontier at %d", seq, ok, admitted, front)
		}
		if !ok {
			return
		}
		if at.After(maxTime(now, p.JoinedAt)) || at.Before(p.JoinedAt) || at.Before(due(r, seq)) {
			t.Fatalf("place %d admitted at %v: now %v, joined %v, turn %v", seq, at, now, p.JoinedAt, due(r, seq))
		}
		if again, ok := AdmissionAt(r, p, now.Add(time.Hour)); !ok || !again.Equal(at) {
			t.Fatalf("place %d admitted at %v, an hour later at %v (%v)", seq, at, again, ok)
		}
	})
}
