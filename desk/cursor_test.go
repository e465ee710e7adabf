package desk

import (
	"testing"
)

func TestParseAttendeeCursor(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"ord_0123456789abcdef01234567.tk_0123456789abcdef01234567", true},
		{"ord_0123456789abcdef01234567.", true},
		{"ord_0123456789abcdef01234567", false},
		{".tk_0123456789abcdef01234567", false},
		{"ord_0123456789abcdef01234567.ord_0123456789abcdef01234567", false},
		{"usr_0123456789abcdef01234567.tk_0123456789abcdef01234567", false},
		{"", false},
	} {
		got, err := ParseAttendeeCursor(c.in)
		if (err == nil) != c.ok {
			t.Errorf("ParseAttendeeCursor(%q) = %+v, %v; want ok %v", c.in, got, err, c.ok)
		}
		if err == nil && got.String() != c.in {
			t.Errorf("ParseAttendeeCursor(%q).String() = %q", c.in, got.String())
		}
	}
}

// FuzzParseAttendeeCursor: whatever it accepts it prints back the same,
// and it never panics.
func FuzzParseAttendeeCursor(f *testing.F) {
	f.Add("ord_0123456789abcdef01234567.tk_0123456789abcdef01234567")
	f.Add("ord_0123456789abcdef01234567.")
	f.Add("ord_.tk_")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseAttendeeCursor(s)
		if err != nil {
			return
		}
		if c.String() != s {
			t.Fatalf("ParseAttendeeCursor(%q).String() = %q", s, c.String())
		}
		again, err := ParseAttendeeCursor(c.String())
		if err != nil || again != c {
			t.Fatalf("round trip of %q: %+v, %v", s, again, err)
		}
	})
}
