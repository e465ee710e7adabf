package issuer

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ticketcrypto "github.com/admitone/admitone/crypto"
)

const testPass = "correct horse battery"

func TestKeyFileRoundTrip(t *testing.T) {
	f, ev := newTestKeyFile(t)
	ev2 := ticketcrypto.NewEventID()
	if _, err := f.AddEvent(ev2, "", testNow); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "issuer.key")
	if err := f.Create(path, []byte(testPass)); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode %o, want 600", got)
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte(f.Key.Secret())) || bytes.Contains(raw, []byte("aosk_")) || bytes.Contains(raw, []byte("aork_")) {
		t.Fatal("sealed key file shows a secret")
	}

	got, err := Load(path, []byte(testPass))
	if err != nil {
		t.Fatal(err)
	}
	if got.Key.Secret() != f.Key.Secret() {
		t.Error("issuer key changed in the round trip")
	}
	if got.KDF != fastKDF {
		t.Errorf("KDF = %+v, want the file's %+v", got.KDF, fastKDF)
	}
	if len(got.Events) != 2 {
		t.Fatalf("%d events, want 2", len(got.Events))
	}
	for i, want := range f.Events {
		g := got.Events[i]
		if g.ID != want.ID || g.Name != want.Name || g.RotationKey.Secret() != want.RotationKey.Secret() || !g.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("event %d = %+v, want %+v", i, g, want)
		}
	}
	if e, ok := got.Event(ev); !ok || e.Name != "Test night" {
		t.Errorf("Event(%s) = %+v, %v", ev, e, ok)
	}

	// Save replaces the file; Create refuses to.
	if err := got.SetEventName(ev2, "Second night"); err != nil {
		t.Fatal(err)
	}
	if err := got.Save(path, []byte(testPass)); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	other, _ := NewKeyFile()
	other.KDF = fastKDF
	if err := other.Create(path, []byte(testPass)); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create over an existing file: %v, want fs.ErrExist", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("a refused Create changed the existing file")
	}
	again, err := Load(path, []byte(testPass))
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := again.Event(ev2); e.Name != "Second night" {
		t.Errorf("renamed event not saved: %+v", e)
	}
	if ents, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp")); len(ents) != 0 {
		t.Errorf("temporary files left behind: %v", ents)
	}
}

func TestKeyFileWrongPassphrase(t *testing.T) {
	f, _ := newTestKeyFile(t)
	path := filepath.Join(t.TempDir(), "issuer.key")
	if err := f.Create(path, []byte(testPass)); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, []byte("correct horse battery!"))
	if !errors.Is(err, ticketcrypto.ErrOpen) {
		t.Fatalf("wrong passphrase: %v, want ErrOpen", err)
	}
	if !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "correct horse") {
		t.Errorf("error %q should name the file and not the passphrase", err)
	}
}

func TestKeyFileTampered(t *testing.T) {
	f, _ := newTestKeyFile(t)
	good, err := f.Seal([]byte(testPass))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(good, []byte(testPass)); err != nil {
		t.Fatal(err)
	}
	// Flip one bit in the salt (second line) and at several places of the
	// ciphertext (third line): each must be refused.
	saltAt := bytes.Index(good, []byte("salt=")) + len("salt=") + 3
	third := bytes.LastIndexByte(good[:len(good)-1], '\n') + 1
	for _, i := range []int{saltAt, third, third + 20, (third + len(good)) / 2, len(good) - 3} {
		bad := bytes.Clone(good)
		bad[i] ^= 0x01
		if _, err := Open(bad, []byte(testPass)); err == nil {
			t.Errorf("byte %d flipped: key file opened", i)
		}
	}
	if _, err := Open([]byte(`{"format":"admitone-issuer-v1"}`), []byte(testPass)); err == nil || !strings.Contains(err.Error(), "not a sealed key file") {
		t.Errorf("plaintext file: %v", err)
	}
}

func TestKeyFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.key")
	if err := os.WriteFile(path, make([]byte, MaxKeyFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, []byte(testPass)); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("oversized key file: %v", err)
	}
}

