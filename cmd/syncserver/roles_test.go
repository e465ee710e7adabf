package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/admitone/admitone/storage/postgres/pgtest"
)

func TestParseRoles(t *testing.T) {
	for _, c := range []struct {
		values   []string
		embedded bool
		want     string // roles.String(), or "error: ..." text
	}{
		{nil, true, "api,sync,worker"},
		{[]string{"all"}, false, "api,sync,worker"},
		{[]string{"api"}, false, "api"},
		{[]string{"sync", "worker"}, false, "sync,worker"},
		{[]string{" API "}, false, "api"},
		{[]string{"api"}, true, "error: --role api: the embedded store is one process's"},
		{[]string{"gates"}, false, `error: --role "gates": want api, sync, worker or all`},
	} {
		r, err := parseRoles(c.values, c.embedded)
		got := r.String()
		if err != nil {
			got = "error: " + err.Error()
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("parseRoles(%q, embedded %v) = %q, want %q", c.values, c.embedded, got, c.want)
		}
	}
}

// TestRolesServe: a process answers the requests of the parts it runs
// and 503 not_served to the others, naming the part; /readyz always.
func TestRolesServe(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	for _, c := range []struct {
		r      roles
		path   string
		status int
	}{
		{roles{api: true}, "/v1/events", http.StatusTeapot},
		{roles{api: true}, "/desk/", http.StatusTeapot},
		{roles{api: true}, "/v1/sync", http.StatusServiceUnavailable},
		{roles{sync: true}, "/v1/sync", http.StatusTeapot},
		{roles{sync: true}, "/v1/events", http.StatusServiceUnavailable},
		{roles{worker: true}, "/readyz", http.StatusTeapot},
		{roles{worker: true}, "/v1/sync", http.StatusServiceUnavailable},
		{roles{true, true, false}, "/v1/sync", http.StatusTeapot},
	} {
		rec := httptest.NewRecorder()
		c.r.servedBy(ok).ServeHTTP(rec, httptest.NewRequest("GET", c.path, nil))
		if rec.Code != c.status {
			t.Errorf("--role %s, GET %s: %d, want %d", c.r, c.path, rec.Code, c.status)
		}
		if rec.Code == http.StatusServiceUnavailable && !strings.Contains(rec.Body.String(), `"code":"not_served"`) {
			t.Errorf("--role %s, GET %s: body %s lacks not_served", c.r, c.path, rec.Body)
		}
	}
}

// TestRoleSyncOnly: a sync-only process on PostgreSQL answers /readyz,
// refuses the API with 503 not_served and builds no search index.
func TestRoleSyncOnly(t *testing.T) {
	dsn := pgtest.FreshSchema(t)
	r := startApp(t, serverConfig{DataDir: t.TempDir(), Listen: "127.0.0.1:0", MetricsListen: "off", Database: dsn, Roles: []string{"sync"}})
	get := func(path string) (int, string) {
		res, err := http.Get(r.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, _ := get("/readyz"); code != http.StatusOK {
		t.Errorf("/readyz on a sync process: %d", code)
	}
	if code, body := get("/v1/events"); code != http.StatusServiceUnavailable || !strings.Contains(body, "--role sync") {
		t.Errorf("/v1/events on a sync process: %d %s", code, body)
	}
	if !strings.Contains(r.logs.String(), "roles=sync") {
		t.Errorf("the start log does not name the roles:\n%s", r.logs)
	}
	// Searches are the API's: the process does not build the index.
	if l := r.logs.String(); !strings.Contains(l, "search index not built") || strings.Contains(l, "search index ready") {
		t.Errorf("a sync-only process built the search index:\n%s", l)
	}
}
