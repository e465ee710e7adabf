package bundle

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	ticketcrypto "github.com/admitone/admitone/crypto"
)

// Format is the first line of every bundle file and the payload's format.
const Format = "admitone-bundle-v1"

// MaxSize bounds a bundle file (about two million tickets).
const MaxSize = 256 << 20

const signatureContext = "AdmitOne bundle v1"

// Mode is how a gate decides that a ticket exists.
type Mode string

const (
	// ModeSigned admits any ticket with a valid signature for the event,
	// unless revoked: the list may be empty.
	ModeSigned Mode = "signed"
	// ModeListed admits only tickets on the list, which may carry foreign
	// barcodes imported from other ticketing systems.
	ModeListed Mode = "listed"
)

// Direction is what a scan at a gate records.
type Direction string

const (
	Entry Direction = "entry"
	Exit  Direction = "exit"
	// Both is a gate profile's direction only: the gate records entries
	// and exits, and each scan says which (one without a direction is an
	// entry). A scannerd older than this value refuses such a profile.
	Both Direction = "both"
)

// Allows reports whether a gate with direction d may record a scan in
// direction scan (Entry or Exit).
func (d Direction) Allows(scan Direction) bool {
	return (scan == Entry || scan == Exit) && (d == scan || d == Both)
}

// GateProfile is the rule set of one gate (pretix calls it a check-in list).
type GateProfile struct {
	GateID    string               `json:"gate_id"`
	Name      string               `json:"name,omitempty"`
	Event     ticketcrypto.EventID `json:"event_id"`
	EventName string               `json:"event_name,omitempty"`
	Mode      Mode                 `json:"mode"`
	Direction Direction            `json:"direction"`
	// AllowReentry lets a ticket that was scanned out at an exit come in
	// again. Without it a ticket enters once.
	AllowReentry bool `json:"allow_reentry,omitempty"`
	// Types lists the ticket type numbers admitted here; empty admits all.
	Types []uint16 `json:"types,omitempty"`
}

// Validate checks a profile's fields and names the first bad one.
func (p GateProfile) Validate() error {
	switch {
	case p.GateID == "" || len(p.GateID) > 64:
		return errors.New("gate profile: gate_id must be 1 to 64 characters")
	case strings.ContainsFunc(p.GateID, func(r rune) bool { return r < 0x21 || r > 0x7e }):
		return fmt.Errorf("gate profile: gate_id %q must be printable ASCII without spaces", p.GateID)
	case p.Event.IsZero():
		return fmt.Errorf("gate profile %s: event_id is missing", p.GateID)
	case p.Mode != ModeSigned && p.Mode != ModeListed:
		return fmt.Errorf("gate profile %s: mode %q must be %q or %q", p.GateID, p.Mode, ModeSigned, ModeListed)
	case p.Direction != Entry && p.Direction != Exit && p.Direction != Both:
		return fmt.Errorf("gate profile %s: direction %q must be %q, %q or %q", p.GateID, p.Direction, Entry, Exit, Both)
	case len(p.Name) > 200 || len(p.EventName) > 200:
		return fmt.Errorf("gate profile %s: name and event_name are limited to 200 bytes", p.GateID)
	}
	return nil
}

// AdmitsType reports whether the gate admits a ticket type.
func (p GateProfile) AdmitsType(t uint16) bool {
	return len(p.Types) == 0 || slices.Contains(p.Types, t)
}

// Ticket is one entry of the ticket list.
type Ticket struct {
	ID         ticketcrypto.TicketID `json:"id"`
	TypeNumber uint16                `json:"type"`
	// Code is the barcode text of a ticket sold elsewhere (listed mode),
	// or empty for AdmitOne tokens, which are found by ID.
	Code string `json:"code,omitempty"`
	// Replaces is the ticket this one replaced (a transfer), listed in the
	// same bundle: the gate keeps one entry state for the whole chain, so
	// a ticket someone went in on does not admit again as its
	// replacement.
	Replaces ticketcrypto.TicketID `json:"replaces,omitzero"`
	// Holder is the name the gate shows for the ticket's holder, where
	// the ticket list has one; at most MaxNameLen bytes.
	Holder string `json:"holder,omitempty"`
}

// MaxCodeLen bounds a foreign barcode's text.
const MaxCodeLen = 512

// MaxNameLen bounds a ticket type's name and a holder's name.
const MaxNameLen = 200

// MaxTicketTypes bounds the ticket type names one bundle carries.
const MaxTicketTypes = 1000

// TicketType names a ticket type number of the event, for the gate's
// screen ("Standing" rather than "ticket type 1").
type TicketType struct {
	Number uint16 `json:"number"`
	Name   string `json:"name"`
}

