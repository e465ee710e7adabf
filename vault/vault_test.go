package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/testclock"
	"github.com/admitone/admitone/purchase"
)

// memSecrets is an in-memory SecretStore with the real stores' rules
// (storage/storetest.RunSecrets checks those against bbolt and
// PostgreSQL).
type memSecrets struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newMemSecrets() *memSecrets { return &memSecrets{m: make(map[string][]byte)} }

func (s *memSecrets) PutSecret(ctx context.Context, name string, value []byte) ([]byte, error) {
	if err := CheckSecret(name, value); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[name]; ok {
		return bytes.Clone(old), nil
	}
	s.m[name] = bytes.Clone(value)
	return bytes.Clone(value), nil
}

func (s *memSecrets) Secrets(ctx context.Context, prefix string) (map[string][]byte, error) {
	if err := CheckSecretPrefix(prefix); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]byte)
	for k, v := range s.m {
		if strings.HasPrefix(k, prefix) {
			out[k] = bytes.Clone(v)
		}
	}
	return out, nil
}

// set overwrites a secret, which a SecretStore never does: for tests that
// tamper with the store.
func (s *memSecrets) set(name string, value []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[name] = bytes.Clone(value)
}

func (s *memSecrets) snapshot() map[string][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.m)
}

func newSealKey(t *testing.T, b byte) *ticketcrypto.SealKey {
	t.Helper()
	var k ticketcrypto.SealKey
	for i := range k {
		k[i] = b + byte(i)
	}
	return &k
}

// testNow is the environment's clock at start.
var testNow = time.Date(2026, 6, 1, 18, 0, 15, 0, time.UTC)

type vaultEnv struct {
	store *memSecrets
	seal  *ticketcrypto.SealKey
	clock *testclock.Clock
}

func newVaultEnv(t *testing.T) *vaultEnv {
	return &vaultEnv{store: newMemSecrets(), seal: newSealKey(t, 1), clock: testclock.New(testNow)}
}

// vault returns a new Vault on the environment's store: another server.
func (e *vaultEnv) vault() *Vault {
	return &Vault{Store: e.store, Seal: e.seal, Now: e.clock.Now}
}

