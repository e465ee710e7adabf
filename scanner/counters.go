package scanner

import (
	"crypto/rand"
	"encoding/hex"
	"sync/atomic"

	ticketsync "github.com/admitone/admitone/sync"
)

// Counters count the verdicts an Engine gave since the process started
// (dry runs excluded): what the gate reports to the server in status
// frames. Boot names this start, so the server counts each boot's
// numbers once however often they are repeated.
type Counters struct {
	Boot string
	// byVerdict holds one counter per Verdicts entry, in that order.
	byVerdict []atomic.Int64
}

// NewCounters returns zero counters with a fresh random boot id.
func NewCounters() *Counters {
	var b [12]byte
	rand.Read(b[:])
	return &Counters{Boot: hex.EncodeToString(b[:]), byVerdict: make([]atomic.Int64, len(Verdicts))}
}

// Count counts one verdict; one that is not in Verdicts is not counted.
func (c *Counters) Count(v Verdict) {
	if c == nil {
		return
	}
	for i, known := range Verdicts {
		if known == v {
			c.byVerdict[i].Add(1)
			return
		}
	}
}

// CountsSnapshot is Counters at one instant.
type CountsSnapshot struct {
	Scans, Admits int64
	// Refusals are the refusing verdicts given at least once.
	Refusals map[string]int64
}

// Snapshot reads the counters.
func (c *Counters) Snapshot() CountsSnapshot {
	var s CountsSnapshot
	if c == nil {
		return s
	}
	for i, v := range Verdicts {
		n := c.byVerdict[i].Load()
		s.Scans += n
		switch {
		case v.Admits():
			s.Admits += n
		case n > 0:
			if s.Refusals == nil {
				s.Refusals = make(map[string]int64)
			}
			s.Refusals[string(v)] = n
		}
	}
	return s
}

// Report is the counters as a status frame carries them, with the
// outbox's length and the gate's software version.
func (c *Counters) Report(outbox int, version string) ticketsync.GateReport {
	s := c.Snapshot()
	return ticketsync.GateReport{Boot: c.Boot, Version: version, Outbox: int64(outbox), Scans: s.Scans, Admits: s.Admits, Refusals: s.Refusals}
}