// Revocation withdraws a ticket (refund, transfer, cancellation).
type Revocation struct {
	Ticket ticketcrypto.TicketID `json:"ticket_id"`
	At     time.Time             `json:"at"`
	Reason string                `json:"reason,omitempty"`
}

// RotationKey is an event's rotation key in text form; only in sealed
// bundles.
type RotationKey struct {
	Event ticketcrypto.EventID `json:"event_id"`
	Key   string               `json:"key"`
}

// Payload is the signed content of a bundle.
type Payload struct {
	Format       string                      `json:"format"`
	CreatedAt    time.Time                   `json:"created_at"`
	Event        ticketcrypto.EventID        `json:"event_id"`
	EventName    string                      `json:"event_name,omitempty"`
	Keyring      []ticketcrypto.KeyringEntry `json:"keyring"`
	Profiles     []GateProfile               `json:"profiles"`
	Tickets      []Ticket                    `json:"tickets"`
	Revocations  []Revocation                `json:"revocations"`
	RotationKeys []RotationKey               `json:"rotation_keys,omitempty"`
	// TicketTypes names the event's ticket types; optional. A bundle
	// with names or holders is refused by a scannerd older than these
	// fields (its decoder refuses unknown fields).
	TicketTypes []TicketType `json:"ticket_types,omitempty"`
	// ValidUntil, when set, is how long the event's tickets admit after
	// the event moved: a gate takes it over a token's own earlier end of
	// validity.
	ValidUntil time.Time `json:"valid_until,omitzero"`
}

// Validate checks the payload's consistency and names the first problem.
func (p *Payload) Validate() error {
	if p.Format != Format {
		return fmt.Errorf("bundle: format %q, want %q", p.Format, Format)
	}
	if p.Event.IsZero() {
		return errors.New("bundle: event_id is missing")
	}
	var kr ticketcrypto.Keyring
	for i, e := range p.Keyring {
		if e.Event != p.Event {
			return fmt.Errorf("bundle: keyring[%d] is for %s, not the bundle's event %s", i, e.Event, p.Event)
		}
		if err := kr.Add(e); err != nil {
			return fmt.Errorf("bundle: keyring[%d]: %w", i, err)
		}
	}
	if len(p.Profiles) == 0 {
		return errors.New("bundle: no gate profiles")
	}
	seen := make(map[string]bool, len(p.Profiles))
	for i, g := range p.Profiles {
		if err := g.Validate(); err != nil {
			return fmt.Errorf("bundle: profiles[%d]: %w", i, err)
		}
		if g.Event != p.Event {
			return fmt.Errorf("bundle: profile %s is for %s, not the bundle's event %s", g.GateID, g.Event, p.Event)
		}
		if seen[g.GateID] {
			return fmt.Errorf("bundle: gate %s appears twice", g.GateID)
		}
		seen[g.GateID] = true
	}
	ids := make(map[ticketcrypto.TicketID]struct{}, len(p.Tickets))
	codes := make(map[string]struct{})
	for i, t := range p.Tickets {
		if t.ID.IsZero() {
			return fmt.Errorf("bundle: tickets[%d]: id is missing", i)
		}
		if _, dup := ids[t.ID]; dup {
			return fmt.Errorf("bundle: tickets[%d]: ticket %s appears twice", i, t.ID)
		}
		ids[t.ID] = struct{}{}
		if t.Code != "" {
			if len(t.Code) > MaxCodeLen {
				return fmt.Errorf("bundle: tickets[%d]: code is %d bytes, more than %d", i, len(t.Code), MaxCodeLen)
			}
			if _, dup := codes[t.Code]; dup {
				return fmt.Errorf("bundle: tickets[%d]: code %q appears twice", i, t.Code)
			}
			codes[t.Code] = struct{}{}
		}
		if err := checkName(t.Holder); err != nil {
			return fmt.Errorf("bundle: tickets[%d]: holder: %w", i, err)
		}
	}
	if len(p.TicketTypes) > MaxTicketTypes {
		return fmt.Errorf("bundle: %d ticket types, more than %d", len(p.TicketTypes), MaxTicketTypes)
	}
	numbers := make(map[uint16]bool, len(p.TicketTypes))
	for i, tt := range p.TicketTypes {
		if numbers[tt.Number] {
			return fmt.Errorf("bundle: ticket_types[%d]: type %d appears twice", i, tt.Number)
		}
		numbers[tt.Number] = true
		if tt.Name == "" {
			return fmt.Errorf("bundle: ticket_types[%d]: type %d has no name", i, tt.Number)
		}
		if err := checkName(tt.Name); err != nil {
			return fmt.Errorf("bundle: ticket_types[%d]: name: %w", i, err)
		}
	}
	if _, err := p.Lineages(); err != nil {
		return err
	}
	for i, r := range p.Revocations {
		if r.Ticket.IsZero() {
			return fmt.Errorf("bundle: revocations[%d]: ticket_id is missing", i)
		}
	}
	for i, r := range p.RotationKeys {
		if r.Event != p.Event {
			return fmt.Errorf("bundle: rotation_keys[%d] is for %s, not %s", i, r.Event, p.Event)
		}
		if _, err := ticketcrypto.ParseRotationKey(r.Key); err != nil {
			return fmt.Errorf("bundle: rotation_keys[%d]: %w", i, err)
		}
	}
	return nil
}

