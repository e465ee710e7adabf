package notify_test

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/admitone/admitone/notify"
)

// pushService is a Web Push service on loopback, written for the tests:
// each device (a path under it) has its own browser keys; the service
// checks the VAPID JWT and decrypts what arrives, as the browser would.
type pushService struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	devices map[string]*device
	// status answers a device's pushes with a status other than 201.
	status map[string]int
	// got is every delivery, decrypted, in order.
	got []delivery
}

type device struct {
	name string
	key  *ecdh.PrivateKey
	auth []byte
}

type delivery struct {
	device  string
	payload notify.Payload
}

func newPushService(t *testing.T) *pushService {
	p := &pushService{t: t, devices: map[string]*device{}, status: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// device makes a browser's keys for the endpoint /push/name and returns
// its PushSubscription JSON.
func (p *pushService) device(name string) []byte {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	p.mu.Lock()
	p.devices[name] = &device{name: name, key: k, auth: auth}
	p.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"endpoint": p.srv.URL + "/push/" + name, "expirationTime": nil,
		"keys": map[string]string{"p256dh": base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()), "auth": base64.RawURLEncoding.EncodeToString(auth)}})
	return b
}

func (p *pushService) serve(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/push/")
	p.mu.Lock()
	d := p.devices[name]
	status := p.status[name]
	p.mu.Unlock()
	if !ok || d == nil || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	if err := p.checkVAPID(r); err != nil {
		p.t.Errorf("push to %s: %v", name, err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if r.Header.Get("Content-Encoding") != "aes128gcm" || r.Header.Get("TTL") == "" {
		p.t.Errorf("push to %s: Content-Encoding %q, TTL %q", name, r.Header.Get("Content-Encoding"), r.Header.Get("TTL"))
	}
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8192))
	pt, err := notify.Decrypt(body, d.key, d.auth)
	if err != nil {
		p.t.Errorf("push to %s: %v", name, err)
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	var pl notify.Payload
	if err := json.Unmarshal(pt, &pl); err != nil {
		p.t.Errorf("push to %s: payload %q: %v", name, pt, err)
	}
	p.mu.Lock()
	p.got = append(p.got, delivery{device: name, payload: pl})
	p.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
}

// checkVAPID checks the Authorization header as a push service does
// (RFC 8292): a JWT signed by the key k, for this origin, with a
// subject.
func (p *pushService) checkVAPID(r *http.Request) error {
	h := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(h, "vapid t=")
	tok, k, ok2 := strings.Cut(rest, ", k=")
	if !ok || !ok2 {
		return fmt.Errorf("authorization %q: not vapid t=..., k=...", h)
	}
	raw, err := base64.RawURLEncoding.DecodeString(k)
	if err != nil {
		return fmt.Errorf("vapid k: %v", err)
	}
	ecdsaPub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		return fmt.Errorf("vapid k: %v", err)
	}
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return ecdsaPub, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience(p.srv.URL), jwt.WithExpirationRequired())
	if err != nil {
		return fmt.Errorf("vapid jwt: %v", err)
	}
	if sub, _ := claims["sub"].(string); sub != "mailto:ops@admitone.test" {
		return fmt.Errorf("vapid jwt: sub %q", sub)
	}
	return nil
}

// deliveries returns what each device got, by payload id: how many
// times each message arrived.
func (p *pushService) deliveries() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for _, d := range p.got {
		out[d.device+" "+d.payload.ID]++
	}
	return out
}
