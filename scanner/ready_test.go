package scanner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/admitone/admitone/bundle"
)

// TestReadyzFollowsWriteFailures: while the store cannot commit (a full
// disk, failing fsync: injected under bbolt's transaction), /readyz is
// 503 store_failing and scans answer store_failed; once writes succeed
// again, /readyz is ready and scans are recorded.
func TestReadyzFollowsWriteFailures(t *testing.T) {
	f := newGateFixture(t, bundle.GateProfile{}, StoreOptions{})
	tickets := []string{f.issue(t, 1, nil).Text(), f.issue(t, 1, nil).Text()}
	f.load(t)
	f.store.probeEvery = 0 // probe on every /readyz: the test does not wait
	srv := httptest.NewServer((&API{Engine: f.engine}).Handler())
	defer srv.Close()

	ready := func() (int, string) {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	scan := func(code string) (int, string) {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"code": code})
		resp, err := srv.Client().Post(srv.URL+"/v1/scan", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, fmt.Sprint(m["verdict"], m["error"])
	}

	if code, body := ready(); code != 200 {
		t.Fatalf("healthy gate: /readyz %d %s", code, body)
	}
	fault := error(syscall.ENOSPC)
	f.store.writeFault.Store(&fault)
	if code, body := scan(tickets[0]); code != 500 || !strings.Contains(body, "store_failed") {
		t.Fatalf("scan on a full disk: %d %s, want 500 store_failed", code, body)
	}
	for range 2 {
		if code, body := ready(); code != 503 || !strings.Contains(body, "store_failing") || !strings.Contains(body, "no space left") {
			t.Fatalf("full disk: /readyz %d %s, want 503 store_failing naming the cause", code, body)
		}
	}
	f.store.writeFault.Store(nil)
	if code, body := ready(); code != 200 {
		t.Fatalf("disk freed: /readyz %d %s, want ready", code, body)
	}
	if code, body := scan(tickets[0]); code != 200 || !strings.HasPrefix(body, "accepted") {
		t.Fatalf("scan after recovery: %d %s", code, body)
	}
	// A disk that fails while no one scans shows at the next /readyz.
	f.store.writeFault.Store(&fault)
	if code, _ := ready(); code != 503 {
		t.Fatalf("idle gate with a failing disk: /readyz %d, want 503", code)
	}
	f.store.writeFault.Store(nil)
	if code, _ := ready(); code != 200 {
		t.Fatalf("idle gate, disk back: /readyz %d", code)
	}
	if code, body := scan(tickets[1]); code != 200 || !strings.HasPrefix(body, "accepted") {
		t.Fatalf("scan: %d %s", code, body)
	}
}
