package catalog

import (
	"context"
	"time"
)

// Organization sells tickets to its events.
type Organization struct {
	ID   string `json:"id"` // "org_" + 24 hex
	Name string `json:"name"`
	// Require2FA makes two-factor authentication mandatory for the
	// organization's organizers and staff.
	Require2FA bool      `json:"require_2fa"`
	CreatedAt  time.Time `json:"created_at"`
}

// Venue is where events happen.
type Venue struct {
	ID        string    `json:"id"` // "ven_" + 24 hex
	OrgID     string    `json:"org_id"`
	Name      string    `json:"name"`
	Address   string    `json:"address"`
	City      string    `json:"city"`
	Country   string    `json:"country"` // ISO 3166-1 alpha-2
	Lat       float64   `json:"lat"`
	Lon       float64   `json:"lon"`
	CreatedAt time.Time `json:"created_at"`
}

// Status is an event's place in its life: draft -> published ->
// cancelled or ended.
type Status string

const (
	StatusDraft     Status = "draft"
	StatusPublished Status = "published"
	StatusCancelled Status = "cancelled"
	StatusEnded     Status = "ended"
)

// Event is something people buy tickets for. Its ID is a crypto.EventID in
// text form ("ev_" + 16 hex), the id ticket tokens carry.
type Event struct {
	ID          string    `json:"id"`
	OrgID       string    `json:"org_id"`
	VenueID     string    `json:"venue_id"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Category    string    `json:"category"`
	Tags        []string  `json:"tags"`
	Images      []string  `json:"images"`    // https URLs
	TimeZone    string    `json:"time_zone"` // IANA, e.g. Europe/Berlin
	StartsAt    time.Time `json:"starts_at"`
	EndsAt      time.Time `json:"ends_at"`
	DoorsAt     time.Time `json:"doors_at"`
	// LockTicketsAtDoors stops transfers and buyers' refunds of the
	// event's tickets from DoorsAt on, so a ticket cannot change hands
	// while people are going in on it (an entry on record stops them for
	// that ticket in any case).
	LockTicketsAtDoors bool      `json:"lock_tickets_at_doors"`
	Status             Status    `json:"status"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
	// Version increases on every change; caches and the search index use
	// it to tell stale copies.
	Version int64 `json:"version"`
}

// Money is an amount in minor units (cents) of an ISO 4217 currency.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// Kind says whether a ticket type admits someone.
type Kind string

const (
	KindAdmission   Kind = "admission"
	KindMerchandise Kind = "merchandise"
)

// TicketType is something sold for an event.
type TicketType struct {
	ID          string    `json:"id"` // "tt_" + 24 hex
	EventID     string    `json:"event_id"`
	Number      uint16    `json:"number"` // the type number in ticket tokens, 1.. per event
	Name        string    `json:"name"`
	Kind        Kind      `json:"kind"`
	Price       Money     `json:"price"`
	Capacity    int       `json:"capacity"`
	SaleStarts  time.Time `json:"sale_starts,omitzero"`
	SaleEnds    time.Time `json:"sale_ends,omitzero"`
	PerOrderMax int       `json:"per_order_max"`
	// PerBuyerMax caps what one account may buy of the type across its
	// orders (0: no cap beyond PerOrderMax per order).
	PerBuyerMax int `json:"per_buyer_max,omitempty"`
	// MaxHeldPerBuyer caps what one account may have of the type in
	// active holds at a time, against hoarding (0: only the server's cap
	// on an event's admission tickets held per account applies).
	MaxHeldPerBuyer int `json:"max_held_per_buyer,omitempty"`
	// RotatingCode makes this type's tickets require a rotating code at
	// the gate (shown by a wallet or the app), so a screenshot of the
	// code stops working within a minute.
	RotatingCode bool `json:"rotating_code,omitempty"`
	// Hidden keeps the type out of search, out of the event's lowest
	// price and off the event page, and sells it only to holders of an
	// access code that unlocks it (package voucher): guest lists,
	// presales.
	Hidden    bool      `json:"hidden,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Store is what the catalog needs from storage. Implementations:
// storage/bolt and storage/postgres; storage/storetest checks both.
//
// Errors: ErrNotFound for a missing row, ErrExists for a duplicate id.
type Store interface {
	CreateOrg(ctx context.Context, o Organization) error
	// CreateOrgWithOrganizer stores a new organization and makes the
	// user its organizer (account.RoleOrganizer), in one transaction:
	// both or neither. An unknown user is account.ErrNotFound, an id
	// taken ErrExists.
	CreateOrgWithOrganizer(ctx context.Context, o Organization, userID string) error
	Org(ctx context.Context, id string) (Organization, error)
	// Orgs lists organizations with id greater than after, in id order,
	// at most limit (a limit below 1 is ErrInvalid).
	Orgs(ctx context.Context, after string, limit int) ([]Organization, error)

	CreateVenue(ctx context.Context, v Venue) error
	Venue(ctx context.Context, id string) (Venue, error)

	CreateEvent(ctx context.Context, e Event) error
	Event(ctx context.Context, id string) (Event, error)
	// UpdateEvent applies fn in one transaction and bumps Version; an
	// error from fn aborts without writing.
	UpdateEvent(ctx context.Context, id string, fn func(*Event) error) (Event, error)
	// Events lists events with id greater than after, in id order, at most
	// limit: the scan the search index is rebuilt from.
	Events(ctx context.Context, after string, limit int) ([]Event, error)
	// OrgEvents lists the events of organization orgID, drafts too, with
	// id greater than after, in id order, at most limit (a limit below 1
	// is ErrInvalid); none for an unknown organization.
	OrgEvents(ctx context.Context, orgID, after string, limit int) ([]Event, error)

	// CreateTicketType stores a type; it assigns Number (next per event)
	// atomically and returns the stored type.
	CreateTicketType(ctx context.Context, t TicketType) (TicketType, error)
	TicketTypes(ctx context.Context, eventID string) ([]TicketType, error)

	// The organizer's desk: list, edit and remove (manage.go).

	// OrgVenues lists the venues of organization orgID with id greater
	// than after, in id order, at most limit (a limit below 1 is
	// ErrInvalid).
	OrgVenues(ctx context.Context, orgID, after string, limit int) ([]Venue, error)
	// UpdateVenue applies fn to a venue in one transaction; an error
	// from fn aborts without writing. ID, OrgID and CreatedAt cannot
	// change (ErrInvalid).
	UpdateVenue(ctx context.Context, id string, fn func(*Venue) error) (Venue, error)
	// DeleteVenue removes a venue that no event refers to; one that an
	// event does is ErrInUse, checked in the same transaction.
	DeleteVenue(ctx context.Context, id string) error
	// UpdateTicketType applies fn to ticket type id of event eventID in
	// one transaction; an error from fn aborts without writing. ID,
	// EventID, Number, Kind and CreatedAt cannot change (ErrInvalid).
	UpdateTicketType(ctx context.Context, eventID, id string, fn func(*TicketType) error) (TicketType, error)
	// DeleteTicketType removes ticket type id of event eventID. The
	// service deletes only a type nothing was sold or held of, so no
	// token names its number, which a later type may get again.
	DeleteTicketType(ctx context.Context, eventID, id string) error
	// DeleteEvent removes an event and its ticket types after check
	// accepts the stored event, in one transaction; an event that gates
	// or inventory rows refer to is ErrInUse.
	DeleteEvent(ctx context.Context, id string, check func(Event) error) error
}
