package crypto

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// keyFromIndex derives a deterministic key from a small number.
func keyFromIndex(i int) PrivateKey {
	var seed [ed25519.SeedSize]byte
	seed[0], seed[1], seed[2] = 0x4b, byte(i>>8), byte(i)
	return privateKeyFromSeed(seed)
}

// collidingKeys returns two different keys with the same 16-bit key id.
// By the birthday bound a collision shows up after a few hundred keys.
func collidingKeys(t *testing.T) (PrivateKey, PrivateKey) {
	t.Helper()
	seen := make(map[KeyID]PrivateKey)
	for i := range 1 << 16 {
		k := keyFromIndex(i)
		if prev, ok := seen[k.ID()]; ok {
			return prev, k
		}
		seen[k.ID()] = k
	}
	t.Fatal("no key id collision in 65536 keys")
	return PrivateKey{}, PrivateKey{}
}

func entryFor(ev EventID, k PrivateKey) KeyringEntry {
	return KeyringEntry{Event: ev, KeyID: k.ID(), PublicKey: k.Public()}
}

func TestKeyringAddRefuses(t *testing.T) {
	a, b := collidingKeys(t)
	if a.Public().Equal(b.Public()) || a.ID() != b.ID() {
		t.Fatalf("collidingKeys gave %s and %s", a.ID(), b.ID())
	}
	key := testKey(t)
	t0 := testNow

	tests := []struct {
		name     string
		existing []KeyringEntry
		add      KeyringEntry
		errWant  string
	}{
		{"zero public key", nil, KeyringEntry{Event: testEvent}, "no public key"},
		{"key id of another key", nil, KeyringEntry{Event: testEvent, KeyID: testOtherKey(t).ID(), PublicKey: key.Public()}, "does not match"},
		{"zero key id", nil, KeyringEntry{Event: testEvent, PublicKey: key.Public()}, "does not match"},
		{"window reversed", nil, KeyringEntry{Event: testEvent, KeyID: key.ID(), PublicKey: key.Public(), NotBefore: t0, NotAfter: t0.Add(-time.Second)}, "not_after is not after not_before"},
		{"window empty", nil, KeyringEntry{Event: testEvent, KeyID: key.ID(), PublicKey: key.Public(), NotBefore: t0, NotAfter: t0}, "not_after is not after not_before"},
		{"colliding key id in one event", []KeyringEntry{entryFor(testEvent, a)}, entryFor(testEvent, b), "already has a different key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Keyring
			for _, e := range tt.existing {
				if err := r.Add(e); err != nil {
					t.Fatalf("Add existing: %v", err)
				}
			}
			before := r.Entries()
			err := r.Add(tt.add)
			if err == nil {
				t.Fatal("Add accepted it")
			}
			if !strings.Contains(err.Error(), tt.errWant) {
				t.Errorf("Add error %q, want it to contain %q", err, tt.errWant)
			}
			if got := r.Entries(); !slices.Equal(got, before) {
				t.Errorf("a refused Add changed the keyring: %v, was %v", got, before)
			}
		})
	}

	t.Run("colliding key ids in two events", func(t *testing.T) {
		var r Keyring
		if err := r.Add(entryFor(testEvent, a)); err != nil {
			t.Fatal(err)
		}
		if err := r.Add(entryFor(testOtherEvent, b)); err != nil {
			t.Fatalf("Add of the same id for another event: %v", err)
		}
		for _, c := range []struct {
			ev   EventID
			want PrivateKey
		}{{testEvent, a}, {testOtherEvent, b}} {
			got, err := r.Lookup(c.ev, a.ID(), t0)
			if err != nil || !got.Equal(c.want.Public()) {
				t.Errorf("Lookup(%s) = %s, %v, want %s", c.ev, got, err, c.want.Public())
			}
		}
	})
}

func TestKeyringAddSameKeyTwice(t *testing.T) {
	var r Keyring
	e := entryFor(testEvent, testKey(t))
	if err := r.Add(e); err != nil {
		t.Fatal(err)
	}
	// Retiring the key is adding it again with a NotAfter.
	e.NotAfter = testNow
	if err := r.Add(e); err != nil {
		t.Fatalf("Add of the same key again: %v", err)
	}
	if got, want := r.Len(), 1; got != want {
		t.Errorf("Len = %d, want %d", got, want)
	}
	if _, err := r.Lookup(testEvent, e.KeyID, testNow); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Lookup after retiring = %v, want ErrUnknownKey", err)
	}
	if _, err := r.Lookup(testEvent, e.KeyID, testNow.Add(-time.Second)); err != nil {
		t.Errorf("Lookup before retirement: %v", err)
	}
}