// checkName accepts a name the gate shows: at most MaxNameLen bytes of
// valid UTF-8 without control characters.
func checkName(s string) error {
	switch {
	case len(s) > MaxNameLen:
		return fmt.Errorf("%d bytes, more than %d", len(s), MaxNameLen)
	case !utf8.ValidString(s):
		return errors.New("not valid UTF-8")
	case strings.ContainsFunc(s, unicode.IsControl):
		return errors.New("contains a control character")
	}
	return nil
}

// ClipName makes s a name a bundle accepts: invalid UTF-8 and control
// characters become spaces, and it is cut at a character boundary to at
// most MaxNameLen bytes. Names from elsewhere (the catalog, a ticket list)
// go through it.
func ClipName(s string) string {
	s = strings.ToValidUTF8(s, " ")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	for len(s) > MaxNameLen {
		_, n := utf8.DecodeLastRuneInString(s[:MaxNameLen+1])
		s = s[:MaxNameLen+1-n]
	}
	return strings.TrimSpace(s)
}

// TypeName returns the name of ticket type n, or "" if the payload does
// not name it.
func (p *Payload) TypeName(n uint16) string {
	for _, tt := range p.TicketTypes {
		if tt.Number == n {
			return tt.Name
		}
	}
	return ""
}

// Lineages maps every ticket that replaced another (Ticket.Replaces) to
// the first ticket of its chain, the one originally sold. A ticket that
// replaces itself, one not in the bundle, one replaced twice, or a cycle
// is an error.
func (p *Payload) Lineages() (map[ticketcrypto.TicketID]ticketcrypto.TicketID, error) {
	replaces := make(map[ticketcrypto.TicketID]ticketcrypto.TicketID)
	listed := make(map[ticketcrypto.TicketID]bool, len(p.Tickets))
	for _, t := range p.Tickets {
		listed[t.ID] = true
	}
	replacedBy := make(map[ticketcrypto.TicketID]ticketcrypto.TicketID)
	for i, t := range p.Tickets {
		if t.Replaces.IsZero() {
			continue
		}
		switch prev, twice := replacedBy[t.Replaces]; {
		case t.Replaces == t.ID:
			return nil, fmt.Errorf("bundle: tickets[%d]: ticket %s replaces itself", i, t.ID)
		case !listed[t.Replaces]:
			return nil, fmt.Errorf("bundle: tickets[%d]: ticket %s replaces %s, which the bundle does not list", i, t.ID, t.Replaces)
		case twice:
			return nil, fmt.Errorf("bundle: tickets[%d]: ticket %s replaces %s, which %s replaced already", i, t.ID, t.Replaces, prev)
		}
		replacedBy[t.Replaces] = t.ID
		replaces[t.ID] = t.Replaces
	}
	roots := make(map[ticketcrypto.TicketID]ticketcrypto.TicketID, len(replaces))
	for id := range replaces {
		root := id
		for steps := 0; ; steps++ {
			prev, ok := replaces[root]
			if !ok {
				break
			}
			if steps > len(replaces) {
				return nil, fmt.Errorf("bundle: ticket %s: its replacements form a cycle", id)
			}
			root = prev
		}
		roots[id] = root
	}
	return roots, nil
}

// Profile returns the profile of a gate. With gateID empty it returns the
// only profile, and fails if there are several.
func (p *Payload) Profile(gateID string) (GateProfile, error) {
	if gateID == "" {
		if len(p.Profiles) == 1 {
			return p.Profiles[0], nil
		}
		names := make([]string, len(p.Profiles))
		for i, g := range p.Profiles {
			names[i] = g.GateID
		}
		return GateProfile{}, fmt.Errorf("bundle has %d gate profiles (%s): choose one with --gate", len(p.Profiles), strings.Join(names, ", "))
	}
	for _, g := range p.Profiles {
		if g.GateID == gateID {
			return g, nil
		}
	}
	return GateProfile{}, fmt.Errorf("bundle has no gate profile %q", gateID)
}

