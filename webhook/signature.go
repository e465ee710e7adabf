package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	gosync "sync"
	"time"
)

// The headers of a delivery. SignatureHeader is
//
//	AdmitOne-Signature: t=<unix seconds>,v1=<64 lower-case hex>
//
// where v1 is HMAC-SHA256 under the endpoint's secret of the ASCII
// decimal t, one '.', then the request body as sent. DeliveryHeader is
// the delivery's id, the same on every retry of it; KindHeader names
// its kind.
const (
	SignatureHeader = "AdmitOne-Signature"
	DeliveryHeader  = "AdmitOne-Delivery"
	KindHeader      = "AdmitOne-Kind"
)

// DefaultTolerance is how far from now a receiver accepts a signature's
// timestamp, in the past or the future.
const DefaultTolerance = 5 * time.Minute

// maxSignatureHeader bounds the header Verify reads; a hostile one costs
// little. maxSignatures bounds its v1 values (a sender rolling its
// secret sends one per secret).
const (
	maxSignatureHeader = 512
	maxSignatures      = 4
)

// Errors of Verify and Receiver.Verify.
var (
	// ErrSignature is a missing or malformed header, or no v1 that
	// matches the body under the secret.
	ErrSignature = errors.New("webhook signature does not verify")
	// ErrStale is a signature made outside the tolerance of now.
	ErrStale = errors.New("webhook signature outside the time tolerance")
	// ErrReplay is a delivery id the receiver accepted before.
	ErrReplay = errors.New("webhook delivery seen before")
)

// Sign returns the SignatureHeader value for body signed with secret at
// t.
func Sign(secret []byte, t time.Time, body []byte) string {
	return "t=" + strconv.FormatInt(t.Unix(), 10) + ",v1=" + hex.EncodeToString(mac(secret, t.Unix(), body))
}

func mac(secret []byte, unix int64, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	fmt.Fprintf(h, "%d.", unix)
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a delivery as a receiver does: header (the
// SignatureHeader value) must be well formed, one of its v1 values must
// be the HMAC of its t and body under secret (compared in constant
// time), and t must be within tolerance of now (zero means
// DefaultTolerance). It returns the signing time. A receiver that also
// refuses a delivery id it accepted before uses Receiver.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) (time.Time, error) {
	if len(secret) == 0 {
		// An unset secret would verify what anyone signs with it.
		return time.Time{}, fmt.Errorf("%w: no secret to verify with", ErrSignature)
	}
	unix, sigs, err := ParseSignature(header)
	if err != nil {
		return time.Time{}, err
	}
	want := mac(secret, unix, body)
	match := 0
	for _, s := range sigs {
		match |= boolInt(hmac.Equal(s, want)) // every value is compared
	}
	if match == 0 {
		return time.Time{}, fmt.Errorf("%w: no v1 matches the body under the secret", ErrSignature)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	at := time.Unix(unix, 0)
	if d := now.Sub(at); d > tolerance || -d > tolerance {
		return at, fmt.Errorf("%w: signed at %s, %s from now", ErrStale, at.UTC().Format(time.RFC3339), d.Truncate(time.Second))
	}
	return at, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ParseSignature parses a SignatureHeader value: comma-separated
// key=value pairs, exactly one t (decimal seconds, no sign) and one to
// four v1 (64 hex digits each); pairs with other keys (later schemes)
// are skipped. Anything else is ErrSignature.
func ParseSignature(header string) (unix int64, sigs [][]byte, err error) {
	bad := func(why string) (int64, [][]byte, error) {
		return 0, nil, fmt.Errorf("%w: %s header: %s", ErrSignature, SignatureHeader, why)
	}
	if header == "" {
		return bad("missing")
	}
	if len(header) > maxSignatureHeader {
		return bad("too long")
	}
	haveT := false
	rest := header
	for rest != "" {
		var pair string
		pair, rest, _ = strings.Cut(rest, ",")
		key, val, ok := strings.Cut(pair, "=")
		if !ok || key == "" {
			return bad("a part is not key=value")
		}
		switch key {
		case "t":
			if haveT {
				return bad("two timestamps")
			}
			n, ok := parseUnix(val)
			if !ok {
				return bad("t is not unix seconds")
			}
			unix, haveT = n, true
		case "v1":
			if len(val) != 2*sha256.Size {
				return bad("v1 is not 64 hex digits")
			}
			s, derr := hex.DecodeString(val)
			if derr != nil {
				return bad("v1 is not 64 hex digits")
			}
			if len(sigs) == maxSignatures {
				return bad("too many v1 values")
			}
			sigs = append(sigs, s)
		}
	}
	switch {
	case !haveT:
		return bad("no t")
	case len(sigs) == 0:
		return bad("no v1")
	}
	return unix, sigs, nil
}

// parseUnix reads 1..12 decimal digits (seconds until the year 33658).
func parseUnix(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 12 {
		return 0, false
	}
	var n int64
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// Receiver verifies deliveries and refuses replays: a delivery must
// verify (Verify, within Tolerance) and carry a DeliveryHeader id it
// has not accepted within the tolerance window. An id older than that
// needs no memory: its timestamp is refused as stale. AdmitOne retries
// a delivery under the same id with a new timestamp, so a receiver that
// fails to process an accepted delivery calls Forget, or the retry is
// refused as a replay. The zero Receiver is not usable: set Secret.
type Receiver struct {
	Secret    []byte
	Tolerance time.Duration // zero means DefaultTolerance
	Now       func() time.Time

	mu   gosync.Mutex
	seen map[string]time.Time // delivery id -> when accepted
}

// maxDeliveryID bounds the delivery id a Receiver remembers.
const maxDeliveryID = 200

// Verify checks a delivery's headers and body; nil means process it.
func (r *Receiver) Verify(h http.Header, body []byte) error {
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	if _, err := Verify(r.Secret, h.Get(SignatureHeader), body, now, r.Tolerance); err != nil {
		return err
	}
	id := h.Get(DeliveryHeader)
	if id == "" || len(id) > maxDeliveryID {
		return fmt.Errorf("%w: %s header missing or too long", ErrSignature, DeliveryHeader)
	}
	window := r.Tolerance
	if window <= 0 {
		window = DefaultTolerance
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]time.Time{}
	}
	for k, at := range r.seen {
		if now.Sub(at) > 2*window {
			delete(r.seen, k)
		}
	}
	if _, ok := r.seen[id]; ok {
		return fmt.Errorf("%w: delivery %.80s", ErrReplay, id)
	}
	r.seen[id] = now
	return nil
}

// Forget takes a delivery id off the record, so that its retry is
// accepted: call it when processing an accepted delivery failed.
func (r *Receiver) Forget(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.seen, id)
}
