package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/purchase"
)

// Secret names in a Vault's store. Issuer key names hold the creation
// time in zero-padded Unix nanoseconds, so that their lexical order is
// their creation order and the last is the active key.
const (
	issuerKeyPrefix   = "issuer/"   // issuer/<nanos, 20 digits>/<kid> -> sealed "aosk_..."
	rotationKeyPrefix = "rotation/" // rotation/<event id> -> sealed "aork_..."
	// kid/<kid> -> the name of the issuer key holding that key id, in
	// clear (it is not secret). First writer wins, so two servers rotating
	// at once never make two keys with one id.
	keyIDClaimPrefix = "kid/"
)

// reloadInterval is how long SignTicket trusts its cached issuer keys before
// it looks for keys other servers added.
const reloadInterval = 30 * time.Second

// maxKeyIDTries bounds Rotate's search for an unused key id (16 bits:
// with a thousand keys, a try fails one time in 65).
const maxKeyIDTries = 64

// Vault keeps the server's issuer keys and events' rotation keys in a
// SecretStore, sealed with Seal, and signs tickets with them: it
// implements purchase.Signer. The newest issuer key signs; older keys
// stay trusted (KeyringEntries lists them all) so tickets signed before a
// Rotate keep admitting.
//
// A Vault caches the keys it has opened. Several servers may share one
// store: Keys, KeyringEntries and Rotate read the store every time, while
// SignTicket looks for keys another server added at most every 30
// seconds, signing with the key it knows meanwhile (still trusted).
// A Vault is safe for concurrent use; set its fields before first use.
type Vault struct {
	Store SecretStore
	// Seal seals every secret value; all servers sharing the store need
	// the same key.
	Seal *ticketcrypto.SealKey
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// loadMu serializes loading issuer keys and creating them, so that
	// concurrent signers trigger one reload and one first key.
	loadMu sync.Mutex

	mu       sync.Mutex  // guards the fields below
	keys     []openedKey // oldest first; written with loadMu held too
	loadedAt time.Time   // zero before the first load
	rotation map[ticketcrypto.EventID]ticketcrypto.RotationKey
}

var _ purchase.Signer = (*Vault)(nil)

type openedKey struct {
	name    string
	created time.Time
	key     ticketcrypto.PrivateKey
}

// Key is the public half of an issuer key in a Vault.
type Key struct {
	ID        ticketcrypto.KeyID
	PublicKey ticketcrypto.PublicKey
	CreatedAt time.Time
	// Active is set on the newest key, the one SignTicket signs with.
	Active bool
}

func (v *Vault) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// SignTicket signs a new ticket of an event with the active issuer key,
// creating the first key if the store has none. For a rotating ticket it
// first makes sure the event's rotation key exists, so that a ticket
// requiring a rotating code never exists without the key a gate checks it
// with. An invalid event id or ValidUntil is purchase.ErrInvalid.
func (v *Vault) SignTicket(ctx context.Context, want purchase.TicketToSign) (purchase.SignedTicket, error) {
	ev, err := parseEvent(want.EventID)
	if err != nil {
		return purchase.SignedTicket{}, fmt.Errorf("sign ticket: %w", err)
	}
	if want.Rotating {
		if _, err := v.RotationKey(ctx, want.EventID); err != nil {
			return purchase.SignedTicket{}, fmt.Errorf("sign ticket: %w", err)
		}
	}
	key, err := v.signingKey(ctx)
	if err != nil {
		return purchase.SignedTicket{}, fmt.Errorf("sign ticket: %w", err)
	}
	tok := ticketcrypto.Token{Event: ev, Ticket: ticketcrypto.NewTicketID(), TypeNumber: want.TypeNumber, ValidUntil: want.ValidUntil}
	if want.Rotating {
		tok.Flags |= ticketcrypto.FlagRotating
	}
	st, err := ticketcrypto.Sign(key, tok)
	if err != nil {
		// Sign checks the flags, which are ours, and the validity window.
		return purchase.SignedTicket{}, fmt.Errorf("sign ticket for %s: %v: %w", ev, err, purchase.ErrInvalid)
	}
	return purchase.SignedTicket{ID: st.Ticket.String(), Token: st.Text(), KeyID: st.KeyID.String()}, nil
}

