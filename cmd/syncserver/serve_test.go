package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/storage/postgres/pgtest"

	"github.com/admitone/admitone/account"
)

const servePassword = "correct horse battery"

// runningApp is the real syncserver app serving on a free port.
type runningApp struct {
	a    *app
	base string // http://host:port
	logs *testenv.LockedBuffer
	// stop ends Run and closes the app; it runs at cleanup if not before.
	stop func()
}

// startApp opens the app as `syncserver serve` does and runs it until
// stop, waiting for it to listen.
func startApp(t *testing.T, cfg serverConfig) *runningApp {
	t.Helper()
	logs := &testenv.LockedBuffer{}
	a, err := openApp(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatalf("openApp: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case <-a.started:
	case err := <-done:
		cancel()
		a.Close()
		t.Fatalf("Run ended before it listened: %v\n%s", err, logs)
	}
	r := &runningApp{a: a, base: "http://" + a.Addr.String(), logs: logs}
	r.stop = sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := a.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	t.Cleanup(r.stop)
	return r
}

// call sends a JSON request and checks the status; out, if set, receives
// the JSON answer.
func (r *runningApp) call(t *testing.T, method, path, token string, body any, want int, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, r.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, res.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

// find searches for q and returns the ids found.
func (r *runningApp) find(t *testing.T, q string) []string {
	t.Helper()
	var res struct {
		Total  int `json:"total"`
		Events []struct {
			Event struct {
				ID string `json:"id"`
			} `json:"event"`
		} `json:"events"`
	}
	r.call(t, "GET", "/v1/events?q="+url.QueryEscape(q), "", nil, http.StatusOK, &res)
	var ids []string
	for _, e := range res.Events {
		ids = append(ids, e.Event.ID)
	}
	if res.Total != len(ids) {
		t.Fatalf("search %q: total %d but %d events", q, res.Total, len(ids))
	}
	return ids
}

type idJSON struct {
	ID string `json:"id"`
}

func TestServeEndToEnd(t *testing.T) {
	t.Run("bolt", func(t *testing.T) { testServeEndToEnd(t, "") })
	t.Run("postgres", func(t *testing.T) { testServeEndToEnd(t, pgtest.FreshSchema(t)) })
}

func testServeEndToEnd(t *testing.T, database string) {
	cfg := serverConfig{DataDir: t.TempDir(), Database: database, Listen: "127.0.0.1:0"}
	r := startApp(t, cfg)
	r.call(t, "GET", "/readyz", "", nil, http.StatusOK, nil)

	const email = "organizer@example.com"
	r.call(t, "POST", "/v1/auth/signup", "", map[string]any{"email": email, "password": servePassword}, http.StatusCreated, nil)
	var login struct {
		Token string `json:"token"`
	}
	r.call(t, "POST", "/v1/auth/login", "", map[string]any{"email": email, "password": servePassword}, http.StatusOK, &login)
	tok := login.Token
	var org, venue, ev, draft idJSON
	r.call(t, "POST", "/v1/orgs", tok, map[string]any{"name": "Zeppelin Events"}, http.StatusCreated, &org)
	r.call(t, "POST", "/v1/orgs/"+org.ID+"/venues", tok, map[string]any{"name": "Tempelhofer Feld", "city": "Berlin",
		"country": "DE", "lat": 52.47, "lon": 13.40}, http.StatusCreated, &venue)
	starts := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	event := func(title string) map[string]any {
		return map[string]any{"venue_id": venue.ID, "title": title, "category": "festival", "time_zone": "Europe/Berlin",
			"starts_at": starts.Format(time.RFC3339), "ends_at": starts.Add(8 * time.Hour).Format(time.RFC3339)}
	}
	r.call(t, "POST", "/v1/orgs/"+org.ID+"/events", tok, event("Zeppelinfest Open Air"), http.StatusCreated, &ev)
	r.call(t, "POST", "/v1/events/"+ev.ID+"/ticket-types", tok, map[string]any{"name": "Day ticket",
		"price": map[string]any{"amount": 4900, "currency": "EUR"}, "capacity": 5000, "per_order_max": 6}, http.StatusCreated, nil)
	r.call(t, "POST", "/v1/events/"+ev.ID+"/publish", tok, nil, http.StatusOK, nil)
	// A draft with the same word stays out of search, before and after
	// a rebuild.
	r.call(t, "POST", "/v1/orgs/"+org.ID+"/events", tok, event("Zeppelinfest Rehearsal"), http.StatusCreated, &draft)

	wantFound := func(t *testing.T, r *runningApp) {
		t.Helper()
		if got := r.find(t, "zeppelinfest"); len(got) != 1 || got[0] != ev.ID {
			t.Fatalf("search for zeppelinfest found %v, want [%s]", got, ev.ID)
		}
		r.call(t, "GET", "/v1/events/"+ev.ID, "", nil, http.StatusOK, nil)
	}
	wantFound(t, r)
	r.stop()

	t.Run("reopened", func(t *testing.T) {
		r := startApp(t, cfg)
		// openApp logs what EnsureBuilt did: the index lives in memory,
		// so a start builds it from the store's two events (one draft).
		if l := r.logs.String(); !strings.Contains(l, "Scanned:2 Indexed:1 ") {
			t.Errorf("the index was not built from the store's two events:\n%s", l)
		}
		wantFound(t, r)
		// The session and the membership outlived the restart.
		r.call(t, "POST", "/v1/orgs/"+org.ID+"/venues", tok, map[string]any{"name": "Second stage", "city": "Berlin",
			"country": "DE"}, http.StatusCreated, nil)
		r.stop()
	})

	t.Run("an old on-disk index is removed", func(t *testing.T) {
		// What releases before the in-memory index left behind.
		old := filepath.Join(cfg.DataDir, "search.bleve")
		if err := os.MkdirAll(filepath.Join(old, "store"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(old, "index_meta.json"), []byte(`{"storage":"scorch"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		r := startApp(t, cfg)
		if _, err := os.Stat(old); !os.IsNotExist(err) {
			t.Errorf("the old index is still there: %v", err)
		}
		wantFound(t, r)
		// The draft is still reachable by its organizer, not by search.
		r.call(t, "GET", "/v1/events/"+draft.ID, tok, nil, http.StatusOK, nil)
		r.call(t, "GET", "/v1/events/"+draft.ID, "", nil, http.StatusNotFound, nil)
		r.stop()
	})
}

// runSyncserver runs the cobra root with args, as main does, and returns
// what it printed.
func runSyncserver(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(t.Context())
	return out.String(), err
}

func TestAdminCreate(t *testing.T) {
	t.Run("bolt", func(t *testing.T) { testAdminCreate(t, "") })
	t.Run("postgres", func(t *testing.T) { testAdminCreate(t, pgtest.FreshSchema(t)) })
}

func testAdminCreate(t *testing.T, database string) {
	// Flags come from ADMITONE_* when not given: keep the developer's
	// environment out.
	for _, k := range []string{"ADMITONE_DATA_DIR", "ADMITONE_DATABASE", "ADMITONE_LISTEN", "ADMITONE_LOG_JSON",
		"ADMITONE_LOG_LEVEL", "ADMITONE_EMAIL", "ADMITONE_PASSWORD_FILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	const password = "a long admin passphrase"
	t.Setenv("ADMITONE_ADMIN_PASSWORD", password)
	dir := t.TempDir()
	create := func(email string) (string, error) {
		args := []string{"admin", "create", "--email", email, "--data-dir", dir}
		if database != "" {
			args = append(args, "--database", database)
		}
		return runSyncserver(t, args...)
	}

	out, err := create("root@example.com")
	if err != nil {
		t.Fatalf("admin create: %v\n%s", err, out)
	}
	if !strings.Contains(out, "admin root@example.com created") {
		t.Errorf("admin create printed %q", out)
	}

	for _, email := range []string{"second@example.com", "root@example.com"} {
		out, err := create(email)
		if !errors.Is(err, account.ErrForbidden) || !strings.Contains(err.Error(), "an admin exists already") {
			t.Errorf("admin create %s with an admin in place: err %v, want ErrForbidden naming the existing admin; output %q", email, err, out)
		}
		if strings.Contains(out, "created") {
			t.Errorf("refused admin create printed %q", out)
		}
	}

	// The admin can sign in, and is sent to enrol 2FA first.
	r := startApp(t, serverConfig{DataDir: dir, Database: database, Listen: "127.0.0.1:0"})
	var login struct {
		Token string `json:"token"`
		User  struct {
			Admin     bool `json:"admin"`
			TwoFactor bool `json:"two_factor"`
		} `json:"user"`
	}
	r.call(t, "POST", "/v1/auth/login", "", map[string]any{"email": "root@example.com", "password": password}, http.StatusOK, &login)
	if !login.User.Admin {
		t.Errorf("the created account is not an admin: %+v", login.User)
	}
	r.call(t, "POST", "/v1/orgs", login.Token, map[string]any{"name": "Too early"}, http.StatusForbidden, nil)
	r.call(t, "POST", "/v1/auth/totp/enroll", login.Token, map[string]any{"password": password}, http.StatusOK, nil)
	r.call(t, "POST", "/v1/auth/login", "", map[string]any{"email": "second@example.com", "password": password}, http.StatusUnauthorized, nil)
}

// TestMetricsListen checks that /metrics is served on --metrics-listen
// and not on the API's listener, that "off" serves it nowhere, and that
// the flag's default is a loopback address.
func TestMetricsListen(t *testing.T) {
	get := func(t *testing.T, url string) (int, string) {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, string(b)
	}

	t.Run("own address", func(t *testing.T) {
		r := startApp(t, serverConfig{DataDir: t.TempDir(), Listen: "127.0.0.1:0", MetricsListen: "127.0.0.1:0"})
		r.call(t, "GET", "/v1/events", "", nil, http.StatusOK, nil) // counted in syncserver_http_requests_total
		if code, _ := get(t, r.base+"/metrics"); code != http.StatusNotFound {
			t.Errorf("GET /metrics on the API's listener: status %d, want 404", code)
		}
		if r.a.MetricsAddr == nil {
			t.Fatal("no metrics address after Run started")
		}
		code, body := get(t, "http://"+r.a.MetricsAddr.String()+"/metrics")
		if code != http.StatusOK || !strings.Contains(body, "syncserver_http_requests_total") || !strings.Contains(body, "go_goroutines") {
			t.Errorf("GET /metrics on --metrics-listen: status %d, body without syncserver_http_requests_total and go_goroutines:\n%.500s", code, body)
		}
		// The operator's gauges (docs/operations.md's alerts read them).
		for _, want := range []string{"\nsyncserver_database_up 1\n", "\nsyncserver_gates_connected 0\n", "\nsyncserver_gates_quiet 0\n",
			"\nsyncserver_outbox_pending 0\n"} {
			if !strings.Contains(body, want) {
				t.Errorf("GET /metrics lacks %q", strings.TrimSpace(want))
			}
		}
	})

	t.Run("off", func(t *testing.T) {
		r := startApp(t, serverConfig{DataDir: t.TempDir(), Listen: "127.0.0.1:0", MetricsListen: "off"})
		if r.a.MetricsAddr != nil {
			t.Errorf("--metrics-listen off, yet metrics are served on %s", r.a.MetricsAddr)
		}
		if code, _ := get(t, r.base+"/metrics"); code != http.StatusNotFound {
			t.Errorf("GET /metrics on the API's listener: status %d, want 404", code)
		}
	})

	t.Run("default is loopback", func(t *testing.T) {
		fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
		var cfg serverConfig
		cfg.addFlags(fs)
		host, _, err := net.SplitHostPort(fs.Lookup("metrics-listen").DefValue)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			t.Errorf("--metrics-listen defaults to %q, want a loopback address", fs.Lookup("metrics-listen").DefValue)
		}
	})
}
