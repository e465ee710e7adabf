package wallet

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/wallet/wallettest"
	"github.com/smallstep/pkcs7"
)

// rezip writes files back into a zip archive, in a fixed order.
func rezip(t *testing.T, files map[string][]byte, extra ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := []string{"pass.json", "icon.png", "icon@2x.png", "icon@3x.png", "logo.png", "logo@2x.png", "logo@3x.png", "manifest.json", "signature"}
	names = append(names, extra...)
	for _, name := range names {
		data, ok := files[name]
		if !ok {
			continue
		}
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBuildPKPass(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rsaLeaf bool
	}{{"ecdsa", false}, {"rsa", true}} {
		t.Run(tc.name, func(t *testing.T) {
			pki := wallettest.NewPKI(t, tc.rsaLeaf)
			ticket := testPassTicket(t)
			pass, err := testSigner(pki).Build(ticket)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			files := wallettest.Unzip(t, pass)

			wantFiles := []string{"pass.json", "manifest.json", "signature", "icon.png", "icon@2x.png", "logo.png"}
			for _, name := range wantFiles {
				if _, ok := files[name]; !ok {
					t.Errorf("archive lacks %s", name)
				}
			}
			checkPassJSON(t, files["pass.json"], ticket)
			checkImages(t, files)

			// Every file except manifest and signature is in the manifest
			// with its SHA-1, and nothing else is.
			var manifest map[string]string
			if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
				t.Fatalf("manifest.json: %v", err)
			}
			if got, want := len(manifest), len(files)-2; got != want {
				t.Errorf("manifest lists %d files, archive has %d besides manifest and signature", got, want)
			}
			for name, data := range files {
				if name == "manifest.json" || name == "signature" {
					continue
				}
				sum := sha1.Sum(data)
				if got, want := manifest[name], hex.EncodeToString(sum[:]); got != want {
					t.Errorf("manifest[%s] = %q, want %q", name, got, want)
				}
			}
			if err := VerifyManifest(pass); err != nil {
				t.Errorf("VerifyManifest: %v", err)
			}

			checkSignatureGo(t, files["manifest.json"], files["signature"], pki)

			out, ok := wallettest.OpensslVerify(t, files["manifest.json"], files["signature"], pki.RootPEM)
			t.Logf("openssl smime -verify: %s", strings.TrimSpace(out))
			if !ok {
				t.Fatalf("openssl rejected the signature: %s", out)
			}
			tampered := bytes.Clone(files["manifest.json"])
			tampered[len(tampered)/2] ^= 0x01
			out, ok = wallettest.OpensslVerify(t, tampered, files["signature"], pki.RootPEM)
			t.Logf("openssl smime -verify, manifest changed: %s", strings.TrimSpace(out))
			if ok {
				t.Fatal("openssl accepted the signature over a changed manifest")
			}
			// A chain that does not lead to the trusted root fails too.
			other := wallettest.NewPKI(t, false)
			if out, ok := wallettest.OpensslVerify(t, files["manifest.json"], files["signature"], other.RootPEM); ok {
				t.Fatalf("openssl accepted a signature under another root: %s", out)
			}
		})
	}
}

