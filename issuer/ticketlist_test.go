package issuer

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

func TestTicketListRoundTrip(t *testing.T) {
	f, ev := newTestKeyFile(t)
	tokens, err := Issue(f.Key, ev, 3, 4, IssueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rot, err := Issue(f.Key, ev, 4, 2, IssueOptions{Rotating: true})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := AppendTicketList(&buf, tokens); err != nil {
		t.Fatal(err)
	}
	if err := AppendTicketList(&buf, rot); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("\n") // empty lines are skipped
	if lines := strings.Count(buf.String(), "\n"); lines != 7 {
		t.Fatalf("%d lines written, want 6 and an empty one", lines)
	}
	first := strings.SplitN(buf.String(), "\n", 2)[0]
	want := `{"id":"` + tokens[0].Ticket.String() + `","type":3,"token":"` + tokens[0].Text() + `"}`
	if first != want {
		t.Errorf("first line\n%s\nwant\n%s", first, want)
	}
	list, err := ReadTicketList(&buf, ev, f.Key.ID())
	if err != nil {
		t.Fatal(err)
	}
	all := append(tokens, rot...)
	if len(list.Tickets) != len(all) || list.Rotating != 2 {
		t.Fatalf("read %d tickets, %d rotating; want %d, 2", len(list.Tickets), list.Rotating, len(all))
	}
	for i, st := range all {
		if list.Tickets[i].ID != st.Ticket || list.Tickets[i].TypeNumber != st.TypeNumber || list.Tickets[i].Code != "" {
			t.Errorf("ticket %d = %+v, want %s type %d", i, list.Tickets[i], st.Ticket, st.TypeNumber)
		}
	}
}

// TestTicketListHolder: an organizer may add a holder's name to a line.
func TestTicketListHolder(t *testing.T) {
	f, ev := newTestKeyFile(t)
	tokens, err := Issue(f.Key, ev, 1, 2, IssueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	line := func(i int, holder string) string {
		b, _ := json.Marshal(TicketLine{ID: tokens[i].Ticket, TypeNumber: 1, Token: tokens[i].Text(), Holder: holder})
		return string(b) + "\n"
	}
	list, err := ReadTicketList(strings.NewReader(line(0, "Ada Lovelace")+line(1, "")), ev, f.Key.ID())
	if err != nil {
		t.Fatal(err)
	}
	if list.Tickets[0].Holder != "Ada Lovelace" || list.Tickets[1].Holder != "" {
		t.Fatalf("holders %+v", list.Tickets)
	}
	for _, bad := range []string{strings.Repeat("x", bundle.MaxNameLen+1), "Ada\nL", " Ada"} {
		if _, err := ReadTicketList(strings.NewReader(line(0, bad)), ev, f.Key.ID()); err == nil || !strings.Contains(err.Error(), "line 1: ticket") {
			t.Errorf("holder %q: %v", bad, err)
		}
	}
}

func TestReadTicketListRefuses(t *testing.T) {
	f, ev := newTestKeyFile(t)
	tokens, err := Issue(f.Key, ev, 1, 2, IssueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ticketcrypto.GeneratePrivateKey()
	foreignKey, err := Issue(other, ev, 1, 1, IssueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	otherEvent, err := Issue(f.Key, ticketcrypto.NewEventID(), 1, 1, IssueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rot, err := Issue(f.Key, ev, 1, 1, IssueOptions{Rotating: true})
	if err != nil {
		t.Fatal(err)
	}
	line := func(st ticketcrypto.SignedToken) string {
		var b bytes.Buffer
		AppendTicketList(&b, []ticketcrypto.SignedToken{st})
		return b.String()
	}
	good := line(tokens[0])
	for name, tc := range map[string]struct{ second, want string }{
		"duplicate":      {good, "line 2: ticket " + tokens[0].Ticket.String() + " is already on line 1"},
		"other key":      {line(foreignKey[0]), "line 2: ticket " + foreignKey[0].Ticket.String() + " is signed by key"},
		"other event":    {line(otherEvent[0]), "line 2: ticket " + otherEvent[0].Ticket.String() + " is for event"},
		"id mismatch":    {strings.Replace(line(tokens[1]), tokens[1].Ticket.String(), tokens[0].Ticket.String(), 1), "line 2: ticket " + tokens[0].Ticket.String() + ": token is for ticket"},
		"type mismatch":  {strings.Replace(line(tokens[1]), `"type":1`, `"type":2`, 1), "line 2: ticket " + tokens[1].Ticket.String() + ": type 2, but its token says 1"},
		"bad token":      {strings.Replace(line(tokens[1]), "AT1:", "AT1:A", 1), "line 2: ticket " + tokens[1].Ticket.String() + ": token"},
		"rotating form":  {strings.Replace(line(rot[0]), `"}`, `123456"}`, 1), "line 2: ticket " + rot[0].Ticket.String() + ": token carries a rotating code"},
		"unknown field":  {strings.Replace(line(tokens[1]), `{"id"`, `{"seat":"A1","id"`, 1), `line 2: not a ticket line: json: unknown field "seat"`},
		"not JSON":       {"tk_" + "\n", "line 2: not a ticket line: not valid JSON"},
		"trailing data":  {strings.TrimSuffix(line(tokens[1]), "\n") + " {}\n", "line 2: not a ticket line: trailing data"},
		"no id":          {`{"type":1,"token":"` + tokens[1].Text() + `"}` + "\n", "line 2: id is missing"},
		"type too large": {strings.Replace(line(tokens[1]), `"type":1`, `"type":70000`, 1), "line 2: not a ticket line"},
		"very long line": {strings.Repeat("x", maxLineLen+1) + "\n", "line 2: longer than"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadTicketList(strings.NewReader(good+tc.second), ev, f.Key.ID())
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}
