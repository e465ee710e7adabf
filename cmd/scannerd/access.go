package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/admitone/admitone/scanner/gateauth"
	"github.com/admitone/admitone/scanner/gatetls"
)

// loopbackListen reports whether a --listen address is on loopback.
func loopbackListen(listen string) (bool, error) {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false, fmt.Errorf("--listen %q: want host:port, e.g. 127.0.0.1:8091", listen)
	}
	ip, err := netip.ParseAddr(host)
	return (err == nil && ip.IsLoopback()) || strings.EqualFold(host, "localhost"), nil
}

// checkListen refuses to serve the API off loopback unless someone must
// sign in (a staff PIN set in dataDir) or present a token, refuses
// allowed host names that are not names, and a TLS certificate without
// its key.
func checkListen(o *runOptions, dataDir string) error {
	for _, h := range o.allowedHosts {
		if h == "" || strings.ContainsAny(h, "/:@ \t") {
			return fmt.Errorf("--allowed-hosts %q: want a host name such as gate1.local (IP addresses and localhost are always allowed)", h)
		}
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together: give both, or neither for the gate's own certificate")
	}
	if o.listen == "" {
		return nil
	}
	loopback, err := loopbackListen(o.listen)
	if err != nil || loopback || o.apiToken != "" {
		return err
	}
	if set, err := gateauth.PINSet(dataDir); err != nil || set {
		return err
	}
	return fmt.Errorf("--listen %s is not a loopback address: anyone on the network could scan tickets in; "+
		"set a staff PIN for people (scannerd pin set) and/or give --api-token (or ADMITONE_API_TOKEN) for apps, or listen on 127.0.0.1", o.listen)
}

// newStaff returns the staff sign-in if a staff PIN is set in dataDir.
func newStaff(dataDir string, d *daemon) (*gateauth.Staff, error) {
	set, err := gateauth.PINSet(dataDir)
	if err != nil || !set {
		return nil, err
	}
	return gateauth.NewStaff(dataDir, d.log), nil
}

// serveTLS wraps the API's listener in TLS when it is off loopback, or
// when --tls or --tls-cert asks for it: with the given certificate, or
// the gate's own self-signed one, made once and kept in dataDir.
func (d *daemon) serveTLS(ln net.Listener, dataDir string) (net.Listener, error) {
	o := d.opts
	loopback, _ := loopbackListen(o.listen)
	if loopback && !o.tls && o.tlsCert == "" {
		return ln, nil
	}
	var cert *gatetls.Cert
	var err error
	if o.tlsCert != "" {
		cert, err = gatetls.Load(o.tlsCert, o.tlsKey)
	} else {
		cert, err = gatetls.LoadOrCreate(dataDir, certNames(o), time.Now())
	}
	if err != nil {
		return nil, fmt.Errorf("https: %w", err)
	}
	source := o.tlsCert
	if source == "" {
		source = filepath.Join(dataDir, gatetls.CertFile)
	}
	d.log.Info("https certificate", "sha256", cert.Fingerprint, "file", source, "made_now", cert.Made,
		"not_after", cert.NotAfter.UTC().Format(time.RFC3339))
	fmt.Fprintf(d.stderr(), "scannerd: HTTPS on %s; certificate SHA-256 fingerprint %s\n", ln.Addr(), cert.Fingerprint)
	return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert.TLS}, MinVersion: tls.VersionTLS12}), nil
}

func (d *daemon) stderr() io.Writer {
	if d.errOut != nil {
		return d.errOut
	}
	return os.Stderr
}

// certNames are the names and addresses a self-signed certificate is
// made for: the allowed host names, this machine's name (also under
// .local, as mDNS announces it), localhost, and the listen address, or
// every address of the machine when listening on all of them.
func certNames(o *runOptions) gatetls.Names {
	var n gatetls.Names
	if h, err := os.Hostname(); err == nil && h != "" && h != "localhost" {
		n.DNS = append(n.DNS, h)
		if !strings.Contains(h, ".") {
			n.DNS = append(n.DNS, h+".local")
		}
	}
	n.DNS = append(append(n.DNS, o.allowedHosts...), "localhost")
	add := func(ip netip.Addr) {
		ip = ip.Unmap().WithZone("")
		for _, have := range n.IPs {
			if have == ip {
				return
			}
		}
		n.IPs = append(n.IPs, ip)
	}
	host, _, _ := net.SplitHostPort(o.listen)
	if ip, err := netip.ParseAddr(host); err == nil && !ip.IsUnspecified() {
		add(ip)
	} else if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && !p.Addr().IsLinkLocalUnicast() {
				add(p.Addr())
			}
		}
	}
	add(netip.MustParseAddr("127.0.0.1"))
	add(netip.IPv6Loopback())
	return n
}
