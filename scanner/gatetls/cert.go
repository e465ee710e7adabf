package gatetls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/admitone/admitone/internal/fileutil"
)

// Files in the gate's data directory.
const (
	CertFile = "tls-cert.pem"
	KeyFile  = "tls-key.pem"
)

// Lifetime of a self-signed certificate.
const (
	Validity    = 800 * 24 * time.Hour
	RenewBefore = 30 * 24 * time.Hour
)

// maxPEM bounds a certificate or key file read.
const maxPEM = 1 << 20

// Cert is the certificate the API serves.
type Cert struct {
	TLS tls.Certificate
	// Fingerprint is the SHA-256 of the leaf certificate's DER, as
	// browsers show it: 32 upper-case hex pairs separated by colons.
	Fingerprint string
	NotAfter    time.Time
	// Made reports that LoadOrCreate made (or renewed) it just now.
	Made bool
}

// Fingerprint returns the SHA-256 fingerprint of a certificate's DER.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// Names are what a new self-signed certificate is made for.
type Names struct {
	DNS []string
	IPs []netip.Addr
}

// LoadOrCreate returns the self-signed certificate kept in dir, making
// it (and, if there is none, its key) when there is none, when it ends
// within RenewBefore of now, or when the key no longer matches it.
func LoadOrCreate(dir string, names Names, now time.Time) (*Cert, error) {
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	c, err := Load(certPath, keyPath)
	if err == nil && c.NotAfter.Sub(now) > RenewBefore {
		return c, nil
	}
	key, kerr := readKey(keyPath)
	if kerr != nil {
		if !errors.Is(kerr, os.ErrNotExist) {
			return nil, kerr
		}
		if key, kerr = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); kerr != nil {
			return nil, kerr
		}
		der, kerr := x509.MarshalECPrivateKey(key)
		if kerr != nil {
			return nil, kerr
		}
		if kerr := fileutil.WriteAtomic(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); kerr != nil {
			return nil, fmt.Errorf("tls key: %w", kerr)
		}
	}
	der, err := selfSign(key, names, now)
	if err != nil {
		return nil, err
	}
	if err := fileutil.WriteAtomic(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, fmt.Errorf("tls certificate: %w", err)
	}
	c, err = Load(certPath, keyPath)
	if err != nil {
		return nil, err
	}
	c.Made = true
	return c, nil
}

// Read returns the certificate kept in dir without making one; false
// if there is none.
func Read(dir string) (*Cert, bool, error) {
	c, err := Load(filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	return c, err == nil, err
}

// Load reads a PEM certificate chain and its key, such as a real
// certificate given with --tls-cert and --tls-key.
func Load(certFile, keyFile string) (*Cert, error) {
	certPEM, err := fileutil.ReadLimited(certFile, maxPEM)
	if err != nil {
		return nil, fmt.Errorf("tls certificate: %w", err)
	}
	keyPEM, err := fileutil.ReadLimited(keyFile, maxPEM)
	if err != nil {
		return nil, fmt.Errorf("tls key: %w", err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("tls certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return &Cert{TLS: pair, Fingerprint: Fingerprint(pair.Leaf.Raw), NotAfter: pair.Leaf.NotAfter}, nil
}

func readKey(path string) (*ecdsa.PrivateKey, error) {
	b, err := fileutil.ReadLimited(path, maxPEM)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "EC PRIVATE KEY" {
		return nil, fmt.Errorf("tls key %s: not a PEM EC PRIVATE KEY; move it aside to make a new one", path)
	}
	key, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("tls key %s: %w", path, err)
	}
	return key, nil
}

func selfSign(key *ecdsa.PrivateKey, names Names, now time.Time) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "AdmitOne gate", Organization: []string{"AdmitOne"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(Validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	if len(names.DNS) > 0 {
		tmpl.Subject.CommonName = names.DNS[0]
	}
	for _, n := range names.DNS {
		if !slices.Contains(tmpl.DNSNames, n) {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	for _, ip := range names.IPs {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip.AsSlice())
	}
	return x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
}