// TicketToken signs a ticket's token again from its fields, with the
// issuer key that signed it at issue (t.KeyID). Ed25519 signatures are
// deterministic, so the text is the one the holder got at issue: the
// store keeps the fields, never the bearer token. It implements
// purchase.Signer.
func (v *Vault) TicketToken(ctx context.Context, t purchase.Ticket) (string, error) {
	ev, err := parseEvent(t.EventID)
	if err != nil {
		return "", fmt.Errorf("token of ticket %s: %w", t.ID, err)
	}
	tid, err := ticketcrypto.ParseTicketID(t.ID)
	if err != nil {
		return "", fmt.Errorf("token of ticket %s: %w", t.ID, err)
	}
	kid, err := ticketcrypto.ParseKeyID(t.KeyID)
	if err != nil {
		return "", fmt.Errorf("token of ticket %s: %w", t.ID, err)
	}
	key, ok := v.cachedKey(kid)
	if !ok {
		keys, err := v.reload(ctx)
		if err != nil {
			return "", fmt.Errorf("token of ticket %s: %w", t.ID, err)
		}
		for _, k := range keys {
			if k.key.ID() == kid {
				key, ok = k.key, true
			}
		}
	}
	if !ok {
		return "", fmt.Errorf("token of ticket %s: issuer key %s is not in the vault", t.ID, kid)
	}
	tok := ticketcrypto.Token{Event: ev, Ticket: tid, TypeNumber: t.TypeNumber, ValidUntil: t.ValidUntil}
	if t.Rotating {
		tok.Flags |= ticketcrypto.FlagRotating
	}
	st, err := ticketcrypto.Sign(key, tok)
	if err != nil {
		return "", fmt.Errorf("token of ticket %s: %w", t.ID, err)
	}
	return st.Text(), nil
}

// OrderToken signs an order's code (ticketcrypto.SignOrder) with the
// active issuer key, which the event's keyring (KeyringEntries) trusts.
func (v *Vault) OrderToken(ctx context.Context, eventID, orderID string) (string, error) {
	ev, err := parseEvent(eventID)
	if err != nil {
		return "", fmt.Errorf("code of order %s: %w", orderID, err)
	}
	oid, err := ticketcrypto.ParseOrderID(orderID)
	if err != nil {
		return "", fmt.Errorf("code of order %s: %v: %w", orderID, err, purchase.ErrInvalid)
	}
	key, err := v.signingKey(ctx)
	if err != nil {
		return "", fmt.Errorf("code of order %s: %w", orderID, err)
	}
	return ticketcrypto.SignOrder(key, ticketcrypto.OrderToken{Event: ev, Order: oid}), nil
}

// cachedKey returns the cached issuer key with id kid.
func (v *Vault) cachedKey(kid ticketcrypto.KeyID) (ticketcrypto.PrivateKey, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, k := range v.keys {
		if k.key.ID() == kid {
			return k.key, true
		}
	}
	return ticketcrypto.PrivateKey{}, false
}

// Rotate adds a new issuer key, which signs from now on; the older keys
// stay trusted. It returns the new key's id.
func (v *Vault) Rotate(ctx context.Context) (ticketcrypto.KeyID, error) {
	v.loadMu.Lock()
	defer v.loadMu.Unlock()
	if err := v.loadLocked(ctx); err != nil {
		return ticketcrypto.KeyID{}, fmt.Errorf("rotate: %w", err)
	}
	k, err := v.addKeyLocked(ctx)
	if err != nil {
		return ticketcrypto.KeyID{}, fmt.Errorf("rotate: %w", err)
	}
	return k.ID(), nil
}

