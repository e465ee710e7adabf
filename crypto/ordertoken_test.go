package crypto_test

import (
	"errors"
	"strings"
	"testing"

	ticketcrypto "github.com/admitone/admitone/crypto"
)

func TestOrderToken(t *testing.T) {
	key, err := ticketcrypto.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	other, err := ticketcrypto.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	order, err := ticketcrypto.ParseOrderID("ord_00112233445566778899aabb")
	if err != nil {
		t.Fatal(err)
	}
	want := ticketcrypto.OrderToken{Event: ticketcrypto.NewEventID(), Order: order}
	text := ticketcrypto.SignOrder(key, want)
	if len(text) != 135 || !strings.HasPrefix(text, ticketcrypto.OrderTokenPrefix) {
		t.Fatalf("order token %q: want 135 characters starting %q", text, ticketcrypto.OrderTokenPrefix)
	}
	for _, s := range []string{text, strings.ToLower(text)} {
		so, err := ticketcrypto.ParseOrderText(s)
		if err != nil {
			t.Fatalf("ParseOrderText: %v", err)
		}
		want.KeyID = key.ID()
		if so.OrderToken != want || so.Order.String() != "ord_00112233445566778899aabb" {
			t.Errorf("parsed %+v, want %+v", so.OrderToken, want)
		}
		if err := so.Verify(key.Public()); err != nil {
			t.Errorf("Verify with the signing key: %v", err)
		}
	}
	so, _ := ticketcrypto.ParseOrderText(text)
	if err := so.Verify(other.Public()); !errors.Is(err, ticketcrypto.ErrUnknownKey) {
		t.Errorf("Verify with another key = %v, want ErrUnknownKey", err)
	}

	// A changed order id keeps the length but breaks the signature.
	raw, _ := ticketcrypto.Base45Decode(text[4:])
	raw[12] ^= 1
	if so, err := ticketcrypto.ParseOrderText("AO1:" + ticketcrypto.Base45Encode(raw)); err != nil {
		t.Fatal(err)
	} else if err := so.Verify(key.Public()); !errors.Is(err, ticketcrypto.ErrBadSignature) {
		t.Errorf("Verify of a changed order id = %v, want ErrBadSignature", err)
	}

	bad := map[string]string{
		"empty":         "",
		"ticket prefix": "AT1:" + text[4:],
		"short":         text[:134],
		"long":          text + "A",
		"not base45":    text[:134] + "#",
	}
	raw, _ = ticketcrypto.Base45Decode(text[4:])
	raw[0] = 2
	bad["version 2"] = "AO1:" + ticketcrypto.Base45Encode(raw)
	for name, s := range bad {
		if _, err := ticketcrypto.ParseOrderText(s); !errors.Is(err, ticketcrypto.ErrMalformed) {
			t.Errorf("%s: ParseOrderText = %v, want ErrMalformed", name, err)
		}
	}
}

// FuzzParseOrderText: the parser never panics, and what it accepts is
// the token it would sign again byte for byte (no second spelling but
// letter case).
func FuzzParseOrderText(f *testing.F) {
	key, err := ticketcrypto.GeneratePrivateKey()
	if err != nil {
		f.Fatal(err)
	}
	good := ticketcrypto.SignOrder(key, ticketcrypto.OrderToken{Event: ticketcrypto.NewEventID()})
	for _, s := range []string{good, strings.ToLower(good), "", "AO1:", good[:100], good + "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		so, err := ticketcrypto.ParseOrderText(s)
		if err != nil {
			if !errors.Is(err, ticketcrypto.ErrMalformed) {
				t.Errorf("ParseOrderText(%q) = %v, not ErrMalformed", s, err)
			}
			return
		}
		if len(s) != 135 || !strings.EqualFold(s[:4], ticketcrypto.OrderTokenPrefix) {
			t.Errorf("accepted %q", s)
		}
		if so.Verify(key.Public()) == nil && !strings.EqualFold(s, ticketcrypto.SignOrder(key, so.OrderToken)) {
			t.Errorf("verified %q, which signs again differently", s)
		}
	})
}
