package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/scanner/gateauth"
	"github.com/admitone/admitone/scanner/gatetls"
)

const testPIN = "402917"

// setPIN sets the gate's staff PIN through the CLI, as staff would.
func setPIN(t *testing.T, g *testGate) {
	t.Helper()
	out := runCLI(t, testPIN+"\n", "pin", "set", "--data-dir", g.dir, "--staff-pin-file", "-")
	if !strings.Contains(out, "staff PIN set") || strings.Contains(out, testPIN) {
		t.Fatalf("pin set: %q", out)
	}
}

// TestOffLoopbackNeedsStaffPINOrToken: a listener off loopback with
// neither a staff PIN nor a token does not start; with a PIN it does.
// Only the check runs: nothing binds or sends to a non-loopback address.
func TestOffLoopbackNeedsStaffPINOrToken(t *testing.T) {
	g := newTestGate(t, 1)
	open := func(listen string) error {
		d, err := newDaemon(&globalOptions{dataDir: g.dir}, &runOptions{listen: listen}, strings.NewReader(""), io.Discard, slog.New(slog.DiscardHandler))
		if err == nil {
			d.Close()
		}
		return err
	}
	for _, listen := range []string{"0.0.0.0:8091", "[::]:8091", "192.168.1.20:8091", "gate1.local:8091"} {
		if err := open(listen); err == nil || !strings.Contains(err.Error(), "scannerd pin set") || !strings.Contains(err.Error(), "--api-token") {
			t.Errorf("--listen %s without PIN or token: %v; want a refusal naming scannerd pin set and --api-token", listen, err)
		}
	}
	if _, err := runCLIErr("123456\n", "pin", "set", "--data-dir", g.dir, "--staff-pin-file", "-"); err == nil || !strings.Contains(err.Error(), "counting up or down") {
		t.Fatalf("pin set 123456: %v", err)
	}
	if _, err := runCLIErr("4029\n", "pin", "set", "--data-dir", g.dir, "--staff-pin-file", "-"); err == nil || !strings.Contains(err.Error(), "6 to 32 digits") {
		t.Fatalf("pin set 4029: %v", err)
	}
	if _, err := runCLIErr("", "pin", "set", "--data-dir", g.dir); err == nil || !strings.Contains(err.Error(), "ADMITONE_STAFF_PIN") {
		t.Fatalf("pin set without a PIN: %v", err)
	}
	t.Setenv("ADMITONE_STAFF_PIN", testPIN)
	runCLI(t, "", "pin", "set", "--data-dir", g.dir)
	for _, listen := range []string{"0.0.0.0:8091", "192.168.1.20:8091"} {
		if err := open(listen); err != nil {
			t.Errorf("--listen %s with a staff PIN: %v", listen, err)
		}
	}
	if !strings.Contains(runCLI(t, "", "status", "--data-dir", g.dir), `"staff_pin": true`) {
		t.Error("status does not show the staff PIN as set")
	}
}

// gateClient talks to a gate's API as a browser would: it keeps the
// session cookie and sends what it is told.
type gateClient struct {
	t      *testing.T
	base   string
	client *http.Client
	cookie *http.Cookie
}

type answer struct {
	status  int
	code    string // error code, or the verdict of a scan
	csrf    string
	header  http.Header
	cookies []*http.Cookie
}

func (c *gateClient) do(method, path string, body any, hdr map[string]string) answer {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m struct {
		Verdict string `json:"verdict"`
		CSRF    string `json:"csrf"`
		Error   struct{ Code string }
	}
	json.NewDecoder(resp.Body).Decode(&m)
	a := answer{status: resp.StatusCode, code: m.Verdict + m.Error.Code, csrf: m.CSRF, header: resp.Header, cookies: resp.Cookies()}
	return a
}

