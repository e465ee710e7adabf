package payment

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/admitone/admitone/purchase"
)

// StripeSignatureHeader is the header that carries a webhook's
// signature.
const StripeSignatureHeader = "Stripe-Signature"

// Bounds on the signature header, so that a hostile one costs little.
const (
	maxSignatureHeaderLen = 4096
	maxSignatures         = 16
)

// ParseWebhook verifies and normalizes a Stripe webhook request, in this
// order:
//
//  1. a payload over the size limit is ErrInvalid;
//  2. the Stripe-Signature header ("t=<unix seconds>,v1=<hex>,...") must
//     be present and well formed, and one of its v1 signatures must be
//     the HMAC-SHA256 of "<t>.<payload>" under the webhook secret
//     (compared in constant time; Stripe sends several while a secret is
//     being rolled), else ErrBadSignature;
//  3. t must be within the tolerance of now, in the past or the future,
//     else ErrStaleWebhook;
//  4. the body must be a JSON event, else ErrInvalid;
//  5. a type other than the Event* constants is ErrIgnoredEvent, returned
//     with ID, Type and Created set;
//  6. an event id accepted before (see ReplayGuard) is
//     ErrReplayedWebhook, returned with the event.
//
// A verified event goes on record in step 6. If processing it then fails
// and Stripe is answered with an error so that it retries, call
// ForgetWebhook first, or the retry is refused as a replay.
func (s *Stripe) ParseWebhook(payload []byte, header http.Header, now time.Time) (Event, error) {
	if len(payload) > s.maxPayload {
		return Event{}, fmt.Errorf("webhook payload is %d bytes; the limit is %d: %w", len(payload), s.maxPayload, ErrInvalid)
	}
	values := header.Values(StripeSignatureHeader)
	switch len(values) {
	case 0:
		return Event{}, fmt.Errorf("webhook has no %s header: %w", StripeSignatureHeader, ErrBadSignature)
	case 1:
	default:
		return Event{}, fmt.Errorf("webhook has %d %s headers: %w", len(values), StripeSignatureHeader, ErrBadSignature)
	}
	ts, sigs, err := parseStripeSignature(values[0])
	if err != nil {
		return Event{}, err
	}
	want := stripeMAC(s.webhookSecret, ts, payload)
	ok := false
	for _, sig := range sigs {
		// Every candidate is compared, so the time taken does not tell
		// which one matched.
		if hmac.Equal(sig, want) {
			ok = true
		}
	}
	if !ok {
		return Event{}, fmt.Errorf("webhook signature does not match the payload and secret: %w", ErrBadSignature)
	}
	signed := time.Unix(ts, 0)
	if age := now.Sub(signed); age > s.tolerance {
		return Event{}, fmt.Errorf("webhook was signed %v ago; the tolerance is %v: %w", age.Truncate(time.Second), s.tolerance, ErrStaleWebhook)
	} else if -age > s.tolerance {
		return Event{}, fmt.Errorf("webhook was signed %v in the future; the tolerance is %v: %w", (-age).Truncate(time.Second), s.tolerance, ErrStaleWebhook)
	}

	ev, err := normalizeStripeEvent(payload)
	if err != nil {
		return ev, err
	}
	seen, err := s.replay.Seen(ev.ID, now)
	if err != nil {
		return ev, fmt.Errorf("webhook %s: replay check: %w", ev.ID, err)
	}
	if seen {
		return ev, fmt.Errorf("webhook %s: %w", ev.ID, errReplayed)
	}
	return ev, nil
}

// errReplayed and errIgnored are ErrReplayedWebhook and ErrIgnoredEvent
// that purchase.Service.ReceiveWebhook recognizes too, as
// purchase.ErrDuplicateEvent and purchase.ErrIgnoredEvent.
var (
	errReplayed = sentinels{ErrReplayedWebhook, purchase.ErrDuplicateEvent}
	errIgnored  = sentinels{ErrIgnoredEvent, purchase.ErrIgnoredEvent}
)

