package desk

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"", 0, true}, {"25", 2500, true}, {"25.5", 2550, true}, {"25.50", 2550, true}, {"0.05", 5, true}, {" 7 ", 700, true},
		{"25.505", 0, false}, {".5", 0, false}, {"-1", 0, false}, {"1e3", 0, false}, {"12,50", 0, false}, {"9999999999", 0, false}, {"1.-5", 0, false},
	} {
		got, err := parseAmount(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseAmount(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// FuzzParseAmount: any input is an error or an amount that prints back
// to itself (modulo padding), never a panic or a negative amount.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"25", "25.50", "0.5", "", "x", "1.234", "+1", "-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseAmount(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("parseAmount(%q) = %d", s, n)
		}
		whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
		if whole == "" && s != "" && strings.TrimSpace(s) != "" {
			t.Fatalf("parseAmount(%q) accepted no whole part", s)
		}
		if strings.TrimSpace(s) == "" {
			return
		}
		w, _ := strconv.ParseUint(whole, 10, 64)
		if int64(w) != n/100 {
			t.Fatalf("parseAmount(%q) = %d: whole part %d", s, n, w)
		}
		frac += strings.Repeat("0", 2-len(frac))
		c, _ := strconv.Atoi(frac)
		if int64(c) != n%100 {
			t.Fatalf("parseAmount(%q) = %d: cents %d", s, n, c)
		}
	})
}

// FuzzLocalTimes: any form is an error or a time in the zone given.
func FuzzLocalTimes(f *testing.F) {
	f.Add("Europe/Berlin", "2026-12-24T19:30")
	f.Add("UTC", "")
	f.Add("Mars/Base", "2026-13-01T00:00")
	f.Fuzz(func(t *testing.T, tz, v string) {
		var got time.Time
		err := localTimes(url.Values{"starts_at": {v}}, tz, map[string]*time.Time{"starts_at": &got})
		if err != nil || got.IsZero() {
			return
		}
		if got.Location().String() != tz {
			t.Fatalf("localTimes(%q, %q) = %v in %s", tz, v, got, got.Location())
		}
	})
}