func TestKeyringEntriesSorted(t *testing.T) {
	var r Keyring
	events := []EventID{testOtherEvent, {0x01}, testEvent, {0x01, 0x02}}
	var want []KeyringEntry
	for i, ev := range events {
		for j := range 5 {
			e := entryFor(ev, keyFromIndex(100*i+j))
			if err := r.Add(e); err != nil {
				t.Fatal(err)
			}
			want = append(want, e)
		}
	}
	if got := r.Len(); got != len(want) {
		t.Errorf("Len = %d, want %d", got, len(want))
	}
	got := r.Entries()
	if len(got) != len(want) {
		t.Fatalf("Entries has %d, want %d", len(got), len(want))
	}
	for i := 1; i < len(got); i++ {
		p, q := got[i-1], got[i]
		if c := slices.Compare(p.Event[:], q.Event[:]); c > 0 || c == 0 && slices.Compare(p.KeyID[:], q.KeyID[:]) >= 0 {
			t.Errorf("Entries[%d] (%s %s) is not before Entries[%d] (%s %s)", i-1, p.Event, p.KeyID, i, q.Event, q.KeyID)
		}
	}
	for _, e := range want {
		if !slices.Contains(got, e) {
			t.Errorf("Entries lacks %s %s", e.Event, e.KeyID)
		}
	}
	var empty Keyring
	if got := empty.Entries(); len(got) != 0 {
		t.Errorf("empty keyring has entries %v", got)
	}
}

func TestKeyringLookupWindows(t *testing.T) {
	key := testKey(t)
	nb := testNow
	na := testNow.Add(time.Hour)
	tests := []struct {
		name      string
		notBefore time.Time
		notAfter  time.Time
		at        time.Time
		ok        bool
	}{
		{"unbounded, far past", time.Time{}, time.Time{}, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"unbounded, far future", time.Time{}, time.Time{}, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"before not_before", nb, na, nb.Add(-time.Nanosecond), false},
		{"at not_before", nb, na, nb, true},
		{"inside", nb, na, nb.Add(30 * time.Minute), true},
		{"just before not_after", nb, na, na.Add(-time.Nanosecond), true},
		{"at not_after", nb, na, na, false},
		{"after not_after", nb, na, na.Add(time.Hour), false},
		{"only not_before, later", nb, time.Time{}, nb.Add(24 * time.Hour), true},
		{"only not_before, earlier", nb, time.Time{}, nb.Add(-time.Second), false},
		{"only not_after, earlier", time.Time{}, na, na.Add(-24 * time.Hour), true},
		{"only not_after, later", time.Time{}, na, na, false},
		{"other zone, same instant as not_after", nb, na, na.In(time.FixedZone("X", -5*3600)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Keyring
			e := entryFor(testEvent, key)
			e.NotBefore, e.NotAfter = tt.notBefore, tt.notAfter
			if err := r.Add(e); err != nil {
				t.Fatal(err)
			}
			got, err := r.Lookup(testEvent, key.ID(), tt.at)
			if tt.ok {
				if err != nil {
					t.Fatalf("Lookup: %v", err)
				}
				if !got.Equal(key.Public()) {
					t.Errorf("Lookup = %s, want %s", got, key.Public())
				}
				return
			}
			if !errors.Is(err, ErrUnknownKey) {
				t.Errorf("Lookup = %s, %v; want ErrUnknownKey", got, err)
			}
			if !got.IsZero() {
				t.Errorf("Lookup returned key %s with its error", got)
			}
		})
	}

	t.Run("unknown id or event", func(t *testing.T) {
		r := testKeyring(t)
		if _, err := r.Lookup(testEvent, testOtherKey(t).ID(), testNow); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("unknown id: %v, want ErrUnknownKey", err)
		}
		if _, err := r.Lookup(testOtherEvent, key.ID(), testNow); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("unknown event: %v, want ErrUnknownKey", err)
		}
		var zero Keyring
		if _, err := zero.Lookup(testEvent, key.ID(), testNow); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("zero keyring: %v, want ErrUnknownKey", err)
		}
	})
}

func TestKeyringRotationKey(t *testing.T) {
	var r Keyring
	if _, ok := r.RotationKey(testEvent); ok {
		t.Error("zero keyring has a rotation key")
	}
	rk := mustRotationKey(t, testRotationSecret)
	r.SetRotationKey(testEvent, rk)
	got, ok := r.RotationKey(testEvent)
	if !ok || got.Secret() != rk.Secret() {
		t.Errorf("RotationKey = %v, %v; want the key set", got, ok)
	}
	if _, ok := r.RotationKey(testOtherEvent); ok {
		t.Error("rotation key reported for another event")
	}
}

func TestKeyringEntryJSON(t *testing.T) {
	e := entryFor(testEvent, testKey(t))
	e.NotAfter = testNow
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"event_id":"ev_e0e1e2e3e4e5e6e7"`, `"key_id":"` + e.KeyID.String() + `"`, `"public_key":"aopk_`, `"not_after":"2026-06-01T18:00:15Z"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	if strings.Contains(string(b), "not_before") {
		t.Errorf("JSON %s has a zero not_before, want it omitted", b)
	}
	var got KeyringEntry
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Event != e.Event || got.KeyID != e.KeyID || !got.PublicKey.Equal(e.PublicKey) || !got.NotAfter.Equal(e.NotAfter) || !got.NotBefore.IsZero() {
		t.Errorf("round trip = %+v, want %+v", got, e)
	}
}
