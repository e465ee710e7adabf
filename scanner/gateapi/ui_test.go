package gateapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/scanner"
	"github.com/admitone/admitone/scanner/gateui"
)

// TestScreenFiles: the page and every file it names are served with the
// CSP, behind the guard; nothing is loaded from elsewhere and nothing is
// inline.
func TestScreenFiles(t *testing.T) {
	store, engine, _ := openTestGate(t, 1, scanner.StoreOptions{})
	srv := httptest.NewServer((&Server{Engine: engine, Store: store}).Handler())
	defer srv.Close()
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, page := get("/")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") != gateui.CSP {
		t.Fatalf("GET /: %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	for _, bad := range []string{"<style", "style=", "onclick", "<script>", "http://", "https://"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %q: no inline script or style, nothing from elsewhere", bad)
		}
	}
	refs := regexp.MustCompile(`(?:src|href)="(/[^"]*)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 2 {
		t.Fatalf("the page names %d files, want its script and style", len(refs))
	}
	for _, m := range refs {
		if resp, _ := get(m[1]); resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") != gateui.CSP {
			t.Errorf("GET %s: %d", m[1], resp.StatusCode)
		}
	}
	// The catalogues hold the same keys.
	keys := map[string][]string{}
	fs.WalkDir(gateui.Files(), "i18n", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		_, body := get("/ui/" + path)
		var m map[string]string
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for k := range m {
			keys[k] = append(keys[k], path)
		}
		return nil
	})
	for k, in := range keys {
		if len(in) != 2 {
			t.Errorf("string %q is only in %v", k, in)
		}
	}
	for _, v := range scanner.Verdicts {
		if len(keys["verdict."+string(v)]) == 0 || len(keys["reason."+string(v)]) == 0 {
			t.Errorf("verdict %s has no words or reason in the catalogues", v)
		}
	}
	if resp, _ := get("/ui/"); resp.StatusCode != 404 {
		t.Errorf("GET /ui/: %d, want 404 (no directory listings)", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.Host = "evil.example"
	if resp, err := srv.Client().Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("the page on a foreign Host: %v %v, want 403 from the guard", resp.StatusCode, err)
	}
}

// TestVerdictStream: a screen hears a verdict given through the API, and
// the gate's state; when it goes away, its subscription ends.
func TestVerdictStream(t *testing.T) {
	store, engine, codes := openTestGate(t, 1, scanner.StoreOptions{})
	engine.Feed = &scanner.Feed{}
	srv := httptest.NewServer((&Server{Engine: engine, Store: store, Metrics: scanner.NewMetrics(nil), StatusEvery: time.Hour}).Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/v1/verdicts/stream")
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	events := bufio.NewReader(resp.Body)
	next := func() (string, map[string]any) {
		t.Helper()
		var name string
		for {
			line, err := events.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if n, ok := strings.CutPrefix(line, "event: "); ok {
				name = strings.TrimSpace(n)
			}
			if d, ok := strings.CutPrefix(line, "data: "); ok {
				var m map[string]any
				if err := json.Unmarshal([]byte(d), &m); err != nil {
					t.Fatalf("event %s: %v", name, err)
				}
				return name, m
			}
		}
	}
	if name, st := next(); name != "status" || st["configured"] != true {
		t.Fatalf("first event %s %v, want the status", name, st)
	}
	body, _ := json.Marshal(map[string]string{"code": codes[0]})
	r, err := srv.Client().Post(srv.URL+"/v1/scan?camera=lane2", "application/json", bytes.NewReader(body))
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("scan: %v %v", r.StatusCode, err)
	}
	r.Body.Close()
	if name, v := next(); name != "verdict" || v["verdict"] != "accepted" || v["source"] != "api:lane2" {
		t.Fatalf("event %s %v, want the accepted verdict from api:lane2", name, v)
	}
	if name, st := next(); name != "status" || st["admitted_here"] != float64(1) || st["inside"] != float64(1) {
		t.Fatalf("event %s %v, want the status with the admission counted", name, st)
	}
	resp.Body.Close()
	if _, ok := testenv.Poll(5*time.Second, 10*time.Millisecond, func() bool { return engine.Feed.Subscribers() == 0 }); !ok {
		t.Fatalf("a screen that went away still holds %d subscriptions", engine.Feed.Subscribers())
	}
}
