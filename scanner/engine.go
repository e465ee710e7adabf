package scanner

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

// MaxCodeLen bounds a scanned code's text; longer input is malformed.
const MaxCodeLen = 1024

// VerdictStore is what the Engine needs of the gate's store: what every
// scan reads, the ticket list's foreign barcodes, and the decision with
// its durable check-in (Admit) or without it (Lookup). Both apply Decide
// to the ticket's stored state in one transaction.
type VerdictStore interface {
	Config() (*GateConfig, error)
	LookupCode(code string) (bundle.Ticket, bool, error)
	Admit(t Ticket, now time.Time, opt AdmitOptions) (Decision, *changelog.Checkin, error)
	Lookup(t Ticket, now time.Time, opt AdmitOptions) (Decision, error)
}

// Engine turns a scanned code into a verdict: parse, key lookup, signature,
// the gate's rules, and the durable check-in. It is safe for concurrent use
// by several lanes.
type Engine struct {
	Store VerdictStore
	// Now is the clock; tests inject one.
	Now func() time.Time
	// Online reports whether the gate is connected to the server; check-ins
	// made while it returns false are flagged offline. Nil means offline.
	Online func() bool
	// Recorded, if set, is called after a check-in was committed: the
	// sync client uploads it at once.
	Recorded func()
	// Feed, if set, receives every verdict the engine gives, from every
	// lane and API caller: the gate's screens and hook watch it.
	Feed *Feed
	// Counts, if set, counts every verdict given but dry runs': the
	// gate's status frames report them.
	Counts *Counters
	Log    *slog.Logger
}

// Result is what a scan answers: the verdict, why, and the ticket if one
// was read. It is the JSON object scannerd prints and serves.
type Result struct {
	Verdict    Verdict `json:"verdict"`
	Reason     string  `json:"reason"`
	TicketID   string  `json:"ticket_id,omitempty"`
	TicketType *uint16 `json:"ticket_type,omitempty"`
	// TicketTypeName and Holder are the names the bundle gave the
	// ticket's type and holder, for the screen.
	TicketTypeName string             `json:"ticket_type_name,omitempty"`
	Holder         string             `json:"holder,omitempty"`
	EventID        string             `json:"event_id,omitempty"`
	GateID         string             `json:"gate_id,omitempty"`
	Direction      string             `json:"direction,omitempty"`
	CheckinID      string             `json:"checkin_id,omitempty"`
	At             string             `json:"at"`
	DryRun         bool               `json:"dry_run,omitempty"`
	Source         string             `json:"source,omitempty"`
	Previous       *changelog.Checkin `json:"previous,omitempty"`
}

// CheckOptions modify one check.
type CheckOptions struct {
	// DryRun decides without recording: a supervisor looking a ticket up.
	DryRun bool
	// Source names where the code came from, for logs and the result.
	Source string
	// Direction is the scan's direction at a gate that allows both;
	// empty is the profile's own direction (entry at a gate for both).
	// One the profile does not allow fails with ErrDirection.
	Direction bundle.Direction
}

// Check decides a scanned code. The error is non-nil only when the store
// failed; then no verdict may be shown as accepted.
func (e *Engine) Check(code string, opt CheckOptions) (Result, error) {
	now := e.now()
	res := Result{At: now.UTC().Format(time.RFC3339Nano), DryRun: opt.DryRun, Source: opt.Source}
	c, err := e.Store.Config()
	if err != nil {
		return res, err
	}
	dir, err := c.ScanDirection(opt.Direction)
	if err != nil {
		return res, err
	}
	res.GateID, res.Direction = c.Profile.GateID, string(dir)
	t, verdict, reason := e.identify(c, code, now)
	if verdict != "" {
		res.Verdict, res.Reason = verdict, reason
		if !t.ID.IsZero() {
			res.setTicket(c, t)
		}
		e.report(res)
		return res, nil
	}
	res.setTicket(c, t)
	var d Decision
	var ci *changelog.Checkin
	if opt.DryRun {
		d, err = e.Store.Lookup(t, now, AdmitOptions{Direction: dir})
	} else {
		d, ci, err = e.Store.Admit(t, now, AdmitOptions{Offline: !e.online(), Direction: dir})
	}
	if err != nil {
		return res, err
	}
	res.Verdict, res.Reason, res.Previous, res.Holder = d.Verdict, d.Reason, d.Previous, d.Holder
	if ci != nil {
		res.CheckinID = ci.ID
		if e.Recorded != nil {
			e.Recorded()
		}
	}
	if opt.DryRun && d.Record {
		res.Reason = "dry run, nothing recorded: would be accepted (" + d.Reason + ")"
	}
	e.report(res)
	return res, nil
}