// sentinels is an error of this package that also matches purchase's
// sentinel of the same meaning, with this package's message.
type sentinels struct{ err, purchase error }

func (e sentinels) Error() string   { return e.err.Error() }
func (e sentinels) Unwrap() []error { return []error{e.err, e.purchase} }

// ForgetWebhook takes an accepted event id off the replay record, so
// that Stripe's next delivery of it is accepted. Call it when processing
// the event failed.
func (s *Stripe) ForgetWebhook(eventID string) error {
	return s.replay.Forget(eventID)
}

// parseStripeSignature parses "t=1700000000,v1=<64 hex>,v1=...,v0=...".
// Exactly one t is required and at least one well-formed v1; other keys
// (v0, future schemes) are skipped, as Stripe's libraries do.
func parseStripeSignature(h string) (ts int64, sigs [][]byte, err error) {
	malformed := func(why string) error {
		return fmt.Errorf("malformed %s header: %s: %w", StripeSignatureHeader, why, ErrBadSignature)
	}
	if len(h) > maxSignatureHeaderLen {
		return 0, nil, malformed("too long")
	}
	haveT := false
	for part := range strings.SplitSeq(h, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found || k == "" {
			return 0, nil, malformed("expected key=value pairs")
		}
		switch k {
		case "t":
			if haveT {
				return 0, nil, malformed("more than one timestamp")
			}
			if v == "" || len(v) > 18 || strings.Trim(v, "0123456789") != "" {
				return 0, nil, malformed("timestamp is not a number of seconds")
			}
			n, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil {
				return 0, nil, malformed("timestamp is not a number of seconds")
			}
			ts, haveT = n, true
		case "v1":
			sig, derr := hex.DecodeString(v)
			if derr != nil || len(sig) != sha256.Size {
				continue
			}
			if len(sigs) == maxSignatures {
				return 0, nil, malformed("too many signatures")
			}
			sigs = append(sigs, sig)
		}
	}
	if !haveT {
		return 0, nil, malformed("no timestamp")
	}
	if len(sigs) == 0 {
		return 0, nil, malformed("no v1 signature")
	}
	return ts, sigs, nil
}

func stripeMAC(secret []byte, ts int64, payload []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(strconv.AppendInt(nil, ts, 10))
	m.Write([]byte{'.'})
	m.Write(payload)
	return m.Sum(nil)
}

// StripeSignature returns a Stripe-Signature header value for payload
// signed with secret at t, as Stripe would send it. It is for tests and
// tools that play Stripe's part.
func StripeSignature(secret string, t time.Time, payload []byte) string {
	return "t=" + strconv.FormatInt(t.Unix(), 10) + ",v1=" + hex.EncodeToString(stripeMAC([]byte(secret), t.Unix(), payload))
}

// The parts of a Stripe event this package reads.
type (
	stripeEventJSON struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Type    string `json:"type"`
		Created int64  `json:"created"`
		Data    struct {
			Object json.RawMessage `json:"object"`
		} `json:"data"`
	}
	stripeIntentJSON struct {
		ID             string            `json:"id"`
		Object         string            `json:"object"`
		Amount         int64             `json:"amount"`
		AmountReceived int64             `json:"amount_received"`
		Currency       string            `json:"currency"`
		Metadata       map[string]string `json:"metadata"`
	}
	stripeChargeJSON struct {
		ID             string            `json:"id"`
		Object         string            `json:"object"`
		AmountRefunded int64             `json:"amount_refunded"`
		Currency       string            `json:"currency"`
		Metadata       map[string]string `json:"metadata"`
		// PaymentIntent is an id, an expanded object, or null for a
		// charge made without an intent.
		PaymentIntent json.RawMessage `json:"payment_intent"`
	}
)