// Keys returns the public halves of all issuer keys, oldest first; the
// last is active. It is empty before the first ticket or Rotate.
func (v *Vault) Keys(ctx context.Context) ([]Key, error) {
	keys, err := v.reload(ctx)
	if err != nil {
		return nil, fmt.Errorf("issuer keys: %w", err)
	}
	out := make([]Key, len(keys))
	for i, k := range keys {
		out[i] = Key{ID: k.key.ID(), PublicKey: k.key.Public(), CreatedAt: k.created, Active: i == len(keys)-1}
	}
	return out, nil
}

// KeyringEntries returns what a gate of the event must trust: an entry
// for every issuer key, without time bounds, oldest key first.
func (v *Vault) KeyringEntries(ctx context.Context, eventID string) ([]ticketcrypto.KeyringEntry, error) {
	ev, err := parseEvent(eventID)
	if err != nil {
		return nil, fmt.Errorf("keyring entries: %w", err)
	}
	keys, err := v.reload(ctx)
	if err != nil {
		return nil, fmt.Errorf("keyring entries for %s: %w", ev, err)
	}
	out := make([]ticketcrypto.KeyringEntry, len(keys))
	for i, k := range keys {
		out[i] = ticketcrypto.KeyringEntry{Event: ev, KeyID: k.key.ID(), PublicKey: k.key.Public()}
	}
	return out, nil
}

// RotationKey returns the event's rotation key, creating it if the store
// has none. Servers sharing the store agree on it: the first to store one
// wins.
func (v *Vault) RotationKey(ctx context.Context, eventID string) (ticketcrypto.RotationKey, error) {
	ev, err := parseEvent(eventID)
	if err != nil {
		return ticketcrypto.RotationKey{}, fmt.Errorf("rotation key: %w", err)
	}
	v.mu.Lock()
	rk, ok := v.rotation[ev]
	v.mu.Unlock()
	if ok {
		return rk, nil
	}
	if err := v.check(); err != nil {
		return ticketcrypto.RotationKey{}, err
	}
	name := rotationKeyPrefix + ev.String()
	found, err := v.Store.Secrets(ctx, name)
	if err != nil {
		return ticketcrypto.RotationKey{}, fmt.Errorf("rotation key of %s: %w", ev, err)
	}
	sealed, ok := found[name]
	if !ok {
		// Concurrent callers may each make one; PutSecret keeps the first
		// and returns it to all.
		fresh, err := ticketcrypto.GenerateRotationKey()
		if err != nil {
			return ticketcrypto.RotationKey{}, err
		}
		pt := []byte(fresh.Secret())
		box := ticketcrypto.Seal(v.Seal, pt, associatedData(name))
		clear(pt)
		if sealed, err = v.Store.PutSecret(ctx, name, box); err != nil {
			return ticketcrypto.RotationKey{}, fmt.Errorf("rotation key of %s: %w", ev, err)
		}
	}
	pt, err := v.open(name, sealed)
	if err != nil {
		return ticketcrypto.RotationKey{}, err
	}
	defer clear(pt)
	rk, err = ticketcrypto.ParseRotationKey(string(pt))
	if err != nil {
		return ticketcrypto.RotationKey{}, fmt.Errorf("vault secret %s: %w", name, err)
	}
	v.mu.Lock()
	if v.rotation == nil {
		v.rotation = make(map[ticketcrypto.EventID]ticketcrypto.RotationKey)
	}
	v.rotation[ev] = rk
	v.mu.Unlock()
	return rk, nil
}

// signingKey returns the active key, reloading if the cache is older than
// reloadInterval and creating the first key if there is none.
func (v *Vault) signingKey(ctx context.Context) (ticketcrypto.PrivateKey, error) {
	if k, ok := v.freshActive(); ok {
		return k, nil
	}
	v.loadMu.Lock()
	defer v.loadMu.Unlock()
	// Another signer may have reloaded while this one waited.
	if k, ok := v.freshActive(); ok {
		return k, nil
	}
	if err := v.loadLocked(ctx); err != nil {
		return ticketcrypto.PrivateKey{}, err
	}
	v.mu.Lock()
	n := len(v.keys)
	var k ticketcrypto.PrivateKey
	if n > 0 {
		k = v.keys[n-1].key
	}
	v.mu.Unlock()
	if n > 0 {
		return k, nil
	}
	return v.addKeyLocked(ctx)
}

