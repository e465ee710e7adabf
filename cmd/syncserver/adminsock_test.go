//go:build linux

package main

import (
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/scanner"
)

// TestAdminCommandsWhileServing runs the real `syncserver serve` process on
// the embedded database and, while it runs and holds the database file,
// runs admin create, keys rotate and bundle server-export against its data
// directory: they go through the server's admin socket, and what they did
// shows through the server (the admin signs in, the rotated-in key signs
// the bundle, a gate that imports the bundle admits a sold ticket).
func TestAdminCommandsWhileServing(t *testing.T) {
	for _, k := range []string{"ADMITONE_DATA_DIR", "ADMITONE_DATABASE", "ADMITONE_LISTEN", "ADMITONE_LOG_JSON",
		"ADMITONE_LOG_LEVEL", "ADMITONE_EMAIL", "ADMITONE_PASSWORD_FILE", envBundlePassphrase} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	const adminPassword = "a long admin passphrase"
	t.Setenv("ADMITONE_ADMIN_PASSWORD", adminPassword)
	dir := t.TempDir()
	sock := filepath.Join(dir, adminSocketName)

	// A server killed earlier left its socket behind: the next one
	// replaces it.
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()

	p := startServeProcess(t, dir)
	r := &runningApp{base: p.base}
	st, err := os.Stat(sock)
	if err != nil {
		t.Fatalf("no admin socket: %v", err)
	}
	if st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o600 {
		t.Errorf("admin socket mode %v, want a socket with 0600", st.Mode())
	}
	// A second server on the same data directory does not take the
	// socket over.
	if ln, _, err := listenAdmin(dir); !errors.Is(err, errAdminSocketInUse) {
		if ln != nil {
			ln.Close()
		}
		t.Errorf("listenAdmin beside the running server: %v, want errAdminSocketInUse", err)
	}

	// admin create: the admin signs in at the running server.
	out, err := runSyncserver(t, "admin", "create", "--email", "root@example.com", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "admin root@example.com created (usr_") {
		t.Fatalf("admin create while serving: %v\n%s", err, out)
	}
	var login struct {
		Token string `json:"token"`
		User  struct {
			Admin bool `json:"admin"`
		} `json:"user"`
	}
	r.call(t, "POST", "/v1/auth/login", "", map[string]any{"email": "root@example.com", "password": adminPassword}, http.StatusOK, &login)
	if !login.User.Admin {
		t.Errorf("the account made through the socket is not an admin: %+v", login.User)
	}
	// Refusals come back as the command's error, as without a server.
	out, err = runSyncserver(t, "admin", "create", "--email", "second@example.com", "--data-dir", dir)
	if err == nil || !strings.Contains(err.Error(), "an admin exists already") || strings.Contains(out, "created") {
		t.Errorf("second admin create while serving: err %v, output %q; want the refusal", err, out)
	}

	// An event with a sold ticket and a gate.
	signIn := func(email string) string {
		r.call(t, "POST", "/v1/auth/signup", "", map[string]any{"email": email, "password": servePassword}, http.StatusCreated, nil)
		var l struct {
			Token string `json:"token"`
		}
		r.call(t, "POST", "/v1/auth/login", "", map[string]any{"email": email, "password": servePassword}, http.StatusOK, &l)
		return l.Token
	}
	org := signIn("organizer@example.com")
	var o, venue, ev, tt, hold, order idJSON
	r.call(t, "POST", "/v1/orgs", org, map[string]any{"name": "Socket Org"}, http.StatusCreated, &o)
	r.call(t, "POST", "/v1/orgs/"+o.ID+"/venues", org, map[string]any{"name": "Hall", "city": "Berlin", "country": "DE"}, http.StatusCreated, &venue)
	starts := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	r.call(t, "POST", "/v1/orgs/"+o.ID+"/events", org, map[string]any{"venue_id": venue.ID, "title": "Socket Night", "category": "music",
		"time_zone": "Europe/Berlin", "starts_at": starts.Format(time.RFC3339), "ends_at": starts.Add(4 * time.Hour).Format(time.RFC3339)}, http.StatusCreated, &ev)
	r.call(t, "POST", "/v1/events/"+ev.ID+"/ticket-types", org, map[string]any{"name": "Standing", "kind": "admission",
		"price": map[string]any{"amount": 2000, "currency": "EUR"}, "capacity": 100, "per_order_max": 5}, http.StatusCreated, &tt)
	r.call(t, "POST", "/v1/events/"+ev.ID+"/publish", org, nil, http.StatusOK, nil)
	buyer := signIn("buyer@example.com")
	r.call(t, "POST", "/v1/holds", buyer, map[string]any{"event_id": ev.ID, "lines": []map[string]any{{"ticket_type_id": tt.ID, "quantity": 1}}}, http.StatusCreated, &hold)
	r.call(t, "POST", "/v1/orders", buyer, map[string]any{"hold_id": hold.ID}, http.StatusCreated, &order)
	var paid struct {
		Tickets []struct {
			Token string `json:"token"`
		} `json:"tickets"`
	}
	r.call(t, "POST", "/v1/orders/"+order.ID+"/pay", buyer, map[string]any{"test_card": "4242424242424242"}, http.StatusOK, &paid)
	if len(paid.Tickets) != 1 {
		t.Fatalf("paid order has %d tickets, want 1", len(paid.Tickets))
	}
	var gate struct {
		Gate idJSON `json:"gate"`
	}
	r.call(t, "POST", "/v1/events/"+ev.ID+"/gates", org, map[string]any{"name": "USB gate", "direction": "entry"}, http.StatusCreated, &gate)

	// keys rotate: printed as without a server, with the new key active.
	out, err = runSyncserver(t, "keys", "rotate", "--data-dir", dir)
	if err != nil {
		t.Fatalf("keys rotate while serving: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`new issuer key (kid_[0-9a-f]{4}): (aopk_\S+)\n`).FindStringSubmatch(out)
	if m == nil || strings.Count(out, "\n  kid_") != 2 || !strings.Contains(out, "issuer keys in the bolt database") ||
		!strings.HasSuffix(out, m[2]+"  active\n") || strings.Contains(out, "aosk_") {
		t.Fatalf("keys rotate while serving printed:\n%s", out)
	}
	kid := m[1]

	// bundle server-export: signed by the rotated-in key; a gate that
	// imports it admits the sold ticket.
	bundlePath := filepath.Join(t.TempDir(), "gate.bundle")
	pass := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(pass, []byte("a long bundle passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runSyncserver(t, "bundle", "server-export", "--data-dir", dir, "--gate", gate.Gate.ID, "--out", bundlePath,
		"--bundle-passphrase-file", pass, "--kdf-fast")
	if err != nil {
		t.Fatalf("server-export while serving: %v\n%s", err, out)
	}
	if !strings.Contains(out, ": 1 tickets, signed by "+kid+" (trust it with: scannerd init --trust "+m[2]+")") {
		t.Errorf("server-export while serving printed %q, want 1 ticket signed by the rotated-in %s", out, kid)
	}
	data, err := os.ReadFile(bundlePath)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ticketcrypto.ParsePublicKey(m[2])
	if err != nil {
		t.Fatal(err)
	}
	pl, signer, err := bundle.Read(data, []ticketcrypto.PublicKey{signer}, []byte("a long bundle passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	gs, err := scanner.OpenStore(filepath.Join(t.TempDir(), "gate"), scanner.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer gs.Close()
	if _, err := gs.Import(pl, gate.Gate.ID, signer, time.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := (&scanner.Engine{Store: gs}).Check(paid.Tickets[0].Token, scanner.CheckOptions{})
	if err != nil || res.Verdict != scanner.Accepted {
		t.Errorf("scan of the sold ticket at the imported gate: %s (%s) %v, want accepted", res.Verdict, res.Reason, err)
	}

	// A bad request is refused with the server's reason, and nothing is
	// written.
	out, err = runSyncserver(t, "bundle", "server-export", "--data-dir", dir, "--gate", "gat_nope", "--out", bundlePath+".2",
		"--bundle-passphrase-file", pass, "--kdf-fast")
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("server-export of an unknown gate: %v\n%s", err, out)
	}
	if _, err := os.Stat(bundlePath + ".2"); !os.IsNotExist(err) {
		t.Errorf("a refused export wrote a file: %v", err)
	}

	// Stopped, the server removes its socket, and the commands open the
	// database themselves again.
	p.stop()
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("the stopped server left its socket: %v", err)
	}
	out, err = runSyncserver(t, "keys", "rotate", "--data-dir", dir)
	if err != nil || strings.Count(out, "\n  kid_") != 3 {
		t.Errorf("keys rotate after the server stopped: %v\n%s", err, out)
	}
}

// TestAdminSocketPathTooLong: a data directory too deep for a unix socket
// gets no socket, and says why; serve then warns and runs without it.
func TestAdminSocketPathTooLong(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 100))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if ln, _, err := listenAdmin(dir); !errors.Is(err, errSocketPathTooLong) {
		if ln != nil {
			ln.Close()
		}
		t.Fatalf("listenAdmin in a %d-byte directory: %v, want errSocketPathTooLong", len(dir), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("listenAdmin left %v behind", entries)
	}
	if c := dialAdmin(dir); c != nil {
		t.Errorf("dialAdmin found a server in %s", dir)
	}
}
