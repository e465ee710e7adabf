package main

import (
	"crypto/x509/pkix"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/admitone/admitone/internal/cliconf"
	"github.com/admitone/admitone/wallet/wallettest"
)

// walletFiles are credential files as operators get them: a Pass Type ID
// certificate issued by a WWDR intermediate (certificate, key and
// intermediate as PEM) and a Google service account key file.
type walletFiles struct {
	cert, key, wwdr, bareCert, bareKey, serviceAccount string
}

func writeWalletFiles(t *testing.T) walletFiles {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pki := wallettest.NewPKI(t, false)
	var f walletFiles
	f.wwdr = write("wwdr.pem", wallettest.CertPEM(pki.WWDR))
	f.cert = write("pass.pem", wallettest.CertPEM(pki.Leaf))
	f.key = write("pass-key.pem", wallettest.KeyPEM(t, pki.LeafKey))
	// A certificate without the UID, OU and O Apple puts in.
	bare, bareKey := pki.IssueLeaf(t, pkix.Name{CommonName: "bare"})
	f.bareCert = write("bare.pem", wallettest.CertPEM(bare))
	f.bareKey = write("bare-key.pem", wallettest.KeyPEM(t, bareKey))
	sa, err := json.Marshal(map[string]string{"type": "service_account", "client_email": "wallet@example.iam.gserviceaccount.com",
		"private_key_id": "abc123", "private_key": string(wallettest.KeyPEM(t, wallettest.RSAKey(t)))})
	if err != nil {
		t.Fatal(err)
	}
	f.serviceAccount = write("sa.json", sa)
	return f
}

// parseWalletFlags fills a walletConfig from args and ADMITONE_*
// variables, as syncserver serve does.
func parseWalletFlags(t *testing.T, args ...string) *walletConfig {
	t.Helper()
	var c walletConfig
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	c.addFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := cliconf.ApplyEnv(fs); err != nil {
		t.Fatal(err)
	}
	return &c
}

func TestWalletConfig(t *testing.T) {
	f := writeWalletFiles(t)
	apple := []string{"--apple-pass-cert", f.cert, "--apple-pass-key", f.key, "--apple-wwdr-cert", f.wwdr}
	google := []string{"--google-wallet-service-account", f.serviceAccount, "--google-wallet-issuer-id", "3388000000012345678"}

	t.Run("unconfigured", func(t *testing.T) {
		pass, g, err := parseWalletFlags(t).load()
		if pass != nil || g != nil || err != nil {
			t.Errorf("load() = %v, %v, %v; want nil, nil, nil", pass, g, err)
		}
	})

	t.Run("both wallets", func(t *testing.T) {
		c := parseWalletFlags(t, append(append(slices.Clone(apple), google...), "--google-wallet-origins", "https://a.example,https://b.example")...)
		pass, g, err := c.load()
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		if pass == nil || pass.PassTypeID != "pass.com.example.tickets" || pass.TeamID != "ABCDE12345" || pass.OrganizationName != "Example Events GmbH" {
			t.Errorf("pass signer %+v, want the certificate's identifiers", pass)
		}
		if g == nil || g.IssuerID != "3388000000012345678" || g.ServiceAccountEmail != "wallet@example.iam.gserviceaccount.com" ||
			g.KeyID != "abc123" || !slices.Equal(g.Origins, []string{"https://a.example", "https://b.example"}) {
			t.Errorf("google issuer %+v", g)
		}
	})

	t.Run("overrides", func(t *testing.T) {
		c := parseWalletFlags(t, "--apple-pass-cert", f.bareCert, "--apple-pass-key", f.bareKey, "--apple-wwdr-cert", f.wwdr,
			"--apple-pass-type-id", "pass.org.other", "--apple-team-id", "ZZZZZ99999", "--apple-organization-name", "Other")
		pass, _, err := c.load()
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		if pass.PassTypeID != "pass.org.other" || pass.TeamID != "ZZZZZ99999" || pass.OrganizationName != "Other" {
			t.Errorf("pass signer %+v, want the flags' identifiers", pass)
		}
	})

	t.Run("environment", func(t *testing.T) {
		t.Setenv("ADMITONE_GOOGLE_WALLET_SERVICE_ACCOUNT", f.serviceAccount)
		t.Setenv("ADMITONE_GOOGLE_WALLET_ISSUER_ID", "42")
		_, g, err := parseWalletFlags(t).load()
		if err != nil || g == nil || g.IssuerID != "42" {
			t.Errorf("load() from the environment = %+v, %v; want issuer 42", g, err)
		}
	})

	for _, tc := range []struct {
		name string
		args []string
		want []string // in the error
	}{
		{"apple cert only", []string{"--apple-pass-cert", f.cert}, []string{"--apple-pass-key", "--apple-wwdr-cert"}},
		{"apple without wwdr", apple[:4], []string{"but --apple-wwdr-cert missing"}},
		{"apple override alone", []string{"--apple-team-id", "ABCDE12345"}, []string{"--apple-pass-cert", "--apple-pass-key", "--apple-wwdr-cert"}},
		{"certificate without team", []string{"--apple-pass-cert", f.bareCert, "--apple-pass-key", f.bareKey, "--apple-wwdr-cert", f.wwdr},
			[]string{"--apple-pass-type-id"}},
		{"key of another certificate", []string{"--apple-pass-cert", f.cert, "--apple-pass-key", f.bareKey, "--apple-wwdr-cert", f.wwdr},
			[]string{"does not belong"}},
		{"missing file", []string{"--apple-pass-cert", f.cert + ".gone", "--apple-pass-key", f.key, "--apple-wwdr-cert", f.wwdr},
			[]string{"--apple-pass-cert", ".gone"}},
		{"google issuer only", google[2:], []string{"but --google-wallet-service-account missing"}},
		{"google account only", google[:2], []string{"but --google-wallet-issuer-id missing"}},
		{"google origins alone", []string{"--google-wallet-origins", "https://a.example"}, []string{"--google-wallet-service-account", "--google-wallet-issuer-id"}},
		{"google issuer not a number", []string{"--google-wallet-service-account", f.serviceAccount, "--google-wallet-issuer-id", "abc"},
			[]string{"--google-wallet-issuer-id", "not a number"}},
		{"google key file is a certificate", []string{"--google-wallet-service-account", f.cert, "--google-wallet-issuer-id", "1"},
			[]string{"--google-wallet-service-account", "invalid service account key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pass, g, err := parseWalletFlags(t, tc.args...).load()
			if err == nil {
				t.Fatalf("load() = %v, %v, nil; want an error", pass, g)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}
