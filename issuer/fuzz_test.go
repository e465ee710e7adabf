package issuer

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

// FuzzParseRevocations checks that the revocation list parser never panics
// and that what it accepts is well formed and reads back the same when
// written out again.
func FuzzParseRevocations(f *testing.F) {
	a := "tk_00112233445566778899aabb"
	f.Add(a + " refunded\n")
	f.Add("# comment\n\n" + a + "\ttransfer\r\ntk_ffeeddccbbaa998877665544\n")
	f.Add("\uFEFF" + a)
	f.Add(a + "\n" + a + "\n")
	f.Add("tk_0011 x\n")
	f.Fuzz(func(t *testing.T, in string) {
		revs, err := ParseRevocations(strings.NewReader(in), testNow)
		if err != nil {
			return
		}
		var out strings.Builder
		seen := make(map[ticketcrypto.TicketID]bool)
		for _, r := range revs {
			if r.Ticket.IsZero() || !strings.Contains(in, r.Ticket.String()) {
				t.Fatalf("ticket %s was not in the input", r.Ticket)
			}
			if seen[r.Ticket] {
				t.Fatalf("ticket %s accepted twice", r.Ticket)
			}
			seen[r.Ticket] = true
			if validateReason(r.Reason) != nil || strings.TrimSpace(r.Reason) != r.Reason {
				t.Fatalf("reason %q accepted", r.Reason)
			}
			out.WriteString(r.Ticket.String() + " " + r.Reason + "\n")
		}
		again, err := ParseRevocations(strings.NewReader(out.String()), testNow)
		if err != nil {
			t.Fatalf("written back, the list is refused: %v\n%q", err, out.String())
		}
		if len(again) != len(revs) {
			t.Fatalf("round trip: %d revocations, then %d", len(revs), len(again))
		}
		for i := range revs {
			if again[i] != revs[i] {
				t.Fatalf("round trip: %+v became %+v", revs[i], again[i])
			}
		}
	})
}

// FuzzParseListedCodes checks that the CSV parser never panics and that
// what it accepts is valid and reads back the same from csv.Writer output.
func FuzzParseListedCodes(f *testing.F) {
	f.Add("code,type\n4006381333931,2\n")
	f.Add("\"EXT,42\",3\r\nABC,0\n")
	f.Add("AT1:X,1\n")
	f.Add("a,1\na,2\n")
	f.Add("\"a\"\"b\",7\n")
	f.Add("code,type,holder\nA,1,Ada Lovelace\nB,2,\n")
	f.Fuzz(func(t *testing.T, in string) {
		codes, err := ParseListedCodes(strings.NewReader(in))
		if err != nil {
			return
		}
		holders := slices.ContainsFunc(codes, func(c ListedCode) bool { return c.Holder != "" })
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		seen := make(map[string]bool)
		for _, c := range codes {
			if err := validateCode(c.Code); err != nil {
				t.Fatalf("code %q accepted: %v", c.Code, err)
			}
			if seen[c.Code] {
				t.Fatalf("code %q accepted twice", c.Code)
			}
			seen[c.Code] = true
			if bundle.ClipName(c.Holder) != c.Holder {
				t.Fatalf("holder %q accepted", c.Holder)
			}
			rec := []string{c.Code, strconv.Itoa(int(c.TypeNumber))}
			if holders {
				rec = append(rec, c.Holder)
			}
			w.Write(rec)
		}
		w.Flush()
		again, err := ParseListedCodes(&buf)
		if err != nil {
			t.Fatalf("written back, the codes are refused: %v\n%q", err, buf.String())
		}
		if len(again) != len(codes) {
			t.Fatalf("round trip: %d codes, then %d", len(codes), len(again))
		}
		for i := range codes {
			if again[i] != codes[i] {
				t.Fatalf("round trip: %+v became %+v", codes[i], again[i])
			}
		}
	})
}

// FuzzParsePlaintext checks that the key file plaintext parser never
// panics and that what it accepts marshals and parses back the same.
func FuzzParsePlaintext(f *testing.F) {
	kf, _ := newTestKeyFile(f)
	good, err := kf.MarshalPlaintext()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format":"admitone-issuer-v1","issuer_key":"` + kf.Key.Secret() + `","events":null}`))
	f.Add([]byte(`{"format":"admitone-issuer-v1"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		kf, err := ParsePlaintext(in)
		if err != nil {
			return
		}
		out, err := kf.MarshalPlaintext()
		if err != nil {
			t.Fatalf("accepted key file does not marshal: %v", err)
		}
		again, err := ParsePlaintext(out)
		if err != nil {
			t.Fatalf("marshalled key file is refused: %v", err)
		}
		if again.Key.Secret() != kf.Key.Secret() || len(again.Events) != len(kf.Events) {
			t.Fatal("round trip changed the key file")
		}
		for i, e := range kf.Events {
			g := again.Events[i]
			if g.ID != e.ID || g.Name != e.Name || g.RotationKey.Secret() != e.RotationKey.Secret() || !g.CreatedAt.Equal(e.CreatedAt) {
				t.Fatalf("round trip: event %+v became %+v", e, g)
			}
		}
	})
}

// FuzzReadTicketList checks that the ticket list reader never panics and
// that what it accepts holds unique, non-zero ids.
func FuzzReadTicketList(f *testing.F) {
	kf, ev := newTestKeyFile(f)
	tokens, err := Issue(kf.Key, ev, 1, 2, IssueOptions{})
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	AppendTicketList(&buf, tokens)
	f.Add(buf.String())
	f.Add(`{"id":"tk_00112233445566778899aabb","type":1,"token":"AT1:"}`)
	f.Add("\n\n{}\n")
	f.Add(`{"id":"tk_00112233445566778899aabb","type":1,"token":"AT1:","holder":"Ada"}`)
	f.Fuzz(func(t *testing.T, in string) {
		list, err := ReadTicketList(strings.NewReader(in), ev, kf.Key.ID())
		if err != nil {
			return
		}
		seen := make(map[ticketcrypto.TicketID]bool)
		for _, tk := range list.Tickets {
			if tk.ID.IsZero() || seen[tk.ID] || tk.Code != "" || bundle.ClipName(tk.Holder) != tk.Holder {
				t.Fatalf("ticket %+v accepted", tk)
			}
			seen[tk.ID] = true
		}
		if list.Rotating > len(list.Tickets) {
			t.Fatalf("%d rotating of %d tickets", list.Rotating, len(list.Tickets))
		}
	})
}
