package gatetls

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadOrCreateMakesTheCertificateOnce(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC)
	names := Names{DNS: []string{"gate1.local", "localhost"}, IPs: []netip.Addr{netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("::1")}}
	c, err := LoadOrCreate(dir, names, now)
	if err != nil {
		t.Fatal(err)
	}
	leaf := c.TLS.Leaf
	sum := sha256.Sum256(leaf.Raw)
	if want := strings.ToUpper(hex.EncodeToString(sum[:])); !c.Made || strings.ReplaceAll(c.Fingerprint, ":", "") != want || len(c.Fingerprint) != 95 {
		t.Fatalf("first call: made %v, fingerprint %q", c.Made, c.Fingerprint)
	}
	if !slices.Equal(leaf.DNSNames, names.DNS) || len(leaf.IPAddresses) != 2 || !leaf.IPAddresses[0].Equal(names.IPs[0].AsSlice()) {
		t.Fatalf("names %v %v", leaf.DNSNames, leaf.IPAddresses)
	}
	if leaf.NotAfter.Sub(now) > 825*24*time.Hour || leaf.PublicKeyAlgorithm.String() != "ECDSA" {
		t.Fatalf("valid until %v with a %v key", leaf.NotAfter, leaf.PublicKeyAlgorithm)
	}
	if st, _ := os.Stat(filepath.Join(dir, KeyFile)); st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode().Perm())
	}
	again, err := LoadOrCreate(dir, Names{DNS: []string{"other.local"}}, now.Add(400*24*time.Hour))
	if err != nil || again.Made || again.Fingerprint != c.Fingerprint {
		t.Fatalf("second call: %v, made %v, %s want %s", err, again != nil && again.Made, again.Fingerprint, c.Fingerprint)
	}
	if read, ok, err := Read(dir); !ok || err != nil || read.Fingerprint != c.Fingerprint {
		t.Fatalf("Read: %v %v", ok, err)
	}
	// Near its end it is made anew, with the same key.
	key, _ := os.ReadFile(filepath.Join(dir, KeyFile))
	renewed, err := LoadOrCreate(dir, names, now.Add(Validity-RenewBefore))
	if err != nil || !renewed.Made || renewed.Fingerprint == c.Fingerprint {
		t.Fatalf("renewal: %v", err)
	}
	if key2, _ := os.ReadFile(filepath.Join(dir, KeyFile)); !bytes.Equal(key, key2) {
		t.Fatal("renewal changed the key")
	}
	if _, ok, err := Read(t.TempDir()); ok || err != nil {
		t.Fatalf("Read of an empty dir: %v %v", ok, err)
	}
}

func TestLoadRefusesAMismatchedKey(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	now := time.Now()
	if _, err := LoadOrCreate(a, Names{}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreate(b, Names{}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(filepath.Join(a, CertFile), filepath.Join(b, KeyFile)); err == nil {
		t.Fatal("a certificate loaded with another certificate's key")
	}
}