func checkPassJSON(t *testing.T, b []byte, ticket PassTicket) {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("pass.json: %v", err)
	}
	get := func(path ...any) any {
		var v any = p
		for _, k := range path {
			switch k := k.(type) {
			case string:
				m, _ := v.(map[string]any)
				v = m[k]
			case int:
				a, _ := v.([]any)
				if k >= len(a) {
					return nil
				}
				v = a[k]
			}
		}
		return v
	}
	for _, c := range []struct {
		path []any
		want any
	}{
		{[]any{"formatVersion"}, 1.0},
		{[]any{"passTypeIdentifier"}, "pass.com.example.tickets"},
		{[]any{"serialNumber"}, ticket.TicketID},
		{[]any{"teamIdentifier"}, "ABCDE12345"},
		{[]any{"organizationName"}, "Example Events GmbH"},
		{[]any{"description"}, "Ticket: Nachtmusik im Park"},
		{[]any{"relevantDate"}, "2026-06-01T20:00:00+02:00"},
		{[]any{"expirationDate"}, "2026-06-02T04:00:00+02:00"},
		{[]any{"backgroundColor"}, "rgb(29, 43, 83)"},
		{[]any{"foregroundColor"}, "rgb(255, 255, 255)"},
		{[]any{"barcodes", 0, "format"}, "PKBarcodeFormatQR"},
		{[]any{"barcodes", 0, "message"}, ticket.Token},
		{[]any{"barcodes", 0, "messageEncoding"}, "iso-8859-1"},
		{[]any{"barcodes", 0, "altText"}, "tk_10111213"},
		{[]any{"eventTicket", "primaryFields", 0, "value"}, "Nachtmusik im Park"},
		{[]any{"eventTicket", "secondaryFields", 0, "value"}, "Tempodrom"},
		{[]any{"eventTicket", "secondaryFields", 1, "value"}, "2026-06-01T20:00:00+02:00"},
		{[]any{"eventTicket", "secondaryFields", 1, "ignoresTimeZone"}, true},
		{[]any{"eventTicket", "auxiliaryFields", 0, "value"}, "Parkett"},
		{[]any{"eventTicket", "auxiliaryFields", 1, "value"}, "Section B · Row 4 · Seat 12"},
		{[]any{"eventTicket", "auxiliaryFields", 2, "value"}, "Ada Lovelace"},
		{[]any{"semantics", "eventName"}, "Nachtmusik im Park"},
		{[]any{"semantics", "eventType"}, "PKEventTypeLivePerformance"},
		{[]any{"semantics", "eventStartDate"}, "2026-06-01T20:00:00+02:00"},
		{[]any{"semantics", "eventEndDate"}, "2026-06-02T00:30:00+02:00"},
		{[]any{"semantics", "venueName"}, "Tempodrom"},
		{[]any{"semantics", "venueLocation", "latitude"}, 52.5009},
		{[]any{"semantics", "venueLocation", "longitude"}, 13.3817},
		{[]any{"semantics", "seats", 0, "seatSection"}, "B"},
		{[]any{"semantics", "seats", 0, "seatRow"}, "4"},
		{[]any{"semantics", "seats", 0, "seatNumber"}, "12"},
		{[]any{"semantics", "attendeeName"}, "Ada Lovelace"},
		{[]any{"semantics", "admissionLevel"}, "Parkett"},
		{[]any{"locations", 0, "latitude"}, 52.5009},
	} {
		if got := get(c.path...); got != c.want {
			t.Errorf("pass.json %v = %#v, want %#v", c.path, got, c.want)
		}
	}
}

func checkImages(t *testing.T, files map[string][]byte) {
	t.Helper()
	for _, pi := range passImages {
		img, err := png.Decode(bytes.NewReader(files[pi.name]))
		if err != nil {
			t.Errorf("%s: %v", pi.name, err)
			continue
		}
		if b := img.Bounds(); b.Dx() != pi.w || b.Dy() != pi.h {
			t.Errorf("%s is %dx%d, want %dx%d", pi.name, b.Dx(), b.Dy(), pi.w, pi.h)
		}
	}
}

// checkSignatureGo verifies the detached signature in Go as well, and
// checks what openssl does not print: the digest algorithm and that the
// WWDR certificate travels in the signature.
func checkSignatureGo(t *testing.T, manifest, sig []byte, pki *wallettest.PKI) {
	t.Helper()
	p7, err := pkcs7.Parse(sig)
	if err != nil {
		t.Fatalf("parse signature: %v", err)
	}
	if len(p7.Content) != 0 {
		t.Errorf("signature embeds %d bytes of content, want detached", len(p7.Content))
	}
	var haveWWDR, haveLeaf bool
	for _, c := range p7.Certificates {
		haveWWDR = haveWWDR || c.Equal(pki.WWDR)
		haveLeaf = haveLeaf || c.Equal(pki.Leaf)
	}
	if !haveWWDR || !haveLeaf {
		t.Errorf("signature certificates: WWDR %v, pass certificate %v; want both", haveWWDR, haveLeaf)
	}
	if len(p7.Signers) != 1 || !p7.Signers[0].DigestAlgorithm.Algorithm.Equal(pkcs7.OIDDigestAlgorithmSHA256) {
		t.Errorf("signers %+v, want one with SHA-256", p7.Signers)
	}
	p7.Content = manifest
	roots := x509.NewCertPool()
	roots.AddCert(pki.Root)
	if err := p7.VerifyWithChain(roots); err != nil {
		t.Errorf("VerifyWithChain: %v", err)
	}
	p7.Content = append(bytes.Clone(manifest), ' ')
	if err := p7.VerifyWithChain(roots); err == nil {
		t.Error("VerifyWithChain accepted a changed manifest")
	}
}

