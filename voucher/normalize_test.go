package voucher

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"vip-2026", "VIP-2026"},
		{"  Guest_List ", "GUEST_LIST"},
		{"ABCDEF", "ABCDEF"},
		{"abcde", ""},
		{"abc", ""},
		{strings.Repeat("a", MaxCodeLen+1), ""},
		{"vip 2026", ""},
		{"vip\x002026", ""},
		{"vïp2026", ""},
	} {
		got, err := Normalize(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) {
			t.Errorf("Normalize(%q): the error %q repeats the code", tt.in, err)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"vip-2026", " Guest_List ", "abc", "vïp2026", strings.Repeat("x", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Normalize(s)
		if err != nil {
			return
		}
		if len(got) < MinCodeLen || len(got) > MaxCodeLen || got != strings.ToUpper(got) {
			t.Fatalf("Normalize(%q) = %q", s, got)
		}
		again, err := Normalize(got)
		if err != nil || again != got {
			t.Fatalf("Normalize is not idempotent on %q: %q, %v", got, again, err)
		}
		if Lookup("ev", got) == nil || !(Code{EventID: "ev", Code: got}).matches(again) {
			t.Fatalf("a normalized code does not match itself")
		}
	})
}
