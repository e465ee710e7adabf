package issuer

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

func TestBuildPayload(t *testing.T) {
	f, ev := newTestKeyFile(t)
	tokens, list := issueList(t, f, ev, 5, IssueOptions{})
	revs, err := ParseRevocations(strings.NewReader(tokens[0].Ticket.String()+" refunded\n"), testNow)
	if err != nil {
		t.Fatal(err)
	}
	p, err := BuildPayload(f, ExportOptions{
		Event:        ev,
		Gates:        []Gate{{ID: "north", Direction: bundle.Entry}, {ID: "south", Direction: bundle.Exit}},
		Types:        []uint16{1, 2},
		AllowReentry: true,
		Tickets:      list,
		Revocations:  revs,
		Now:          testNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("payload does not validate: %v", err)
	}
	if p.Event != ev || p.EventName != "Test night" || !p.CreatedAt.Equal(testNow) || len(p.Tickets) != 5 || len(p.RotationKeys) != 0 {
		t.Fatalf("payload = %+v", p)
	}
	if len(p.Revocations) != 1 || p.Revocations[0].Ticket != tokens[0].Ticket || p.Revocations[0].Reason != "refunded" {
		t.Errorf("revocations = %+v", p.Revocations)
	}
	south, err := p.Profile("south")
	if err != nil {
		t.Fatal(err)
	}
	want := bundle.GateProfile{GateID: "south", Event: ev, EventName: "Test night", Mode: bundle.ModeSigned, Direction: bundle.Exit, AllowReentry: true, Types: []uint16{1, 2}}
	if south.GateID != want.GateID || south.Event != want.Event || south.EventName != want.EventName || south.Mode != want.Mode ||
		south.Direction != want.Direction || !south.AllowReentry || !slices.Equal(south.Types, want.Types) {
		t.Errorf("profile south = %+v, want %+v", south, want)
	}
	kr, err := p.BuildKeyring()
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range tokens {
		if _, err := kr.Verify(st.Text(), testNow); err != nil {
			t.Fatalf("bundle keyring refuses a ticket: %v", err)
		}
	}

	// The payload goes through bundle.Write and Read unchanged.
	var buf bytes.Buffer
	if err := bundle.Write(&buf, p, f.Key, nil, fastKDF); err != nil {
		t.Fatal(err)
	}
	got, _, err := bundle.Read(buf.Bytes(), []ticketcrypto.PublicKey{f.Key.Public()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tickets) != 5 || len(got.Profiles) != 2 {
		t.Errorf("read back %d tickets, %d profiles", len(got.Tickets), len(got.Profiles))
	}
}

func TestBuildPayloadListed(t *testing.T) {
	f, ev := newTestKeyFile(t)
	_, list := issueList(t, f, ev, 2, IssueOptions{})
	codes, err := ParseListedCodes(strings.NewReader("code,type\n4006381333931,2\n\"EXT,42\",3\n"))
	if err != nil {
		t.Fatal(err)
	}
	opts := ExportOptions{Event: ev, Gates: []Gate{{ID: "north", Direction: bundle.Entry}}, Mode: bundle.ModeListed, Tickets: list, Listed: codes}
	p, err := BuildPayload(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Tickets) != 4 {
		t.Fatalf("%d tickets, want 2 AdmitOne and 2 foreign", len(p.Tickets))
	}
	foreign := p.Tickets[2:]
	for i, c := range codes {
		got := foreign[i]
		if got.Code != c.Code || got.TypeNumber != c.TypeNumber || got.ID.IsZero() || got.ID != ForeignTicketID(ev, c.Code) {
			t.Errorf("foreign ticket %d = %+v, want code %q type %d with its id", i, got, c.Code, c.TypeNumber)
		}
	}
	if foreign[0].ID == foreign[1].ID || foreign[0].ID == p.Tickets[0].ID {
		t.Error("foreign codes share an id")
	}
	// A second export gives the same ids, so gates keep their check-ins.
	again, err := BuildPayload(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.Tickets[2].ID != foreign[0].ID || again.Tickets[3].ID != foreign[1].ID {
		t.Error("foreign ticket ids changed between exports")
	}
	if ForeignTicketID(ticketcrypto.NewEventID(), codes[0].Code) == foreign[0].ID {
		t.Error("a code has the same id in another event")
	}

	opts.Mode = bundle.ModeSigned
	if _, err := BuildPayload(f, opts); err == nil || !strings.Contains(err.Error(), "listed") {
		t.Errorf("foreign codes in signed mode: %v", err)
	}
	if _, err := BuildPayload(f, ExportOptions{Event: ev, Gates: opts.Gates, Mode: bundle.ModeListed}); err == nil {
		t.Error("listed mode with no tickets accepted")
	}
}

func TestBuildPayloadRotationKey(t *testing.T) {
	f, ev := newTestKeyFile(t)
	tokens, list := issueList(t, f, ev, 3, IssueOptions{Rotating: true})
	if list.Rotating != 3 {
		t.Fatalf("list has %d rotating tickets, want 3", list.Rotating)
	}
	gates := []Gate{{ID: "north", Direction: bundle.Entry}}
	_, err := BuildPayload(f, ExportOptions{Event: ev, Gates: gates, Tickets: list})
	if !errors.Is(err, ErrNeedsRotationKey) {
		t.Fatalf("rotating tickets without the rotation key: %v, want ErrNeedsRotationKey", err)
	}
	p, err := BuildPayload(f, ExportOptions{Event: ev, Gates: gates, Tickets: list, IncludeRotationKey: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.RotationKeys) != 1 || p.RotationKeys[0].Key != f.Events[0].RotationKey.Secret() {
		t.Fatalf("rotation keys = %d", len(p.RotationKeys))
	}
	var buf bytes.Buffer
	if err := bundle.Write(&buf, p, f.Key, nil, fastKDF); err == nil {
		t.Fatal("bundle.Write wrote a rotation key in clear")
	}
	kr, err := p.BuildKeyring()
	if err != nil {
		t.Fatal(err)
	}
	code := f.Events[0].RotationKey.Code(ev, tokens[0].Ticket, testNow)
	if _, err := kr.Verify(tokens[0].TextWithCode(code), testNow); err != nil {
		t.Fatalf("rotating code with the bundle's keyring: %v", err)
	}
	// An event the key file does not know has no rotation key.
	if _, err := BuildPayload(f, ExportOptions{Event: ticketcrypto.NewEventID(), Gates: gates, IncludeRotationKey: true}); err == nil {
		t.Error("rotation key of an unknown event included")
	}
}

func TestBuildPayloadRefuses(t *testing.T) {
	f, ev := newTestKeyFile(t)
	north := Gate{ID: "north", Direction: bundle.Entry}
	for name, opts := range map[string]ExportOptions{
		"no event":       {Gates: []Gate{north}},
		"no gates":       {Event: ev},
		"duplicate gate": {Event: ev, Gates: []Gate{north, north}},
		"bad mode":       {Event: ev, Gates: []Gate{north}, Mode: "open"},
	} {
		if _, err := BuildPayload(f, opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseGate(t *testing.T) {
	for in, want := range map[string]Gate{
		"north":       {ID: "north", Direction: bundle.Entry},
		"north:entry": {ID: "north", Direction: bundle.Entry},
		"hall-2:exit": {ID: "hall-2", Direction: bundle.Exit},
		"foyer:both":  {ID: "foyer", Direction: bundle.Both},
	} {
		got, err := ParseGate(in)
		if err != nil || got != want {
			t.Errorf("ParseGate(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", ":entry", "north:sideways", "north:", "north gate", strings.Repeat("g", 65), "a:exit:exit"} {
		if got, err := ParseGate(in); err == nil {
			t.Errorf("ParseGate(%q) = %+v, want an error", in, got)
		}
	}
}

func TestParseTypeName(t *testing.T) {
	for in, want := range map[string]bundle.TicketType{
		"1=Standing":          {Number: 1, Name: "Standing"},
		" 2 = Balkon – Sitz ": {Number: 2, Name: "Balkon – Sitz"},
		"0=A=B":               {Number: 0, Name: "A=B"},
	} {
		if got, err := ParseTypeName(in); err != nil || got != want {
			t.Errorf("ParseTypeName(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "Standing", "x=Standing", "65536=A", "1=", "1=  ", "1=a\tb", "1=" + strings.Repeat("x", bundle.MaxNameLen+1)} {
		if got, err := ParseTypeName(in); err == nil {
			t.Errorf("ParseTypeName(%q) = %+v, want an error", in, got)
		}
	}
}

func TestParseTypes(t *testing.T) {
	got, err := ParseTypes("1, 2,65535,0")
	if err != nil || !slices.Equal(got, []uint16{1, 2, 65535, 0}) {
		t.Errorf("ParseTypes = %v, %v", got, err)
	}
	for _, in := range []string{"", "1,", "a", "65536", "-1", "1,1"} {
		if got, err := ParseTypes(in); err == nil {
			t.Errorf("ParseTypes(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseRevocations(t *testing.T) {
	a, b, c := ticketcrypto.NewTicketID(), ticketcrypto.NewTicketID(), ticketcrypto.NewTicketID()
	in := "\uFEFF# refunds of 1 June\r\n" +
		a.String() + "\r\n" +
		"\n" +
		"  " + b.String() + "   refunded by card  \n" +
		c.String() + "\tchargeback"
	got, err := ParseRevocations(strings.NewReader(in), testNow.In(time.FixedZone("CEST", 2*3600)))
	if err != nil {
		t.Fatal(err)
	}
	want := []bundle.Revocation{
		{Ticket: a, At: testNow},
		{Ticket: b, At: testNow, Reason: "refunded by card"},
		{Ticket: c, At: testNow, Reason: "chargeback"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d revocations, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Ticket != want[i].Ticket || got[i].Reason != want[i].Reason || !got[i].At.Equal(want[i].At) || got[i].At.Location() != time.UTC {
			t.Errorf("revocation %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	good := a.String() + " refunded\n"
	for name, tc := range map[string]struct{ text, want string }{
		"bad id":         {good + "# ok\n" + "tk_123 oops\n", "line 3: ticket id"},
		"event id":       {good + "ev_0011223344556677\n", "line 2: ticket id"},
		"zero id":        {good + "tk_000000000000000000000000\n", "line 2: ticket id tk_000000000000000000000000 is zero"},
		"upper hex":      {good + "\n" + strings.ToUpper(b.String()) + "\n", "line 3: ticket id"},
		"duplicate":      {good + b.String() + "\n" + a.String() + "\n", "line 3: ticket " + a.String() + " is already revoked on line 1"},
		"long reason":    {good + b.String() + " " + strings.Repeat("r", MaxReason+1) + "\n", "line 2: reason is"},
		"control":        {good + b.String() + " bad\x1b[31m\n", "line 2: reason contains a control character"},
		"invalid utf-8":  {good + b.String() + " \xff\n", "line 2: reason is not valid UTF-8"},
		"very long line": {good + strings.Repeat("x", maxLineLen+1), "line 2: longer than"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseRevocations(strings.NewReader(tc.text), testNow)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseListedCodes(t *testing.T) {
	in := "\uFEFFCode,Type\r\n4006381333931,2\r\n\"EXT,42\", 3\r\n\r\nÄ-ticket-9,0\r\n"
	got, err := ParseListedCodes(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []ListedCode{{Code: "4006381333931", TypeNumber: 2}, {Code: "EXT,42", TypeNumber: 3}, {Code: "Ä-ticket-9"}}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// A third column is the holder's name.
	got, err = ParseListedCodes(strings.NewReader("code,type,holder\n4006381333931,2, Ada Lovelace\nX,1,\n"))
	want = []ListedCode{{Code: "4006381333931", TypeNumber: 2, Holder: "Ada Lovelace"}, {Code: "X", TypeNumber: 1}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("with holders: %+v, %v; want %+v", got, err, want)
	}
	// Without a header the first line is a code.
	got, err = ParseListedCodes(strings.NewReader("4006381333931,2\n"))
	if err != nil || len(got) != 1 {
		t.Errorf("no header: %+v, %v", got, err)
	}

	good := "code,type\n4006381333931,2\n"
	for name, tc := range map[string]struct{ text, want string }{
		"one field":      {good + "ABC\n", "line 3: wrong number of fields"},
		"three fields":   {good + "ABC,1,2\n", "line 3: wrong number of fields"},
		"bad type":       {good + "\n" + "ABC,one\n", `line 4: type "one" is not a number`},
		"type too large": {good + "ABC,65536\n", "line 3: type"},
		"empty code":     {good + ",1\n", "line 3: code is empty"},
		"spaces":         {good + " ABC,1\n", "line 3: code \" ABC\" has leading or trailing space"},
		"control":        {good + "\"A\tB\",1\n", "line 3: code \"A\\tB\" contains a control character"},
		"token":          {good + "AT1:ABC,1\n", "line 3: code \"AT1:ABC\" starts like an AdmitOne ticket token"},
		"long code":      {good + strings.Repeat("9", bundle.MaxCodeLen+1) + ",1\n", "line 3: code is"},
		"duplicate":      {good + "X,1\n4006381333931,3\n", `line 4: code "4006381333931" is already on line 2`},
		"bad quote":      {good + "\"ABC,1\n", "line 3:"},
		"invalid utf-8":  {good + "\xff\xfe,1\n", "line 3: code is not valid UTF-8"},
		"four columns":   {"a,1,b,c\n", "line 1: 4 columns"},
		"long holder":    {"code,type,holder\nA,1," + strings.Repeat("x", bundle.MaxNameLen+1) + "\n", "line 2: holder"},
		"control holder": {"A,1,\"Ada\nL\"\n", "line 1: holder"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseListedCodes(strings.NewReader(tc.text))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}