func TestVerifyManifestTampered(t *testing.T) {
	pki := wallettest.NewPKI(t, false)
	pass, err := testSigner(pki).Build(testPassTicket(t))
	if err != nil {
		t.Fatal(err)
	}
	orig := wallettest.Unzip(t, pass)
	if err := VerifyManifest(rezip(t, orig)); err != nil {
		t.Fatalf("re-zipped pass: %v", err)
	}
	edit := func(f func(m map[string][]byte)) map[string][]byte {
		m := map[string][]byte{}
		for k, v := range orig {
			m[k] = bytes.Clone(v)
		}
		f(m)
		return m
	}
	for _, tc := range []struct {
		name string
		zip  []byte
	}{
		{"pass.json changed", rezip(t, edit(func(m map[string][]byte) {
			m["pass.json"] = bytes.Replace(m["pass.json"], []byte("Parkett"), []byte("VIP Box"), 1)
		}))},
		{"icon changed", rezip(t, edit(func(m map[string][]byte) { m["icon.png"][len(m["icon.png"])-1] ^= 1 }))},
		{"file added", rezip(t, edit(func(m map[string][]byte) { m["strip.png"] = []byte("x") }), "strip.png")},
		{"file removed", rezip(t, edit(func(m map[string][]byte) { delete(m, "logo.png") }))},
		{"manifest removed", rezip(t, edit(func(m map[string][]byte) { delete(m, "manifest.json") }))},
		{"manifest not JSON", rezip(t, edit(func(m map[string][]byte) { m["manifest.json"] = []byte("{") }))},
		{"pass.json duplicated", rezip(t, orig, "pass.json")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyManifest(tc.zip)
			if !errors.Is(err, ErrManifestMismatch) {
				t.Fatalf("VerifyManifest = %v, want ErrManifestMismatch", err)
			}
		})
	}
	t.Run("not a zip", func(t *testing.T) {
		if err := VerifyManifest([]byte("PK\x03\x04 nope")); err == nil {
			t.Fatal("VerifyManifest accepted garbage")
		}
	})
}

func TestBuildRefuses(t *testing.T) {
	pki := wallettest.NewPKI(t, false)
	good := testPassTicket(t)
	for _, tc := range []struct {
		name    string
		edit    func(t *PassTicket)
		wantErr error
		wantMsg string
	}{
		{"rotating ticket", func(p *PassTicket) { p.Token = testToken(t, true).Text() }, ErrRotatingUnsupported, "rotating code"},
		{"token with code", func(p *PassTicket) { p.Token = testToken(t, true).TextWithCode("123456") }, ErrInvalidTicket, "carries a rotating code"},
		{"missing token", func(p *PassTicket) { p.Token = "" }, ErrInvalidTicket, "token is missing"},
		{"malformed token", func(p *PassTicket) { p.Token = "AT1:ABC" }, ErrInvalidTicket, "token"},
		{"ticket id mismatch", func(p *PassTicket) { p.TicketID = "tk_000000000000000000000000" }, ErrInvalidTicket, "does not match"},
		{"foreign without id", func(p *PassTicket) { p.Token, p.TicketID = "EXT-123", "" }, ErrInvalidTicket, "ticket id is missing"},
		{"foreign not latin-1", func(p *PassTicket) { p.Token = "EXT-€" }, ErrInvalidTicket, "ISO-8859-1"},
		{"missing title", func(p *PassTicket) { p.EventTitle = "" }, ErrInvalidTicket, "event title"},
		{"missing start", func(p *PassTicket) { p.Starts = time.Time{} }, ErrInvalidTicket, "start time"},
		{"ends before start", func(p *PassTicket) { p.Ends = p.Starts.Add(-1) }, ErrInvalidTicket, "not after"},
		{"bad time zone", func(p *PassTicket) { p.TimeZone = "Mars/Olympus_Mons" }, ErrInvalidTicket, "Mars/Olympus_Mons"},
		{"bad latitude", func(p *PassTicket) { p.VenueLat = 91 }, ErrInvalidTicket, "latitude"},
		{"long title", func(p *PassTicket) { p.EventTitle = strings.Repeat("x", 600) }, ErrInvalidTicket, "more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ticket := good
			tc.edit(&ticket)
			_, err := testSigner(pki).Build(ticket)
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("Build = %v, want %v mentioning %q", err, tc.wantErr, tc.wantMsg)
			}
		})
	}

	t.Run("foreign barcode", func(t *testing.T) {
		ticket := good
		ticket.Token, ticket.TicketID = "EXT-12345-ÄÖÜ", "ext-12345"
		pass, err := testSigner(pki).Build(ticket)
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		if err := VerifyManifest(pass); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ticket id from token", func(t *testing.T) {
		ticket := good
		ticket.TicketID = ""
		pass, err := testSigner(pki).Build(ticket)
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		var p struct{ SerialNumber string }
		json.Unmarshal(wallettest.Unzip(t, pass)["pass.json"], &p)
		if p.SerialNumber != testTicket.String() {
			t.Fatalf("serialNumber %q, want %q", p.SerialNumber, testTicket)
		}
	})
}

