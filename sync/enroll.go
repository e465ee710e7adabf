package sync

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/id"
)

// EnrollmentTTL is how long an enrolment code works.
const EnrollmentTTL = 24 * time.Hour

// CodePrefix starts every enrolment code.
const CodePrefix = "aoec_"

// defaultEnrollKDF seals the enrolment bundle under the enrolment code
// when Enroller.KDF is zero. The code is 256 random bits, so the key
// derivation need not be slow; it only has to be the bundle format's.
var defaultEnrollKDF = ticketcrypto.KDFParams{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}

// Keys is what enrolment needs of the server's issuer keys;
// vault.Vault implements it.
type Keys interface {
	KeyringEntries(ctx context.Context, eventID string) ([]ticketcrypto.KeyringEntry, error)
	RotationKey(ctx context.Context, eventID string) (ticketcrypto.RotationKey, error)
	WriteBundle(ctx context.Context, w io.Writer, p *bundle.Payload, passphrase []byte, kdf ticketcrypto.KDFParams) (ticketcrypto.PublicKey, error)
}

// Enroller creates gates and enrols gate devices.
type Enroller struct {
	Store   Store
	Changes ChangeReader
	Keys    Keys
	// EventName names an event on the gate's screen; nil leaves it out.
	EventName func(ctx context.Context, eventID string) (string, error)
	// TypeNames names an event's ticket types on the gate's screen; nil
	// leaves them out. Enrol puts them in the bundle only for a gate that
	// asks (EnrollOptions.Names): an older scannerd refuses a bundle with
	// fields it does not know.
	TypeNames func(ctx context.Context, eventID string) ([]bundle.TicketType, error)
	Now       func() time.Time
	// KDF seals the enrolment bundle under the enrolment code; zero
	// means one pass over 8 MiB with one thread, enough for a 256-bit
	// code.
	KDF ticketcrypto.KDFParams
}

func (e *Enroller) kdf() ticketcrypto.KDFParams {
	if e.KDF == (ticketcrypto.KDFParams{}) {
		return defaultEnrollKDF
	}
	return e.KDF
}

func (e *Enroller) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// GateSpec is what an organizer says about a new gate.
type GateSpec struct {
	Name         string           `json:"name"`
	Direction    bundle.Direction `json:"direction"`
	AllowReentry bool             `json:"allow_reentry"`
	Types        []uint16         `json:"types"`
	// Purpose is "" or "admission" for a door, PurposeMerchPickup for a
	// merchandise pickup desk.
	Purpose string `json:"purpose"`
}

// Validate checks a spec; errors name the field.
func (g GateSpec) Validate() error {
	switch {
	case strings.TrimSpace(g.Name) == "" || len(g.Name) > 100:
		return fmt.Errorf("name must be 1 to 100 characters: %w", ErrInvalid)
	case g.Direction != bundle.Entry && g.Direction != bundle.Exit && g.Direction != bundle.Both:
		return fmt.Errorf("direction must be %q, %q or %q: %w", bundle.Entry, bundle.Exit, bundle.Both, ErrInvalid)
	case len(g.Types) > 1000:
		return fmt.Errorf("types lists %d ticket types; at most 1000: %w", len(g.Types), ErrInvalid)
	case g.Purpose != "" && g.Purpose != "admission" && g.Purpose != PurposeMerchPickup:
		return fmt.Errorf("purpose must be \"admission\" or %q: %w", PurposeMerchPickup, ErrInvalid)
	}
	return nil
}

// purpose is the Gate.Purpose of a valid spec: "admission" is stored
// as empty, as a gate made before purposes existed.
func (g GateSpec) purpose() string {
	if g.Purpose == "admission" {
		return ""
	}
	return g.Purpose
}

