package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/issuer"
)

const testPassphrase = "correct horse battery"

// testEnv is a working directory with a passphrase file and, after
// newKey, a key file.
type testEnv struct {
	dir      string
	passFile string
	keyFile  string
	pub      ticketcrypto.PublicKey
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	t.Setenv(envPassphrase, "")
	t.Setenv(envBundlePassphrase, "")
	e := &testEnv{dir: t.TempDir()}
	e.passFile = e.write(t, "pass", testPassphrase+"\n")
	e.keyFile = filepath.Join(e.dir, "issuer.key")
	return e
}

func (e *testEnv) write(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(e.dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// newKey runs keys new and returns its output.
func (e *testEnv) newKey(t *testing.T) string {
	t.Helper()
	out := runCLI(t, "keys", "new", "--out", e.keyFile, "--passphrase-file", e.passFile, "--kdf-fast")
	m := regexp.MustCompile(`public key: (aopk_\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("keys new printed no public key:\n%s", out)
	}
	pub, err := ticketcrypto.ParsePublicKey(m[1])
	if err != nil {
		t.Fatal(err)
	}
	e.pub = pub
	return out
}

// issue runs tickets issue into dir and returns the event id and output.
func (e *testEnv) issue(t *testing.T, dir string, args ...string) (ticketcrypto.EventID, string) {
	t.Helper()
	out := runCLI(t, append([]string{"tickets", "issue", "--key", e.keyFile, "--passphrase-file", e.passFile, "--out", dir}, args...)...)
	m := regexp.MustCompile(`for event (ev_[0-9a-f]{16})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("tickets issue printed no event:\n%s", out)
	}
	ev, err := ticketcrypto.ParseEventID(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return ev, out
}

func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runCLIErr(args...)
	if err != nil {
		t.Fatalf("syncserver %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func runCLIErr(args ...string) (string, error) {
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String() + errOut.String(), err
}

// readTicketLines reads DIR/tickets.jsonl.
func readTicketLines(t *testing.T, dir string) []issuer.TicketLine {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "tickets.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []issuer.TicketLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l issuer.TicketLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("tickets.jsonl line %d: %v", len(lines)+1, err)
		}
		lines = append(lines, l)
	}
	return lines
}

func TestEndToEnd(t *testing.T) {
	e := newTestEnv(t)
	out := e.newKey(t)
	if strings.Contains(out, "aosk_") || !strings.Contains(out, e.pub.ID().String()) {
		t.Errorf("keys new output shows a secret or lacks the key id:\n%s", out)
	}

	tdir := filepath.Join(e.dir, "tickets")
	ev, out := e.issue(t, tdir, "--new-event", "--event-name", "Test night", "--type", "1", "--count", "5")
	if !strings.Contains(out, "new event "+ev.String()) {
		t.Errorf("the new event id is not printed:\n%s", out)
	}
	lines := readTicketLines(t, tdir)
	if len(lines) != 5 {
		t.Fatalf("tickets.jsonl has %d lines, want 5", len(lines))
	}
	for _, l := range lines {
		txt, err := os.ReadFile(filepath.Join(tdir, l.ID.String()+".txt"))
		if err != nil || string(txt) != l.Token+"\n" {
			t.Fatalf("%s.txt = %q, %v; want the token", l.ID, txt, err)
		}
		pf, err := os.Open(filepath.Join(tdir, l.ID.String()+".png"))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(pf)
		pf.Close()
		if err != nil || cfg.Width != cfg.Height || cfg.Width < 200 {
			t.Fatalf("%s.png: %+v, %v", l.ID, cfg, err)
		}
	}

	revoked := e.write(t, "revoked.txt", "# refunds\n"+lines[0].ID.String()+" refunded\n")
	bfile := filepath.Join(e.dir, "gate.bundle")
	out = runCLI(t, "bundle", "export", "--key", e.keyFile, "--passphrase-file", e.passFile, "--event", ev.String(),
		"--tickets", tdir, "--out", bfile, "--gate", "north", "--gate", "south:exit", "--types", "1,2", "--allow-reentry", "--revoked", revoked)
	if !strings.Contains(out, "tickets: 5") || !strings.Contains(out, e.pub.String()) {
		t.Errorf("export summary:\n%s", out)
	}

	data, err := os.ReadFile(bfile)
	if err != nil {
		t.Fatal(err)
	}
	p, signer, err := bundle.Read(data, []ticketcrypto.PublicKey{e.pub}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !signer.Equal(e.pub) || p.Event != ev || p.EventName != "Test night" || len(p.Tickets) != 5 || len(p.RotationKeys) != 0 {
		t.Fatalf("bundle: signer %s, event %s %q, %d tickets, %d rotation keys", signer, p.Event, p.EventName, len(p.Tickets), len(p.RotationKeys))
	}
	for i, l := range lines {
		if p.Tickets[i].ID != l.ID || p.Tickets[i].TypeNumber != 1 {
			t.Errorf("bundle ticket %d = %+v, want %s", i, p.Tickets[i], l.ID)
		}
	}
	if len(p.Revocations) != 1 || p.Revocations[0].Ticket != lines[0].ID || p.Revocations[0].Reason != "refunded" {
		t.Errorf("revocations = %+v", p.Revocations)
	}
	south, err := p.Profile("south")
	if err != nil {
		t.Fatal(err)
	}
	if south.Direction != bundle.Exit || south.Mode != bundle.ModeSigned || !south.AllowReentry || !south.AdmitsType(2) || south.AdmitsType(3) {
		t.Errorf("profile south = %+v", south)
	}
	if north, _ := p.Profile("north"); north.Direction != bundle.Entry {
		t.Errorf("profile north = %+v", north)
	}
	kr, err := p.BuildKeyring()
	if err != nil {
		t.Fatal(err)
	}
	txt, err := os.ReadFile(filepath.Join(tdir, lines[3].ID.String()+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := kr.Verify(strings.TrimSpace(string(txt)), time.Now())
	if err != nil || sc.Ticket != lines[3].ID || sc.Event != ev {
		t.Fatalf("bundle keyring on a ticket from DIR: %+v, %v", sc.Token, err)
	}

	// A flipped byte in the payload is refused.
	at := bytes.LastIndex(data, []byte(lines[2].ID.String())) + 5
	bad := bytes.Clone(data)
	bad[at] ^= 0x01
	if _, _, err := bundle.Read(bad, []ticketcrypto.PublicKey{e.pub}, nil); err == nil {
		t.Fatal("tampered bundle read")
	}

	// More tickets for the same event go to the same list and file.
	_, out = e.issue(t, tdir, "--event", ev.String(), "--type", "2", "--count", "3", "--no-png")
	if got := len(readTicketLines(t, tdir)); got != 8 {
		t.Fatalf("after a second run tickets.jsonl has %d lines, want 8", got)
	}
	if pngs, _ := filepath.Glob(filepath.Join(tdir, "*.png")); len(pngs) != 5 {
		t.Errorf("%d PNG files after a --no-png run, want 5", len(pngs))
	}
	if strings.Contains(out, "new event") || strings.Contains(out, "added event") {
		t.Errorf("a known event was added again:\n%s", out)
	}
}

func TestRotatingNeedsSealedBundle(t *testing.T) {
	e := newTestEnv(t)
	e.newKey(t)
	tdir := filepath.Join(e.dir, "tickets")
	from, until := "2026-06-01T17:00:00Z", "2055-01-01T00:00:00Z"
	ev, out := e.issue(t, tdir, "--new-event", "--type", "3", "--count", "2", "--rotating", "--valid-from", from, "--valid-until", until)
	if pngs, _ := filepath.Glob(filepath.Join(tdir, "*.png")); len(pngs) != 0 || !strings.Contains(out, "no PNG") {
		t.Errorf("rotating tickets got %d PNG files:\n%s", len(pngs), out)
	}
	lines := readTicketLines(t, tdir)
	sc, err := ticketcrypto.ParseText(lines[0].Token)
	if err != nil {
		t.Fatal(err)
	}
	if !sc.Rotating() || sc.ValidFrom.Format(time.RFC3339) != from || sc.ValidUntil.Format(time.RFC3339) != until {
		t.Errorf("token = %+v", sc.Token)
	}

	bfile := filepath.Join(e.dir, "gate.bundle")
	export := []string{"bundle", "export", "--key", e.keyFile, "--passphrase-file", e.passFile, "--event", ev.String(), "--tickets", filepath.Join(tdir, "tickets.jsonl"), "--out", bfile, "--gate", "north"}
	if _, err := runCLIErr(export...); err == nil || !strings.Contains(err.Error(), "--seal") {
		t.Fatalf("unsealed export of rotating tickets: %v", err)
	}
	if _, err := os.Stat(bfile); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a refused export wrote the bundle")
	}
	same := e.write(t, "samepass", testPassphrase)
	if _, err := runCLIErr(append(export, "--seal", "--bundle-passphrase-file", same, "--kdf-fast")...); err == nil || !strings.Contains(err.Error(), "key file's passphrase") {
		t.Fatalf("bundle sealed with the key file passphrase: %v", err)
	}
	if _, err := runCLIErr(append(export, "--seal", "--kdf-fast")...); err == nil || !strings.Contains(err.Error(), envBundlePassphrase) {
		t.Fatalf("--seal without a bundle passphrase: %v", err)
	}
	t.Setenv(envBundlePassphrase, "door staff pass")
	runCLI(t, append(export, "--seal", "--kdf-fast")...)

	data, err := os.ReadFile(bfile)
	if err != nil {
		t.Fatal(err)
	}
	if !bundle.IsSealed(data) || bytes.Contains(data, []byte("aork_")) {
		t.Fatal("bundle with a rotation key is not sealed")
	}
	p, _, err := bundle.Read(data, []ticketcrypto.PublicKey{e.pub}, []byte("door staff pass"))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := p.BuildKeyring()
	if err != nil {
		t.Fatal(err)
	}
	rk, ok := kr.RotationKey(ev)
	if !ok {
		t.Fatal("sealed bundle lacks the rotation key")
	}
	now := time.Now()
	if _, err := kr.Verify(lines[0].Token+rk.Code(ev, sc.Ticket, now), now); err != nil {
		t.Fatalf("rotating code with the bundle's keyring: %v", err)
	}
}

func TestListedCodes(t *testing.T) {
	e := newTestEnv(t)
	e.newKey(t)
	tdir := filepath.Join(e.dir, "tickets")
	ev, _ := e.issue(t, tdir, "--new-event", "--type", "1", "--count", "2", "--no-png")
	codes := e.write(t, "codes.csv", "code,type\n4006381333931,2\nEXT-77,2\n")
	bfile := filepath.Join(e.dir, "gate.bundle")
	args := []string{"bundle", "export", "--key", e.keyFile, "--passphrase-file", e.passFile, "--event", ev.String(), "--tickets", tdir, "--out", bfile, "--gate", "north", "--listed-codes", codes}
	if _, err := runCLIErr(args...); err == nil || !strings.Contains(err.Error(), "--mode listed") {
		t.Fatalf("--listed-codes in signed mode: %v", err)
	}
	runCLI(t, append(args, "--mode", "listed")...)
	data, err := os.ReadFile(bfile)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := bundle.Read(data, []ticketcrypto.PublicKey{e.pub}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Tickets) != 4 || p.Tickets[2].Code != "4006381333931" || p.Tickets[3].Code != "EXT-77" || p.Tickets[2].ID != issuer.ForeignTicketID(ev, "4006381333931") {
		t.Fatalf("tickets = %+v", p.Tickets)
	}
	if p.Profiles[0].Mode != bundle.ModeListed {
		t.Errorf("profile = %+v", p.Profiles[0])
	}

	bad := e.write(t, "bad.csv", "code,type\nA,1\nB,x\n")
	if _, err := runCLIErr(append(args[:len(args)-1], bad, "--mode", "listed")...); err == nil || !strings.Contains(err.Error(), bad+": line 3") {
		t.Fatalf("bad CSV: %v", err)
	}
}

func TestKeysNewRefusesOverwrite(t *testing.T) {
	e := newTestEnv(t)
	e.newKey(t)
	first := e.pub
	before, _ := os.ReadFile(e.keyFile)
	_, err := runCLIErr("keys", "new", "--out", e.keyFile, "--passphrase-file", e.passFile, "--kdf-fast")
	if err == nil || !strings.Contains(err.Error(), "--force") || !strings.Contains(err.Error(), e.keyFile) {
		t.Fatalf("keys new over an existing file: %v", err)
	}
	if after, _ := os.ReadFile(e.keyFile); !bytes.Equal(before, after) {
		t.Fatal("refused keys new changed the key file")
	}
	out := runCLI(t, "keys", "new", "--out", e.keyFile, "--passphrase-file", e.passFile, "--kdf-fast", "--force")
	if strings.Contains(out, first.String()) {
		t.Fatal("--force kept the old key")
	}
	kf, err := issuer.Load(e.keyFile, []byte(testPassphrase))
	if err != nil {
		t.Fatal(err)
	}
	if kf.Key.Public().Equal(first) || !strings.Contains(out, kf.Key.Public().String()) {
		t.Fatal("the replaced key file does not hold the printed key")
	}

	short := e.write(t, "short", "abc\n")
	if _, err := runCLIErr("keys", "new", "--out", filepath.Join(e.dir, "k2"), "--passphrase-file", short, "--kdf-fast"); err == nil || !strings.Contains(err.Error(), "at least") {
		t.Fatalf("short passphrase: %v", err)
	}
}

func TestPassphrase(t *testing.T) {
	e := newTestEnv(t)
	e.newKey(t)
	tdir := filepath.Join(e.dir, "tickets")
	issue := []string{"tickets", "issue", "--key", e.keyFile, "--new-event", "--type", "1", "--count", "1", "--out", tdir}

	_, err := runCLIErr(issue...)
	if err == nil || !strings.Contains(err.Error(), "--passphrase-file") || !strings.Contains(err.Error(), envPassphrase) {
		t.Fatalf("no passphrase: %v", err)
	}
	wrong := e.write(t, "wrong", "not the passphrase\n")
	_, err = runCLIErr(append(issue, "--passphrase-file", wrong)...)
	if !errors.Is(err, ticketcrypto.ErrOpen) || !strings.Contains(err.Error(), e.keyFile) || strings.Contains(err.Error(), "not the passphrase") {
		t.Fatalf("wrong passphrase: %v", err)
	}
	empty := e.write(t, "empty", "\n")
	if _, err = runCLIErr(append(issue, "--passphrase-file", empty)...); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty passphrase file: %v", err)
	}
	if _, err := os.Stat(tdir); !errors.Is(err, os.ErrNotExist) {
		t.Error("a refused run made the output directory")
	}

	t.Setenv(envPassphrase, testPassphrase)
	runCLI(t, issue...)
	if n := len(readTicketLines(t, tdir)); n != 1 {
		t.Fatalf("%d tickets issued with the passphrase from the environment, want 1", n)
	}
}

func TestIssueRefuses(t *testing.T) {
	e := newTestEnv(t)
	e.newKey(t)
	tdir := filepath.Join(e.dir, "tickets")
	ev, _ := e.issue(t, tdir, "--new-event", "--type", "1", "--count", "1", "--no-png")
	keyBefore, _ := os.ReadFile(e.keyFile)
	listBefore, _ := os.ReadFile(filepath.Join(tdir, "tickets.jsonl"))
	base := []string{"tickets", "issue", "--key", e.keyFile, "--passphrase-file", e.passFile, "--type", "1"}
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"count zero":      {[]string{"--event", ev.String(), "--count", "0", "--out", tdir}, "--count 0"},
		"count too large": {[]string{"--event", ev.String(), "--count", "1000001", "--out", tdir}, "--count"},
		"both events":     {[]string{"--event", ev.String(), "--new-event", "--count", "1", "--out", tdir}, "new-event"},
		"no event":        {[]string{"--count", "1", "--out", tdir}, "new-event"},
		"bad event":       {[]string{"--event", "ev_123", "--count", "1", "--out", tdir}, "--event"},
		"bad time":        {[]string{"--event", ev.String(), "--count", "1", "--out", tdir, "--valid-from", "tomorrow"}, "--valid-from"},
		"reversed window": {[]string{"--event", ev.String(), "--count", "1", "--out", tdir, "--valid-from", "2026-06-02T00:00:00Z", "--valid-until", "2026-06-01T00:00:00Z"}, "not after"},
		"other event dir": {[]string{"--new-event", "--count", "1", "--out", tdir}, "keep each event's tickets in its own --out directory"},
		"type too large":  {[]string{"--event", ev.String(), "--count", "1", "--out", tdir, "--type", "65536"}, "type"},
		"long event name": {[]string{"--new-event", "--count", "1", "--out", t.TempDir(), "--event-name", strings.Repeat("n", 201)}, "--event-name"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := runCLIErr(append(base, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
	keyAfter, _ := os.ReadFile(e.keyFile)
	listAfter, _ := os.ReadFile(filepath.Join(tdir, "tickets.jsonl"))
	if !bytes.Equal(keyBefore, keyAfter) || !bytes.Equal(listBefore, listAfter) {
		t.Error("a refused run changed the key file or the ticket list")
	}

	// A list whose last line was cut short is not appended to.
	if err := os.WriteFile(filepath.Join(tdir, "tickets.jsonl"), listBefore[:len(listBefore)-10], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLIErr(append(base, "--event", ev.String(), "--count", "1", "--out", tdir)...); err == nil || !strings.Contains(err.Error(), "incomplete") {
		t.Fatalf("append to a cut list: %v", err)
	}
}

func TestExportRefuses(t *testing.T) {
	e := newTestEnv(t)
	e.newKey(t)
	tdir := filepath.Join(e.dir, "tickets")
	ev, _ := e.issue(t, tdir, "--new-event", "--type", "1", "--count", "2", "--no-png")
	other, _ := e.issue(t, filepath.Join(e.dir, "other"), "--new-event", "--type", "1", "--count", "1", "--no-png")
	bfile := filepath.Join(e.dir, "gate.bundle")
	base := []string{"bundle", "export", "--key", e.keyFile, "--passphrase-file", e.passFile, "--out", bfile}
	lines := readTicketLines(t, tdir)
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no gate":       {[]string{"--event", ev.String(), "--tickets", tdir}, "gate"},
		"bad gate":      {[]string{"--event", ev.String(), "--tickets", tdir, "--gate", "north:in"}, "--gate"},
		"duplicate":     {[]string{"--event", ev.String(), "--tickets", tdir, "--gate", "a", "--gate", "a:exit"}, "twice"},
		"bad mode":      {[]string{"--event", ev.String(), "--tickets", tdir, "--gate", "a", "--mode", "open"}, "--mode"},
		"bad types":     {[]string{"--event", ev.String(), "--tickets", tdir, "--gate", "a", "--types", "1,x"}, "--types"},
		"wrong event":   {[]string{"--event", other.String(), "--tickets", tdir, "--gate", "a"}, "line 1: ticket " + lines[0].ID.String() + " is for event"},
		"no list":       {[]string{"--event", ev.String(), "--tickets", filepath.Join(e.dir, "nothing"), "--gate", "a"}, "nothing"},
		"bad revoked":   {[]string{"--event", ev.String(), "--tickets", tdir, "--gate", "a", "--revoked", e.write(t, "rev", lines[0].ID.String()+"\nnot-an-id\n")}, "rev: line 2: ticket id"},
		"stray pass":    {[]string{"--event", ev.String(), "--tickets", tdir, "--gate", "a", "--bundle-passphrase-file", e.passFile}, "--seal"},
		"listed, empty": {[]string{"--event", ev.String(), "--gate", "a", "--mode", "listed"}, "admit nobody"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := runCLIErr(append(base, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %q", err, tc.want)
			}
			if _, err := os.Stat(bfile); !errors.Is(err, os.ErrNotExist) {
				t.Fatal("a refused export wrote the bundle")
			}
		})
	}
}