// keyring builds what a gate of ev trusts from v.
func keyring(t *testing.T, v *Vault, ev ticketcrypto.EventID) *ticketcrypto.Keyring {
	t.Helper()
	entries, err := v.KeyringEntries(t.Context(), ev.String())
	if err != nil {
		t.Fatal(err)
	}
	var kr ticketcrypto.Keyring
	for _, e := range entries {
		if err := kr.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	return &kr
}

func sign(t *testing.T, v *Vault, ev ticketcrypto.EventID, typ uint16, rotating bool) purchase.SignedTicket {
	t.Helper()
	st, err := v.SignTicket(t.Context(), purchase.TicketToSign{EventID: ev.String(), TypeNumber: typ, Rotating: rotating, ValidUntil: testNow.Add(48 * time.Hour)})
	if err != nil {
		t.Fatalf("SignTicket: %v", err)
	}
	return st
}

// verify checks a signed ticket with kr as a gate would, returning what
// it read.
func verify(t *testing.T, kr *ticketcrypto.Keyring, st purchase.SignedTicket, suffix string) ticketcrypto.Scanned {
	t.Helper()
	sc, err := kr.Verify(st.Token+suffix, testNow)
	if err != nil {
		t.Fatalf("Verify %s: %v", st.ID, err)
	}
	if sc.Ticket.String() != st.ID || sc.KeyID.String() != st.KeyID {
		t.Errorf("token holds ticket %s key %s; SignedTicket says %s, %s", sc.Ticket, sc.KeyID, st.ID, st.KeyID)
	}
	return sc
}

func TestSignTicket(t *testing.T) {
	e := newVaultEnv(t)
	v := e.vault()
	ev := ticketcrypto.NewEventID()
	until := testNow.Add(48 * time.Hour).Truncate(time.Minute) // tokens hold minutes
	st, err := v.SignTicket(t.Context(), purchase.TicketToSign{EventID: ev.String(), TypeNumber: 7, ValidUntil: until})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(st.Token, ticketcrypto.TokenPrefix) || !strings.HasPrefix(st.ID, "tk_") || !strings.HasPrefix(st.KeyID, "kid_") {
		t.Errorf("SignTicket = %+v", st)
	}
	sc := verify(t, keyring(t, v, ev), st, "")
	if sc.Event != ev || sc.TypeNumber != 7 || sc.Rotating() || !sc.ValidUntil.Equal(until) || !sc.ValidFrom.IsZero() {
		t.Errorf("token = %+v", sc.Token)
	}

	keys, err := v.Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].ID.String() != st.KeyID || !keys[0].Active || !keys[0].CreatedAt.Equal(testNow) {
		t.Errorf("Keys after the first ticket = %+v, want the one key %s made at %s", keys, st.KeyID, testNow)
	}
	// A gate of another event does not trust the ticket.
	if _, err := keyring(t, v, ticketcrypto.NewEventID()).Verify(st.Token, testNow); !errors.Is(err, ticketcrypto.ErrUnknownKey) {
		t.Errorf("Verify with another event's keyring: %v, want ErrUnknownKey", err)
	}

	// The store holds the key sealed, and a claim of its key id.
	names := e.store.snapshot()
	if len(names) != 2 {
		t.Errorf("store holds %d secrets, want an issuer key and its key id claim: %v", len(names), slicesOfKeys(names))
	}
	for name, value := range names {
		if bytes.Contains(value, []byte("aosk_")) {
			t.Errorf("secret %s is stored in clear", name)
		}
	}
	if got := string(names["kid/"+st.KeyID]); !strings.HasPrefix(got, "issuer/") || !strings.HasSuffix(got, "/"+st.KeyID) {
		t.Errorf("claim of %s names %q", st.KeyID, got)
	}
}

