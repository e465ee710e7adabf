package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// CheckURL checks an endpoint URL as an organizer gives it: absolute
// https (or http when insecure is set), a host, no user info or
// fragment, at most MaxURL bytes. A host that is an IP address must be
// public (see PublicAddr), and "localhost" is refused, unless insecure
// is set; names are checked again at each dial (Client), since DNS may
// answer differently by then.
func CheckURL(raw string, insecure bool) (*url.URL, error) {
	if len(raw) > MaxURL {
		return nil, fmt.Errorf("%w: url is %d bytes; at most %d", ErrInvalid, len(raw), MaxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Opaque != "" {
		return nil, fmt.Errorf("%w: url is not an absolute URL", ErrInvalid)
	}
	switch {
	case u.Scheme == "http" && insecure:
	case u.Scheme != "https":
		return nil, fmt.Errorf("%w: url must be https", ErrInvalid)
	}
	host := u.Hostname()
	switch {
	case host == "":
		return nil, fmt.Errorf("%w: url has no host", ErrInvalid)
	case u.User != nil:
		return nil, fmt.Errorf("%w: url must not carry user info", ErrInvalid)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, fmt.Errorf("%w: url must not have a fragment", ErrInvalid)
	}
	if insecure {
		return u, nil
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") || strings.HasSuffix(strings.ToLower(strings.TrimSuffix(host, ".")), ".localhost") {
		return nil, fmt.Errorf("%w: %s is this machine", ErrAddress, host)
	}
	if ip, err := netip.ParseAddr(host); err == nil && !PublicAddr(ip) {
		return nil, fmt.Errorf("%w: %s is not a public address", ErrAddress, ip)
	}
	return u, nil
}

// nonPublic are the ranges PublicAddr refuses beyond what netip.Addr's
// predicates name: "this network", carrier-grade NAT, IETF protocol
// assignments, benchmarking, reserved, and NAT64 (which reaches IPv4
// addresses through a translator).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// PublicAddr reports whether deliveries may go to ip: not loopback,
// private (RFC 1918, fc00::/7), link-local (169.254.0.0/16, where cloud
// metadata services answer, and fe80::/10), multicast, unspecified or
// another non-public range.
func PublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// Delivery limits: how long one delivery may take, and how much of an
// answer is read (the rest is dropped, and the connection with it).
const (
	DialTimeout     = 5 * time.Second
	DeliveryTimeout = 15 * time.Second
	MaxResponse     = 64 << 10
)

// NewClient returns the HTTP client deliveries go through: every dial
// checks the address actually dialled (after DNS) with PublicAddr,
// unless insecure is set, so a name that resolves to a private address
// (or is rebound to one after CheckURL) is refused at dial time. It
// uses no proxy, follows no redirect (a 3xx is a failed delivery) and
// gives up after DeliveryTimeout.
func NewClient(insecure bool) *http.Client {
	d := &net.Dialer{Timeout: DialTimeout}
	if !insecure {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: dial %s: %v", ErrAddress, address, err)
			}
			if !PublicAddr(ap.Addr()) {
				return fmt.Errorf("%w: %s is not a public address", ErrAddress, ap.Addr())
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   DialTimeout,
		ResponseHeaderTimeout: DeliveryTimeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   DeliveryTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// post sends one delivery and reads at most MaxResponse of the answer.
func post(ctx context.Context, c *http.Client, target string, h http.Header, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = h
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponse)) // the status is what counts
	return resp.StatusCode, nil
}
