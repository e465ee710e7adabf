package crypto

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Order token layout constants; see "The order token" in the package
// documentation.
const (
	OrderTokenVersion  = 1
	OrderTokenBodySize = 1 + 2 + 8 + 12
	OrderTokenSize     = OrderTokenBodySize + 64 // body || Ed25519 signature

	// OrderTokenPrefix starts the text form of every order token.
	OrderTokenPrefix = "AO1:"

	orderTokenTextLen          = len(OrderTokenPrefix) + 131 // Base45EncodedLen(OrderTokenSize)
	orderTokenSignatureContext = "AdmitOne order v1"
	orderIDPrefix              = "ord_"
)

// OrderID is an order's 96-bit id, "ord_" and 24 hex digits as text.
type OrderID [12]byte

// String returns "ord_" and 24 lower-case hex digits.
func (id OrderID) String() string { return orderIDPrefix + hex.EncodeToString(id[:]) }

// ParseOrderID parses the text form of an order id.
func ParseOrderID(s string) (OrderID, error) {
	var id OrderID
	return id, parseHexID(s, orderIDPrefix, id[:], "order id")
}

// OrderToken is the signed content of an order's code: which order of
// which event, signed by which of the event's issuer keys. A merch desk
// scans it to hand out the order's merchandise.
type OrderToken struct {
	KeyID KeyID
	Event EventID
	Order OrderID
}

// SignOrder signs t with key (whose id it sets) and returns the text
// form: "AO1:" and Base45 of body || signature.
func SignOrder(key PrivateKey, t OrderToken) string {
	t.KeyID = key.ID()
	body := make([]byte, 0, OrderTokenSize)
	body = append(body, OrderTokenVersion)
	body = append(body, t.KeyID[:]...)
	body = append(body, t.Event[:]...)
	body = append(body, t.Order[:]...)
	raw := append(body, key.Sign(orderTokenSignatureContext, body)...)
	return OrderTokenPrefix + Base45Encode(raw)
}

// ScannedOrder is an order token as read, not yet verified.
type ScannedOrder struct {
	OrderToken
	raw [OrderTokenSize]byte
}

// IsOrderTokenText reports whether s has the order token's prefix.
func IsOrderTokenText(s string) bool {
	return len(s) >= len(OrderTokenPrefix) && upperASCII(s[:len(OrderTokenPrefix)]) == OrderTokenPrefix
}

// ParseOrderText parses an order token's text form (lower case read as
// upper case, as ParseText does). It does not verify the signature.
// Errors wrap ErrMalformed and name the problem.
func ParseOrderText(s string) (ScannedOrder, error) {
	var so ScannedOrder
	if !IsOrderTokenText(s) {
		return so, fmt.Errorf("%w: text does not start with %q", ErrMalformed, OrderTokenPrefix)
	}
	if len(s) != orderTokenTextLen {
		return so, fmt.Errorf("%w: order token is %d characters, want %d", ErrMalformed, len(s), orderTokenTextLen)
	}
	raw, err := Base45Decode(strings.ToUpper(s[len(OrderTokenPrefix):]))
	if err != nil {
		return so, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(raw) != OrderTokenSize {
		return so, fmt.Errorf("%w: order token is %d bytes, want %d", ErrMalformed, len(raw), OrderTokenSize)
	}
	if raw[0] != OrderTokenVersion {
		return so, fmt.Errorf("%w: order token version %d, want %d", ErrMalformed, raw[0], OrderTokenVersion)
	}
	copy(so.KeyID[:], raw[1:3])
	copy(so.Event[:], raw[3:11])
	copy(so.Order[:], raw[11:23])
	copy(so.raw[:], raw)
	return so, nil
}

// Verify checks the signature against pub, whose id must be the one the
// token names.
func (s ScannedOrder) Verify(pub PublicKey) error {
	if pub.ID() != s.KeyID {
		return fmt.Errorf("%w: order token names %s, key is %s", ErrUnknownKey, s.KeyID, pub.ID())
	}
	if !pub.VerifyDetached(orderTokenSignatureContext, s.raw[:OrderTokenBodySize], s.raw[OrderTokenBodySize:]) {
		return fmt.Errorf("%w for order %s", ErrBadSignature, s.Order)
	}
	return nil
}