// normalizeStripeEvent turns a verified event body into an Event.
func normalizeStripeEvent(payload []byte) (Event, error) {
	var raw stripeEventJSON
	if err := json.Unmarshal(payload, &raw); err != nil {
		return Event{}, fmt.Errorf("webhook body is not a JSON event: %v: %w", err, ErrInvalid)
	}
	if raw.Object != "event" || raw.ID == "" || raw.Type == "" {
		return Event{}, fmt.Errorf("webhook body is not a Stripe event (object, id and type are required): %w", ErrInvalid)
	}
	if err := validateID("event id", raw.ID, MaxOrderIDLen); err != nil {
		return Event{}, fmt.Errorf("webhook: %w", err)
	}
	ev := Event{ID: raw.ID, Type: raw.Type}
	if raw.Created > 0 {
		ev.Created = time.Unix(raw.Created, 0).UTC()
	}
	obj := raw.Data.Object
	switch raw.Type {
	case purchase.EventPaymentSucceeded, purchase.EventPaymentFailed:
		var pi stripeIntentJSON
		if err := decodeObject(obj, "payment_intent", &pi); err != nil {
			return ev, fmt.Errorf("webhook %s (%s): %w", ev.ID, ev.Type, err)
		}
		ev.IntentID, ev.OrderID, ev.Amount = pi.ID, pi.Metadata["order_id"], pi.Amount
		if raw.Type == purchase.EventPaymentSucceeded && pi.AmountReceived > 0 {
			ev.Amount = pi.AmountReceived
		}
		ev.Currency = pi.Currency
	case purchase.EventChargeRefunded:
		var ch stripeChargeJSON
		if err := decodeObject(obj, "charge", &ch); err != nil {
			return ev, fmt.Errorf("webhook %s (%s): %w", ev.ID, ev.Type, err)
		}
		intentID, err := intentRef(ch.PaymentIntent)
		if err != nil {
			return ev, fmt.Errorf("webhook %s (%s): %w", ev.ID, ev.Type, err)
		}
		if intentID == "" {
			return ev, fmt.Errorf("webhook %s: refunded charge %s has no payment intent: %w", ev.ID, ch.ID, errIgnored)
		}
		ev.IntentID, ev.OrderID, ev.Amount, ev.Currency = intentID, ch.Metadata["order_id"], ch.AmountRefunded, ch.Currency
	default:
		return ev, fmt.Errorf("webhook %s: event type %q: %w", ev.ID, raw.Type, errIgnored)
	}
	if err := validateID("payment intent id", ev.IntentID, MaxOrderIDLen); err != nil {
		return ev, fmt.Errorf("webhook %s: %w", ev.ID, err)
	}
	cur := strings.ToUpper(ev.Currency)
	if !isCurrency(cur) {
		return ev, fmt.Errorf("webhook %s: currency %q is not an ISO 4217 code: %w", ev.ID, ev.Currency, ErrInvalid)
	}
	ev.Currency = cur
	if ev.Amount < 0 {
		return ev, fmt.Errorf("webhook %s: negative amount %d: %w", ev.ID, ev.Amount, ErrInvalid)
	}
	return ev, nil
}

// decodeObject decodes the event's data.object, which must be a JSON
// object whose "object" field is want.
func decodeObject(raw json.RawMessage, want string, v interface{ kind() string }) error {
	if len(raw) == 0 || raw[0] != '{' {
		return fmt.Errorf("data.object is not a JSON object: %w", ErrInvalid)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("data.object: %v: %w", err, ErrInvalid)
	}
	if v.kind() != want {
		return fmt.Errorf("data.object is a %q, not a %s: %w", v.kind(), want, ErrInvalid)
	}
	return nil
}

func (o *stripeIntentJSON) kind() string { return o.Object }
func (o *stripeChargeJSON) kind() string { return o.Object }

// intentRef reads a charge's payment_intent: an id, an expanded intent,
// or null.
func intentRef(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	var id string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &id); err != nil {
			return "", fmt.Errorf("payment_intent: %v: %w", err, ErrInvalid)
		}
		return id, nil
	}
	var obj struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return "", fmt.Errorf("payment_intent: %v: %w", err, ErrInvalid)
	}
	return obj.ID, nil
}
