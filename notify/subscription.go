package notify

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// MaxSubscriptionJSON is the most ParseSubscription reads.
const MaxSubscriptionJSON = 4096

// MaxSubscriptions is how many devices one account may subscribe.
const MaxSubscriptions = 20

// ParseSubscription parses a browser's PushSubscription as its toJSON
// gives it: {"endpoint": "https://...", "keys": {"p256dh": "...",
// "auth": "..."}} (expirationTime and unknown fields are ignored). The
// endpoint must be an https URL of at most MaxEndpoint bytes, without
// user info; allowHTTP also admits http to a loopback address (tests).
// p256dh must be an uncompressed P-256 point and auth 16 bytes, both
// base64url (padded or not). Any other input is ErrInvalid.
func ParseSubscription(data []byte, allowHTTP bool) (Subscription, error) {
	if len(data) > MaxSubscriptionJSON {
		return Subscription{}, fmt.Errorf("%w: subscription is more than %d bytes", ErrInvalid, MaxSubscriptionJSON)
	}
	var in struct {
		Endpoint string `json:"endpoint"`
		Keys     struct {
			P256dh string `json:"p256dh"`
			Auth   string `json:"auth"`
		} `json:"keys"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&in); err != nil {
		return Subscription{}, fmt.Errorf("%w: subscription: not a PushSubscription JSON object", ErrInvalid)
	}
	if dec.More() {
		return Subscription{}, fmt.Errorf("%w: subscription: data after the object", ErrInvalid)
	}
	if err := checkEndpoint(in.Endpoint, allowHTTP); err != nil {
		return Subscription{}, err
	}
	p256dh, err := decodeKey(in.Keys.P256dh, keySize)
	if err != nil {
		return Subscription{}, fmt.Errorf("%w: keys.p256dh: %v", ErrInvalid, err)
	}
	if p256dh[0] != 4 {
		return Subscription{}, fmt.Errorf("%w: keys.p256dh: not an uncompressed point", ErrInvalid)
	}
	auth, err := decodeKey(in.Keys.Auth, authSize)
	if err != nil {
		return Subscription{}, fmt.Errorf("%w: keys.auth: %v", ErrInvalid, err)
	}
	return Subscription{Endpoint: in.Endpoint, P256dh: p256dh, Auth: auth}, nil
}

func checkEndpoint(endpoint string, allowHTTP bool) error {
	if endpoint == "" || len(endpoint) > MaxEndpoint {
		return fmt.Errorf("%w: endpoint: want an https URL of 1 to %d bytes", ErrInvalid, MaxEndpoint)
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" || strings.ContainsAny(endpoint, " \t\r\n") {
		return fmt.Errorf("%w: endpoint: not an absolute URL with a host", ErrInvalid)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if allowHTTP {
			if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: endpoint: want https", ErrInvalid)
}

func decodeKey(s string, size int) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("not base64url")
	}
	if len(b) != size {
		return nil, fmt.Errorf("%d bytes, want %d", len(b), size)
	}
	return b, nil
}
