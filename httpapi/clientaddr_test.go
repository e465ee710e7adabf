package httpapi

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestResolveClient(t *testing.T) {
	trusted, err := ParseTrustedProxies([]string{"10.0.0.0/8", "2001:db8:ffff::/48", "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		remote   string
		xff, fwd []string
		want     string
	}{
		{name: "untrusted peer: headers ignored", remote: "198.51.100.7:4000", xff: []string{"203.0.113.9"}, want: "198.51.100.7:4000"},
		{name: "untrusted peer: Forwarded ignored", remote: "198.51.100.7:4000", fwd: []string{"for=203.0.113.9"}, want: "198.51.100.7:4000"},
		{name: "trusted peer without headers", remote: "10.1.2.3:80", want: "10.1.2.3"},
		{name: "one proxy", remote: "10.1.2.3:80", xff: []string{"203.0.113.9"}, want: "203.0.113.9"},
		{name: "client's forged entries are left of its own", remote: "10.1.2.3:80", xff: []string{"1.1.1.1, 2.2.2.2, 203.0.113.9"}, want: "203.0.113.9"},
		{name: "two trusted proxies", remote: "10.1.2.3:80", xff: []string{"6.6.6.6, 203.0.113.9, 10.9.9.9"}, want: "203.0.113.9"},
		{name: "several header lines", remote: "10.1.2.3:80", xff: []string{"6.6.6.6", "203.0.113.9", "10.9.9.9"}, want: "203.0.113.9"},
		{name: "all trusted: the leftmost", remote: "10.1.2.3:80", xff: []string{"10.5.5.5, 192.0.2.1"}, want: "10.5.5.5"},
		{name: "entry with a port", remote: "10.1.2.3:80", xff: []string{"203.0.113.9:5555"}, want: "203.0.113.9"},
		{name: "ipv6 entries", remote: "[2001:db8:ffff::1]:443", xff: []string{"2001:db8:1::7, [2001:db8:ffff::2]:99"}, want: "2001:db8:1::7"},
		{name: "ipv4-mapped peer", remote: "[::ffff:10.1.2.3]:80", xff: []string{"203.0.113.9"}, want: "203.0.113.9"},
		{name: "ipv4-mapped entry", remote: "10.1.2.3:80", xff: []string{"::ffff:203.0.113.9"}, want: "203.0.113.9"},
		{name: "garbage rightmost: the proxy stands for the client", remote: "10.1.2.3:80", xff: []string{"203.0.113.9, unknown"}, want: "10.1.2.3"},
		{name: "garbage behind a trusted hop", remote: "10.1.2.3:80", xff: []string{"nonsense, 10.7.7.7"}, want: "10.7.7.7"},
		{name: "empty header", remote: "10.1.2.3:80", xff: []string{""}, want: "10.1.2.3"},
		{name: "X-Forwarded-For wins over Forwarded", remote: "10.1.2.3:80", xff: []string{"203.0.113.9"}, fwd: []string{"for=6.6.6.6"}, want: "203.0.113.9"},
		{name: "Forwarded", remote: "10.1.2.3:80", fwd: []string{"for=6.6.6.6, for=203.0.113.9;proto=https;by=10.1.2.3"}, want: "203.0.113.9"},
		{name: "Forwarded, case and spaces", remote: "10.1.2.3:80", fwd: []string{"proto=https; For = 203.0.113.9"}, want: "203.0.113.9"},
		{name: "Forwarded ipv6 quoted with port", remote: "10.1.2.3:80", fwd: []string{`for="[2001:db8:cafe::17]:4711"`}, want: "2001:db8:cafe::17"},
		{name: "Forwarded quoted comma", remote: "10.1.2.3:80", fwd: []string{`for=6.6.6.6;ext="a,b", for=203.0.113.9`}, want: "203.0.113.9"},
		{name: "Forwarded through two lines and a trusted hop", remote: "10.1.2.3:80", fwd: []string{"for=203.0.113.9", "for=10.4.4.4"}, want: "203.0.113.9"},
		{name: "Forwarded obfuscated", remote: "10.1.2.3:80", fwd: []string{"for=_hidden"}, want: "10.1.2.3"},
		{name: "Forwarded unknown", remote: "10.1.2.3:80", fwd: []string{"for=203.0.113.9, for=unknown"}, want: "10.1.2.3"},
		{name: "Forwarded element without for", remote: "10.1.2.3:80", fwd: []string{"for=203.0.113.9, proto=https"}, want: "10.1.2.3"},
		{name: "Forwarded unterminated quote", remote: "10.1.2.3:80", fwd: []string{`for="203.0.113.9`}, want: "10.1.2.3"},
		{name: "unparsable peer", remote: "@", xff: []string{"203.0.113.9"}, want: "@"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := resolveClient(tc.remote, tc.xff, tc.fwd, trusted); got != tc.want {
				t.Errorf("resolveClient(%q, xff %q, forwarded %q) = %q, want %q", tc.remote, tc.xff, tc.fwd, got, tc.want)
			}
			if got := resolveClient(tc.remote, tc.xff, tc.fwd, nil); got != tc.remote {
				t.Errorf("with no trusted proxies = %q, want the peer %q", got, tc.remote)
			}
		})
	}

	t.Run("hops are bounded", func(t *testing.T) {
		hops := slices.Repeat([]string{"10.0.0.1"}, 100)
		hops[0] = "203.0.113.9"
		if got := resolveClient("10.1.2.3:80", []string{strings.Join(hops, ",")}, nil, trusted); got != "10.0.0.1" {
			t.Errorf("100 trusted hops: %q, want the last of the %d walked", got, maxForwardHops)
		}
	})
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies([]string{"10.1.2.3/8", " 192.0.2.1 ", "", "2001:db8::/32", "::ffff:198.51.100.7"})
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.1/32"),
		netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("198.51.100.7/32")}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.internal", "10.0.0", "fe80::1%eth0", "10.0.0.0/8/8"} {
		_, err := ParseTrustedProxies([]string{"10.0.0.0/8", bad})
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseTrustedProxies(%q) = %v; want an error naming it", bad, err)
		}
	}
}

