package crypto

import (
	"bytes"
	"strings"
	"testing"
)

func TestBase45RFC9285Vectors(t *testing.T) {
	tests := []struct {
		name    string
		decoded string
		encoded string
	}{
		{"empty", "", ""},
		{"AB", "AB", "BB8"},
		{"Hello!!", "Hello!!", "%69 VD92EX0"},
		{"base-45", "base-45", "UJCLQE7W581"},
		{"ietf!", "ietf!", "QED8WEX0"},
		{"max 2-byte group", "\xff\xff", "FGW"},
		{"max final byte", "\xff", "U5"},
		{"zero bytes", "\x00\x00\x00", "00000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Base45Encode([]byte(tt.decoded)); got != tt.encoded {
				t.Errorf("Base45Encode(%q) = %q, want %q", tt.decoded, got, tt.encoded)
			}
			if got, want := Base45EncodedLen(len(tt.decoded)), len(tt.encoded); got != want {
				t.Errorf("Base45EncodedLen(%d) = %d, want %d", len(tt.decoded), got, want)
			}
			got, err := Base45Decode(tt.encoded)
			if err != nil {
				t.Fatalf("Base45Decode(%q): %v", tt.encoded, err)
			}
			if string(got) != tt.decoded {
				t.Errorf("Base45Decode(%q) = %q, want %q", tt.encoded, got, tt.decoded)
			}
		})
	}
}

func TestBase45DecodeInvalid(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		errWant string // substring of the error
	}{
		{"group overflows 16 bits", "GGW", "overflows 16 bits"},
		{"second group overflows", "BB8GGW", "offset 3"},
		{"final group overflows 8 bits", "V5", "overflows 8 bits"},
		{"final group far over 8 bits", ":W", "overflows 8 bits"},
		{"length 1", "A", "length 1"},
		{"length 4", "BB8B", "length 4"},
		{"length 7", "%69 VD9", "length 7"},
		{"lower case", "bb8", "invalid character"},
		{"hash", "BB#", "invalid character '#'"},
		{"equals", "=BB", "invalid character '='"},
		{"NUL", "BB\x00", "invalid character"},
		{"high byte", "BB\xc8", "invalid character"},
		{"UTF-8", "BÉ", "invalid character"},
		{"newline", "BB8\n0", "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Base45Decode(tt.in)
			if err == nil {
				t.Fatalf("Base45Decode(%q) = %x, want an error", tt.in, got)
			}
			if !strings.Contains(err.Error(), tt.errWant) {
				t.Errorf("Base45Decode(%q) error %q, want it to contain %q", tt.in, err, tt.errWant)
			}
			if got != nil {
				t.Errorf("Base45Decode(%q) returned %x with its error, want nil", tt.in, got)
			}
		})
	}
}

// TestBase45Exhaustive checks every 1- and 2-byte input: each encodes into
// the alphabet and decodes back. Together with the overflow checks this is
// what makes Base45 canonical (one text per byte string).
func TestBase45Exhaustive(t *testing.T) {
	for n := range 1 << 16 {
		in := []byte{byte(n >> 8), byte(n)}
		enc := Base45Encode(in)
		dec, err := Base45Decode(enc)
		if err != nil || !bytes.Equal(dec, in) {
			t.Fatalf("Base45Decode(Base45Encode(%x) = %q) = %x, %v", in, enc, dec, err)
		}
	}
	for n := range 256 {
		in := []byte{byte(n)}
		enc := Base45Encode(in)
		dec, err := Base45Decode(enc)
		if err != nil || !bytes.Equal(dec, in) {
			t.Fatalf("Base45Decode(Base45Encode(%x) = %q) = %x, %v", in, enc, dec, err)
		}
	}
}

// TestBase45Canonical decodes every 2-character group: exactly 256 of the
// 45*45 are valid, one per byte value, so decoding is injective.
func TestBase45Canonical(t *testing.T) {
	seen := make(map[byte]string)
	for i := range len(base45Alphabet) {
		for j := range len(base45Alphabet) {
			s := string([]byte{base45Alphabet[i], base45Alphabet[j]})
			b, err := Base45Decode(s)
			if err != nil {
				continue
			}
			if prev, ok := seen[b[0]]; ok {
				t.Fatalf("both %q and %q decode to %#x", prev, s, b[0])
			}
			seen[b[0]] = s
			if got := Base45Encode(b); got != s {
				t.Errorf("Base45Encode(Base45Decode(%q)) = %q", s, got)
			}
		}
	}
	if got, want := len(seen), 256; got != want {
		t.Errorf("%d valid 2-character groups, want %d", got, want)
	}
}

func TestBase45AlphabetIsQRAlphanumeric(t *testing.T) {
	// ISO/IEC 18004 alphanumeric mode, in code order.
	const qr = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	if base45Alphabet != qr {
		t.Errorf("alphabet %q, want %q", base45Alphabet, qr)
	}
}

func FuzzBase45(f *testing.F) {
	for _, s := range []string{"", "BB8", "%69 VD92EX0", "UJCLQE7W581", "QED8WEX0", "GGW", "FGW", "U5", "V5", "A", "bb8", "BB#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Base45Decode(s)
		if err != nil {
			return
		}
		// Base45 is canonical: each valid group is the unique base-45
		// representation of its value, and overflowing groups are refused,
		// so a decodable text is exactly the encoding of its bytes.
		if got := Base45Encode(b); got != s {
			t.Errorf("Base45Encode(Base45Decode(%q)) = %q", s, got)
		}
		if got, want := len(s), Base45EncodedLen(len(b)); got != want {
			t.Errorf("decoded %d bytes from %d characters, want %d characters", len(b), got, want)
		}
	})
}

func FuzzBase45RoundTrip(f *testing.F) {
	for _, s := range []string{"", "AB", "Hello!!", "base-45", "ietf!", "\xff", "\xff\xff", "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := Base45Encode(b)
		if got, want := len(s), Base45EncodedLen(len(b)); got != want {
			t.Errorf("len(Base45Encode(%x)) = %d, want %d", b, got, want)
		}
		for i := 0; i < len(s); i++ {
			if strings.IndexByte(base45Alphabet, s[i]) < 0 {
				t.Fatalf("Base45Encode(%x) = %q has %q outside the alphabet", b, s, s[i])
			}
		}
		got, err := Base45Decode(s)
		if err != nil {
			t.Fatalf("Base45Decode(Base45Encode(%x)): %v", b, err)
		}
		if !bytes.Equal(got, b) {
			t.Errorf("Base45Decode(Base45Encode(%x)) = %x", b, got)
		}
	})
}
