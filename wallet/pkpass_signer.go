package wallet

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// PassSigner signs Apple Wallet passes with a Pass Type ID certificate.
// Its fields are read-only after setup, so one PassSigner may build passes
// from many goroutines at once.
type PassSigner struct {
	// PassTypeID is the pass type identifier, "pass.com.example.tickets";
	// it must be the one the certificate was issued for.
	PassTypeID string
	// TeamID is the Apple Developer team identifier, "ABCDE12345".
	TeamID string
	// OrganizationName is shown on the lock screen and in Wallet's
	// notifications, and as the pass's logo text.
	OrganizationName string
	// Cert is the Pass Type ID certificate.
	Cert *x509.Certificate
	// Key is Cert's private key (RSA or ECDSA).
	Key crypto.Signer
	// WWDR is the Apple Worldwide Developer Relations intermediate that
	// issued Cert (G4 for certificates made since 2021).
	WWDR *x509.Certificate
}

// oidUID is the userId attribute (RFC 4519) in which Apple puts the pass
// type identifier of a Pass Type ID certificate.
var oidUID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}

// LoadPassSigner reads a PassSigner from three PEM files: the Pass Type ID
// certificate, its unencrypted private key (PKCS#8, PKCS#1 or SEC 1), and
// the WWDR intermediate certificate. See ParsePassSigner.
func LoadPassSigner(certFile, keyFile, wwdrFile string) (*PassSigner, error) {
	read := func(what, name string) ([]byte, error) {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("pass signer: read %s: %w", what, err)
		}
		return b, nil
	}
	certPEM, err := read("certificate", certFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := read("private key", keyFile)
	if err != nil {
		return nil, err
	}
	wwdrPEM, err := read("WWDR certificate", wwdrFile)
	if err != nil {
		return nil, err
	}
	return ParsePassSigner(certPEM, keyPEM, wwdrPEM)
}

// ParsePassSigner makes a PassSigner from PEM text. It takes PassTypeID
// from the certificate's UID, TeamID from its organizational unit and
// OrganizationName from its organization, as Apple issues them; set the
// fields afterwards to override. It checks that the key belongs to the
// certificate and that WWDR issued it.
func ParsePassSigner(certPEM, keyPEM, wwdrPEM []byte) (*PassSigner, error) {
	cert, err := parseCertPEM("certificate", certPEM)
	if err != nil {
		return nil, err
	}
	wwdr, err := parseCertPEM("WWDR certificate", wwdrPEM)
	if err != nil {
		return nil, err
	}
	key, err := parseSignerKeyPEM(keyPEM)
	if err != nil {
		return nil, err
	}
	s := &PassSigner{Cert: cert, Key: key, WWDR: wwdr}
	for _, n := range cert.Subject.Names {
		if v, ok := n.Value.(string); ok && n.Type.Equal(oidUID) {
			s.PassTypeID = v
		}
	}
	if len(cert.Subject.OrganizationalUnit) > 0 {
		s.TeamID = cert.Subject.OrganizationalUnit[0]
	}
	if len(cert.Subject.Organization) > 0 {
		s.OrganizationName = cert.Subject.Organization[0]
	}
	if err := s.checkKeys(); err != nil {
		return nil, err
	}
	return s, nil
}

// validate checks that s can sign a pass.
func (s *PassSigner) validate() error {
	switch {
	case s == nil:
		return errors.New("pass signer: not configured")
	case s.PassTypeID == "":
		return errors.New("pass signer: pass type identifier is missing")
	case s.TeamID == "":
		return errors.New("pass signer: team identifier is missing")
	case s.OrganizationName == "":
		return errors.New("pass signer: organization name is missing")
	}
	return s.checkKeys()
}

func (s *PassSigner) checkKeys() error {
	switch {
	case s.Cert == nil:
		return errors.New("pass signer: certificate is missing")
	case s.Key == nil:
		return errors.New("pass signer: private key is missing")
	case s.WWDR == nil:
		return errors.New("pass signer: WWDR certificate is missing")
	}
	pub, ok := s.Key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(s.Cert.PublicKey) {
		return fmt.Errorf("pass signer: private key does not belong to certificate %q", s.Cert.Subject.CommonName)
	}
	if err := s.Cert.CheckSignatureFrom(s.WWDR); err != nil {
		return fmt.Errorf("pass signer: certificate %q was not issued by WWDR certificate %q (Apple's current intermediate is WWDR G4): %v",
			s.Cert.Subject.CommonName, s.WWDR.Subject.CommonName, err)
	}
	return nil
}

// parseCertPEM returns the first certificate in a PEM text.
func parseCertPEM(what string, b []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return nil, fmt.Errorf("pass signer: %s: no PEM CERTIFICATE block", what)
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("pass signer: %s: %w", what, err)
		}
		return c, nil
	}
}

// parseSignerKeyPEM returns the first private key in a PEM text. Its
// errors never quote the key.
func parseSignerKeyPEM(b []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return nil, errors.New("pass signer: private key: no PEM PRIVATE KEY block")
		}
		if block.Type == "ENCRYPTED PRIVATE KEY" || block.Headers["Proc-Type"] != "" {
			return nil, errors.New("pass signer: private key is encrypted; decrypt it first (openssl pkey -in key.pem -out key-plain.pem)")
		}
		var (
			key any
			err error
		)
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("pass signer: private key: %s block does not parse", block.Type)
		}
		switch k := key.(type) {
		case *rsa.PrivateKey:
			return k, nil
		case *ecdsa.PrivateKey:
			return k, nil
		default:
			return nil, fmt.Errorf("pass signer: private key is %T; need RSA or ECDSA", key)
		}
	}
}
