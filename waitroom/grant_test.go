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