// newSecret is prefix and 256 random bits in base64url.
func newSecret(prefix string) string {
	var b [32]byte
	rand.Read(b[:])
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// CreateGate makes a gate of an event and its one-time enrolment code,
// which is returned once and stored only as a hash.
func (e *Enroller) CreateGate(ctx context.Context, eventID string, spec GateSpec, createdBy string) (Gate, string, error) {
	if err := spec.Validate(); err != nil {
		return Gate{}, "", err
	}
	code := newSecret(CodePrefix)
	now := e.now().UTC().Truncate(time.Microsecond)
	g := Gate{
		ID: id.New("gat"), EventID: eventID, Name: strings.TrimSpace(spec.Name), Direction: spec.Direction,
		AllowReentry: spec.AllowReentry, Types: slices.Clone(spec.Types), CodeHash: HashSecret(code),
		Purpose:       spec.purpose(),
		CodeExpiresAt: now.Add(EnrollmentTTL), CreatedBy: createdBy, CreatedAt: now,
	}
	if err := e.Store.CreateGate(ctx, g); err != nil {
		return Gate{}, "", err
	}
	return g, code, nil
}

// Enrollment is what a gate gets for its enrolment code.
type Enrollment struct {
	Gate Gate `json:"gate"`
	// Credential authenticates the device at /v1/sync from now on; it is
	// shown once.
	Credential string `json:"credential"`
	// Bundle is the gate's bundle (profile, keyring, rotation key, ticket
	// list, revocations), signed by Signer and sealed under the
	// enrolment code.
	Bundle []byte                 `json:"bundle"`
	Signer ticketcrypto.PublicKey `json:"signer"`
	// Checkins are the event's check-ins so far, which the bundle does
	// not carry; Cursor is the log's Seq the bundle and they are as of:
	// sync resumes after it.
	Checkins   []changelog.Change `json:"checkins"`
	Cursor     int64              `json:"cursor"`
	ServerTime time.Time          `json:"server_time"`
}

// EnrollOptions are what an enrolling gate says it understands.
type EnrollOptions struct {
	// Names asks for the ticket type names in the bundle (scannerd sends
	// names=1 since it reads them; an older one does not, and gets a
	// bundle it can read).
	Names bool
}

// Enroll exchanges an enrolment code for the gate's credential and its
// starting state: a bundle replayed from the event's log, so a gate
// enrolled with 100,000 tickets is ready in one request.
func (e *Enroller) Enroll(ctx context.Context, code string, opt EnrollOptions) (Enrollment, error) {
	if !strings.HasPrefix(code, CodePrefix) || len(code) > 100 {
		return Enrollment{}, fmt.Errorf("enrolment code: %w", ErrNotFound)
	}
	credential := newSecret(CredentialPrefix)
	now := e.now().UTC().Truncate(time.Microsecond)
	g, err := e.Store.EnrollGate(ctx, HashSecret(code), HashSecret(credential), now)
	if err != nil {
		return Enrollment{}, err
	}
	var eventName string
	if e.EventName != nil {
		if eventName, err = e.EventName(ctx, g.EventID); err != nil {
			return Enrollment{}, fmt.Errorf("enrol gate %s: %w", g.ID, err)
		}
	}
	p, checkins, cursor, err := e.payload(ctx, g, eventName, now)
	if err != nil {
		return Enrollment{}, err
	}
	if opt.Names {
		if p.TicketTypes, err = e.typeNames(ctx, g.EventID); err != nil {
			return Enrollment{}, fmt.Errorf("enrol gate %s: %w", g.ID, err)
		}
	}
	var buf bytes.Buffer
	signer, err := e.Keys.WriteBundle(ctx, &buf, p, []byte(code), e.kdf())
	if err != nil {
		return Enrollment{}, fmt.Errorf("enrol gate %s: %w", g.ID, err)
	}
	return Enrollment{Gate: g, Credential: credential, Bundle: buf.Bytes(), Signer: signer, Checkins: checkins, Cursor: cursor, ServerTime: now}, nil
}

// typeNames is the event's ticket type names, if TypeNames is set.
func (e *Enroller) typeNames(ctx context.Context, eventID string) ([]bundle.TicketType, error) {
	if e.TypeNames == nil {
		return nil, nil
	}
	tts, err := e.TypeNames(ctx, eventID)
	if err != nil {
		return nil, fmt.Errorf("ticket type names: %w", err)
	}
	return tts, nil
}

// Export writes gate gateID's bundle as of now (the USB-stick path:
// `syncserver bundle server-export`, then `scannerd import`), with the
// event's ticket type names, signed by
// the active issuer key and sealed under passphrase, which it requires
// because the bundle carries the event's rotation key. It returns the
// signer, which the gate must trust, and the ticket count.
func (e *Enroller) Export(ctx context.Context, gateID string, w io.Writer, passphrase []byte, kdf ticketcrypto.KDFParams) (ticketcrypto.PublicKey, int, error) {
	g, err := e.Store.Gate(ctx, gateID)
	if err != nil {
		return ticketcrypto.PublicKey{}, 0, err
	}
	if !g.RevokedAt.IsZero() {
		return ticketcrypto.PublicKey{}, 0, fmt.Errorf("gate %s: %w", g.ID, ErrRevoked)
	}
	var eventName string
	if e.EventName != nil {
		if eventName, err = e.EventName(ctx, g.EventID); err != nil {
			return ticketcrypto.PublicKey{}, 0, err
		}
	}
	p, _, _, err := e.payload(ctx, g, eventName, e.now().UTC())
	if err != nil {
		return ticketcrypto.PublicKey{}, 0, err
	}
	if p.TicketTypes, err = e.typeNames(ctx, g.EventID); err != nil {
		return ticketcrypto.PublicKey{}, 0, err
	}
	signer, err := e.Keys.WriteBundle(ctx, w, p, passphrase, kdf)
	return signer, len(p.Tickets), err
}

// payload replays the event's log into a bundle for gate g.
func (e *Enroller) payload(ctx context.Context, g Gate, eventName string, now time.Time) (*bundle.Payload, []changelog.Change, int64, error) {
	ev, err := ticketcrypto.ParseEventID(g.EventID)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("gate %s: event id: %w", g.ID, err)
	}
	entries, err := e.Keys.KeyringEntries(ctx, g.EventID)
	if err != nil {
		return nil, nil, 0, err
	}
	rk, err := e.Keys.RotationKey(ctx, g.EventID)
	if err != nil {
		return nil, nil, 0, err
	}
	types := map[ticketcrypto.TicketID]uint16{}
	var order []ticketcrypto.TicketID
	revoked := map[ticketcrypto.TicketID]bundle.Revocation{}
	replaces := map[ticketcrypto.TicketID]ticketcrypto.TicketID{}
	var validUntil time.Time
	var checkins []changelog.Change
	var cursor int64
	for {
		page, err := e.Changes.Changes(ctx, g.EventID, cursor, changelog.MaxChanges)
		if err != nil {
			return nil, nil, 0, err
		}
		for _, ch := range page {
			cursor = ch.Seq
			switch ch.Kind {
			case changelog.KindCheckin:
				checkins = append(checkins, ch)
				continue
			case changelog.KindValidity:
				validUntil = ch.At
				continue
			case changelog.KindIssue, changelog.KindRevoke:
			default:
				continue
			}
			t, err := ticketcrypto.ParseTicketID(ch.TicketID)
			if err != nil {
				return nil, nil, 0, fmt.Errorf("log entry %d: %w", ch.Seq, err)
			}
			if ch.Kind == changelog.KindIssue {
				if _, seen := types[t]; !seen {
					order = append(order, t)
				}
				types[t] = ch.TypeNumber
				if ch.Replaces != "" {
					if replaces[t], err = ticketcrypto.ParseTicketID(ch.Replaces); err != nil {
						return nil, nil, 0, fmt.Errorf("log entry %d: replaces: %w", ch.Seq, err)
					}
				}
			} else {
				revoked[t] = bundle.Revocation{Ticket: t, At: ch.At, Reason: ch.Reason}
			}
		}
		if len(page) < changelog.MaxChanges {
			break
		}
	}
	p := &bundle.Payload{
		Format: bundle.Format, CreatedAt: now, Event: ev, EventName: eventName, Keyring: entries,
		Profiles: []bundle.GateProfile{{GateID: g.ID, Name: g.Name, Event: ev, EventName: eventName, Mode: bundle.ModeSigned,
			Direction: g.Direction, AllowReentry: g.AllowReentry, Types: g.Types}},
		Tickets:      make([]bundle.Ticket, 0, len(order)),
		Revocations:  make([]bundle.Revocation, 0, len(revoked)),
		RotationKeys: []bundle.RotationKey{{Event: ev, Key: rk.Secret()}},
		ValidUntil:   validUntil,
	}
	for _, t := range order {
		p.Tickets = append(p.Tickets, bundle.Ticket{ID: t, TypeNumber: types[t], Replaces: replaces[t]})
	}
	for _, t := range order {
		if r, ok := revoked[t]; ok {
			p.Revocations = append(p.Revocations, r)
		}
	}
	return p, checkins, cursor, nil
}
