package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// maxForwardHops bounds the forwarding entries clientAddr walks through.
const maxForwardHops = 32

// ParseTrustedProxies parses --trusted-proxies: CIDR prefixes such as
// 10.0.0.0/8 or 2001:db8::/32, or single addresses. Empty entries are
// skipped. An error names the entry that is wrong.
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("trusted proxy %q is not a CIDR prefix (10.0.0.0/8) or an IP address", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// clientAddr returns the address of the client that sent r, for rate
// limits: the connection's peer, unless the peer is one of the trusted
// proxies. Then the forwarding header the proxies append to is read from
// the right, skipping trusted addresses; the first untrusted one is the
// client's. X-Forwarded-For is read when present, otherwise the for=
// parameters of RFC 7239 Forwarded; with neither, or where an entry does
// not parse ("unknown", an obfuscated "_id", garbage), the nearest
// trusted hop stands for the client. Entries left of the client's are
// the client's own claims and never read, so they cannot be forged.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	return resolveClient(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), r.Header.Values("Forwarded"), trusted)
}

// resolveClient is clientAddr on the peer address (host:port) and the
// header lines.
func resolveClient(remote string, xff, forwarded []string, trusted []netip.Prefix) string {
	peer, ok := parseHostAddr(remote)
	if !ok || !isTrusted(peer, trusted) {
		return remote
	}
	var hops []string
	if len(xff) > 0 {
		hops = splitXFF(xff)
	} else {
		hops = forwardedFor(forwarded)
	}
	client := peer
	for i := len(hops) - 1; i >= 0 && i >= len(hops)-maxForwardHops; i-- {
		a, ok := parseHostAddr(hops[i])
		if !ok {
			break
		}
		client = a
		if !isTrusted(a, trusted) {
			break
		}
	}
	return client.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap().WithZone("")
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHostAddr parses an IP address, with or without a port, IPv6 in
// brackets or bare; IPv4-mapped IPv6 addresses become IPv4.
func parseHostAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host // "[2001:db8::1]:x": a port that is not a number
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// splitXFF splits X-Forwarded-For lines into entries, in order.
func splitXFF(lines []string) []string {
	var out []string
	for _, l := range lines {
		for e := range strings.SplitSeq(l, ",") {
			out = append(out, strings.TrimSpace(e))
		}
	}
	return out
}

// forwardedFor returns the for= value of each element of RFC 7239
// Forwarded lines, in order: "" for an element without one or that does
// not parse, which stops the walk there.
func forwardedFor(lines []string) []string {
	var out []string
	for _, l := range lines {
		for _, elem := range splitQuoted(l, ',') {
			v := ""
			for _, pair := range splitQuoted(elem, ';') {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(k), "for") {
					continue
				}
				if u, ok := unquote(strings.TrimSpace(val)); ok {
					v = u
				}
				break
			}
			out = append(out, v)
		}
	}
	return out
}

// splitQuoted splits s at sep outside double-quoted strings (where a
// backslash escapes the next character).
func splitQuoted(s string, sep byte) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unquote returns a token as is, or the content of a quoted-string with
// its escapes undone; ok is false for an unterminated quote.
func unquote(s string) (string, bool) {
	if !strings.HasPrefix(s, `"`) {
		return s, true
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), i == len(s)-1
		default:
			b.WriteByte(c)
		}
	}
	return "", false
}
