package crypto

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestPrivateKeyText(t *testing.T) {
	k := testKey(t)
	if got := k.Secret(); got != testKeySecret {
		t.Errorf("Secret() = %q, want %q", got, testKeySecret)
	}
	again, err := ParsePrivateKey(k.Secret())
	if err != nil {
		t.Fatal(err)
	}
	if !again.Public().Equal(k.Public()) {
		t.Error("ParsePrivateKey(Secret()) is another key")
	}
	if k.IsZero() || !(PrivateKey{}).IsZero() {
		t.Error("IsZero wrong")
	}
	g, err := GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	if g.IsZero() || g.Public().Equal(k.Public()) {
		t.Errorf("GeneratePrivateKey gave %v", g)
	}
}

// TestSecretsDoNotPrint: the secret must not reach a log through any
// formatting path (String, fmt verbs, JSON, slog).
func TestSecretsDoNotPrint(t *testing.T) {
	k := testKey(t)
	rk := mustRotationKey(t, testRotationSecret)
	secrets := []struct {
		name   string
		v      any
		secret string
	}{
		{"PrivateKey", k, k.Secret()},
		{"RotationKey", rk, rk.Secret()},
	}
	for _, s := range secrets {
		var slogOut strings.Builder
		slog.New(slog.NewTextHandler(&slogOut, nil)).Info("key", "k", s.v)
		var slogJSON strings.Builder
		slog.New(slog.NewJSONHandler(&slogJSON, nil)).Info("key", "k", s.v)
		jsonOut, _ := json.Marshal(s.v)
		for _, f := range []struct{ how, out string }{
			{"String", s.v.(fmt.Stringer).String()},
			{"%v", fmt.Sprintf("%v", s.v)},
			{"%s", fmt.Sprintf("%s", s.v)},
			{"%+v", fmt.Sprintf("%+v", s.v)},
			{"%#v", fmt.Sprintf("%#v", s.v)},
			{"%x", fmt.Sprintf("%x", s.v)},
			{"%q", fmt.Sprintf("%q", s.v)},
			{"json", string(jsonOut)},
			{"slog text", slogOut.String()},
			{"slog json", slogJSON.String()},
		} {
			t.Run(s.name+" "+f.how, func(t *testing.T) {
				if leak := revealsSecret(f.out, secretBytes(t, s.secret)); leak != "" {
					t.Errorf("%s of a %s reveals the secret (as %s): %s", f.how, s.name, leak, f.out)
				}
			})
		}
	}
	if strings.Contains(k.String(), k.Secret()) || strings.Contains(rk.String(), rk.Secret()) {
		t.Error("String() contains Secret()")
	}
	if got, want := k.String(), "aosk_<secret "+k.ID().String()+">"; got != want {
		t.Errorf("PrivateKey.String() = %q, want %q", got, want)
	}
}

// revealsSecret reports in which form out contains the first 8 bytes of
// secret: base64url, hex, or as Go prints a byte slice or array.
func revealsSecret(out string, secret []byte) string {
	head := secret[:8]
	var goSyntax []string
	for _, c := range head {
		goSyntax = append(goSyntax, fmt.Sprintf("%#x", c))
	}
	forms := []struct{ name, s string }{
		{"base64url", b64.EncodeToString(secret)[:10]},
		{"hex", hex.EncodeToString(head)},
		{"decimal", strings.TrimSuffix(fmt.Sprint(head), "]")},
		{"Go syntax", strings.Join(goSyntax, ", ")},
	}
	for _, f := range forms {
		if strings.Contains(out, f.s) {
			return f.name
		}
	}
	return ""
}

func secretBytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := b64.DecodeString(s[5:])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseKeyErrors(t *testing.T) {
	// Secret-looking inputs: the error must name the problem, never echo them.
	secret := testKeySecret[5:]
	tests := []struct {
		name    string
		parse   func(string) error
		in      string
		errWant string
	}{
		{"private: no prefix", func(s string) error { _, err := ParsePrivateKey(s); return err }, secret, `starting with "aosk_"`},
		{"private: public prefix", func(s string) error { _, err := ParsePrivateKey(s); return err }, "aopk_" + secret, `starting with "aosk_"`},
		{"private: short", func(s string) error { _, err := ParsePrivateKey(s); return err }, "aosk_" + secret[:42], "got 42 characters"},
		{"private: long", func(s string) error { _, err := ParsePrivateKey(s); return err }, "aosk_" + secret + "AA", "got 45 characters"},
		{"private: padded", func(s string) error { _, err := ParsePrivateKey(s); return err }, "aosk_" + secret + "=", "characters"},
		{"private: std base64", func(s string) error { _, err := ParsePrivateKey(s); return err }, "aosk_" + secret[:41] + "+/", "invalid base64url"},
		{"private: space", func(s string) error { _, err := ParsePrivateKey(s); return err }, "aosk_" + secret[:42] + " ", "invalid base64url"},
		{"rotation: no prefix", func(s string) error { _, err := ParseRotationKey(s); return err }, testRotationSecret[5:], `starting with "aork_"`},
		{"rotation: bad base64", func(s string) error { _, err := ParseRotationKey(s); return err }, testRotationSecret[:40] + "!!!!!!!!", "rotation key"},
		{"public: private key pasted", func(s string) error { _, err := ParsePublicKey(s); return err }, testKeySecret, `starting with "aopk_"`},
		{"public: short", func(s string) error { _, err := ParsePublicKey(s); return err }, "aopk_AAAA", "public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse(tt.in)
			if err == nil {
				t.Fatalf("accepted %q", tt.in)
			}
			if !strings.Contains(err.Error(), tt.errWant) {
				t.Errorf("error %q, want it to contain %q", err, tt.errWant)
			}
			body := tt.in
			if i := strings.IndexByte(body, '_'); i >= 0 && i < 5 {
				body = body[i+1:]
			}
			if len(body) >= 8 && strings.Contains(err.Error(), body[:8]) {
				t.Errorf("error %q quotes the input", err)
			}
		})
	}
}

