package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

// testGate is a gate data dir with an imported bundle of n tickets.
type testGate struct {
	dir     string
	key     ticketcrypto.PrivateKey
	event   ticketcrypto.EventID
	tokens  []ticketcrypto.SignedToken
	bundle  string
	payload *bundle.Payload
}

func newTestGate(t testing.TB, n int) *testGate {
	t.Helper()
	return newTestGateWith(t, n, nil)
}

// newTestGateWith is newTestGate with a change to the bundle before it
// is written and imported.
func newTestGateWith(t testing.TB, n int, change func(*bundle.Payload)) *testGate {
	t.Helper()
	key, err := ticketcrypto.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	g := &testGate{dir: filepath.Join(t.TempDir(), "gate"), key: key, event: ticketcrypto.NewEventID()}
	g.payload = &bundle.Payload{
		Format: bundle.Format, CreatedAt: time.Now().Add(-time.Minute), Event: g.event,
		Keyring:  []ticketcrypto.KeyringEntry{{Event: g.event, KeyID: key.ID(), PublicKey: key.Public()}},
		Profiles: []bundle.GateProfile{{GateID: "north", Event: g.event, Mode: bundle.ModeSigned, Direction: bundle.Entry}},
	}
	for range n {
		st, err := ticketcrypto.Sign(key, ticketcrypto.Token{Event: g.event, Ticket: ticketcrypto.NewTicketID(), TypeNumber: 1})
		if err != nil {
			t.Fatal(err)
		}
		g.tokens = append(g.tokens, st)
		g.payload.Tickets = append(g.payload.Tickets, bundle.Ticket{ID: st.Ticket, TypeNumber: 1})
	}
	if change != nil {
		change(g.payload)
	}
	var buf bytes.Buffer
	if err := bundle.Write(&buf, g.payload, key, nil, ticketcrypto.KDFParams{}); err != nil {
		t.Fatal(err)
	}
	g.bundle = filepath.Join(t.TempDir(), "bundle.json")
	if err := os.WriteFile(g.bundle, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "", "init", "--data-dir", g.dir, "--trust", key.Public().String())
	runCLI(t, "", "import", "--data-dir", g.dir, g.bundle)
	return g
}

// runCLI runs scannerd in-process and returns its standard output; it fails
// the test on error.
func runCLI(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	out, err := runCLIErr(stdin, args...)
	if err != nil {
		t.Fatalf("scannerd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func runCLIErr(stdin string, args ...string) (string, error) {
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err != nil {
		return out.String() + errOut.String(), err
	}
	return out.String(), nil
}
