package sync

import (
	"context"
	"errors"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/internal/errkind"
)

// Errors of the Store and the hub; the HTTP edge and the websocket close
// reasons name them. ErrNotFound, ErrExists and ErrInvalid are of an
// errkind.Kind with a wire code, for the HTTP edge to map; the others
// each have their own answer at the edge.
var (
	ErrNotFound = errkind.New(errkind.NotFound, "not_found", "not found")
	ErrExists   = errkind.New(errkind.Exists, "exists", "already exists")
	// ErrExpired is an enrolment code past its expiry.
	ErrExpired = errors.New("enrolment code expired")
	// ErrRevoked is a gate whose device was revoked by an organizer.
	ErrRevoked = errors.New("gate revoked")
	ErrInvalid = errkind.New(errkind.Invalid, "invalid", "invalid")
	// ErrEnrolled is a change to what an enrolled gate's device already
	// holds (its direction and types are in its profile).
	ErrEnrolled = errkind.New(errkind.Conflict, "gate_enrolled", "the gate has enrolled")
	// ErrRevokedGate is a change to a revoked gate.
	ErrRevokedGate = errkind.New(errkind.Conflict, "gate_revoked", "the gate was revoked")
	// ErrTooManyConnections is a gate over MaxConnsPerGate connections.
	ErrTooManyConnections = errors.New("too many connections for one gate")
)

