// Package wallettest makes what wallet tests need: a certificate chain
// like Apple's for signing passes, a shared RSA key, a .pkpass unzipper,
// and the openssl check Apple Wallet makes on a pass signature. Package
// wallet's tests and the HTTP API's use it; it does not import wallet.
package wallettest

import (
	"archive/zip"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
)

// PKI is a certificate chain like Apple's: a root CA, a "WWDR"
// intermediate, and a Pass Type ID certificate issued by it.
type PKI struct {
	Root, WWDR, Leaf *x509.Certificate
	LeafKey          crypto.Signer
	WWDRKey          crypto.Signer
	RootPEM          []byte
}

var (
	rsaKeyOnce sync.Once
	rsaKey     *rsa.PrivateKey
)

// RSAKey is one 2048-bit key per test binary: generating one takes
// up to a second on a slow core.
func RSAKey(t testing.TB) *rsa.PrivateKey {
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

// NewECKey makes a P-256 key.
func NewECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// NewPKI makes a chain; rsaLeaf gives the pass certificate an RSA
// key (as Apple issues them), else ECDSA P-256.
func NewPKI(t testing.TB, rsaLeaf bool) *PKI {
	t.Helper()
	now := time.Now()
	rootKey, wwdrKey := NewECKey(t), NewECKey(t)
	var leafKey crypto.Signer = NewECKey(t)
	if rsaLeaf {
		leafKey = RSAKey(t)
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
			ExtraNames: []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}, // the userId attribute (RFC 4519)
				Value: "pass.com.example.tickets"}},
		},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	leaf := issue(leafTmpl, wwdr, leafKey.Public(), wwdrKey)
	return &PKI{
		Root: root, WWDR: wwdr, Leaf: leaf, LeafKey: leafKey, WWDRKey: wwdrKey,
		RootPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw}),
	}
}

// OpensslPath finds openssl. A test that needs it fails in CI (CI=true)
// and is skipped on a laptop without it.
func OpensslPath(t *testing.T) string {
	t.Helper()
	return testenv.LookPath(t, "openssl", "openssl")
}

// OpensslVerify runs `openssl smime -verify` over a detached signature
// and its content, trusting only rootPEM. It returns openssl's output and
// whether it exited 0.
func OpensslVerify(t *testing.T, manifest, signature, rootPEM []byte) (string, bool) {
	t.Helper()
	bin := OpensslPath(t)
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

// Unzip returns the files of a .pkpass archive by name.
func Unzip(t testing.TB, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip archive: %v", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = data
	}
	return files
}

// IssueLeaf issues another certificate with subject from the WWDR
// intermediate, with a new P-256 key.
func (p *PKI) IssueLeaf(t testing.TB, subject pkix.Name) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	key := NewECKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: subject,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.WWDR, key.Public(), p.WWDRKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

// CertPEM is c in PEM.
func CertPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// KeyPEM is k in PKCS #8 PEM.
func KeyPEM(t testing.TB, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}