func TestBuildSignerErrors(t *testing.T) {
	pki := wallettest.NewPKI(t, false)
	other := wallettest.NewPKI(t, false)
	ticket := testPassTicket(t)
	for _, tc := range []struct {
		name    string
		edit    func(s *PassSigner)
		wantMsg string
	}{
		{"no pass type id", func(s *PassSigner) { s.PassTypeID = "" }, "pass type identifier"},
		{"no team id", func(s *PassSigner) { s.TeamID = "" }, "team identifier"},
		{"no organization", func(s *PassSigner) { s.OrganizationName = "" }, "organization name"},
		{"no certificate", func(s *PassSigner) { s.Cert = nil }, "certificate is missing"},
		{"no key", func(s *PassSigner) { s.Key = nil }, "private key is missing"},
		{"no WWDR", func(s *PassSigner) { s.WWDR = nil }, "WWDR certificate is missing"},
		{"key of another certificate", func(s *PassSigner) { s.Key = other.LeafKey }, "does not belong"},
		{"wrong WWDR", func(s *PassSigner) { s.WWDR = other.WWDR }, "not issued by WWDR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSigner(pki)
			tc.edit(s)
			_, err := s.Build(ticket)
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("Build = %v, want an error mentioning %q", err, tc.wantMsg)
			}
		})
	}
}

func TestLoadPassSigner(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rsaLeaf bool
	}{{"ecdsa", false}, {"rsa", true}} {
		t.Run(tc.name, func(t *testing.T) {
			pki := wallettest.NewPKI(t, tc.rsaLeaf)
			dir := t.TempDir()
			write := func(name string, data []byte) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, data, 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			s, err := LoadPassSigner(write("pass.pem", wallettest.CertPEM(pki.Leaf)), write("pass.key", wallettest.KeyPEM(t, pki.LeafKey)), write("wwdr.pem", wallettest.CertPEM(pki.WWDR)))
			if err != nil {
				t.Fatalf("LoadPassSigner: %v", err)
			}
			if s.PassTypeID != "pass.com.example.tickets" || s.TeamID != "ABCDE12345" || s.OrganizationName != "Example Events GmbH" {
				t.Errorf("signer ids = %q %q %q, want the certificate's", s.PassTypeID, s.TeamID, s.OrganizationName)
			}
			if _, err := s.Build(testPassTicket(t)); err != nil {
				t.Errorf("Build with loaded signer: %v", err)
			}
		})
	}

	pki := wallettest.NewPKI(t, false)
	other := wallettest.NewPKI(t, false)
	leafKey := wallettest.KeyPEM(t, pki.LeafKey)
	encrypted := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2, 3}})
	for _, tc := range []struct {
		name             string
		cert, key, wwdr  []byte
		wantMsg          string
		keyMustNotAppear bool
	}{
		{"no certificate", nil, leafKey, wallettest.CertPEM(pki.WWDR), "no PEM CERTIFICATE", false},
		{"key file holds a certificate only", wallettest.CertPEM(pki.Leaf), wallettest.CertPEM(pki.Leaf), wallettest.CertPEM(pki.WWDR), "no PEM PRIVATE KEY", false},
		{"encrypted key", wallettest.CertPEM(pki.Leaf), encrypted, wallettest.CertPEM(pki.WWDR), "encrypted", false},
		{"garbage key", wallettest.CertPEM(pki.Leaf), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("secret-key-material")}), wallettest.CertPEM(pki.WWDR), "does not parse", true},
		{"key of another certificate", wallettest.CertPEM(pki.Leaf), wallettest.KeyPEM(t, other.LeafKey), wallettest.CertPEM(pki.WWDR), "does not belong", false},
		{"wrong WWDR", wallettest.CertPEM(pki.Leaf), leafKey, wallettest.CertPEM(other.WWDR), "not issued by WWDR", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePassSigner(tc.cert, tc.key, tc.wwdr)
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("ParsePassSigner = %v, want an error mentioning %q", err, tc.wantMsg)
			}
			if tc.keyMustNotAppear && strings.Contains(err.Error(), "secret-key-material") {
				t.Fatalf("error quotes the key: %v", err)
			}
		})
	}
	if _, err := LoadPassSigner(filepath.Join(t.TempDir(), "missing.pem"), "", ""); err == nil || !strings.Contains(err.Error(), "read certificate") {
		t.Fatalf("LoadPassSigner of a missing file = %v", err)
	}
}
