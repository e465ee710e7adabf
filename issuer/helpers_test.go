package issuer

import (
	"bytes"
	"testing"
	"time"

	ticketcrypto "github.com/admitone/admitone/crypto"
)

// fastKDF makes sealing instant in tests.
var fastKDF = ticketcrypto.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

var testNow = time.Date(2026, 6, 1, 18, 0, 15, 0, time.UTC)

// newTestKeyFile returns a key file with fast KDF parameters and one event.
func newTestKeyFile(t testing.TB) (*KeyFile, ticketcrypto.EventID) {
	t.Helper()
	f, err := NewKeyFile()
	if err != nil {
		t.Fatal(err)
	}
	f.KDF = fastKDF
	ev := ticketcrypto.NewEventID()
	if _, err := f.AddEvent(ev, "Test night", testNow); err != nil {
		t.Fatal(err)
	}
	return f, ev
}

// issueList issues n tickets and reads them back as a ticket list.
func issueList(t testing.TB, f *KeyFile, ev ticketcrypto.EventID, n int, opts IssueOptions) ([]ticketcrypto.SignedToken, TicketList) {
	t.Helper()
	tokens, err := Issue(f.Key, ev, 1, n, opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := AppendTicketList(&buf, tokens); err != nil {
		t.Fatal(err)
	}
	list, err := ReadTicketList(&buf, ev, f.Key.ID())
	if err != nil {
		t.Fatal(err)
	}
	return tokens, list
}