// FuzzResolveClient: resolveClient never panics; with an untrusted or
// unparsable peer it answers the peer; otherwise an IP address that is
// the peer or appears in the headers.
func FuzzResolveClient(f *testing.F) {
	f.Add("10.1.2.3:80", "203.0.113.9, 10.9.9.9", "")
	f.Add("10.1.2.3:80", "", `for="[2001:db8:cafe::17]:4711";proto=https, for=_x`)
	f.Add("198.51.100.7:1", "1.1.1.1", "for=2.2.2.2")
	f.Add("[2001:db8:ffff::1]:443", "::ffff:1.2.3.4,,", `for="\"", for=unknown`)
	trusted, _ := ParseTrustedProxies([]string{"10.0.0.0/8", "2001:db8:ffff::/48"})
	f.Fuzz(func(t *testing.T, remote, xff, fwd string) {
		var x, fw []string
		if xff != "" {
			x = strings.Split(xff, "\n")
		}
		if fwd != "" {
			fw = strings.Split(fwd, "\n")
		}
		got := resolveClient(remote, x, fw, trusted)
		peer, ok := parseHostAddr(remote)
		if !ok || !isTrusted(peer, trusted) {
			if got != remote {
				t.Fatalf("untrusted peer %q answered %q", remote, got)
			}
			return
		}
		a, err := netip.ParseAddr(got)
		if err != nil {
			t.Fatalf("answer %q is not an address: %v", got, err)
		}
		if a != peer && !appearsIn(a, x, fw) {
			t.Fatalf("answer %q is neither the peer %q nor in the headers", got, remote)
		}
	})
}

// appearsIn reports whether some header entry parses to a.
func appearsIn(a netip.Addr, xff, fwd []string) bool {
	for _, e := range append(splitXFF(xff), forwardedFor(fwd)...) {
		if b, ok := parseHostAddr(e); ok && b == a {
			return true
		}
	}
	return false
}