// TestStaffSessions: no session, no scan; a right PIN opens a session in
// a HttpOnly, SameSite=Strict, Secure cookie; its POSTs need its CSRF
// token and the gate's own origin; apps keep the bearer token; wrong
// PINs are rate limited.
func TestStaffSessions(t *testing.T) {
	g := newTestGate(t, 4)
	setPIN(t, g)
	o := &runOptions{listen: "127.0.0.1:0", tls: true, apiToken: "app-token", repeat: 3 * time.Second}
	d, _, stop := startDaemon(t, g, strings.NewReader(""), o)
	defer stop(true)
	c := &gateClient{t: t, base: "https://" + d.Addr.String(),
		client: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}}
	scan := func(i int) map[string]string { return map[string]string{"code": g.tokens[i].Text()} }

	if a := c.do("GET", "/v1/session", nil, nil); a.status != 401 || a.code != "session_required" {
		t.Fatalf("GET /v1/session signed out: %d %s", a.status, a.code)
	}
	for _, path := range []string{"/v1/scan", "/v1/frames"} {
		if a := c.do("POST", path, scan(0), nil); a.status != 401 || a.code != "session_required" {
			t.Fatalf("POST %s signed out: %d %s, want 401 session_required", path, a.status, a.code)
		}
	}
	if a := c.do("GET", "/v1/status", nil, nil); a.status != 401 {
		t.Fatalf("GET /v1/status signed out: %d", a.status)
	}
	if a := c.do("GET", "/livez", nil, nil); a.status != 200 {
		t.Fatalf("/livez: %d", a.status)
	}

	in := c.do("POST", "/v1/session", map[string]string{"pin": testPIN}, nil)
	if in.status != 200 || len(in.csrf) < 40 || len(in.cookies) != 1 {
		t.Fatalf("sign-in: %d %s csrf %q cookies %v", in.status, in.code, in.csrf, in.cookies)
	}
	ck := in.cookies[0]
	if ck.Name != "__Host-admitone_gate" || !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode ||
		ck.Path != "/" || ck.Domain != "" || ck.MaxAge <= 0 || ck.MaxAge > int(gateauth.SessionTTL/time.Second) {
		t.Fatalf("session cookie %s", ck)
	}
	c.cookie = &http.Cookie{Name: ck.Name, Value: ck.Value}
	if a := c.do("GET", "/v1/session", nil, nil); a.status != 200 || a.csrf != in.csrf {
		t.Fatalf("GET /v1/session signed in: %d, csrf %q want %q", a.status, a.csrf, in.csrf)
	}
	if a := c.do("GET", "/v1/status", nil, nil); a.status != 200 {
		t.Fatalf("GET /v1/status signed in: %d %s", a.status, a.code)
	}
	// A POST without the CSRF token, with a wrong one, or from another
	// site's page (which a browser sends with that page's Origin) does
	// not scan.
	for _, h := range []map[string]string{
		nil,
		{"X-CSRF-Token": strings.Repeat("A", len(in.csrf))},
		{"X-CSRF-Token": in.csrf, "Origin": "https://evil.example"},
	} {
		if a := c.do("POST", "/v1/scan", scan(0), h); a.status != 403 || (a.code != "csrf" && a.code != "origin_not_allowed") {
			t.Fatalf("cross-site or token-less POST %v: %d %s, want 403", h, a.status, a.code)
		}
	}
	csrf := map[string]string{"X-CSRF-Token": in.csrf, "Origin": c.base}
	if a := c.do("POST", "/v1/scan", scan(0), csrf); a.status != 200 || a.code != "accepted" {
		t.Fatalf("signed-in scan with the CSRF token: %d %s, want 200 accepted (no refused request scanned it)", a.status, a.code)
	}
	// Apps: the bearer token, no session, no CSRF token.
	app := &gateClient{t: t, base: c.base, client: c.client}
	if a := app.do("POST", "/v1/scan", scan(1), map[string]string{"Authorization": "Bearer app-token"}); a.status != 200 || a.code != "accepted" {
		t.Fatalf("scan with the bearer token: %d %s", a.status, a.code)
	}
	if a := app.do("POST", "/v1/scan", scan(2), map[string]string{"Authorization": "Bearer wrong"}); a.status != 401 {
		t.Fatalf("scan with a wrong bearer token: %d %s", a.status, a.code)
	}
	// Sign out: needs the CSRF token too; afterwards the cookie is dead.
	if a := c.do("DELETE", "/v1/session", nil, nil); a.status != 403 {
		t.Fatalf("sign-out without the CSRF token: %d", a.status)
	}
	if a := c.do("DELETE", "/v1/session", nil, csrf); a.status != 204 || len(a.cookies) != 1 || a.cookies[0].MaxAge >= 0 {
		t.Fatalf("sign-out: %d %v", a.status, a.cookies)
	}
	if a := c.do("POST", "/v1/scan", scan(2), csrf); a.status != 401 {
		t.Fatalf("scan after sign-out: %d %s", a.status, a.code)
	}

	// Wrong PINs: five are answered, the sixth waits, right PIN or not.
	c.cookie = nil
	for i := range gateauth.DefaultAddrFailures {
		if a := c.do("POST", "/v1/session", map[string]string{"pin": "99999" + strconv.Itoa(i)}, nil); a.status != 401 || a.code != "wrong_pin" {
			t.Fatalf("wrong PIN %d: %d %s", i, a.status, a.code)
		}
	}
	for _, pin := range []string{"999990", testPIN} {
		a := c.do("POST", "/v1/session", map[string]string{"pin": pin}, nil)
		if wait, _ := strconv.Atoi(a.header.Get("Retry-After")); a.status != 429 || a.code != "rate_limited" || wait < 1 || wait > 60 {
			t.Fatalf("PIN after %d wrong ones: %d %s Retry-After %q", gateauth.DefaultAddrFailures, a.status, a.code, a.header.Get("Retry-After"))
		}
	}
}