func TestPublicKeyText(t *testing.T) {
	pub := testKey(t).Public()
	got, err := ParsePublicKey(pub.String())
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(pub) {
		t.Errorf("ParsePublicKey(String()) = %s, want %s", got, pub)
	}
	if !strings.HasPrefix(pub.String(), "aopk_") || len(pub.String()) != 5+43 {
		t.Errorf("String() = %q, want aopk_ and 43 characters", pub)
	}
	var viaText PublicKey
	if err := viaText.UnmarshalText([]byte(pub.String())); err != nil || !viaText.Equal(pub) {
		t.Errorf("UnmarshalText = %s, %v", viaText, err)
	}
	if !(PublicKey{}).IsZero() || pub.IsZero() {
		t.Error("IsZero wrong")
	}
}

func TestKeyIDDerivation(t *testing.T) {
	// The key id is the first two bytes of SHA-256("admitone key id v1" ||
	// public key); this pins it for the fixed test key.
	if got, want := testKey(t).ID().String(), "kid_0b00"; got != want {
		t.Errorf("ID() = %s, want %s", got, want)
	}
	if testKey(t).ID() == testOtherKey(t).ID() {
		t.Error("the two test keys share an id; pick other seeds")
	}
}

func TestDetachedSignature(t *testing.T) {
	k := testKey(t)
	msg := []byte("bundle contents")
	sig := k.Sign("AdmitOne bundle v1", msg)
	tests := []struct {
		name string
		pub  PublicKey
		ctx  string
		msg  []byte
		sig  []byte
		want bool
	}{
		{"good", k.Public(), "AdmitOne bundle v1", msg, sig, true},
		{"other context", k.Public(), "AdmitOne ticket v1", msg, sig, false},
		// The zero byte separates context from message, so moving bytes
		// across the boundary changes the signed message.
		{"context boundary moved", k.Public(), "AdmitOne bundle v1b", []byte("undle contents"), sig, false},
		{"other message", k.Public(), "AdmitOne bundle v1", []byte("bundle content"), sig, false},
		{"other key", testOtherKey(t).Public(), "AdmitOne bundle v1", msg, sig, false},
		{"short signature", k.Public(), "AdmitOne bundle v1", msg, sig[:63], false},
		{"long signature", k.Public(), "AdmitOne bundle v1", msg, append(append([]byte(nil), sig...), 0), false},
		{"no signature", k.Public(), "AdmitOne bundle v1", msg, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.pub.VerifyDetached(tt.ctx, tt.msg, tt.sig); got != tt.want {
				t.Errorf("VerifyDetached = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestIDText(t *testing.T) {
	tests := []struct {
		name  string
		parse func(string) (string, error)
		in    string
		ok    bool
	}{
		{"event", func(s string) (string, error) { v, err := ParseEventID(s); return v.String(), err }, "ev_e0e1e2e3e4e5e6e7", true},
		{"event upper hex", func(s string) (string, error) { v, err := ParseEventID(s); return v.String(), err }, "ev_E0E1E2E3E4E5E6E7", false},
		{"event short", func(s string) (string, error) { v, err := ParseEventID(s); return v.String(), err }, "ev_e0e1", false},
		{"event prefix", func(s string) (string, error) { v, err := ParseEventID(s); return v.String(), err }, "tk_e0e1e2e3e4e5e6e7", false},
		{"ticket", func(s string) (string, error) { v, err := ParseTicketID(s); return v.String(), err }, "tk_101112131415161718191a1b", true},
		{"ticket not hex", func(s string) (string, error) { v, err := ParseTicketID(s); return v.String(), err }, "tk_10111213141516171819zz1b", false},
		{"key id", func(s string) (string, error) { v, err := ParseKeyID(s); return v.String(), err }, "kid_0b00", true},
		{"key id long", func(s string) (string, error) { v, err := ParseKeyID(s); return v.String(), err }, "kid_0b000", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse(tt.in)
			if tt.ok {
				if err != nil || got != tt.in {
					t.Errorf("parse(%q) = %q, %v; want it back", tt.in, got, err)
				}
				return
			}
			if err == nil {
				t.Errorf("parse(%q) = %q, want an error", tt.in, got)
			}
		})
	}
	first, second := NewTicketID(), NewTicketID()
	if NewEventID().IsZero() || first.IsZero() || first == second {
		t.Error("random ids are zero or repeat")
	}
}