func slicesOfKeys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSignTicketInvalid(t *testing.T) {
	v := newVaultEnv(t).vault()
	ev := ticketcrypto.NewEventID().String()
	tests := []struct {
		name  string
		event string
		until time.Time
	}{
		{"bad event id", "ev_nothex", time.Time{}},
		{"zero event id", ticketcrypto.EventID{}.String(), time.Time{}},
		{"valid until before 2024", ev, time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"valid until after 2055", ev, time.Date(2056, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := v.SignTicket(t.Context(), purchase.TicketToSign{EventID: tt.event, TypeNumber: 1, Rotating: true, ValidUntil: tt.until}); !errors.Is(err, purchase.ErrInvalid) {
				t.Errorf("SignTicket: %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := v.KeyringEntries(t.Context(), "ev_1"); !errors.Is(err, purchase.ErrInvalid) {
		t.Errorf("KeyringEntries of a bad event id: %v, want ErrInvalid", err)
	}
}

func TestRotate(t *testing.T) {
	e := newVaultEnv(t)
	v := e.vault()
	ev := ticketcrypto.NewEventID()
	before := sign(t, v, ev, 1, false)

	e.clock.Advance(time.Hour)
	kid, err := v.Rotate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if kid.String() == before.KeyID {
		t.Fatalf("Rotate kept key id %s", kid)
	}
	after := sign(t, v, ev, 1, false)
	if after.KeyID != kid.String() {
		t.Errorf("ticket after Rotate signed by %s, want the new key %s", after.KeyID, kid)
	}
	kr := keyring(t, v, ev)
	verify(t, kr, before, "")
	verify(t, kr, after, "")

	keys, err := v.Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].ID.String() != before.KeyID || keys[1].ID != kid || keys[0].Active || !keys[1].Active ||
		!keys[1].CreatedAt.Equal(testNow.Add(time.Hour)) {
		t.Errorf("Keys = %+v, want the first key, then %s (active)", keys, kid)
	}
}

func TestRotateClockBack(t *testing.T) {
	e := newVaultEnv(t)
	v := e.vault()
	first, err := v.Rotate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(-time.Hour)
	second, err := v.Rotate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Another server, reading the store, takes the same key as active.
	keys, err := e.vault().Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].ID != first || keys[1].ID != second || !keys[1].CreatedAt.After(keys[0].CreatedAt) {
		t.Errorf("Keys after a rotation with the clock set back = %+v, want %s then %s", keys, first, second)
	}
}

func TestRotatingTicket(t *testing.T) {
	e := newVaultEnv(t)
	v := e.vault()
	ev := ticketcrypto.NewEventID()
	st := sign(t, v, ev, 2, true)
	if _, ok := e.store.snapshot()["rotation/"+ev.String()]; !ok {
		t.Fatal("a rotating ticket was signed but the store has no rotation key for its event")
	}
	// A fresh vault (another server) reads the same key from the store.
	rk, err := e.vault().RotationKey(t.Context(), ev.String())
	if err != nil {
		t.Fatal(err)
	}
	kr := keyring(t, v, ev)
	kr.SetRotationKey(ev, rk)
	if _, err := kr.Verify(st.Token, testNow); !errors.Is(err, ticketcrypto.ErrCodeExpired) {
		t.Errorf("Verify without the rotating code: %v, want ErrCodeExpired", err)
	}
	tid, err := ticketcrypto.ParseTicketID(st.ID)
	if err != nil {
		t.Fatal(err)
	}
	sc := verify(t, kr, st, rk.Code(ev, tid, testNow))
	if !sc.Rotating() {
		t.Errorf("token is not rotating: %+v", sc.Token)
	}
	if err := rk.VerifyCode(ev, tid, rk.Code(ev, tid, testNow.Add(10*time.Minute)), testNow); !errors.Is(err, ticketcrypto.ErrCodeExpired) {
		t.Errorf("VerifyCode of a code ten minutes ahead: %v, want ErrCodeExpired", err)
	}
}

func TestRotationKeyShared(t *testing.T) {
	e := newVaultEnv(t)
	ev := ticketcrypto.NewEventID().String()
	// Several servers ask for a new event's rotation key at once; all get
	// the one stored first.
	const n = 8
	keys := make([]ticketcrypto.RotationKey, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		v := e.vault()
		wg.Go(func() { keys[i], errs[i] = v.RotationKey(t.Context(), ev) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("RotationKey %d: %v", i, errs[i])
		}
		if keys[i].Secret() != keys[0].Secret() {
			t.Errorf("server %d has another rotation key than server 0", i)
		}
	}
	if keys[0].IsZero() {
		t.Error("rotation key is zero")
	}
	// Events do not share keys.
	other, err := e.vault().RotationKey(t.Context(), ticketcrypto.NewEventID().String())
	if err != nil {
		t.Fatal(err)
	}
	if other.Secret() == keys[0].Secret() {
		t.Error("two events have the same rotation key")
	}
}

func TestTwoServers(t *testing.T) {
	e := newVaultEnv(t)
	a, b := e.vault(), e.vault()
	ev := ticketcrypto.NewEventID()
	first := sign(t, a, ev, 1, false)
	if got := sign(t, b, ev, 1, false); got.KeyID != first.KeyID {
		t.Fatalf("server b signs with %s, server a made %s", got.KeyID, first.KeyID)
	}

	e.clock.Advance(time.Minute)
	kid, err := a.Rotate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := sign(t, a, ev, 1, false); got.KeyID != kid.String() {
		t.Errorf("server a signs with %s after rotating to %s", got.KeyID, kid)
	}
	// b trusts the new key at once where it matters, for gates...
	keys, err := b.Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[1].ID != kid || !keys[1].Active {
		t.Errorf("server b's Keys after a rotated = %+v", keys)
	}
	// ...and signs with it after its next reload.
	e.clock.Advance(reloadInterval)
	late := sign(t, b, ev, 1, false)
	if late.KeyID != kid.String() {
		t.Errorf("server b signs with %s after reloading, want %s", late.KeyID, kid)
	}
	kr := keyring(t, b, ev)
	verify(t, kr, first, "")
	verify(t, kr, late, "")
}

func TestSignReloadsAfterInterval(t *testing.T) {
	e := newVaultEnv(t)
	a, b := e.vault(), e.vault()
	ev := ticketcrypto.NewEventID()
	old := sign(t, b, ev, 1, false).KeyID
	kid, err := a.Rotate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(reloadInterval - time.Second)
	if got := sign(t, b, ev, 1, false).KeyID; got != old {
		t.Errorf("server b signs with %s within the reload interval, want its cached %s", got, old)
	}
	e.clock.Advance(time.Second)
	if got := sign(t, b, ev, 1, false).KeyID; got != kid.String() {
		t.Errorf("server b signs with %s once the interval passed, want %s", got, kid)
	}
}

func TestWrongSealKey(t *testing.T) {
	e := newVaultEnv(t)
	ev := ticketcrypto.NewEventID()
	sign(t, e.vault(), ev, 1, true)

	wrong := &Vault{Store: e.store, Seal: newSealKey(t, 99), Now: e.clock.Now}
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ticketcrypto.ErrOpen) || !strings.Contains(err.Error(), "seal key") {
			t.Errorf("%s with the wrong seal key: %v, want ErrOpen naming the seal key", what, err)
		}
		if err != nil && (strings.Contains(err.Error(), "aosk_") || strings.Contains(err.Error(), "aork_")) {
			t.Errorf("%s: error shows key material: %v", what, err)
		}
	}
	_, err := wrong.SignTicket(t.Context(), purchase.TicketToSign{EventID: ev.String(), TypeNumber: 1})
	check("SignTicket", err)
	_, err = wrong.RotationKey(t.Context(), ev.String())
	check("RotationKey", err)
	_, err = wrong.Keys(t.Context())
	check("Keys", err)
	_, err = wrong.Rotate(t.Context())
	check("Rotate", err)
	if keys := e.store.snapshot(); len(keys) != 3 {
		t.Errorf("store holds %d secrets after the refused calls, want the 3 it had", len(keys))
	}
}

func TestSecretBoundToName(t *testing.T) {
	e := newVaultEnv(t)
	v := e.vault()
	evA, evB := ticketcrypto.NewEventID(), ticketcrypto.NewEventID()
	if _, err := v.RotationKey(t.Context(), evA.String()); err != nil {
		t.Fatal(err)
	}
	// Someone with write access to the database copies event A's key to
	// event B: it does not open there.
	e.store.set("rotation/"+evB.String(), e.store.snapshot()["rotation/"+evA.String()])
	if _, err := e.vault().RotationKey(t.Context(), evB.String()); !errors.Is(err, ticketcrypto.ErrOpen) {
		t.Errorf("RotationKey of a value moved from another name: %v, want ErrOpen", err)
	}
}

func TestKeyIDClaims(t *testing.T) {
	e := newVaultEnv(t)
	// Every key id but one is claimed (by servers that crashed before
	// storing their key, say): Rotate must find the free one or give up,
	// never reuse a claimed id.
	free := ticketcrypto.KeyID{0x12, 0x34}
	for i := range 1 << 16 {
		id := ticketcrypto.KeyID{byte(i >> 8), byte(i)}
		if id != free {
			e.store.set("kid/"+id.String(), []byte("issuer/crashed"))
		}
	}
	kid, err := e.vault().Rotate(t.Context())
	switch {
	case err == nil && kid != free:
		t.Fatalf("Rotate made key %s, whose id was claimed", kid)
	case err != nil && !strings.Contains(err.Error(), "no unused key id"):
		t.Fatalf("Rotate: %v", err)
	}
	e.store.set("kid/"+free.String(), []byte("issuer/crashed"))
	if kid, err := e.vault().Rotate(t.Context()); err == nil || !strings.Contains(err.Error(), "no unused key id") {
		t.Errorf("Rotate with every key id claimed = %s, %v; want an error", kid, err)
	}
}

func TestDuplicateKeyIDRefused(t *testing.T) {
	e := newVaultEnv(t)
	v := e.vault()
	if _, err := v.Rotate(t.Context()); err != nil {
		t.Fatal(err)
	}
	// A second key with the same id, written past the claims: signing
	// stops rather than pick one.
	for name, value := range e.store.snapshot() {
		if strings.HasPrefix(name, "issuer/") {
			nanos, kid, _ := strings.Cut(strings.TrimPrefix(name, "issuer/"), "/")
			other := fmt.Sprintf("issuer/%s9/%s", nanos[:19], kid)
			if other == name {
				other = fmt.Sprintf("issuer/%s8/%s", nanos[:19], kid)
			}
			// Re-seal under the new name so only the duplicate is wrong.
			pt, err := v.open(name, value)
			if err != nil {
				t.Fatal(err)
			}
			e.store.set(other, ticketcrypto.Seal(e.seal, pt, associatedData(other)))
		}
	}
	if _, err := e.vault().SignTicket(t.Context(), purchase.TicketToSign{EventID: ticketcrypto.NewEventID().String(), TypeNumber: 1}); err == nil || !strings.Contains(err.Error(), "same key id") {
		t.Errorf("SignTicket with two keys of one id: %v, want an error", err)
	}
}

func TestNotConfigured(t *testing.T) {
	ev := ticketcrypto.NewEventID().String()
	for _, v := range []*Vault{{Seal: newSealKey(t, 1)}, {Store: newMemSecrets()}} {
		if _, err := v.SignTicket(t.Context(), purchase.TicketToSign{EventID: ev, TypeNumber: 1}); err == nil {
			t.Errorf("SignTicket of %+v succeeded", v)
		}
		if _, err := v.RotationKey(t.Context(), ev); err == nil {
			t.Errorf("RotationKey of %+v succeeded", v)
		}
	}
}

// TestConcurrent signs from many goroutines while the clock moves
// and keys rotate; run it with -race. Every ticket verifies, and each
// server makes at most one first key.
func TestConcurrent(t *testing.T) {
	e := newVaultEnv(t)
	servers := []*Vault{e.vault(), e.vault()}
	events := []ticketcrypto.EventID{ticketcrypto.NewEventID(), ticketcrypto.NewEventID(), ticketcrypto.NewEventID()}
	const workers, perWorker, rotations = 20, 15, 3
	tickets := make([][]purchase.SignedTicket, workers)
	errs := make([]error, workers+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			v := servers[w%len(servers)]
			for i := range perWorker {
				ev := events[(w+i)%len(events)]
				st, err := v.SignTicket(t.Context(), purchase.TicketToSign{EventID: ev.String(), TypeNumber: uint16(i), Rotating: i%2 == 0})
				if err != nil {
					errs[w] = err
					return
				}
				tickets[w] = append(tickets[w], st)
				if i%5 == 0 {
					e.clock.Advance(10 * time.Second)
				}
			}
		})
	}
	wg.Go(func() {
		for i := range rotations {
			if _, err := servers[i%len(servers)].Rotate(t.Context()); err != nil {
				errs[workers] = err
				return
			}
		}
	})
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	keys, err := servers[0].Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// One key per Rotate, plus the first key signing makes when it finds
	// none, which the two servers may both make; none if a Rotate came
	// before the first signature.
	if len(keys) < rotations || len(keys) > 2+rotations {
		t.Errorf("%d keys after %d rotations, want %d to %d", len(keys), rotations, rotations, 2+rotations)
	}
	for _, ev := range events {
		kr := keyring(t, servers[1], ev)
		rk, err := servers[1].RotationKey(t.Context(), ev.String())
		if err != nil {
			t.Fatal(err)
		}
		kr.SetRotationKey(ev, rk)
		for _, ts := range tickets {
			for _, st := range ts {
				sc, err := ticketcrypto.ParseText(st.Token)
				if err != nil {
					t.Fatal(err)
				}
				if sc.Event != ev {
					continue
				}
				var code string
				if sc.Rotating() {
					code = rk.Code(ev, sc.Ticket, testNow)
				}
				verify(t, kr, st, code)
			}
		}
	}
}

