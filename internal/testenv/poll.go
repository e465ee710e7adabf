package testenv

import "time"

// Poll calls cond every interval until it returns true or timeout has
// passed, and returns how long that took and whether cond held. cond is
// called at least once, and once more after the deadline has passed, so a
// condition that became true during the last sleep still counts.
func Poll(timeout, interval time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	deadline := start.Add(timeout)
	for {
		if cond() {
			return time.Since(start), true
		}
		if time.Now().After(deadline) {
			return time.Since(start), false
		}
		time.Sleep(min(interval, max(time.Until(deadline), 0)+time.Millisecond))
	}
}