// freshActive returns the cached active key unless the cache is empty or
// stale. A clock that went backwards makes it stale too.
func (v *Vault) freshActive() (ticketcrypto.PrivateKey, bool) {
	now := v.now()
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.keys) == 0 || v.loadedAt.IsZero() || now.Before(v.loadedAt) || now.Sub(v.loadedAt) >= reloadInterval {
		return ticketcrypto.PrivateKey{}, false
	}
	return v.keys[len(v.keys)-1].key, true
}

// reload reads the store's issuer keys and returns them, oldest first.
func (v *Vault) reload(ctx context.Context) ([]openedKey, error) {
	v.loadMu.Lock()
	defer v.loadMu.Unlock()
	if err := v.loadLocked(ctx); err != nil {
		return nil, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Clone(v.keys), nil
}

// loadLocked adds the issuer keys of the store that the cache lacks,
// opening only those. loadMu must be held.
func (v *Vault) loadLocked(ctx context.Context) error {
	if err := v.check(); err != nil {
		return err
	}
	started := v.now()
	secrets, err := v.Store.Secrets(ctx, issuerKeyPrefix)
	if err != nil {
		return fmt.Errorf("load issuer keys: %w", err)
	}
	// Only loadMu holders write v.keys, so reading it here is safe.
	keys := slices.Clone(v.keys)
	known := make(map[string]bool, len(keys))
	for _, k := range keys {
		known[k.name] = true
	}
	for name, sealed := range secrets {
		if known[name] {
			continue
		}
		k, err := v.openIssuerKey(name, sealed)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b openedKey) int { return strings.Compare(a.name, b.name) })
	ids := make(map[ticketcrypto.KeyID]string, len(keys))
	for _, k := range keys {
		if other, dup := ids[k.key.ID()]; dup {
			// Gates could not tell their tickets apart; refuse to sign
			// rather than guess.
			return fmt.Errorf("issuer keys %s and %s have the same key id; the key id claims (%s...) should prevent this", other, k.name, keyIDClaimPrefix)
		}
		ids[k.key.ID()] = k.name
	}
	v.mu.Lock()
	v.keys, v.loadedAt = keys, started
	v.mu.Unlock()
	return nil
}

// addKeyLocked makes a new issuer key newer than every cached one, with a
// key id no other key has, and stores it. loadMu must be held and the
// cache just loaded.
func (v *Vault) addKeyLocked(ctx context.Context) (ticketcrypto.PrivateKey, error) {
	created := v.now().UTC()
	taken := make(map[ticketcrypto.KeyID]bool, len(v.keys))
	for _, k := range v.keys {
		taken[k.key.ID()] = true
	}
	// Names order keys: a clock that stepped back must not make the new
	// key older than the active one.
	if n := len(v.keys); n > 0 && !created.After(v.keys[n-1].created) {
		created = v.keys[n-1].created.Add(time.Nanosecond)
	}
	nanos := created.UnixNano()
	if nanos < 0 || created.Year() >= 2262 {
		return ticketcrypto.PrivateKey{}, fmt.Errorf("new issuer key: clock reads %s, outside 1970..2261", created.Format(time.RFC3339))
	}
	for range maxKeyIDTries {
		k, err := ticketcrypto.GeneratePrivateKey()
		if err != nil {
			return ticketcrypto.PrivateKey{}, err
		}
		if taken[k.ID()] {
			continue
		}
		name := fmt.Sprintf("%s%020d/%s", issuerKeyPrefix, nanos, k.ID())
		claim, err := v.Store.PutSecret(ctx, keyIDClaimPrefix+k.ID().String(), []byte(name))
		if err != nil {
			return ticketcrypto.PrivateKey{}, fmt.Errorf("claim key id %s: %w", k.ID(), err)
		}
		if string(claim) != name {
			// Another server holds (or once tried) this id.
			taken[k.ID()] = true
			continue
		}
		pt := []byte(k.Secret())
		box := ticketcrypto.Seal(v.Seal, pt, associatedData(name))
		clear(pt)
		stored, err := v.Store.PutSecret(ctx, name, box)
		if err != nil {
			return ticketcrypto.PrivateKey{}, fmt.Errorf("store issuer key %s: %w", k.ID(), err)
		}
		if !bytes.Equal(stored, box) {
			// The key id claim makes the name ours alone.
			return ticketcrypto.PrivateKey{}, fmt.Errorf("store issuer key: %s holds another value", name)
		}
		v.mu.Lock()
		v.keys = append(v.keys, openedKey{name: name, created: time.Unix(0, nanos).UTC(), key: k})
		v.mu.Unlock()
		return k, nil
	}
	return ticketcrypto.PrivateKey{}, fmt.Errorf("new issuer key: no unused key id in %d tries", maxKeyIDTries)
}

