package purchase

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheckCity(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""}, {"   ", ""}, {"Berlin", "Berlin"}, {"  Saint-Étienne ", "Saint-Étienne"},
		{"Washington,   D.C.", "Washington, D.C."}, {"Frankfurt (Oder)", "Frankfurt (Oder)"}, {"東京", "東京"},
		{"Ber\tlin\r\n", "Ber lin"}, // whitespace of any kind is one space
	} {
		got, err := CheckCity(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("CheckCity(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"=HYPERLINK(\"x\")", "+49", "-Berlin", "@city", "Ber\x00lin", "10115 Berlin",
		"Berlin<script>", strings.Repeat("a", MaxCityLen+1), "\xff"} {
		if got, err := CheckCity(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("CheckCity(%q) = %q, %v; want ErrInvalid", in, got, err)
		}
	}
}

func FuzzCheckCity(f *testing.F) {
	for _, s := range []string{"Berlin", "Saint-Étienne", "=1+1", " a  b ", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := CheckCity(s)
		if err != nil {
			return
		}
		if got == "" {
			return
		}
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > MaxCityLen || strings.ContainsAny(got[:1], "=+-@\t\r'") {
			t.Fatalf("CheckCity(%q) accepted %q", s, got)
		}
		if again, err := CheckCity(got); err != nil || again != got {
			t.Fatalf("CheckCity of its own answer %q = %q, %v", got, again, err)
		}
	})
}