// Gate is a gate device of one event: created by an organizer or staff
// member with a one-time enrolment code, enrolled by scannerd in
// exchange for a device credential, and revocable.
type Gate struct {
	ID           string           `json:"id"` // "gat_" + 24 hex
	EventID      string           `json:"event_id"`
	Name         string           `json:"name"`
	Direction    bundle.Direction `json:"direction"`
	AllowReentry bool             `json:"allow_reentry"`
	// Types are the ticket type numbers admitted here; empty admits all.
	Types []uint16 `json:"types,omitempty"`
	// Purpose is what the gate is for: empty for a door that admits
	// tickets, PurposeMerchPickup for a merchandise pickup desk. It
	// reaches scannerd in the Enrollment's Gate.
	Purpose string `json:"purpose,omitempty"`
	// CodeHash is the SHA-256 (hex) of the enrolment code until the gate
	// enrolls; then it is empty, so a code works once.
	CodeHash      string    `json:"-"`
	CodeExpiresAt time.Time `json:"code_expires_at,omitzero"`
	// CredentialHash is the SHA-256 (hex) of the device credential.
	CredentialHash string    `json:"-"`
	CreatedBy      string    `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
	EnrolledAt     time.Time `json:"enrolled_at,omitzero"`
	RevokedAt      time.Time `json:"revoked_at,omitzero"`
}

// PurposeMerchPickup is a Gate.Purpose: a desk that hands out the
// merchandise of the orders whose codes it scans (package merch),
// claiming each item at the server, online only.
const PurposeMerchPickup = "merch_pickup"

// ConflictSide is one of the two check-ins of a conflict. TicketID is
// the ticket scanned: a ticket and its replacement (a transfer) share one
// entry state, so the two sides of a conflict may name different tickets
// of one lineage.
type ConflictSide struct {
	TicketID  string    `json:"ticket_id,omitempty"`
	CheckinID string    `json:"checkin_id"`
	GateID    string    `json:"gate_id"`
	At        time.Time `json:"at"`
	Offline   bool      `json:"offline,omitempty"`
}

// Conflict is a ticket admitted twice: an entry check-in that arrived
// while the server's record had the ticket inside (entered, not exited),
// typically two gates cut off from each other admitting one ticket. A
// ticket and the tickets that replaced it (purchase.Ticket.Root) count as
// one: the old ticket admitted offline and its transferred replacement
// admitted elsewhere is a conflict too. Both check-ins are stored; the
// conflict is reported, nothing is dropped.
type Conflict struct {
	EventID string `json:"event_id"`
	// TicketID is the lineage's original ticket (the one sold); the
	// sides name the tickets scanned.
	TicketID string       `json:"ticket_id"`
	First    ConflictSide `json:"first"`
	Second   ConflictSide `json:"second"`
	// DetectedAt is when the server stored the second check-in.
	DetectedAt time.Time `json:"detected_at"`
}

// RecordResult is what RecordCheckins did.
type RecordResult struct {
	// New counts the check-ins stored now; the rest were stored before.
	New int
	// Conflicts are the conflicts the new check-ins made.
	Conflicts []Conflict
}

// MaxBatch bounds the check-ins of one RecordCheckins call (and of one
// upload message).
const MaxBatch = 500

// Quarantined is an uploaded check-in the server did not record because
// it does not fit the event (CheckUpload): a ticket the server never
// issued, another event's ticket, a type other than the ticket's, a time
// the ticket cannot have been scanned at. It is kept, not dropped, so an
// organizer can see it (a forged or replayed upload, a gate whose clock
// is wrong), and acknowledged, so the gate's outbox empties.
type Quarantined struct {
	changelog.Checkin
	// Reason is a stable code (QuarantineUnknownTicket, ...); Detail
	// says what was wrong in words.
	Reason     string    `json:"reason"`
	Detail     string    `json:"detail"`
	ReceivedAt time.Time `json:"received_at"`
}

// Reasons a check-in is quarantined.
const (
	QuarantineUnknownTicket = "unknown_ticket"
	QuarantineWrongEvent    = "wrong_event"
	QuarantineWrongType     = "wrong_type"
	QuarantineBadTime       = "bad_time"
)

// MaxClockSkew is how far a gate's clock may be off before its
// check-in's time is implausible (before the ticket was issued, after it
// stopped admitting, or later than the server's clock).
const MaxClockSkew = time.Hour

// Store keeps gates, uploaded check-ins and conflicts. Implementations:
// storage/bolt and storage/postgres; storage/storetest checks both.
// Check-ins go into the event's change log (purchase.TicketStore.Changes)
// with Kind changelog.KindCheckin, numbered with the issues and revokes.
type Store interface {
	// CreateGate stores a new gate: ErrExists if its id is taken,
	// ErrNotFound if its event does not exist.
	CreateGate(ctx context.Context, g Gate) error
	// Gate returns a gate, or ErrNotFound.
	Gate(ctx context.Context, id string) (Gate, error)
	// GatesOfEvent lists an event's gates by creation time.
	GatesOfEvent(ctx context.Context, eventID string) ([]Gate, error)
	// EnrollGate consumes the enrolment code with hash codeHash: the gate
	// gets credentialHash and EnrolledAt at, and its code hash is
	// cleared. An unknown or used code is ErrNotFound, one past
	// CodeExpiresAt ErrExpired, a revoked gate's ErrRevoked.
	EnrollGate(ctx context.Context, codeHash, credentialHash string, at time.Time) (Gate, error)
	// GateByCredential finds the gate with a device credential hash, or
	// ErrNotFound. The caller checks RevokedAt.
	GateByCredential(ctx context.Context, credentialHash string) (Gate, error)
	// RevokeGate marks a gate revoked at at (again: unchanged) and returns
	// it.
	RevokeGate(ctx context.Context, id string, at time.Time) (Gate, error)
	// UpdateGate applies fn to a gate in one transaction; an error from
	// fn aborts without writing. Only Name, Direction, AllowReentry and
	// Types may change (ErrInvalid otherwise).
	UpdateGate(ctx context.Context, id string, fn func(*Gate) error) (Gate, error)
	// RecordCheckins stores check-ins of one gate of one event (every
	// check-in's EventID and GateID must be g's, else ErrInvalid, and
	// nothing is stored), at most MaxBatch, in one transaction: each new
	// one (by ID) is appended to the event's change log, in the given
	// order, and updates the server's record of the ticket's lineage
	// (purchase.Ticket.Root; an unknown ticket id is its own): an entry
	// while the lineage is inside records a Conflict with the entry that
	// put it inside; an exit puts it outside; the first entry stays on
	// record (purchase.TicketStore.Entered). Check-ins stored before are
	// skipped. receivedAt stamps conflicts.
	RecordCheckins(ctx context.Context, g Gate, cs []changelog.Checkin, receivedAt time.Time) (RecordResult, error)
	// Conflicts lists an event's conflicts in the order detected, at most
	// limit.
	Conflicts(ctx context.Context, eventID string, limit int) ([]Conflict, error)
	// QuarantineCheckins keeps check-ins of gate g that the hub refused
	// (each of g's event and gate, else ErrInvalid and nothing is
	// stored; at most MaxBatch), skipping ids kept before, and returns
	// how many were new.
	QuarantineCheckins(ctx context.Context, g Gate, qs []Quarantined) (int, error)
	// Quarantine lists an event's quarantined check-ins in check-in id
	// order (which is scan time order), at most limit.
	Quarantine(ctx context.Context, eventID string, limit int) ([]Quarantined, error)
}

// Notifier tells other server processes that an event's change log grew;
// storage/postgres implements it with LISTEN/NOTIFY. Listen calls fn with
// the event id of every notification until ctx ends, reconnecting after
// errors (and then calling fn with "" to say "something may have been
// missed: recheck everything").
type Notifier interface {
	Listen(ctx context.Context, fn func(eventID string)) error
}
