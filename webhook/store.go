package webhook

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/admitone/admitone/internal/errkind"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/notify"
)

// Errors of the webhook service and stores, each of an errkind.Kind with
// its wire code.
var (
	// ErrNotFound is an endpoint that is not stored (or not the
	// organization's).
	ErrNotFound = errkind.New(errkind.NotFound, "not_found", "not found")
	// ErrInvalid is input the service or a store refuses.
	ErrInvalid = errkind.New(errkind.Invalid, "invalid", "invalid")
	// ErrLimit is an organization with MaxEndpoints endpoints already.
	ErrLimit = errkind.New(errkind.Conflict, "webhook_limit", "too many webhook endpoints")
	// ErrAddress is a URL whose host is, or resolves to, an address
	// deliveries may not go to (loopback, private, link-local...).
	ErrAddress = errkind.New(errkind.Invalid, "webhook_address", "webhook address not allowed")
)

// Kind is what a delivery tells of.
type Kind string

// The kinds an organizer's endpoint may subscribe to.
const (
	KindOrderPaid       Kind = "order.paid"
	KindOrderRefunded   Kind = "order.refunded"
	KindTicketCheckedIn Kind = "ticket.checked_in"
	KindConflict        Kind = "checkin.conflict"
	KindEventCancelled  Kind = "event.cancelled"
)

// Kinds are the kinds an endpoint may subscribe to, in a fixed order.
var Kinds = []Kind{KindOrderPaid, KindOrderRefunded, KindTicketCheckedIn, KindConflict, KindEventCancelled}

// The kinds of operator alerts (Alerts), sent to the operator's webhook
// only.
const (
	KindAlertConflict       Kind = "alert.conflict"
	KindAlertGateOffline    Kind = "alert.gate_offline"
	KindAlertPaymentWebhook Kind = "alert.payment_webhook"
)

// EndpointIDPrefix is the prefix of endpoint ids (internal/id).
const EndpointIDPrefix = "whe"

// Endpoint is an organization's webhook: where deliveries of its kinds
// go, and the secret they are signed with, sealed.
type Endpoint struct {
	ID    string `json:"id"` // "whe_" + 24 hex
	OrgID string `json:"org_id"`
	URL   string `json:"url"`
	Kinds []Kind `json:"kinds"`
	// SealedSecret is the signing secret sealed with the server's seal
	// key (see Service.secretAD); it never leaves the server.
	SealedSecret []byte    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
}

// Wants reports whether e subscribes to k.
func (e Endpoint) Wants(k Kind) bool { return slices.Contains(e.Kinds, k) }

// Limits, the same on every backend.
const (
	MaxURL          = 1024 // bytes of an endpoint URL
	MaxEndpoints    = 10   // endpoints of one organization
	MaxSealedSecret = 256  // bytes of a sealed secret
	MaxDeliveries   = 100  // deliveries one Store.Deliveries call returns at most
)

// ChannelWebhook is the notify outbox channel of webhook deliveries:
// their Target is an endpoint id, or OperatorTarget for an operator
// alert.
const ChannelWebhook = "webhook"

// OperatorTarget is the Target of operator alerts in the outbox.
const OperatorTarget = "operator"

// DeliveryPrefix is how the ids of endpointID's deliveries begin; a
// delivery id is DeliveryPrefix + kind + "/" + what it is about.
func DeliveryPrefix(endpointID string) string { return "wh/" + endpointID + "/" }

// Store keeps the endpoints and lists their deliveries, which are
// messages of the notify outbox (channel ChannelWebhook). storage/bolt
// and storage/postgres implement it; storetest.RunWebhook is its
// conformance suite.
type Store interface {
	// PutEndpoint stores a new endpoint; an id stored already is
	// ErrInvalid.
	PutEndpoint(ctx context.Context, e Endpoint) error
	// Endpoint returns an endpoint by id.
	Endpoint(ctx context.Context, id string) (Endpoint, error)
	// Endpoints lists an organization's endpoints, oldest first.
	Endpoints(ctx context.Context, orgID string) ([]Endpoint, error)
	// DeleteEndpoint removes an endpoint (its deliveries stay, and fail
	// when next tried); a missing one is ErrNotFound.
	DeleteEndpoint(ctx context.Context, id string) error
	// Deliveries lists the outbox messages of ChannelWebhook to
	// endpointID (Target) whose ids begin with
	// DeliveryPrefix(endpointID), as Service makes them, newest first (CreatedAt, then id,
	// descending), at most limit (1..MaxDeliveries).
	Deliveries(ctx context.Context, endpointID string, limit int) ([]notify.Message, error)
}

// CheckEndpoint checks an endpoint before a store writes it.
func CheckEndpoint(e Endpoint) error {
	switch {
	case !id.Valid(e.ID, EndpointIDPrefix):
		return fmt.Errorf("%w: endpoint id %.40q", ErrInvalid, e.ID)
	case e.OrgID == "" || len(e.OrgID) > notify.MaxID || !utf8.ValidString(e.OrgID):
		return fmt.Errorf("%w: endpoint %s: organization", ErrInvalid, e.ID)
	case e.URL == "" || len(e.URL) > MaxURL || !utf8.ValidString(e.URL) || strings.ContainsRune(e.URL, 0):
		return fmt.Errorf("%w: endpoint %s: url", ErrInvalid, e.ID)
	case len(e.Kinds) == 0 || len(e.Kinds) > len(Kinds):
		return fmt.Errorf("%w: endpoint %s: %d kinds", ErrInvalid, e.ID, len(e.Kinds))
	case len(e.SealedSecret) == 0 || len(e.SealedSecret) > MaxSealedSecret:
		return fmt.Errorf("%w: endpoint %s: secret", ErrInvalid, e.ID)
	}
	for _, k := range e.Kinds {
		if !slices.Contains(Kinds, k) {
			return fmt.Errorf("%w: endpoint %s: kind %.40q", ErrInvalid, e.ID, k)
		}
	}
	return nil
}
