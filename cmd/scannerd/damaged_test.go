package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/admitone/admitone/scanner"
)

// TestRunRefusesDamagedStore: a gate.db whose records are damaged makes
// `scannerd run` (and scan) exit with an error that says how to recover,
// after saving the outbox next to it.
func TestRunRefusesDamagedStore(t *testing.T) {
	g := newTestGate(t, 4)
	damageStore(t, g)

	for _, args := range [][]string{{"run", "--data-dir", g.dir, "--source", "lines:-", "--listen", ""}, {"scan", "--data-dir", g.dir, "-"}} {
		out, err := runCLIErr(g.tokens[3].Text()+"\n", args...)
		if err == nil {
			t.Fatalf("scannerd %s on a damaged store: no error\n%s", args[0], out)
		}
		msg := err.Error()
		for _, want := range []string{"is damaged", "will not scan", "scannerd enroll", "scannerd import", "3 check-ins", "outbox-export-"} {
			if !strings.Contains(msg, want) {
				t.Errorf("scannerd %s: message lacks %q:\n%s", args[0], want, msg)
			}
		}
		if strings.Contains(out, `"verdict"`) {
			t.Errorf("scannerd %s scanned with a damaged store:\n%s", args[0], out)
		}
	}
	exports, _ := filepath.Glob(filepath.Join(g.dir, "outbox-export-*.jsonl"))
	if len(exports) == 0 {
		t.Fatal("no outbox export written")
	}
	got, _ := os.ReadFile(exports[0])
	for _, tk := range g.tokens[:3] {
		if !bytes.Contains(got, []byte(tk.Ticket.String())) {
			t.Errorf("export lacks the check-in of %s:\n%s", tk.Ticket, got)
		}
	}
	if n := bytes.Count(got, []byte("\n")); n != 3 {
		t.Errorf("export has %d lines, want 3", n)
	}
}

// damageStore scans tickets 0 to 2 at g, then damages their state
// records in gate.db (every copy: old ones linger in free pages), as
// flipped bits in their page would.
func damageStore(t *testing.T, g *testGate) {
	t.Helper()
	runCLI(t, g.tokens[0].Text()+"\n"+g.tokens[1].Text()+"\n"+g.tokens[2].Text()+"\n", "scan", "--data-dir", g.dir, "-")
	db := filepath.Join(g.dir, scanner.StoreFile)
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(`{"uses":1`)) {
		t.Fatal("no state record found in gate.db")
	}
	raw = bytes.ReplaceAll(raw, []byte(`{"uses":1`), []byte(`{"uses":#`))
	if err := os.WriteFile(db, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}
