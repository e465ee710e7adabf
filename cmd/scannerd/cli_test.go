package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/qr"
	"github.com/admitone/admitone/scanner"
)

// decodeResults parses one JSON result per line.
func decodeResults(t *testing.T, out string) []scanner.Result {
	t.Helper()
	var rs []scanner.Result
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var r scanner.Result
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("output is not JSON lines: %v\n%s", err, out)
		}
		rs = append(rs, r)
	}
	return rs
}

func verdicts(rs []scanner.Result) []string {
	v := make([]string, len(rs))
	for i, r := range rs {
		v[i] = string(r.Verdict)
	}
	return v
}

func TestScanTextAndPictures(t *testing.T) {
	g := newTestGate(t, 3)
	pics := t.TempDir()
	for i, tk := range g.tokens[:2] {
		var buf bytes.Buffer
		if err := qr.PNG(tk.Text(), 4, &buf); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(pics, string(rune('a'+i))+".png"), buf.Bytes(), 0o600)
	}
	os.WriteFile(filepath.Join(pics, "c.png"), []byte("not a picture"), 0o600)

	out := runCLI(t, "", "scan", "--data-dir", g.dir, pics, filepath.Join(pics, "c.png"))
	rs := decodeResults(t, out)
	// In a folder the unreadable c.png is skipped with a warning; named on
	// its own it is a malformed verdict.
	if got := strings.Join(verdicts(rs), ","); got != "accepted,accepted,malformed" {
		t.Fatalf("folder scan verdicts %s\n%s", got, out)
	}
	if !strings.Contains(rs[2].Reason, "c.png") {
		t.Fatalf("malformed verdict does not name the file: %+v", rs[2])
	}
	if rs[0].TicketID != g.tokens[0].Ticket.String() || rs[0].Reason == "" {
		t.Fatalf("result lacks ticket_id or reason: %+v", rs[0])
	}

	stdin := g.tokens[2].Text() + "\n\n" + g.tokens[0].Text() + "\nnot a ticket\n"
	rs = decodeResults(t, runCLI(t, stdin, "scan", "--data-dir", g.dir, "--dry-run", "-"))
	if got := strings.Join(verdicts(rs), ","); got != "accepted,already_used,malformed" {
		t.Fatalf("dry-run stdin verdicts %s", got)
	}
	if !rs[0].DryRun || rs[0].CheckinID != "" {
		t.Fatalf("dry run recorded a check-in: %+v", rs[0])
	}
	// The dry run recorded nothing: the ticket is still admitted once.
	rs = decodeResults(t, runCLI(t, g.tokens[2].Text()+"\n"+g.tokens[2].Text()+"\n", "scan", "--data-dir", g.dir, "-"))
	if got := strings.Join(verdicts(rs), ","); got != "accepted,already_used" {
		t.Fatalf("stdin verdicts after dry run %s", got)
	}
	var st scanner.Status
	if err := json.Unmarshal([]byte(runCLI(t, "", "status", "--data-dir", g.dir)), &st); err != nil {
		t.Fatal(err)
	}
	if st.Checkins != 3 || st.Outbox != 3 || st.Tickets != 3 || st.Profile == nil || st.Profile.GateID != "north" {
		t.Fatalf("status = %+v", st)
	}
}

func TestImportRefusesTamperedAndUntrusted(t *testing.T) {
	g := newTestGate(t, 2)
	data, err := os.ReadFile(g.bundle)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(data, []byte(`"mode":"signed"`), []byte(`"mode":"listed"`), 1)
	if bytes.Equal(tampered, data) {
		t.Fatal("test bundle has no mode field to tamper with")
	}
	path := filepath.Join(t.TempDir(), "tampered.json")
	os.WriteFile(path, tampered, 0o600)
	out, err := runCLIErr("", "import", "--data-dir", g.dir, path)
	if err == nil || !strings.Contains(err.Error(), "signature does not match") {
		t.Fatalf("tampered bundle imported: %v %s", err, out)
	}

	stranger, _ := ticketcrypto.GeneratePrivateKey()
	var buf bytes.Buffer
	g.payload.CreatedAt = g.payload.CreatedAt.Add(1)
	if err := bundle.Write(&buf, g.payload, stranger, nil, ticketcrypto.KDFParams{}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, buf.Bytes(), 0o600)
	if _, err := runCLIErr("", "import", "--data-dir", g.dir, path); err == nil || !strings.Contains(err.Error(), "not trusted") {
		t.Fatalf("bundle from an untrusted signer: %v", err)
	}
	// The store is as it was: still the original profile and tickets.
	var st scanner.Status
	json.Unmarshal([]byte(runCLI(t, "", "status", "--data-dir", g.dir)), &st)
	if st.Profile == nil || st.Profile.Mode != bundle.ModeSigned || st.Tickets != 2 {
		t.Fatalf("status after refused imports = %+v", st)
	}
}

func TestImportNeedsTrust(t *testing.T) {
	g := newTestGate(t, 1)
	dir := filepath.Join(t.TempDir(), "fresh")
	if _, err := runCLIErr("", "import", "--data-dir", dir, g.bundle); err == nil || !strings.Contains(err.Error(), "init --trust") {
		t.Fatalf("import without trust: %v", err)
	}
	if _, err := runCLIErr("", "init", "--data-dir", dir, "--trust", "aopk_nope"); err == nil {
		t.Fatal("init accepted a bad key")
	}
}

func TestDemo(t *testing.T) {
	out := runCLI(t, "", "demo", "--data-dir", t.TempDir())
	for _, want := range []string{"accepted", "already_used", "revoked", "not_allowed_here", "not_yet_valid", "invalid_signature", "2 check-ins recorded"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}