// openIssuerKey opens the issuer key stored under name and checks it
// against the name.
func (v *Vault) openIssuerKey(name string, sealed []byte) (openedKey, error) {
	rest := strings.TrimPrefix(name, issuerKeyPrefix)
	nanosText, kidText, ok := strings.Cut(rest, "/")
	nanos, err := strconv.ParseInt(nanosText, 10, 64)
	if !ok || len(nanosText) != 20 || err != nil || nanos < 0 {
		return openedKey{}, fmt.Errorf("vault secret %q: want issuer/<20 digits of Unix nanoseconds>/<key id>", name)
	}
	kid, err := ticketcrypto.ParseKeyID(kidText)
	if err != nil {
		return openedKey{}, fmt.Errorf("vault secret %q: %w", name, err)
	}
	pt, err := v.open(name, sealed)
	if err != nil {
		return openedKey{}, err
	}
	defer clear(pt)
	key, err := ticketcrypto.ParsePrivateKey(string(pt))
	if err != nil {
		return openedKey{}, fmt.Errorf("vault secret %s: %w", name, err)
	}
	if key.ID() != kid {
		return openedKey{}, fmt.Errorf("vault secret %s holds the key with id %s", name, key.ID())
	}
	return openedKey{name: name, created: time.Unix(0, nanos).UTC(), key: key}, nil
}

// open unseals a secret stored under name. The name is the associated
// data, so a value copied to another name does not open.
func (v *Vault) open(name string, sealed []byte) ([]byte, error) {
	pt, err := ticketcrypto.Open(v.Seal, sealed, associatedData(name))
	if err != nil {
		return nil, fmt.Errorf("vault secret %s: %w (is the seal key the one the secrets were sealed with? Servers sharing a database need the same seal.key)", name, err)
	}
	return pt, nil
}

func associatedData(name string) []byte { return []byte("admitone vault v1\x00" + name) }

func (v *Vault) check() error {
	switch {
	case v.Store == nil:
		return errors.New("vault: no secret store")
	case v.Seal == nil:
		return errors.New("vault: no seal key")
	}
	return nil
}

func parseEvent(eventID string) (ticketcrypto.EventID, error) {
	ev, err := ticketcrypto.ParseEventID(eventID)
	if err != nil {
		return ticketcrypto.EventID{}, fmt.Errorf("%v: %w", err, purchase.ErrInvalid)
	}
	if ev.IsZero() {
		return ticketcrypto.EventID{}, fmt.Errorf("event id is zero: %w", purchase.ErrInvalid)
	}
	return ev, nil
}

// WriteBundle signs a gate bundle with the active issuer key and writes
// it, sealed under passphrase when one is given (see bundle.Write). It
// returns the signer's public key, which the reader trusts.
func (v *Vault) WriteBundle(ctx context.Context, w io.Writer, p *bundle.Payload, passphrase []byte, kdf ticketcrypto.KDFParams) (ticketcrypto.PublicKey, error) {
	key, err := v.signingKey(ctx)
	if err != nil {
		return ticketcrypto.PublicKey{}, err
	}
	if err := bundle.Write(w, p, key, passphrase, kdf); err != nil {
		return ticketcrypto.PublicKey{}, err
	}
	return key.Public(), nil
}
