package notify

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/vault"
)

// VAPID is the server's Web Push identity (RFC 8292): a P-256 key pair
// whose public key browsers subscribe with, and which signs a JWT for
// every push so the push service knows the sender.
type VAPID struct {
	priv *ecdsa.PrivateKey
	pub  []byte // uncompressed point, 65 bytes
	// Subject is the contact the JWT names ("mailto:..." or an https
	// URL), for push services to reach the operator.
	Subject string
}

// vapidSecret is the VAPID private key's name in the secret store,
// sealed like the vault's keys.
const vapidSecret = "notify/vapid"

func vapidAD() []byte { return []byte("admitone notify v1\x00" + vapidSecret) }

// LoadVAPID returns the server's VAPID key, making it the first time:
// it is stored sealed with seal under "notify/vapid", first writer wins,
// so every server sharing the store agrees on it.
func LoadVAPID(ctx context.Context, store vault.SecretStore, seal *ticketcrypto.SealKey, subject string) (*VAPID, error) {
	if seal == nil {
		return nil, fmt.Errorf("vapid key: no seal key")
	}
	got, err := store.Secrets(ctx, vapidSecret)
	if err != nil {
		return nil, fmt.Errorf("vapid key: %w", err)
	}
	sealed, ok := got[vapidSecret]
	if !ok {
		k, err := ecdh.P256().GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		raw := k.Bytes()
		sealed, err = store.PutSecret(ctx, vapidSecret, ticketcrypto.Seal(seal, raw, vapidAD()))
		clear(raw)
		if err != nil {
			return nil, fmt.Errorf("vapid key: %w", err)
		}
	}
	raw, err := ticketcrypto.Open(seal, sealed, vapidAD())
	if err != nil {
		return nil, fmt.Errorf("vapid key: %w (servers sharing a database need the same seal.key)", err)
	}
	defer clear(raw)
	return newVAPID(raw, subject)
}

func newVAPID(raw []byte, subject string) (*VAPID, error) {
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), raw)
	if err != nil {
		return nil, fmt.Errorf("vapid key: %w", err)
	}
	pub, err := priv.PublicKey.Bytes()
	if err != nil {
		return nil, fmt.Errorf("vapid key: %w", err)
	}
	return &VAPID{priv: priv, pub: pub, Subject: subject}, nil
}

// PublicKey is the key browsers subscribe with (applicationServerKey),
// base64url without padding.
func (v *VAPID) PublicKey() string { return base64.RawURLEncoding.EncodeToString(v.pub) }

// vapidTTL is how long a push's JWT is valid; RFC 8292 allows 24 hours.
const vapidTTL = 12 * time.Hour

// Authorization is the Authorization header of a push to endpoint: a
// JWT for the endpoint's origin, signed with the private key, and the
// public key (RFC 8292 section 3).
func (v *VAPID) Authorization(endpoint string, now time.Time) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("vapid: endpoint: %w", err)
	}
	claims := jwt.MapClaims{"aud": u.Scheme + "://" + u.Host, "exp": now.Add(vapidTTL).Unix()}
	if v.Subject != "" {
		claims["sub"] = v.Subject
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodES256, claims).SignedString(v.priv)
	if err != nil {
		return "", fmt.Errorf("vapid: sign: %w", err)
	}
	return "vapid t=" + tok + ", k=" + v.PublicKey(), nil
}
