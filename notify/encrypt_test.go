package notify

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"
)

func b64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rfc8291 is the example of RFC 8291 section 5.
var rfc8291 = struct {
	plaintext, asPublic, asPrivate, uaPublic, uaPrivate, salt, auth, body string
}{
	plaintext: "When I grow up, I want to be a watermelon",
	asPublic:  "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8",
	asPrivate: "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw",
	uaPublic:  "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
	uaPrivate: "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94",
	salt:      "DGv6ra1nlYgDCS1FRnbzlw",
	auth:      "BTBZMqHH6r4Tts7J_aSIgg",
	body: "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_" +
		"yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
}

func TestEncryptRFC8291(t *testing.T) {
	v := rfc8291
	as, err := ecdh.P256().NewPrivateKey(b64(t, v.asPrivate))
	if err != nil {
		t.Fatal(err)
	}
	if got := as.PublicKey().Bytes(); !bytes.Equal(got, b64(t, v.asPublic)) {
		t.Fatalf("the example's server public key does not match its private key")
	}
	got, err := Encrypt([]byte(v.plaintext), b64(t, v.uaPublic), b64(t, v.auth), as, b64(t, v.salt))
	if err != nil {
		t.Fatal(err)
	}
	if want := v.body; base64.RawURLEncoding.EncodeToString(got) != want {
		t.Errorf("Encrypt:\n got %s\nwant %s", base64.RawURLEncoding.EncodeToString(got), want)
	}
	ua, err := ecdh.P256().NewPrivateKey(b64(t, v.uaPrivate))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := Decrypt(b64(t, v.body), ua, b64(t, v.auth))
	if err != nil || string(pt) != v.plaintext {
		t.Errorf("Decrypt of the example = %q, %v", pt, err)
	}
}

func TestDecryptRefuses(t *testing.T) {
	v := rfc8291
	ua, _ := ecdh.P256().NewPrivateKey(b64(t, v.uaPrivate))
	good := b64(t, v.body)
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 1; return b }
	tests := map[string][]byte{
		"empty":          nil,
		"header only":    good[:headerSize],
		"salt changed":   flip(0),
		"key id length":  flip(saltSize + 4),
		"key id changed": flip(saltSize + 6),
		"record changed": flip(len(good) - 1),
		"record size 0":  append(append(bytes.Clone(good[:saltSize]), 0, 0, 0, 0), good[saltSize+4:]...),
		"truncated":      good[:len(good)-1],
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Decrypt(body, ua, b64(t, v.auth)); !errors.Is(err, ErrDecrypt) {
				t.Errorf("Decrypt = %v, want ErrDecrypt", err)
			}
		})
	}
	other := b64(t, v.auth)
	other[0] ^= 1
	if _, err := Decrypt(good, ua, other); !errors.Is(err, ErrDecrypt) {
		t.Errorf("Decrypt with another auth secret = %v, want ErrDecrypt", err)
	}
}

func FuzzDecrypt(f *testing.F) {
	v := rfc8291
	f.Add(b64(f, v.body))
	f.Add([]byte{})
	ua, _ := ecdh.P256().NewPrivateKey(b64(f, v.uaPrivate))
	auth := b64(f, v.auth)
	f.Fuzz(func(t *testing.T, body []byte) {
		pt, err := Decrypt(body, ua, auth)
		if err != nil {
			if !errors.Is(err, ErrDecrypt) {
				t.Fatalf("error %v is not ErrDecrypt", err)
			}
			return
		}
		// Whatever opens re-encrypts, under a fresh key and salt, to a
		// body that opens to the same plaintext.
		as, _ := ecdh.P256().GenerateKey(rand.Reader)
		salt := make([]byte, saltSize)
		rand.Read(salt)
		again, err := Encrypt(pt, ua.PublicKey().Bytes(), auth, as, salt)
		if err != nil {
			return // padded plaintexts may exceed MaxPlaintext
		}
		if pt2, err := Decrypt(again, ua, auth); err != nil || !bytes.Equal(pt, pt2) {
			t.Fatalf("round trip: %q, %v; want %q", pt2, err, pt)
		}
	})
}
