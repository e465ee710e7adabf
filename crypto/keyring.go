package crypto

import (
	"fmt"
	"slices"
	"time"
)

// KeyringEntry is one issuer public key trusted for one event, during a
// window. A zero NotBefore or NotAfter is unbounded. Retiring a key (a
// rotation, or a leak) sets NotAfter: from then on, tickets signed with it
// are refused as unknown_key, so the issuer re-signs them with the new key.
type KeyringEntry struct {
	Event     EventID   `json:"event_id"`
	KeyID     KeyID     `json:"key_id"`
	PublicKey PublicKey `json:"public_key"`
	NotBefore time.Time `json:"not_before,omitzero"`
	NotAfter  time.Time `json:"not_after,omitzero"`
}

// Keyring maps (event, key id) to issuer public keys, and holds each event's
// rotation key where the holder may verify rotating codes. The zero value is
// empty and ready to use. A Keyring is not safe for concurrent mutation;
// readers may share one that nobody changes.
type Keyring struct {
	keys     map[EventID]map[KeyID]KeyringEntry
	rotation map[EventID]RotationKey
}

// Add trusts an entry. It refuses an entry whose key id does not match its
// public key, and a second key with the same id for the same event (the
// key id is short: see the package Caveats). Adding the same key again
// replaces its validity window.
func (r *Keyring) Add(e KeyringEntry) error {
	if e.PublicKey.IsZero() {
		return fmt.Errorf("keyring: entry for %s has no public key", e.Event)
	}
	if e.PublicKey.ID() != e.KeyID {
		return fmt.Errorf("keyring: key id %s does not match public key %s (its id is %s)", e.KeyID, e.PublicKey, e.PublicKey.ID())
	}
	if !e.NotBefore.IsZero() && !e.NotAfter.IsZero() && !e.NotAfter.After(e.NotBefore) {
		return fmt.Errorf("keyring: key %s for %s: not_after is not after not_before", e.KeyID, e.Event)
	}
	if r.keys == nil {
		r.keys = make(map[EventID]map[KeyID]KeyringEntry)
	}
	m := r.keys[e.Event]
	if m == nil {
		m = make(map[KeyID]KeyringEntry)
		r.keys[e.Event] = m
	}
	if old, ok := m[e.KeyID]; ok && !old.PublicKey.Equal(e.PublicKey) {
		return fmt.Errorf("keyring: event %s already has a different key with id %s; generate another key", e.Event, e.KeyID)
	}
	m[e.KeyID] = e
	return nil
}

// SetRotationKey stores the rotation key of an event.
func (r *Keyring) SetRotationKey(ev EventID, k RotationKey) {
	if r.rotation == nil {
		r.rotation = make(map[EventID]RotationKey)
	}
	r.rotation[ev] = k
}

// RotationKey returns the rotation key of an event, if held.
func (r *Keyring) RotationKey(ev EventID) (RotationKey, bool) {
	k, ok := r.rotation[ev]
	return k, ok
}

// Entries returns every entry, sorted by event then key id.
func (r *Keyring) Entries() []KeyringEntry {
	var out []KeyringEntry
	for _, m := range r.keys {
		for _, e := range m {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b KeyringEntry) int {
		if c := slices.Compare(a.Event[:], b.Event[:]); c != 0 {
			return c
		}
		return slices.Compare(a.KeyID[:], b.KeyID[:])
	})
	return out
}

// Len returns the number of entries.
func (r *Keyring) Len() int {
	n := 0
	for _, m := range r.keys {
		n += len(m)
	}
	return n
}

// Lookup returns the key for (event, key id) trusted at time at.
func (r *Keyring) Lookup(ev EventID, id KeyID, at time.Time) (PublicKey, error) {
	e, ok := r.keys[ev][id]
	if !ok {
		return PublicKey{}, fmt.Errorf("%w: no key %s for event %s", ErrUnknownKey, id, ev)
	}
	if !e.NotBefore.IsZero() && at.Before(e.NotBefore) {
		return PublicKey{}, fmt.Errorf("%w: key %s of event %s is trusted from %s", ErrUnknownKey, id, ev, e.NotBefore.UTC().Format(time.RFC3339))
	}
	if !e.NotAfter.IsZero() && !at.Before(e.NotAfter) {
		return PublicKey{}, fmt.Errorf("%w: key %s of event %s was retired at %s", ErrUnknownKey, id, ev, e.NotAfter.UTC().Format(time.RFC3339))
	}
	return e.PublicKey, nil
}

// Verify parses a token's text form and checks it in the order a gate needs:
// format, key lookup, signature, then the rotating code for tickets that
// require one. It does not check the event, ticket type or validity window;
// those are the gate's rules. The returned Scanned is valid whenever the
// error is nil or wraps ErrCodeExpired (the signature was good).
func (r *Keyring) Verify(text string, now time.Time) (Scanned, error) {
	sc, err := ParseText(text)
	if err != nil {
		return Scanned{}, err
	}
	pub, err := r.Lookup(sc.Event, sc.KeyID, now)
	if err != nil {
		return sc, err
	}
	if err := sc.Verify(pub); err != nil {
		return sc, err
	}
	if sc.Rotating() {
		rk, ok := r.RotationKey(sc.Event)
		if !ok {
			return sc, fmt.Errorf("%w: ticket %s needs a rotating code and this keyring holds no rotation key for %s", ErrCodeExpired, sc.Ticket, sc.Event)
		}
		if err := rk.VerifyCode(sc.Event, sc.Ticket, sc.Code, now); err != nil {
			return sc, err
		}
	}
	return sc, nil
}
