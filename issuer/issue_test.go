package issuer

import (
	"errors"
	"testing"
	"time"

	ticketcrypto "github.com/admitone/admitone/crypto"
)

func TestIssue(t *testing.T) {
	f, ev := newTestKeyFile(t)
	const n = 200
	tokens, err := Issue(f.Key, ev, 7, n, IssueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != n {
		t.Fatalf("%d tokens, want %d", len(tokens), n)
	}
	kr, err := f.Keyring()
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[ticketcrypto.TicketID]bool)
	for i, st := range tokens {
		if st.Ticket.IsZero() || seen[st.Ticket] {
			t.Fatalf("token %d: ticket id %s is zero or repeated", i, st.Ticket)
		}
		seen[st.Ticket] = true
		sc, err := kr.Verify(st.Text(), testNow)
		if err != nil {
			t.Fatalf("token %d does not verify with the key file's keyring: %v", i, err)
		}
		if sc.Event != ev || sc.TypeNumber != 7 || sc.KeyID != f.Key.ID() || sc.Rotating() || !sc.ValidFrom.IsZero() || !sc.ValidUntil.IsZero() {
			t.Fatalf("token %d = %+v", i, sc.Token)
		}
	}
}

func TestIssueValidityAndRotating(t *testing.T) {
	f, ev := newTestKeyFile(t)
	from := time.Date(2026, 6, 1, 17, 0, 0, 0, time.UTC)
	until := time.Date(2026, 6, 2, 2, 0, 0, 0, time.UTC)
	tokens, err := Issue(f.Key, ev, 2, 3, IssueOptions{ValidFrom: from, ValidUntil: until, Rotating: true})
	if err != nil {
		t.Fatal(err)
	}
	kr, err := f.Keyring()
	if err != nil {
		t.Fatal(err)
	}
	rk := f.Events[0].RotationKey
	for i, st := range tokens {
		if !st.ValidFrom.Equal(from) || !st.ValidUntil.Equal(until) || !st.Rotating() {
			t.Fatalf("token %d: from %v until %v rotating %v", i, st.ValidFrom, st.ValidUntil, st.Rotating())
		}
		if _, err := kr.Verify(st.Text(), testNow); !errors.Is(err, ticketcrypto.ErrCodeExpired) {
			t.Errorf("token %d: static form of a rotating ticket: %v, want ErrCodeExpired", i, err)
		}
		code := rk.Code(ev, st.Ticket, testNow)
		sc, err := kr.Verify(st.TextWithCode(code), testNow)
		if err != nil {
			t.Fatalf("token %d with its current code: %v", i, err)
		}
		if !sc.ValidFrom.Equal(from) || !sc.ValidUntil.Equal(until) {
			t.Errorf("token %d read back with window %v..%v", i, sc.ValidFrom, sc.ValidUntil)
		}
	}
}

func TestIssueRefuses(t *testing.T) {
	f, ev := newTestKeyFile(t)
	at := time.Date(2026, 6, 1, 17, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		key   ticketcrypto.PrivateKey
		ev    ticketcrypto.EventID
		count int
		opts  IssueOptions
	}{
		"zero count":      {f.Key, ev, 0, IssueOptions{}},
		"negative count":  {f.Key, ev, -1, IssueOptions{}},
		"too many":        {f.Key, ev, MaxCount + 1, IssueOptions{}},
		"no event":        {f.Key, ticketcrypto.EventID{}, 1, IssueOptions{}},
		"no key":          {ticketcrypto.PrivateKey{}, ev, 1, IssueOptions{}},
		"window reversed": {f.Key, ev, 2, IssueOptions{ValidFrom: at, ValidUntil: at.Add(-time.Hour)}},
		"before epoch":    {f.Key, ev, 2, IssueOptions{ValidFrom: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}},
	} {
		t.Run(name, func(t *testing.T) {
			tokens, err := Issue(tc.key, tc.ev, 1, tc.count, tc.opts)
			if err == nil || tokens != nil {
				t.Fatalf("Issue = %d tokens, %v; want an error", len(tokens), err)
			}
		})
	}
}
