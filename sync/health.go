package sync

import (
	"context"
	"fmt"
	"maps"
	"time"
)

// Gate health: what a gate says about itself in status frames (a
// GateReport), what the hub keeps of it per gate (GateHealth, through a
// HealthStore) and per gate and minute (GateMinute), and what the API
// shows (GateState). See doc.go, "Gate health".

// Limits on a GateReport.
const (
	// MaxReasons bounds the refusal reasons of one report; the engine
	// has a dozen verdicts.
	MaxReasons = 32
	// maxCount bounds a counter: well past a gate's lifetime of scans
	// and within a float64's exact integers, for JSON readers.
	maxCount = 1 << 50
)

// GateReport is what a status frame carries: the gate's own counts since
// its process started (Boot names that start), so a resend or a
// reconnect repeats numbers the server already has rather than adding
// to them.
type GateReport struct {
	// Boot is random per gate process start: 1 to 64 characters of
	// [0-9A-Za-z_-].
	Boot string `json:"boot"`
	// Version is the gate's software version, for the panel.
	Version string `json:"version,omitempty"`
	// Outbox is the number of check-ins the server has not acknowledged.
	Outbox int64 `json:"outbox"`
	// Scans counts verdicts given (dry runs excluded), Admits those that
	// let the holder through, Refusals the others by verdict
	// (already_used, invalid_signature, ...: scanner.Verdict names).
	Scans    int64            `json:"scans"`
	Admits   int64            `json:"admits"`
	Refusals map[string]int64 `json:"refusals,omitempty"`
}

// Validate checks a report's fields; errors name the problem and wrap
// ErrInvalid.
func (r GateReport) Validate() error {
	switch {
	case len(r.Boot) == 0 || len(r.Boot) > 64 || !isToken(r.Boot, true):
		return fmt.Errorf("status boot %q is not 1 to 64 letters, digits, - or _: %w", clip(r.Boot), ErrInvalid)
	case len(r.Version) > 64 || !isPrintable(r.Version):
		return fmt.Errorf("status version %q is not up to 64 printable characters: %w", clip(r.Version), ErrInvalid)
	case r.Outbox < 0 || r.Outbox > maxCount || r.Scans < 0 || r.Scans > maxCount || r.Admits < 0 || r.Admits > r.Scans:
		return fmt.Errorf("status counts outbox %d, scans %d, admits %d are out of range: %w", r.Outbox, r.Scans, r.Admits, ErrInvalid)
	case len(r.Refusals) > MaxReasons:
		return fmt.Errorf("status has %d refusal reasons, over %d: %w", len(r.Refusals), MaxReasons, ErrInvalid)
	}
	var refused int64
	for reason, n := range r.Refusals {
		if len(reason) == 0 || len(reason) > 32 || !isToken(reason, false) {
			return fmt.Errorf("status refusal reason %q is not 1 to 32 of a-z, 0-9 and _: %w", clip(reason), ErrInvalid)
		}
		if n < 0 || n > maxCount {
			return fmt.Errorf("status refusals %s = %d is out of range: %w", reason, n, ErrInvalid)
		}
		refused += n
	}
	if refused > r.Scans-r.Admits {
		return fmt.Errorf("status has %d refusals but %d scans and %d admits: %w", refused, r.Scans, r.Admits, ErrInvalid)
	}
	return nil
}

func isToken(s string, upperAndDash bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		case upperAndDash && (c >= 'A' && c <= 'Z' || c == '-'):
		default:
			return false
		}
	}
	return true
}

func isPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// GateHealth is the server's record of one gate's health. Times are the
// server's.
type GateHealth struct {
	GateID  string `json:"gate_id"`
	EventID string `json:"event_id"`
	// LastSeen is when a server last heard from the gate (a frame or a
	// pong); DisconnectedAt when a server saw its connection end. The
	// gate is online while LastSeen is after DisconnectedAt and within
	// Hub.OfflineAfter of now: a server process that dies leaves no
	// sticky flag behind.
	LastSeen       time.Time `json:"last_seen,omitzero"`
	DisconnectedAt time.Time `json:"disconnected_at,omitzero"`
	// LastSync is when the server last acknowledged an upload of the
	// gate's or sent it log entries.
	LastSync time.Time `json:"last_sync,omitzero"`
	// ClockSkew is the gate's clock minus the server's, from the last
	// hello or status frame (a one-way network delay is in it too);
	// SkewKnown says whether any frame carried the gate's clock.
	ClockSkew time.Duration `json:"clock_skew"`
	SkewKnown bool          `json:"skew_known,omitempty"`
	// ReportedAt is when the last status frame arrived; Report is what
	// it said (counts since that boot).
	ReportedAt time.Time  `json:"reported_at,omitzero"`
	Report     GateReport `json:"report"`
	// Previous is the highest counts of the boot before Report's: a late
	// report of it (a frame the old process sent just before it
	// restarted) adds only what it adds over them.
	Previous GateReport `json:"previous,omitzero"`
	// LastScanAt is when a report last showed more scans than the one
	// before.
	LastScanAt time.Time `json:"last_scan_at,omitzero"`
	// Totals sums the gate's counts over every boot.
	Totals GateCounts `json:"totals"`
}

// GateCounts are counts of scans, admits and refusals by reason.
type GateCounts struct {
	Scans    int64            `json:"scans"`
	Admits   int64            `json:"admits"`
	Refusals map[string]int64 `json:"refusals,omitempty"`
}

// add adds d to c.
func (c *GateCounts) add(d GateCounts) {
	c.Scans += d.Scans
	c.Admits += d.Admits
	for k, n := range d.Refusals {
		if n == 0 {
			continue
		}
		if c.Refusals == nil {
			c.Refusals = make(map[string]int64)
		}
		c.Refusals[k] += n
	}
}

// Add returns c plus d (neither changes).
func (c GateCounts) Add(d GateCounts) GateCounts {
	out := GateCounts{Scans: c.Scans, Admits: c.Admits, Refusals: maps.Clone(c.Refusals)}
	out.add(d)
	return out
}

// IsZero reports whether c counts nothing.
func (c GateCounts) IsZero() bool {
	if c.Scans != 0 || c.Admits != 0 {
		return false
	}
	for _, n := range c.Refusals {
		if n != 0 {
			return false
		}
	}
	return true
}

// GateMinute is what one gate reported in one minute (the server's
// clock, truncated to the minute, UTC): the increase of its counters
// over the reports before.
type GateMinute struct {
	GateID string    `json:"gate_id"`
	Minute time.Time `json:"minute"`
	GateCounts
}

// GateTouch is what a hub learned of a gate besides a status report.
type GateTouch struct {
	// At is when the server last heard from the gate.
	At time.Time
	// Skew, when SkewKnown, is the gate's clock minus the server's.
	Skew      time.Duration
	SkewKnown bool
	// Synced, when not zero, is the gate's last sync.
	Synced time.Time
	// Disconnected says the connection ended at At.
	Disconnected bool
}

// GateUpdate is what a hub learned of the gate GateID: a touch and,
// from a status frame, the report it received at the touch's At.
type GateUpdate struct {
	GateID string
	GateTouch
	Report *GateReport // nil: a touch only
}

// Validate checks u's report, if any (GateReport.Validate).
func (u GateUpdate) Validate() error {
	if u.Report == nil {
		return nil
	}
	return u.Report.Validate()
}

// Apply returns h with u applied (HealthStore.UpdateGates): its touch,
// then its report, if any, received at its At; and the report's
// increase to that minute (zero for a touch).
func (h GateHealth) Apply(u GateUpdate) (GateHealth, GateMinute) {
	h = h.Touch(u.GateTouch)
	if u.Report == nil {
		return h, GateMinute{}
	}
	return h.ApplyReport(*u.Report, u.At)
}