func TestKeyFileTooManyEvents(t *testing.T) {
	f, _ := newTestKeyFile(t)
	for len(f.Events)*150 < MaxKeyFileSize {
		if _, err := f.AddEvent(ticketcrypto.NewEventID(), "", testNow); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "issuer.key")
	if err := f.Save(path, []byte(testPass)); err == nil || !strings.Contains(err.Error(), "too many") {
		t.Fatalf("Save of a key file Load would refuse: %v", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("an oversized key file was written")
	}
}

func TestParsePlaintext(t *testing.T) {
	f, _ := newTestKeyFile(t)
	good, err := f.MarshalPlaintext()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePlaintext(good); err != nil {
		t.Fatalf("good plaintext: %v", err)
	}
	secret := f.Key.Secret()
	rk := f.Events[0].RotationKey.Secret()
	ev := f.Events[0].ID.String()
	sub := func(old, new string) string { return strings.Replace(string(good), old, new, 1) }
	for name, tc := range map[string]struct{ text, want string }{
		"unknown field":       {sub(`"events"`, `"extra":1,"events"`), `unknown field "extra"`},
		"unknown event field": {sub(`"name"`, `"seats":9,"name"`), `unknown field "seats"`},
		"wrong format":        {sub(KeyFileFormat, "admitone-issuer-v0"), "format"},
		"no key":              {sub(secret, ""), "issuer_key"},
		"bad key":             {sub(secret, secret[:len(secret)-2]), "issuer_key"},
		"public key":          {sub(secret, f.Key.Public().String()), "issuer_key"},
		"duplicate event":     {sub(`"events":[`, `"events":[{"event_id":"`+ev+`","name":"","rotation_key":"`+rk+`","created_at":"2026-01-01T00:00:00Z"},`), "appears twice"},
		"bad rotation key":    {sub(rk, rk[:10]), "rotation_key"},
		"zero event":          {sub(ev, "ev_0000000000000000"), "zero"},
		"no created_at":       {sub(`"created_at":"2026-06-01T18:00:15Z"`, `"created_at":"0001-01-01T00:00:00Z"`), "created_at"},
		"long name":           {sub(`"Test night"`, `"`+strings.Repeat("n", MaxEventName+1)+`"`), "event name"},
		"trailing data":       {string(good) + "{}", "trailing"},
		"not JSON":            {"aosk_" + strings.Repeat("x", 50), "not valid JSON"},
		"truncated":           {string(good[:len(good)/2]), ""},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.text == string(good) {
				t.Fatal("test case did not change the plaintext")
			}
			_, err := ParsePlaintext([]byte(tc.text))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret[5:15]) || strings.Contains(err.Error(), rk[5:15]) {
				t.Errorf("error %q quotes a secret", err)
			}
		})
	}
}

func TestKeyFileKeyring(t *testing.T) {
	f, ev := newTestKeyFile(t)
	kr, err := f.Keyring()
	if err != nil {
		t.Fatal(err)
	}
	if kr.Len() != 1 {
		t.Fatalf("keyring has %d entries, want 1", kr.Len())
	}
	pub, err := kr.Lookup(ev, f.Key.ID(), testNow)
	if err != nil || !pub.Equal(f.Key.Public()) {
		t.Fatalf("Lookup = %v, %v", pub, err)
	}
	rk, ok := kr.RotationKey(ev)
	if !ok || rk.Secret() != f.Events[0].RotationKey.Secret() {
		t.Fatal("keyring lacks the event's rotation key")
	}
}

func TestAddEventRefuses(t *testing.T) {
	f, ev := newTestKeyFile(t)
	if _, err := f.AddEvent(ev, "", testNow); err == nil {
		t.Error("second AddEvent of the same event accepted")
	}
	if _, err := f.AddEvent(ticketcrypto.EventID{}, "", testNow); err == nil {
		t.Error("zero event accepted")
	}
	if _, err := f.AddEvent(ticketcrypto.NewEventID(), "bell\a", testNow); err == nil {
		t.Error("control character in a name accepted")
	}
	if len(f.Events) != 1 {
		t.Errorf("refused events were added: %d events", len(f.Events))
	}
}