// Keyring builds the keyring the payload carries, with its rotation keys.
func (p *Payload) BuildKeyring() (*ticketcrypto.Keyring, error) {
	var kr ticketcrypto.Keyring
	for _, e := range p.Keyring {
		if err := kr.Add(e); err != nil {
			return nil, err
		}
	}
	for _, r := range p.RotationKeys {
		k, err := ticketcrypto.ParseRotationKey(r.Key)
		if err != nil {
			return nil, err
		}
		kr.SetRotationKey(r.Event, k)
	}
	return &kr, nil
}

// Write signs the payload with key and writes the bundle. With a non-empty
// passphrase the whole file is sealed; a payload with rotation keys
// requires one, so secrets never travel in the clear.
func Write(w io.Writer, p *Payload, key ticketcrypto.PrivateKey, passphrase []byte, kdf ticketcrypto.KDFParams) error {
	if p.Format == "" {
		p.Format = Format
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if len(p.RotationKeys) > 0 && len(passphrase) == 0 {
		return errors.New("bundle: it carries rotation keys, so it must be sealed with a passphrase")
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("bundle: encode: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(len(body) + 256)
	buf.WriteString(Format + "\n")
	buf.WriteString(key.Public().String() + "\n")
	buf.WriteString(base64.RawURLEncoding.EncodeToString(key.Sign(signatureContext, body)) + "\n")
	buf.Write(body)
	out := buf.Bytes()
	if len(passphrase) > 0 {
		if out, err = ticketcrypto.SealPassphrase(passphrase, out, kdf); err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
	}
	if len(out) > MaxSize {
		return fmt.Errorf("bundle: %d bytes is more than the %d a gate accepts", len(out), MaxSize)
	}
	_, err = w.Write(out)
	return err
}

// ErrUntrusted is returned when a bundle's signer is not trusted.
var ErrUntrusted = errors.New("bundle signer is not trusted")

// IsSealed reports whether data is a sealed bundle, which needs a
// passphrase to read.
func IsSealed(data []byte) bool { return ticketcrypto.IsSealed(data) }

// Read verifies and parses a bundle. trusted are the signer keys the reader
// accepts; the signer must be one of them. A sealed bundle needs its
// passphrase.
func Read(data []byte, trusted []ticketcrypto.PublicKey, passphrase []byte) (*Payload, ticketcrypto.PublicKey, error) {
	if len(data) > MaxSize {
		return nil, ticketcrypto.PublicKey{}, fmt.Errorf("bundle: %d bytes is more than the %d allowed", len(data), MaxSize)
	}
	if ticketcrypto.IsSealed(data) {
		if len(passphrase) == 0 {
			return nil, ticketcrypto.PublicKey{}, errors.New("bundle: it is sealed: a passphrase is needed")
		}
		opened, err := ticketcrypto.OpenPassphrase(passphrase, data)
		if err != nil {
			return nil, ticketcrypto.PublicKey{}, fmt.Errorf("bundle: %w", err)
		}
		data = opened
	}
	signer, body, err := verify(data, trusted)
	if err != nil {
		return nil, signer, err
	}
	var p Payload
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, signer, fmt.Errorf("bundle: payload: %w", err)
	}
	if dec.More() {
		return nil, signer, errors.New("bundle: payload: trailing data after the JSON object")
	}
	if err := p.Validate(); err != nil {
		return nil, signer, err
	}
	return &p, signer, nil
}

// verify checks the header and signature and returns the signer and the
// payload bytes.
func verify(data []byte, trusted []ticketcrypto.PublicKey) (ticketcrypto.PublicKey, []byte, error) {
	var none ticketcrypto.PublicKey
	rest := data
	var lines [3]string
	for i := range lines {
		j := bytes.IndexByte(rest, '\n')
		if j < 0 || j > 200 {
			return none, nil, fmt.Errorf("bundle: header line %d is missing or too long: not a bundle file", i+1)
		}
		lines[i], rest = string(rest[:j]), rest[j+1:]
	}
	if lines[0] != Format {
		return none, nil, fmt.Errorf("bundle: first line %q, want %q", truncate(lines[0], 40), Format)
	}
	signer, err := ticketcrypto.ParsePublicKey(lines[1])
	if err != nil {
		return none, nil, fmt.Errorf("bundle: signer: %w", err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(lines[2])
	if err != nil {
		return signer, nil, errors.New("bundle: signature line is not base64url")
	}
	if !slices.ContainsFunc(trusted, signer.Equal) {
		return signer, nil, fmt.Errorf("%w: %s", ErrUntrusted, signer)
	}
	if !signer.VerifyDetached(signatureContext, rest, sig) {
		return signer, nil, errors.New("bundle: signature does not match the content: the file was altered or damaged")
	}
	return signer, rest, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