// Touch returns h with t applied. Times only move forward: two server
// processes may touch one gate out of order.
func (h GateHealth) Touch(t GateTouch) GateHealth {
	t.At, t.Synced = storedTime(t.At), storedTime(t.Synced)
	if t.Disconnected {
		if t.At.After(h.DisconnectedAt) {
			h.DisconnectedAt = t.At
		}
	} else if t.At.After(h.LastSeen) {
		h.LastSeen = t.At
	}
	if t.Synced.After(h.LastSync) {
		h.LastSync = t.Synced
	}
	if t.SkewKnown {
		h.ClockSkew, h.SkewKnown = t.Skew, true
	}
	return h
}

// ApplyReport returns h with a status report received at at applied,
// and the increase it adds to at's minute. The increase is counted
// against the highest counts reported before by the same boot: a resend
// or a reconnect adds nothing, a report overtaken by a later one (two
// connections through two servers) adds nothing and lowers nothing, and
// a new boot adds its counts from zero. The boot before the current
// one is remembered too (Previous), so its late reports count once.
func (h GateHealth) ApplyReport(r GateReport, at time.Time) (GateHealth, GateMinute) {
	at = storedTime(at)
	var base GateReport
	late := false
	switch r.Boot {
	case h.Report.Boot:
		base = h.Report
	case h.Previous.Boot:
		base, late = h.Previous, true
	default:
		if h.Report.Boot != "" {
			h.Previous = h.Report
		}
	}
	d := GateCounts{Scans: max(r.Scans-base.Scans, 0), Admits: max(r.Admits-base.Admits, 0)}
	kept := maps.Clone(base.Refusals)
	for k, n := range r.Refusals {
		if inc := n - base.Refusals[k]; inc > 0 {
			if d.Refusals == nil {
				d.Refusals = make(map[string]int64)
			}
			d.Refusals[k] = inc
			if kept == nil {
				kept = make(map[string]int64)
			}
			kept[k] = n
		}
	}
	if d.Scans > 0 {
		h.LastScanAt = at
	}
	h.Totals = h.Totals.Add(d)
	r.Scans, r.Admits, r.Refusals = max(r.Scans, base.Scans), max(r.Admits, base.Admits), kept
	if late {
		r.Outbox, r.Version = base.Outbox, base.Version
		h.Previous = r
	} else {
		h.Report, h.ReportedAt = r, at
	}
	if at.After(h.LastSeen) {
		h.LastSeen = at
	}
	return h, GateMinute{GateID: h.GateID, Minute: at.UTC().Truncate(time.Minute), GateCounts: d}
}

// HealthStore keeps gates' health; storage/bolt and storage/postgres
// implement it and storage/storetest checks both (RunHealth).
type HealthStore interface {
	// UpdateGates applies each update, in order, to its gate's health
	// (GateHealth.Touch, then for a report GateHealth.ApplyReport at the
	// touch's At) and adds each report's increase to its minute, all in
	// one transaction, and returns the health after each update. A hub
	// saves its gates' touches and status reports in batches (keeper.go,
	// health_hub.go). An invalid report is ErrInvalid and an unknown gate
	// ErrNotFound, and then nothing is saved.
	UpdateGates(ctx context.Context, updates []GateUpdate) ([]GateHealth, error)
	// GateHealthOfEvent returns the health of an event's gates that a
	// server heard from, by gate id.
	GateHealthOfEvent(ctx context.Context, eventID string) (map[string]GateHealth, error)
	// GateMinutes lists an event's per gate and minute counts from the
	// minute since on, by minute then gate id.
	GateMinutes(ctx context.Context, eventID string, since time.Time) ([]GateMinute, error)
	// RefusalsByReason sums an event's refusals over its gates and
	// minutes, by verdict.
	RefusalsByReason(ctx context.Context, eventID string) (map[string]int64, error)
}

// storedTime is t as the stores keep health times: UTC, to the
// microsecond (PostgreSQL's precision), zero kept zero.
func storedTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.Truncate(time.Microsecond).UTC()
}
