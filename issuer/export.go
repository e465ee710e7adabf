package issuer

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

// ErrNeedsRotationKey is returned by BuildPayload for a ticket list with
// tickets that require a rotating code when the bundle is not to carry the
// event's rotation key: every gate would refuse those tickets.
var ErrNeedsRotationKey = errors.New("tickets require rotating codes, and gates need the event's rotation key to check them")

// Gate names a gate to make a profile for.
type Gate struct {
	ID        string
	Direction bundle.Direction
}

// ParseGate parses "ID", "ID:entry", "ID:exit" or "ID:both" (the gate
// records entries and exits, each scan says which); a gate without a
// direction is an entry.
func ParseGate(s string) (Gate, error) {
	id, dir, ok := strings.Cut(s, ":")
	g := Gate{ID: id, Direction: bundle.Entry}
	if ok {
		switch bundle.Direction(dir) {
		case bundle.Entry, bundle.Exit, bundle.Both:
			g.Direction = bundle.Direction(dir)
		default:
			return Gate{}, fmt.Errorf("gate %q: direction %q must be %q, %q or %q", truncate(s, 80), truncate(dir, 20), bundle.Entry, bundle.Exit, bundle.Both)
		}
	}
	// Check the id now, as a profile would, so the error names the flag
	// value rather than a profile index.
	p := bundle.GateProfile{GateID: g.ID, Event: ticketcrypto.EventID{1}, Mode: bundle.ModeSigned, Direction: g.Direction}
	if err := p.Validate(); err != nil {
		return Gate{}, fmt.Errorf("gate %q: %w", truncate(s, 80), err)
	}
	return g, nil
}

// ParseTypes parses a comma-separated list of ticket type numbers, such as
// "1,2". It refuses an empty list, a number outside 0..65535 and a number
// given twice.
func ParseTypes(s string) ([]uint16, error) {
	var out []uint16
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		n, err := strconv.ParseUint(f, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("ticket type %q is not a number from 0 to 65535", truncate(f, 20))
		}
		if slices.Contains(out, uint16(n)) {
			return nil, fmt.Errorf("ticket type %d is listed twice", n)
		}
		out = append(out, uint16(n))
	}
	return out, nil
}

// ParseTypeName parses "NUMBER=NAME", a ticket type's name for the gates'
// screens, such as "1=Standing".
func ParseTypeName(s string) (bundle.TicketType, error) {
	num, name, ok := strings.Cut(s, "=")
	if !ok {
		return bundle.TicketType{}, fmt.Errorf("type name %q: want NUMBER=NAME, e.g. 1=Standing", truncate(s, 40))
	}
	n, err := strconv.ParseUint(strings.TrimSpace(num), 10, 16)
	if err != nil {
		return bundle.TicketType{}, fmt.Errorf("type name %q: %q is not a number from 0 to 65535", truncate(s, 40), truncate(num, 20))
	}
	name = strings.TrimSpace(name)
	if name == "" || bundle.ClipName(name) != name {
		return bundle.TicketType{}, fmt.Errorf("type name %q: the name must be 1 to %d bytes of text without control characters", truncate(s, 40), bundle.MaxNameLen)
	}
	return bundle.TicketType{Number: uint16(n), Name: name}, nil
}

// ExportOptions describe a bundle for the gates of one event.
type ExportOptions struct {
	Event ticketcrypto.EventID
	// Gates get one profile each, all with Mode, Types and AllowReentry.
	Gates []Gate
	// Mode is how the gates decide that a ticket exists; zero is
	// bundle.ModeSigned.
	Mode         bundle.Mode
	Types        []uint16
	AllowReentry bool
	// Tickets are the AdmitOne tickets to list (from ReadTicketList).
	Tickets TicketList
	// Listed are foreign barcodes; only gates in listed mode admit them.
	Listed      []ListedCode
	Revocations []bundle.Revocation
	// TicketTypes names ticket types on the gates' screens; optional.
	TicketTypes []bundle.TicketType
	// IncludeRotationKey puts the event's rotation key from the key file
	// in the bundle, which must then be sealed (bundle.Write).
	IncludeRotationKey bool
	// Now is the bundle's creation time; zero is time.Now.
	Now time.Time
}

// BuildPayload builds the bundle payload for an event from the key file
// and opts: a keyring entry that trusts the issuer key for the event, one
// gate profile per gate, the tickets, the foreign codes (each with its
// ForeignTicketID) and the revocations. The payload validates.
func BuildPayload(f *KeyFile, opts ExportOptions) (*bundle.Payload, error) {
	if opts.Event.IsZero() {
		return nil, errors.New("export: event id is missing")
	}
	if len(opts.Gates) == 0 {
		return nil, errors.New("export: no gates: a bundle needs at least one gate profile")
	}
	mode := opts.Mode
	if mode == "" {
		mode = bundle.ModeSigned
	}
	if len(opts.Listed) > 0 && mode != bundle.ModeListed {
		return nil, fmt.Errorf("export: %d foreign codes, but gates in %s mode would not admit them: use %s mode", len(opts.Listed), mode, bundle.ModeListed)
	}
	if mode == bundle.ModeListed && len(opts.Tickets.Tickets)+len(opts.Listed) == 0 {
		return nil, errors.New("export: listed mode with an empty ticket list would admit nobody")
	}
	ev, known := f.Event(opts.Event)
	if opts.IncludeRotationKey && !known {
		return nil, fmt.Errorf("export: event %s is not in the key file, so there is no rotation key to include", opts.Event)
	}
	if opts.Tickets.Rotating > 0 && !opts.IncludeRotationKey {
		return nil, fmt.Errorf("export: %d of %d %w", opts.Tickets.Rotating, len(opts.Tickets.Tickets), ErrNeedsRotationKey)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	p := &bundle.Payload{
		Format:      bundle.Format,
		CreatedAt:   now.UTC(),
		Event:       opts.Event,
		EventName:   ev.Name,
		Keyring:     []ticketcrypto.KeyringEntry{f.KeyringEntry(opts.Event)},
		Tickets:     make([]bundle.Ticket, 0, len(opts.Tickets.Tickets)+len(opts.Listed)),
		Revocations: slices.Clone(opts.Revocations),
		TicketTypes: slices.Clone(opts.TicketTypes),
	}
	if p.Revocations == nil {
		p.Revocations = []bundle.Revocation{}
	}
	for _, g := range opts.Gates {
		p.Profiles = append(p.Profiles, bundle.GateProfile{
			GateID:       g.ID,
			Event:        opts.Event,
			EventName:    ev.Name,
			Mode:         mode,
			Direction:    g.Direction,
			AllowReentry: opts.AllowReentry,
			Types:        slices.Clone(opts.Types),
		})
	}
	p.Tickets = append(p.Tickets, opts.Tickets.Tickets...)
	for _, c := range opts.Listed {
		p.Tickets = append(p.Tickets, bundle.Ticket{ID: ForeignTicketID(opts.Event, c.Code), TypeNumber: c.TypeNumber, Code: c.Code, Holder: c.Holder})
	}
	if opts.IncludeRotationKey {
		p.RotationKeys = []bundle.RotationKey{{Event: ev.ID, Key: ev.RotationKey.Secret()}}
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return p, nil
}
