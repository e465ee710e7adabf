package gateapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/scanner"
)

// TestReadyzFollowsWriteFailures: while the store cannot commit (a full
// disk, failing fsync: injected under bbolt's transaction), /readyz is
// 503 store_failing and scans answer store_failed; once writes succeed
// again, /readyz is ready and scans are recorded.
func TestReadyzFollowsWriteFailures(t *testing.T) {
	var writeFault atomic.Pointer[error]
	store, engine, tickets := openTestGate(t, 2, scanner.StoreOptions{
		WriteProbeInterval: -1, // probe on every /readyz: the test does not wait
		WriteFault: func() error {
			if err := writeFault.Load(); err != nil {
				return *err
			}
			return nil
		},
	})
	srv := httptest.NewServer((&Server{Engine: engine, Store: store}).Handler())
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
		status, m := postScan(t, srv, "", string(body))
		return status, fmt.Sprint(m["verdict"], m["error"])
	}

	if code, body := ready(); code != 200 {
		t.Fatalf("healthy gate: /readyz %d %s", code, body)
	}
	fault := error(syscall.ENOSPC)
	writeFault.Store(&fault)
	if code, body := scan(tickets[0]); code != 500 || !strings.Contains(body, "store_failed") {
		t.Fatalf("scan on a full disk: %d %s, want 500 store_failed", code, body)
	}
	for range 2 {
		if code, body := ready(); code != 503 || !strings.Contains(body, "store_failing") || !strings.Contains(body, "no space left") {
			t.Fatalf("full disk: /readyz %d %s, want 503 store_failing naming the cause", code, body)
		}
	}
	writeFault.Store(nil)
	if code, body := ready(); code != 200 {
		t.Fatalf("disk freed: /readyz %d %s, want ready", code, body)
	}
	if code, body := scan(tickets[0]); code != 200 || !strings.HasPrefix(body, "accepted") {
		t.Fatalf("scan after recovery: %d %s", code, body)
	}
	// A disk that fails while no one scans shows at the next /readyz.
	writeFault.Store(&fault)
	if code, _ := ready(); code != 503 {
		t.Fatalf("idle gate with a failing disk: /readyz %d, want 503", code)
	}
	writeFault.Store(nil)
	if code, _ := ready(); code != 200 {
		t.Fatalf("idle gate, disk back: /readyz %d", code)
	}
	if code, body := scan(tickets[1]); code != 200 || !strings.HasPrefix(body, "accepted") {
		t.Fatalf("scan: %d %s", code, body)
	}
}

// openTestGate opens a store in a temporary directory, imports a bundle
// for a signed-mode entry gate with n tickets, and returns the store, an
// engine over it and the tickets' codes.
func openTestGate(t *testing.T, n int, opt scanner.StoreOptions) (*scanner.Store, *scanner.Engine, []string) {
	t.Helper()
	return openTestGateWith(t, n, opt, nil)
}

// openTestGateWith is openTestGate with a change to the bundle before it
// is imported.
func openTestGateWith(t *testing.T, n int, opt scanner.StoreOptions, change func(*bundle.Payload)) (*scanner.Store, *scanner.Engine, []string) {
	t.Helper()
	key, err := ticketcrypto.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC)
	ev := ticketcrypto.NewEventID()
	p := &bundle.Payload{
		Format:    bundle.Format,
		CreatedAt: now.Add(-time.Hour),
		Event:     ev,
		Keyring:   []ticketcrypto.KeyringEntry{{Event: ev, KeyID: key.ID(), PublicKey: key.Public()}},
		Profiles:  []bundle.GateProfile{{Event: ev, GateID: "north", Mode: bundle.ModeSigned, Direction: bundle.Entry}},
	}
	var codes []string
	for range n {
		st, err := ticketcrypto.Sign(key, ticketcrypto.Token{Event: ev, Ticket: ticketcrypto.NewTicketID(), TypeNumber: 1})
		if err != nil {
			t.Fatal(err)
		}
		p.Tickets = append(p.Tickets, bundle.Ticket{ID: st.Ticket, TypeNumber: 1})
		codes = append(codes, st.Text())
	}
	if change != nil {
		change(p)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := scanner.OpenStore(t.TempDir(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Import(p, "", key.Public(), now); err != nil {
		t.Fatal(err)
	}
	return s, &scanner.Engine{Store: s, Now: func() time.Time { return now }}, codes
}
