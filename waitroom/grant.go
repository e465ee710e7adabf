package waitroom

import (
	"math"
	"math/bits"
	"time"
)

// MaxAdmitPerMinute bounds Room.AdmitPerMinute (1000 a second); it also
// keeps Grant's arithmetic inside int64.
const MaxAdmitPerMinute = 60000

// maxCredit bounds the time Grant counts admissions over: a day's worth
// at most in one step (more is granted by the next steps).
const maxCredit = 24 * time.Hour

// Burst is how many admissions a room banks while nobody waits: one
// second's worth of its rate, at least one. The first buyers to join an
// empty queue are admitted at once; a crowd arriving together waits its
// turn.
func Burst(perMinute int) int64 { return max(1, int64(perMinute)/60) }

// span is how long n admissions take at perMinute, rounded up to the
// nanosecond so that Grant never gives more than the rate. The product
// is taken in 128 bits; a span beyond time.Duration's range is its
// largest value.
func span(perMinute int, n int64) time.Duration {
	if perMinute < 1 || n <= 0 {
		return 0
	}
	pm := uint64(perMinute)
	hi, lo := bits.Mul64(uint64(n), uint64(time.Minute))
	lo, carry := bits.Add64(lo, pm-1, 0)
	hi += carry
	if hi >= pm {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, pm)
	return time.Duration(min(q, math.MaxInt64))
}

// Grant returns how many more of r's places are due for admission at
// now, in arrival order, and the CreditFrom to store with them: the
// admissions accrued at AdmitPerMinute since CreditFrom, no more than
// are waiting, the time they took moved out of the credit (so no
// admission is counted twice, and none is lost to rounding but a
// nanosecond). A room that is off admits nobody.
func Grant(r Room, now time.Time) (n int64, creditFrom time.Time) {
	waiting := r.Joined - r.Admitted
	if !r.Enabled || r.AdmitPerMinute < 1 || r.AdmitPerMinute > MaxAdmitPerMinute || waiting <= 0 {
		return 0, r.CreditFrom
	}
	e := now.Sub(r.CreditFrom)
	if e <= 0 {
		return 0, r.CreditFrom
	}
	e = min(e, maxCredit)
	n = min(int64(e)*int64(r.AdmitPerMinute)/int64(time.Minute), waiting)
	if n <= 0 {
		return 0, r.CreditFrom
	}
	return n, ceilMicro(r.CreditFrom.Add(span(r.AdmitPerMinute, n)))
}

// ceilMicro rounds t up to the microsecond, the precision stores keep:
// rounding down would give back credit, a little more each step.
func ceilMicro(t time.Time) time.Time {
	u := t.UTC().Truncate(time.Microsecond)
	if u.Before(t) {
		u = u.Add(time.Microsecond)
	}
	return u
}

// JoinCredit is what a join does to r before the new place is added:
// when nobody would wait once the admissions due are given, the credit
// banked beyond them is cut to Burst, so a quiet room (or one whose few
// waiting buyers nobody polled for) does not let a crowd through at
// once. Store.Join calls it under the room's lock.
func JoinCredit(r *Room, now time.Time) {
	if !r.Enabled || r.AdmitPerMinute < 1 || r.AdmitPerMinute > MaxAdmitPerMinute {
		return
	}
	n, _ := Grant(*r, now)
	if n < r.Joined-r.Admitted {
		return // people wait beyond those due: the credit is theirs
	}
	floor := now.Add(-span(r.AdmitPerMinute, n+Burst(r.AdmitPerMinute)))
	if r.CreditFrom.Before(floor) {
		r.CreditFrom = floor.UTC().Truncate(time.Microsecond)
	}
}

// due returns when the place numbered seq will be admitted, given r:
// its turn at AdmitPerMinute after CreditFrom (if someone asks then:
// admissions are given when the room is next read).
func due(r Room, seq int64) time.Time {
	return r.CreditFrom.Add(span(r.AdmitPerMinute, seq-r.Admitted))
}

// dueCount is how many places beyond the cursor (Admitted) are due for
// admission at now by the clock: the admissions accrued at
// AdmitPerMinute since CreditFrom, no more than are waiting. It is
// Grant's count without Grant's one-step bound (the product is taken in
// 128 bits), so a read can tell every place that is due however long
// nobody moved the cursor. A room that is off admits nobody.
func dueCount(r Room, now time.Time) int64 {
	waiting := r.Joined - r.Admitted
	if !r.Enabled || r.AdmitPerMinute < 1 || r.AdmitPerMinute > MaxAdmitPerMinute || waiting <= 0 {
		return 0
	}
	e := now.Sub(r.CreditFrom)
	if e <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(e), uint64(r.AdmitPerMinute))
	q, _ := bits.Div64(hi, lo, uint64(time.Minute)) // hi < 2^16 < time.Minute: no panic
	return int64(min(q, uint64(waiting)))
}

// Frontier is the number of the last place admitted at now by the
// clock: places numbered at most Frontier are admitted (stamped in the
// store already, or due and stamped when first seen), those after it
// wait. It reads r only; nothing is written to know it.
func Frontier(r Room, now time.Time) int64 { return r.Admitted + dueCount(r, now) }

// AdmissionAt tells whether the place p, not yet stamped admitted in
// the store, is due at now in r's schedule, and its admission time if
// so: the instant its turn came at AdmitPerMinute after CreditFrom
// (rounded up to the microsecond, the stores' precision), or its
// arrival if that is later (a place joining a room with credit is
// admitted on arrival, not before). The time depends on r and p only,
// not on now, so two processes stamping the same place from the same
// room agree; Store.Admit calls it again under the room's lock.
func AdmissionAt(r Room, p Place, now time.Time) (time.Time, bool) {
	if p.Admitted() || p.Seq <= r.Admitted || p.Seq > Frontier(r, now) {
		return time.Time{}, false
	}
	return maxTime(ceilMicro(due(r, p.Seq)), p.JoinedAt), true
}
