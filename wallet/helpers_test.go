package wallet

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	ticketcrypto "github.com/admitone/admitone/crypto"
	// The tests show times in Europe/Berlin on any machine.
	_ "time/tzdata"
)

// Fixed ticket material, as in package crypto's tests.
const (
	testIssuerSecret   = "aosk_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
	testRotationSecret = "aork_QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8"
)

var (
	testEvent  = ticketcrypto.EventID{0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7}
	testTicket = ticketcrypto.TicketID{0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b}
	// testStarts is 20:00 in Berlin (summer time, UTC+2).
	testStarts = time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC)
	testEnds   = time.Date(2026, 6, 1, 22, 30, 0, 0, time.UTC)
	testUntil  = time.Date(2026, 6, 2, 2, 0, 0, 0, time.UTC)
)

func testIssuerKey(t testing.TB) ticketcrypto.PrivateKey {
	t.Helper()
	k, err := ticketcrypto.ParsePrivateKey(testIssuerSecret)
	if err != nil {
		t.Fatalf("ParsePrivateKey: %v", err)
	}
	return k
}

func testRotationKey(t testing.TB) ticketcrypto.RotationKey {
	t.Helper()
	k, err := ticketcrypto.ParseRotationKey(testRotationSecret)
	if err != nil {
		t.Fatalf("ParseRotationKey: %v", err)
	}
	return k
}

// testToken signs a ticket token; rotating sets the rotating-code flag.
func testToken(t testing.TB, rotating bool) ticketcrypto.SignedToken {
	t.Helper()
	tok := ticketcrypto.Token{Event: testEvent, Ticket: testTicket, Type: 2, ValidUntil: testUntil}
	if rotating {
		tok.Flags = ticketcrypto.FlagRotating
	}
	st, err := ticketcrypto.Sign(testIssuerKey(t), tok)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return st
}

func testPassTicket(t testing.TB) PassTicket {
	return PassTicket{
		TicketID:       testTicket.String(),
		Token:          testToken(t, false).Text(),
		EventTitle:     "Nachtmusik im Park",
		VenueName:      "Tempodrom",
		VenueLat:       52.5009,
		VenueLon:       13.3817,
		Starts:         testStarts,
		Ends:           testEnds,
		TimeZone:       "Europe/Berlin",
		TicketTypeName: "Parkett",
		Seat:           Seat{Section: "B", Row: "4", Number: "12"},
		HolderName:     "Ada Lovelace",
	}
}

// testPKI is a certificate chain like Apple's: a root CA, a "WWDR"
// intermediate, and a Pass Type ID certificate issued by it.
type testPKI struct {
	Root, WWDR, Leaf *x509.Certificate
	LeafKey          crypto.Signer
	RootPEM          []byte
}

var (
	rsaKeyOnce gosync.Once
	rsaKey     *rsa.PrivateKey
)

// testRSAKey is one 2048-bit key per test binary: generating one takes
// up to a second on a slow core.
func testRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	rsaKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKey = k
	})
	return rsaKey
}

func newECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newTestPKI makes a chain; rsaLeaf gives the pass certificate an RSA
// key (as Apple issues them), else ECDSA P-256.
func newTestPKI(t testing.TB, rsaLeaf bool) *testPKI {
	t.Helper()
	now := time.Now()
	rootKey, wwdrKey := newECKey(t), newECKey(t)
	var leafKey crypto.Signer = newECKey(t)
	if rsaLeaf {
		leafKey = testRSAKey(t)
	}
	issue := func(tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
		t.Helper()
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
		if err != nil {
			t.Fatalf("CreateCertificate %s: %v", tmpl.Subject.CommonName, err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	rootTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Test Root CA", Organization: []string{"AdmitOne Test"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	root := issue(rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	wwdrTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(2),
		Subject:               pkix.Name{CommonName: "Test Worldwide Developer Relations CA", OrganizationalUnit: []string{"G4"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
	}
	wwdr := issue(wwdrTmpl, root, wwdrKey.Public(), rootKey)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(3),
		Subject: pkix.Name{
			CommonName:         "Pass Type ID: pass.com.example.tickets",
			OrganizationalUnit: []string{"ABCDE12345"},
			Organization:       []string{"Example Events GmbH"},
			Country:            []string{"DE"},
			ExtraNames:         []pkix.AttributeTypeAndValue{{Type: oidUID, Value: "pass.com.example.tickets"}},
		},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	leaf := issue(leafTmpl, wwdr, leafKey.Public(), wwdrKey)
	return &testPKI{
		Root: root, WWDR: wwdr, Leaf: leaf, LeafKey: leafKey,
		RootPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw}),
	}
}

func (p *testPKI) signer() *PassSigner {
	return &PassSigner{
		PassTypeID:       "pass.com.example.tickets",
		TeamID:           "ABCDE12345",
		OrganizationName: "Example Events GmbH",
		Cert:             p.Leaf,
		Key:              p.LeafKey,
		WWDR:             p.WWDR,
	}
}

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func keyPEM(t testing.TB, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// opensslPath finds openssl. A test that needs it fails in CI (CI=true)
// and is skipped on a laptop without it.
func opensslPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("openssl is required in CI: %v", err)
		}
		t.Skipf("openssl not installed: %v", err)
	}
	return p
}

// opensslVerify runs `openssl smime -verify` over a detached signature
// and its content, trusting only rootPEM. It returns openssl's output and
// whether it exited 0.
func opensslVerify(t *testing.T, manifest, signature, rootPEM []byte) (string, bool) {
	t.Helper()
	bin := opensslPath(t)
	dir := t.TempDir()
	for name, data := range map[string][]byte{"manifest.json": manifest, "signature": signature, "root.pem": rootPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "smime", "-verify", "-binary", "-inform", "DER",
		"-in", "signature", "-content", "manifest.json", "-CAfile", "root.pem",
		"-purpose", "any", "-out", os.DevNull)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("run openssl: %v", err)
		}
		return string(out), false
	}
	return string(out), true
}