func TestCheckSecret(t *testing.T) {
	tests := []struct {
		name  string
		value []byte
		ok    bool
	}{
		{"issuer/1", []byte{1}, true},
		{strings.Repeat("n", MaxSecretName), make([]byte, MaxSecretValue), true},
		{"", []byte{1}, false},
		{strings.Repeat("n", MaxSecretName+1), []byte{1}, false},
		{"a\x00b", []byte{1}, false},
		{"bad\xffutf8", []byte{1}, false},
		{"empty", nil, false},
		{"big", make([]byte, MaxSecretValue+1), false},
	}
	for _, tt := range tests {
		err := CheckSecret(tt.name, tt.value)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalidSecret)) {
			t.Errorf("CheckSecret(%.20q, %d bytes) = %v, want ok=%v", tt.name, len(tt.value), err, tt.ok)
		}
	}
	if err := CheckSecretPrefix(""); err != nil {
		t.Errorf("CheckSecretPrefix(\"\") = %v", err)
	}
}

// TestTicketToken: a ticket's token is signed again from its stored
// fields to the very text of its issue, by the key that signed it, also
// after a rotation and on another server (a fresh Vault on the store);
// other fields give another token, and an unknown key is an error.
func TestTicketToken(t *testing.T) {
	e := newVaultEnv(t)
	v := e.vault()
	ev := ticketcrypto.NewEventID()
	until := testNow.Add(48 * time.Hour)
	static, err := v.SignTicket(t.Context(), purchase.TicketToSign{EventID: ev.String(), TypeNumber: 3, ValidUntil: until})
	if err != nil {
		t.Fatal(err)
	}
	rotating, err := v.SignTicket(t.Context(), purchase.TicketToSign{EventID: ev.String(), TypeNumber: 4, Rotating: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Rotate(t.Context()); err != nil {
		t.Fatal(err)
	}
	fields := func(st purchase.SignedTicket, typ uint16, rot bool, until time.Time) purchase.Ticket {
		return purchase.Ticket{ID: st.ID, EventID: ev.String(), TypeNumber: typ, KeyID: st.KeyID, Rotating: rot, ValidUntil: until}
	}
	for _, c := range []struct {
		name   string
		vault  *Vault
		ticket purchase.Ticket
		want   string
	}{
		{"static", v, fields(static, 3, false, until), static.Token},
		{"rotating", v, fields(rotating, 4, true, time.Time{}), rotating.Token},
		{"another server", e.vault(), fields(static, 3, false, until), static.Token},
	} {
		got, err := c.vault.TicketToken(t.Context(), c.ticket)
		if err != nil || got != c.want {
			t.Errorf("%s: TicketToken = %q, %v; want the issued %q", c.name, got, err, c.want)
		}
	}
	if got, err := v.TicketToken(t.Context(), fields(static, 4, false, until)); err != nil || got == static.Token {
		t.Errorf("TicketToken of another type = %q, %v; want another token", got, err)
	}
	unknown := fields(static, 3, false, until)
	unknown.KeyID = "kid_abcd"
	if _, err := v.TicketToken(t.Context(), unknown); err == nil || !strings.Contains(err.Error(), "not in the vault") {
		t.Errorf("TicketToken with an unknown key: %v, want an error naming the key", err)
	}
}
