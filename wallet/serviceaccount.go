package wallet

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// ErrServiceAccount means a Google service account key file was refused.
var ErrServiceAccount = errors.New("invalid service account key")

// minGoogleRSABits is the smallest service account key accepted; Google
// makes 2048-bit keys.
const minGoogleRSABits = 2048

// maxServiceAccountSize bounds the key file; Google's are about 2.3 kB.
const maxServiceAccountSize = 64 << 10

// serviceAccountJSON holds the fields of a Google service account key file
// that signing needs.
type serviceAccountJSON struct {
	Type         string `json:"type"`
	ClientEmail  string `json:"client_email"`
	PrivateKey   string `json:"private_key"`
	PrivateKeyID string `json:"private_key_id"`
}

// LoadServiceAccount reads a Google service account key file (the JSON
// that the Cloud console downloads) into a GoogleIssuer with
// ServiceAccountEmail, KeyID and Key set; the caller sets IssuerID and
// Origins. It refuses malformed JSON, a file of another type, missing
// fields, and a private key that is not RSA. Its errors wrap
// ErrServiceAccount and never quote the private key.
func LoadServiceAccount(jsonBytes []byte) (*GoogleIssuer, error) {
	fail := func(format string, args ...any) (*GoogleIssuer, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrServiceAccount}, args...)...)
	}
	if len(jsonBytes) > maxServiceAccountSize {
		return fail("file is %d bytes, more than %d", len(jsonBytes), maxServiceAccountSize)
	}
	var sa serviceAccountJSON
	dec := json.NewDecoder(bytes.NewReader(jsonBytes))
	if err := dec.Decode(&sa); err != nil {
		// encoding/json errors can quote a character of the input, which
		// may lie inside the key; give only where the problem is.
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return fail("not valid JSON (at byte %d)", se.Offset)
		case errors.As(err, &te) && te.Field != "":
			return fail("field %q is a JSON %s, want a %s", te.Field, te.Value, te.Type)
		default:
			return fail("not a JSON object")
		}
	}
	if dec.More() {
		return fail("trailing data after the JSON object")
	}
	if sa.Type != "" && sa.Type != "service_account" {
		return fail("type is %q, want \"service_account\" (download a key of the service account, not an OAuth client)", sa.Type)
	}
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"client_email", sa.ClientEmail}, {"private_key", sa.PrivateKey}, {"private_key_id", sa.PrivateKeyID},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fail("missing %s", strings.Join(missing, ", "))
	}
	if !strings.Contains(sa.ClientEmail, "@") {
		return fail("client_email %q is not an email address", sa.ClientEmail)
	}
	key, err := parseServiceAccountKey(sa.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrServiceAccount, err)
	}
	return &GoogleIssuer{ServiceAccountEmail: sa.ClientEmail, KeyID: sa.PrivateKeyID, Key: key}, nil
}

// parseServiceAccountKey parses private_key: a PEM PKCS#8 RSA key (as
// Google writes it), or PKCS#1. Its errors never quote the key.
func parseServiceAccountKey(text string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, errors.New("private_key is not a PEM block")
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
		return nil, errors.New("private_key is an ECDSA key; Google Wallet links need an RSA key (RS256)")
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New("private_key is encrypted; Google writes it unencrypted")
	default:
		return nil, fmt.Errorf("private_key is a PEM %q block, want \"PRIVATE KEY\"", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("private_key: %s block does not parse as a private key", block.Type)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < minGoogleRSABits {
			return nil, fmt.Errorf("private_key is a %d-bit RSA key, want at least %d bits", bits, minGoogleRSABits)
		}
		return k, nil
	case *ecdsa.PrivateKey:
		return nil, errors.New("private_key is an ECDSA key; Google Wallet links need an RSA key (RS256)")
	case ed25519.PrivateKey:
		return nil, errors.New("private_key is an Ed25519 key; Google Wallet links need an RSA key (RS256)")
	default:
		return nil, fmt.Errorf("private_key is a %T; Google Wallet links need an RSA key (RS256)", key)
	}
}
