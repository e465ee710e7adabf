// Package testclock is the injected clock tests use where expiry, validity
// windows or TOTP steps matter: it moves only when told, and is safe for
// concurrent use.
package testclock

import (
	gosync "sync"
	"time"
)

// Clock is a settable time source; pass its Now method as a service's
// clock.
type Clock struct {
	mu  gosync.Mutex
	now time.Time
}

// New returns a clock standing at t.
func New(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