// TestLoopbackStaysOpenOverHTTP: with no PIN and no token the gate's
// API on loopback is open, and says so; with a PIN, its cookie over
// plain HTTP is not Secure (a browser would drop it) but otherwise the
// same.
func TestLoopbackStaysOpenOverHTTP(t *testing.T) {
	g := newTestGate(t, 1)
	d, _, stop := startDaemon(t, g, strings.NewReader(""), &runOptions{listen: "127.0.0.1:0", repeat: time.Second})
	c := &gateClient{t: t, base: "http://" + d.Addr.String(), client: http.DefaultClient}
	var m map[string]any
	resp, err := http.Get(c.base + "/v1/session")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if resp.StatusCode != 200 || m["required"] != false {
		t.Fatalf("GET /v1/session on an open gate: %d %v", resp.StatusCode, m)
	}
	if a := c.do("POST", "/v1/session", map[string]string{"pin": testPIN}, nil); a.status != 409 || a.code != "pin_not_set" {
		t.Fatalf("sign-in without a PIN set: %d %s", a.status, a.code)
	}
	stop(true)

	setPIN(t, g)
	d, _, stop = startDaemon(t, g, strings.NewReader(""), &runOptions{listen: "127.0.0.1:0", repeat: time.Second})
	defer stop(true)
	c.base = "http://" + d.Addr.String()
	a := c.do("POST", "/v1/session", map[string]string{"pin": testPIN}, nil)
	if a.status != 200 || len(a.cookies) != 1 {
		t.Fatalf("sign-in over HTTP: %d %s", a.status, a.code)
	}
	if ck := a.cookies[0]; ck.Name != "admitone_gate" || ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie over HTTP: %s", ck)
	}
	c.cookie = &http.Cookie{Name: "admitone_gate", Value: a.cookies[0].Value}
	if a := c.do("POST", "/v1/scan", map[string]string{"code": g.tokens[0].Text()}, map[string]string{"X-CSRF-Token": a.csrf}); a.code != "accepted" {
		t.Fatalf("scan: %d %s", a.status, a.code)
	}
}

// servedFingerprint connects to a gate over TLS and returns its
// certificate's fingerprint.
func servedFingerprint(t *testing.T, addr string) string {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return gatetls.Fingerprint(conn.ConnectionState().PeerCertificates[0].Raw)
}

// TestCertificateMadeOnce: the gate makes its certificate at the first
// start, serves the same one after a restart, and status shows its
// fingerprint; --tls-cert and --tls-key serve a given one instead.
func TestCertificateMadeOnce(t *testing.T) {
	g := newTestGate(t, 1)
	setPIN(t, g)
	o := &runOptions{listen: "127.0.0.1:0", tls: true, repeat: time.Second}
	var prints []string
	for range 2 {
		d, _, stop := startDaemon(t, g, strings.NewReader(""), o)
		prints = append(prints, servedFingerprint(t, d.Addr.String()))
		stop(true)
	}
	if prints[0] != prints[1] || len(prints[0]) != 95 {
		t.Fatalf("fingerprints across a restart: %v", prints)
	}
	if st, err := os.Stat(filepath.Join(g.dir, gatetls.KeyFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", err, st)
	}
	var status struct {
		Access struct {
			TLS struct{ SHA256 string } `json:"tls_certificate"`
		}
	}
	if err := json.Unmarshal([]byte(runCLI(t, "", "status", "--data-dir", g.dir)), &status); err != nil || status.Access.TLS.SHA256 != prints[0] {
		t.Fatalf("status: %v, fingerprint %q want %q", err, status.Access.TLS.SHA256, prints[0])
	}

	other := t.TempDir()
	real, err := gatetls.LoadOrCreate(other, gatetls.Names{DNS: []string{"gate1.example.org"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	o = &runOptions{listen: "127.0.0.1:0", repeat: time.Second,
		tlsCert: filepath.Join(other, gatetls.CertFile), tlsKey: filepath.Join(other, gatetls.KeyFile)}
	d, _, stop := startDaemon(t, g, strings.NewReader(""), o)
	defer stop(true)
	if got := servedFingerprint(t, d.Addr.String()); got != real.Fingerprint {
		t.Fatalf("--tls-cert: served %s, want %s", got, real.Fingerprint)
	}
	if _, err := newDaemon(&globalOptions{dataDir: g.dir}, &runOptions{listen: "127.0.0.1:0", tlsCert: o.tlsCert}, strings.NewReader(""), io.Discard, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("--tls-cert without --tls-key was accepted")
	}
}