func (r *Result) setTicket(c *GateConfig, t Ticket) {
	r.TicketID, r.EventID = t.ID.String(), t.Event.String()
	typ := t.TypeNumber
	r.TicketType = &typ
	if t.Event == c.Profile.Event {
		r.TicketTypeName = c.TypeNames[typ]
	}
}

// identify reads the code as a token or a listed foreign barcode. A
// non-empty verdict ends the check there.
func (e *Engine) identify(c *GateConfig, code string, now time.Time) (Ticket, Verdict, string) {
	switch {
	case code == "":
		return Ticket{}, Malformed, "empty code"
	case len(code) > MaxCodeLen:
		return Ticket{}, Malformed, fmt.Sprintf("code is %d bytes, more than %d", len(code), MaxCodeLen)
	case !utf8.ValidString(code):
		return Ticket{}, Malformed, "code is not valid text"
	}
	if !ticketcrypto.IsTokenText(code) {
		if c.Profile.Mode != bundle.ModeListed {
			return Ticket{}, Malformed, "not an AdmitOne ticket (this gate admits signed tickets only)"
		}
		lt, ok, err := e.Store.LookupCode(code)
		if err != nil {
			return Ticket{}, Malformed, "ticket list lookup failed: " + err.Error()
		}
		if !ok {
			return Ticket{}, UnknownTicket, "barcode is not on this gate's ticket list"
		}
		return Ticket{ID: lt.ID, Event: c.Profile.Event, TypeNumber: lt.TypeNumber}, "", ""
	}
	sc, err := ticketcrypto.ParseText(code)
	if err != nil {
		return Ticket{}, Malformed, err.Error()
	}
	t := Ticket{ID: sc.Ticket, Event: sc.Event, TypeNumber: sc.TypeNumber, ValidFrom: sc.ValidFrom, ValidUntil: sc.ValidUntil, Token: true}
	if !t.ValidUntil.IsZero() && c.ValidUntil.After(t.ValidUntil) {
		t.ValidUntil = c.ValidUntil // the event moved after the token was issued
	}
	if sc.Event != c.Profile.Event {
		// Checked before the key lookup: this gate holds no keys for
		// other events, and "wrong event" is what the holder needs to hear.
		return t, WrongEvent, fmt.Sprintf("ticket is for event %s; this gate checks %s", sc.Event, eventLabel(c.Profile))
	}
	if _, err := c.Keyring.Verify(code, now); err != nil {
		switch {
		case errors.Is(err, ticketcrypto.ErrUnknownKey):
			return t, UnknownKey, err.Error()
		case errors.Is(err, ticketcrypto.ErrBadSignature):
			return Ticket{}, InvalidSignature, "signature does not verify: the code is forged or damaged"
		case errors.Is(err, ticketcrypto.ErrCodeExpired):
			return t, CodeExpired, err.Error()
		default:
			return Ticket{}, Malformed, err.Error()
		}
	}
	return t, "", ""
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) online() bool { return e.Online != nil && e.Online() }

// report logs r and publishes it on the Feed.
func (e *Engine) report(r Result) {
	if !r.DryRun {
		e.Counts.Count(r.Verdict)
	}
	e.Feed.Publish(r)
	if e.Log == nil {
		return
	}
	e.Log.Info("scan", "verdict", string(r.Verdict), "ticket_id", r.TicketID, "reason", r.Reason,
		"checkin_id", r.CheckinID, "source", r.Source, "dry_run", r.DryRun)
}
