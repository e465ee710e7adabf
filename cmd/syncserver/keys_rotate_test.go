package main

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/storage"
	"github.com/admitone/admitone/storage/postgres/pgtest"
	"github.com/admitone/admitone/vault"
)

func TestKeysRotate(t *testing.T) {
	t.Run("bolt", func(t *testing.T) { testKeysRotate(t, "") })
	t.Run("postgres", func(t *testing.T) { testKeysRotate(t, pgtest.FreshSchema(t)) })
}

func testKeysRotate(t *testing.T, database string) {
	// Flags come from ADMITONE_* when not given: keep the developer's
	// environment out.
	for _, k := range []string{"ADMITONE_DATA_DIR", "ADMITONE_DATABASE", "ADMITONE_LISTEN", "ADMITONE_LOG_JSON", "ADMITONE_LOG_LEVEL"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	dir := t.TempDir()
	rotate := func() (string, error) {
		args := []string{"keys", "rotate", "--data-dir", dir}
		if database != "" {
			args = append(args, "--database", database)
		}
		return runSyncserver(t, args...)
	}
	newKey := regexp.MustCompile(`new issuer key (kid_[0-9a-f]{4}): (aopk_\S+)`)
	mustRotate := func() (ticketcrypto.KeyID, ticketcrypto.PublicKey, string) {
		t.Helper()
		out, err := rotate()
		if err != nil {
			t.Fatalf("keys rotate: %v\n%s", err, out)
		}
		if strings.Contains(out, "aosk_") {
			t.Errorf("keys rotate printed a secret key:\n%s", out)
		}
		m := newKey.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("keys rotate printed no new key:\n%s", out)
		}
		kid, err := ticketcrypto.ParseKeyID(m[1])
		if err != nil {
			t.Fatal(err)
		}
		pub, err := ticketcrypto.ParsePublicKey(m[2])
		if err != nil {
			t.Fatal(err)
		}
		if pub.ID() != kid {
			t.Errorf("printed key id %s, but the public key's is %s", kid, pub.ID())
		}
		return kid, pub, out
	}

	// A data directory the server never used has no seal key: refused,
	// rather than a key nobody will sign with.
	if out, err := rotate(); err == nil || !strings.Contains(err.Error(), "seal.key") {
		t.Fatalf("keys rotate without a seal key: %v\n%s", err, out)
	}
	sealPath := filepath.Join(dir, "seal.key")
	seal, err := loadSealKey(sealPath) // as serve's first start does
	if err != nil {
		t.Fatal(err)
	}

	first, _, _ := mustRotate()
	second, secondPub, out := mustRotate()
	if second == first {
		t.Fatalf("two rotations made the same key id %s", first)
	}
	if lines := strings.Count(out, "\n  kid_"); lines != 2 || !strings.Contains(out, second.String()+"  ") || !strings.HasSuffix(out, "  active\n") {
		t.Errorf("keys rotate listed %d keys, want 2 with the new one active last:\n%s", lines, out)
	}

	// The server (a Vault on the same storage and seal key) signs with
	// the new key, and gates trust both.
	b, err := storage.Open(t.Context(), database, dir)
	if err != nil {
		t.Fatal(err)
	}
	v := &vault.Vault{Store: b.Secrets, Seal: seal}
	keys, err := v.Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].ID != first || keys[1].ID != second || !keys[1].PublicKey.Equal(secondPub) || !keys[1].Active {
		t.Errorf("Keys = %+v, want %s then %s (active)", keys, first, second)
	}
	ev := ticketcrypto.NewEventID()
	st, err := v.SignTicket(t.Context(), purchase.TicketToSign{EventID: ev.String(), TypeNumber: 1})
	if err != nil {
		t.Fatal(err)
	}
	if st.KeyID != second.String() {
		t.Errorf("ticket signed by %s, want the rotated-in %s", st.KeyID, second)
	}
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
	if _, err := kr.Verify(st.Token, time.Now()); err != nil {
		t.Errorf("Verify: %v", err)
	}
	// The bbolt file allows one process: close before running the
	// command again.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	// Another seal key opens none of the stored keys: refused, and
	// nothing is added.
	original, err := os.ReadFile(sealPath)
	if err != nil {
		t.Fatal(err)
	}
	var other ticketcrypto.SealKey
	other[0] = 1
	if err := os.WriteFile(sealPath, []byte("AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := loadSealKey(sealPath); err != nil || *got != other {
		t.Fatalf("test seal key reads as %v, %v", got, err)
	}
	out, err = rotate()
	if !errors.Is(err, ticketcrypto.ErrOpen) || !strings.Contains(err.Error(), "seal key") {
		t.Errorf("keys rotate with another seal key: %v, want ErrOpen naming the seal key\n%s", err, out)
	}
	if err := os.WriteFile(sealPath, original, 0o600); err != nil {
		t.Fatal(err)
	}
	third, _, out := mustRotate()
	if strings.Count(out, "\n  kid_") != 3 || third == second {
		t.Errorf("after the refused rotation, keys rotate made %s and listed:\n%s", third, out)
	}
}
