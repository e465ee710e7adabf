package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAPIRefusesCrossSiteRequests drives the local API as a malicious web
// page in a browser on the gate's network would: a DNS-rebinding Host, a
// cross-site Origin, and the "simple" content types a page may POST
// without a CORS preflight. None of them may scan a ticket in.
func TestAPIRefusesCrossSiteRequests(t *testing.T) {
	g := newTestGate(t, 3)
	o := &runOptions{listen: "127.0.0.1:0", allowedHosts: []string{"gate1.local"}, repeat: 3 * time.Second}
	d, _, stop := startDaemon(t, g, strings.NewReader(""), o)
	defer stop(true)
	addr := d.Addr.String()
	_, port, _ := strings.Cut(addr, ":")
	scan := func(i int) []byte { b, _ := json.Marshal(map[string]string{"code": g.tokens[i].Text()}); return b }

	do := func(method, path, host, origin, ctype string, body []byte) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+addr+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m struct {
			Verdict string `json:"verdict"`
			Error   struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&m)
		if m.Error.Code != "" {
			return resp.StatusCode, m.Error.Code
		}
		return resp.StatusCode, m.Verdict
	}

	for _, c := range []struct {
		name, method, path, host, origin, ctype string
		want                                    int
		code                                    string
	}{
		{"rebinding Host", "POST", "/v1/scan", "evil.example:" + port, "", "application/json", 403, "host_not_allowed"},
		{"rebinding Host reads status", "GET", "/v1/status", "evil.example:" + port, "", "", 403, "host_not_allowed"},
		{"rebinding Host reads metrics", "GET", "/metrics", "evil.example", "", "", 403, "host_not_allowed"},
		{"cross-site Origin", "POST", "/v1/scan", "", "http://evil.example", "application/json", 403, "origin_not_allowed"},
		{"null Origin", "POST", "/v1/scan", "", "null", "application/json", 403, "origin_not_allowed"},
		{"Origin on another port", "POST", "/v1/scan", "", "http://127.0.0.1:1", "application/json", 403, "origin_not_allowed"},
		{"text/plain", "POST", "/v1/scan", "", "", "text/plain", 415, "unsupported_media_type"},
		{"form", "POST", "/v1/scan", "", "", "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
		{"multipart", "POST", "/v1/scan", "", "", "multipart/form-data; boundary=x", 415, "unsupported_media_type"},
		{"no type", "POST", "/v1/scan", "", "", "", 415, "unsupported_media_type"},
		{"frame as text/plain", "POST", "/v1/frames", "", "", "text/plain", 415, "unsupported_media_type"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, code := do(c.method, c.path, c.host, c.origin, c.ctype, scan(0)); got != c.want || code != c.code {
				t.Fatalf("%s %s: %d %s, want %d %s", c.method, c.path, got, code, c.want, c.code)
			}
		})
	}
	// None of the refused requests scanned ticket 0 in.
	if got, v := do("POST", "/v1/scan", "", "", "application/json; charset=utf-8", scan(0)); got != 200 || v != "accepted" {
		t.Fatalf("first real scan of ticket 0: %d %s, want 200 accepted", got, v)
	}
	// What the gate's own clients send is served.
	for i, c := range []struct{ host, origin string }{
		{"localhost:" + port, ""},
		{"gate1.local:" + port, "http://gate1.local:" + port},
		{"", "http://" + addr},     // same origin
		{"", "http://gate1.local"}, // an allowed name's page
		{"[::1]:" + port, ""},
	} {
		if got, v := do("POST", "/v1/scan", c.host, c.origin, "application/json", scan(1)); got != 200 || (v != "accepted" && v != "already_used") {
			t.Errorf("case %d (Host %q, Origin %q): %d %s, want 200", i, c.host, c.origin, got, v)
		}
	}
}

// TestRunRefusesOpenListenWithoutToken: the API off loopback needs a token.
func TestRunRefusesOpenListenWithoutToken(t *testing.T) {
	g := newTestGate(t, 1)
	open := func(o *runOptions) error {
		d, err := newDaemon(&globalOptions{dataDir: g.dir}, o, strings.NewReader(""), io.Discard, slog.New(slog.DiscardHandler))
		if err == nil {
			d.Close()
		}
		return err
	}
	for _, listen := range []string{"0.0.0.0:8091", ":8091", "[::]:8091", "192.168.1.20:8091", "gate1.local:8091"} {
		err := open(&runOptions{listen: listen})
		if err == nil || !strings.Contains(err.Error(), "--api-token") || !strings.Contains(err.Error(), "not a loopback address") {
			t.Errorf("--listen %s without a token: %v; want a refusal naming --api-token", listen, err)
		}
	}
	if err := open(&runOptions{listen: "127.0.0.1:0", allowedHosts: []string{"http://x"}}); err == nil || !strings.Contains(err.Error(), "--allowed-hosts") {
		t.Errorf("--allowed-hosts with a URL: %v", err)
	}
	// With a token the same address is accepted (port 0: any free one).
	for _, o := range []*runOptions{{listen: "0.0.0.0:0", apiToken: "tok"}, {listen: "localhost:0"}, {listen: "[::1]:0"}} {
		if err := open(o); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
}

// TestAPIBodyCutShortIs400: a scan or frame whose body ends before its
// Content-Length is a bad request, not 413 too_large.
func TestAPIBodyCutShortIs400(t *testing.T) {
	g := newTestGate(t, 1)
	d, _, stop := startDaemon(t, g, strings.NewReader(""), &runOptions{listen: "127.0.0.1:0", repeat: time.Second})
	defer stop(true)
	for _, c := range []struct{ path, ctype string }{{"/v1/scan", "application/json"}, {"/v1/frames", "image/jpeg"}} {
		conn, err := net.Dial("tcp", d.Addr.String())
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\nContent-Length: 500\r\n\r\n{\"code\":\"AT1", c.path, c.ctype)
		conn.(*net.TCPConn).CloseWrite()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s cut short: no answer: %v", c.path, err)
		}
		var m struct{ Error struct{ Code string } }
		json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		conn.Close()
		if resp.StatusCode != http.StatusBadRequest || m.Error.Code != "incomplete_body" {
			t.Errorf("%s cut short: %d %q, want 400 incomplete_body", c.path, resp.StatusCode, m.Error.Code)
		}
	}
}
