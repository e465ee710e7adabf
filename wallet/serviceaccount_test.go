package wallet

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/admitone/admitone/wallet/wallettest"
)

// serviceAccountFile is a key file as the Cloud console writes it, with
// keyPEM as private_key.
func serviceAccountFile(t testing.TB, keyPEM string, edit func(m map[string]any)) []byte {
	t.Helper()
	m := map[string]any{
		"type":                        "service_account",
		"project_id":                  "admitone-test",
		"private_key_id":              "0123456789abcdef0123456789abcdef01234567",
		"private_key":                 keyPEM,
		"client_email":                "wallet@admitone-test.iam.gserviceaccount.com",
		"client_id":                   "100000000000000000001",
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   "https://oauth2.googleapis.com/token",
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"universe_domain":             "googleapis.com",
	}
	if edit != nil {
		edit(m)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pemString(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func TestLoadServiceAccount(t *testing.T) {
	key := wallettest.RSAKey(t)
	pkcs8 := string(wallettest.KeyPEM(t, key))
	g, err := LoadServiceAccount(serviceAccountFile(t, pkcs8, nil))
	if err != nil {
		t.Fatalf("LoadServiceAccount: %v", err)
	}
	if g.ServiceAccountEmail != "wallet@admitone-test.iam.gserviceaccount.com" || g.KeyID != "0123456789abcdef0123456789abcdef01234567" || !g.Key.Equal(key) {
		t.Fatalf("loaded issuer = %q %q, key equal %v", g.ServiceAccountEmail, g.KeyID, g.Key.Equal(key))
	}
	// The loaded issuer signs once it has an issuer id.
	g.IssuerID = "3388000000022222228"
	url, err := g.SaveURL(testGoogleTicket(t, false))
	if err != nil {
		t.Fatalf("SaveURL: %v", err)
	}
	header, _ := parseSaveURL(t, url, &key.PublicKey)
	if header["kid"] != "0123456789abcdef0123456789abcdef01234567" {
		t.Errorf("kid = %v, want private_key_id", header["kid"])
	}

	pkcs1 := pemString("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
	if _, err := LoadServiceAccount(serviceAccountFile(t, pkcs1, nil)); err != nil {
		t.Errorf("PKCS#1 key: %v", err)
	}
	noType := serviceAccountFile(t, pkcs8, func(m map[string]any) { delete(m, "type") })
	if _, err := LoadServiceAccount(noType); err != nil {
		t.Errorf("file without type: %v", err)
	}
}

func TestLoadServiceAccountRefuses(t *testing.T) {
	key := wallettest.RSAKey(t)
	pkcs8 := string(wallettest.KeyPEM(t, key))
	// keyBody is a stretch of the key's base64 that must never appear in
	// an error.
	keyBody := strings.Split(pkcs8, "\n")[3]

	ecKey := string(wallettest.KeyPEM(t, wallettest.NewECKey(t)))
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	edKey := string(wallettest.KeyPEM(t, edPriv))
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallKey := string(wallettest.KeyPEM(t, small))
	// A PKCS#8 block whose middle is damaged.
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	der = append([]byte(nil), der...)
	der[len(der)/2] ^= 0xff
	damaged := pemString("PRIVATE KEY", der)
	truncated := pkcs8[:len(pkcs8)/2]

	set := func(k string, v any) func(m map[string]any) { return func(m map[string]any) { m[k] = v } }
	for _, tc := range []struct {
		name    string
		file    []byte
		wantMsg string
	}{
		{"empty", nil, "not a JSON object"},
		{"not JSON", []byte("client_email: x"), "not valid JSON"},
		{"truncated JSON", serviceAccountFile(t, pkcs8, nil)[:300], "not a JSON object"},
		{"array", []byte(`["service_account"]`), "not a JSON object"},
		{"trailing data", append(serviceAccountFile(t, pkcs8, nil), []byte(` {}`)...), "trailing data"},
		{"number as key", serviceAccountFile(t, pkcs8, set("private_key", 42)), `field "private_key" is a JSON number`},
		{"OAuth client", serviceAccountFile(t, pkcs8, set("type", "authorized_user")), `type is "authorized_user"`},
		{"missing email", serviceAccountFile(t, pkcs8, set("client_email", "")), "missing client_email"},
		{"missing all", []byte(`{"type":"service_account"}`), "missing client_email, private_key, private_key_id"},
		{"missing key id", serviceAccountFile(t, pkcs8, func(m map[string]any) { delete(m, "private_key_id") }), "missing private_key_id"},
		{"email without @", serviceAccountFile(t, pkcs8, set("client_email", "wallet")), "not an email address"},
		{"key not PEM", serviceAccountFile(t, keyBody, nil), "not a PEM block"},
		{"key PEM truncated", serviceAccountFile(t, truncated, nil), "not a PEM block"},
		{"key damaged", serviceAccountFile(t, damaged, nil), "does not parse"},
		{"certificate as key", serviceAccountFile(t, pemString("CERTIFICATE", []byte{1}), nil), `"CERTIFICATE" block`},
		{"ECDSA key", serviceAccountFile(t, ecKey, nil), "ECDSA key"},
		{"SEC 1 ECDSA key", serviceAccountFile(t, pemString("EC PRIVATE KEY", []byte{1}), nil), "ECDSA key"},
		{"Ed25519 key", serviceAccountFile(t, edKey, nil), "Ed25519 key"},
		{"1024-bit RSA key", serviceAccountFile(t, smallKey, nil), "1024-bit"},
		{"encrypted key", serviceAccountFile(t, pemString("ENCRYPTED PRIVATE KEY", []byte{1}), nil), "encrypted"},
		{"too large", make([]byte, 100<<10), "more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := LoadServiceAccount(tc.file)
			if err == nil {
				t.Fatalf("LoadServiceAccount accepted it: %+v", g)
			}
			if !errors.Is(err, ErrServiceAccount) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("LoadServiceAccount = %v, want ErrServiceAccount mentioning %q", err, tc.wantMsg)
			}
			if strings.Contains(err.Error(), keyBody) || strings.Contains(err.Error(), "PRIVATE KEY-----") {
				t.Fatalf("error quotes the private key: %v", err)
			}
		})
	}
}

func FuzzLoadServiceAccount(f *testing.F) {
	key := wallettest.RSAKey(f)
	pkcs8 := string(wallettest.KeyPEM(f, key))
	f.Add(serviceAccountFile(f, pkcs8, nil))
	f.Add(serviceAccountFile(f, string(wallettest.KeyPEM(f, wallettest.NewECKey(f))), nil))
	f.Add(serviceAccountFile(f, pkcs8[:200], nil))
	f.Add(serviceAccountFile(f, pkcs8, func(m map[string]any) { delete(m, "client_email") }))
	f.Add([]byte(`{"type":"service_account","client_email":"a@b","private_key_id":"1","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}`))
	f.Add([]byte(`{"private_key": 1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := LoadServiceAccount(b)
		if err != nil {
			if !errors.Is(err, ErrServiceAccount) {
				t.Fatalf("error %v does not wrap ErrServiceAccount", err)
			}
			if g != nil {
				t.Fatal("issuer returned with an error")
			}
			return
		}
		if g.Key == nil || g.ServiceAccountEmail == "" || g.KeyID == "" || g.Key.N.BitLen() < minGoogleRSABits {
			t.Fatalf("accepted an incomplete service account: %+v", g)
		}
	})
}
