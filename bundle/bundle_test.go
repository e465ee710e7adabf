package bundle

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	ticketcrypto "github.com/admitone/admitone/crypto"
)

var fastKDF = ticketcrypto.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

func testPayload(t testing.TB, key ticketcrypto.PrivateKey, n int) *Payload {
	t.Helper()
	ev := ticketcrypto.EventID{0xe, 0xe}
	p := &Payload{
		Format: Format, CreatedAt: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC), Event: ev, EventName: "Test night",
		Keyring:  []ticketcrypto.KeyringEntry{{Event: ev, KeyID: key.ID(), PublicKey: key.Public()}},
		Profiles: []GateProfile{{GateID: "north", Event: ev, Mode: ModeSigned, Direction: Entry}, {GateID: "south", Event: ev, Mode: ModeListed, Direction: Exit, Types: []uint16{2}}},
	}
	for i := range n {
		var id ticketcrypto.TicketID
		id[0], id[1], id[11] = byte(i>>8), byte(i), 1
		p.Tickets = append(p.Tickets, Ticket{ID: id, TypeNumber: uint16(i % 3)})
	}
	p.Tickets = append(p.Tickets, Ticket{ID: ticketcrypto.TicketID{0xff}, TypeNumber: 2, Code: "4006381333931"})
	p.Revocations = []Revocation{{Ticket: p.Tickets[0].ID, At: p.CreatedAt, Reason: "refunded"}}
	return p
}

func fixedKey(t testing.TB) ticketcrypto.PrivateKey {
	t.Helper()
	k, err := ticketcrypto.ParsePrivateKey("aosk_" + strings.Repeat("A", 43))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestWriteRead(t *testing.T) {
	key := fixedKey(t)
	p := testPayload(t, key, 10)
	var buf bytes.Buffer
	if err := Write(&buf, p, key, nil, fastKDF); err != nil {
		t.Fatal(err)
	}
	got, signer, err := Read(buf.Bytes(), []ticketcrypto.PublicKey{key.Public()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !signer.Equal(key.Public()) || len(got.Tickets) != 11 || got.Tickets[10].Code != "4006381333931" || len(got.Revocations) != 1 {
		t.Fatalf("read back %+v", got)
	}
	south, err := got.Profile("south")
	if err != nil || south.Direction != Exit || south.AdmitsType(1) || !south.AdmitsType(2) {
		t.Fatalf("profile south = %+v, %v", south, err)
	}
	if _, err := got.Profile(""); err == nil || !strings.Contains(err.Error(), "north, south") {
		t.Fatalf("ambiguous profile: %v", err)
	}
	if _, err := got.Profile("west"); err == nil {
		t.Fatal("unknown gate accepted")
	}
}

func TestReadRefuses(t *testing.T) {
	key := fixedKey(t)
	other, _ := ticketcrypto.GeneratePrivateKey()
	var buf bytes.Buffer
	if err := Write(&buf, testPayload(t, key, 3), key, nil, fastKDF); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	trusted := []ticketcrypto.PublicKey{key.Public()}
	if _, _, err := Read(good, []ticketcrypto.PublicKey{other.Public()}, nil); !errors.Is(err, ErrUntrusted) {
		t.Errorf("untrusted signer: %v", err)
	}
	// Every byte of the file is covered: the header by its syntax, the
	// payload by the signature.
	for i := 0; i < len(good); i += 3 {
		bad := bytes.Clone(good)
		bad[i] ^= 0x20
		if _, _, err := Read(bad, trusted, nil); err == nil {
			t.Fatalf("byte %d flipped: bundle still read", i)
		}
	}
	for name, data := range map[string][]byte{
		"empty":          nil,
		"not a bundle":   []byte("hello\nworld\n"),
		"bad signer":     bytes.Replace(good, []byte("aopk_"), []byte("aopx_"), 1),
		"bad signature":  bytes.Replace(good, []byte("\n"+Format), []byte("\n"+Format), 1)[:len(good)-1],
		"trailing bytes": append(bytes.Clone(good), []byte(" {}")...),
	} {
		if _, _, err := Read(data, trusted, nil); err == nil {
			t.Errorf("%s: read without error", name)
		}
	}
}

func TestSealedBundle(t *testing.T) {
	key := fixedKey(t)
	p := testPayload(t, key, 2)
	rk, _ := ticketcrypto.GenerateRotationKey()
	p.RotationKeys = []RotationKey{{Event: p.Event, Key: rk.Secret()}}
	var buf bytes.Buffer
	if err := Write(&buf, p, key, nil, fastKDF); err == nil || !strings.Contains(err.Error(), "sealed") {
		t.Fatalf("rotation keys in clear: %v", err)
	}
	if err := Write(&buf, p, key, []byte("door-pass"), fastKDF); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte(rk.Secret())) || !IsSealed(buf.Bytes()) {
		t.Fatal("sealed bundle shows the rotation key")
	}
	trusted := []ticketcrypto.PublicKey{key.Public()}
	if _, _, err := Read(buf.Bytes(), trusted, nil); err == nil || !strings.Contains(err.Error(), "passphrase") {
		t.Fatalf("sealed without passphrase: %v", err)
	}
	if _, _, err := Read(buf.Bytes(), trusted, []byte("wrong")); !errors.Is(err, ticketcrypto.ErrOpen) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	got, _, err := Read(buf.Bytes(), trusted, []byte("door-pass"))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := got.BuildKeyring()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := kr.RotationKey(p.Event); !ok {
		t.Fatal("rotation key lost")
	}
}

func TestValidate(t *testing.T) {
	key := fixedKey(t)
	for name, mutate := range map[string]func(p *Payload){
		"format":             func(p *Payload) { p.Format = "v0" },
		"no event":           func(p *Payload) { p.Event = ticketcrypto.EventID{} },
		"no profiles":        func(p *Payload) { p.Profiles = nil },
		"bad mode":           func(p *Payload) { p.Profiles[0].Mode = "open" },
		"bad direction":      func(p *Payload) { p.Profiles[0].Direction = "sideways" },
		"gate id spaces":     func(p *Payload) { p.Profiles[0].GateID = "north gate" },
		"duplicate gate":     func(p *Payload) { p.Profiles[1].GateID = "north" },
		"profile other ev":   func(p *Payload) { p.Profiles[0].Event = ticketcrypto.EventID{1} },
		"duplicate ticket":   func(p *Payload) { p.Tickets[1].ID = p.Tickets[0].ID },
		"zero ticket":        func(p *Payload) { p.Tickets[0].ID = ticketcrypto.TicketID{} },
		"duplicate code":     func(p *Payload) { p.Tickets[0].Code = p.Tickets[len(p.Tickets)-1].Code },
		"long code":          func(p *Payload) { p.Tickets[0].Code = strings.Repeat("1", MaxCodeLen+1) },
		"key of other event": func(p *Payload) { p.Keyring[0].Event = ticketcrypto.EventID{1} },
		"key id mismatch":    func(p *Payload) { p.Keyring[0].KeyID = ticketcrypto.KeyID{} },
		"zero revocation":    func(p *Payload) { p.Revocations[0].Ticket = ticketcrypto.TicketID{} },
		"bad rotation key":   func(p *Payload) { p.RotationKeys = []RotationKey{{Event: p.Event, Key: "aork_x"}} },
		"duplicate type":     func(p *Payload) { p.TicketTypes = []TicketType{{1, "Standing"}, {1, "Seated"}} },
		"unnamed type":       func(p *Payload) { p.TicketTypes = []TicketType{{1, ""}} },
		"long type name":     func(p *Payload) { p.TicketTypes = []TicketType{{1, strings.Repeat("x", MaxNameLen+1)}} },
		"control in name":    func(p *Payload) { p.TicketTypes = []TicketType{{1, "Stand\ning"}} },
		"long holder":        func(p *Payload) { p.Tickets[0].Holder = strings.Repeat("x", MaxNameLen+1) },
		"holder not utf8":    func(p *Payload) { p.Tickets[0].Holder = "\xff" },
		"direction on scan":  func(p *Payload) { p.Profiles[0].Direction = "" },
	} {
		p := testPayload(t, key, 3)
		mutate(p)
		if err := p.Validate(); err == nil {
			t.Errorf("%s: Validate accepted it", name)
		}
	}
}

// TestNamesAndBoth: ticket type names, holders and a gate for both
// directions travel in the signed payload and come back; a bundle without
// them is byte for byte what it was before they existed, so a gate of any
// version reads it.
func TestNamesAndBoth(t *testing.T) {
	key := fixedKey(t)
	p := testPayload(t, key, 3)
	p.TicketTypes = []TicketType{{Number: 1, Name: "Standing"}, {Number: 2, Name: "Balkon – Sitzplatz"}}
	p.Tickets[1].Holder = "Ada Lovelace"
	p.Profiles[0].Direction = Both
	var buf bytes.Buffer
	if err := Write(&buf, p, key, nil, fastKDF); err != nil {
		t.Fatal(err)
	}
	got, _, err := Read(buf.Bytes(), []ticketcrypto.PublicKey{key.Public()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.TypeName(2) != "Balkon – Sitzplatz" || got.TypeName(1) != "Standing" || got.TypeName(0) != "" {
		t.Fatalf("type names %+v", got.TicketTypes)
	}
	if got.Tickets[1].Holder != "Ada Lovelace" || got.Tickets[0].Holder != "" || got.Profiles[0].Direction != Both {
		t.Fatalf("read back %+v, %+v", got.Tickets[:2], got.Profiles[0])
	}
	// The names are signed: changing one breaks the signature.
	bad := bytes.Replace(buf.Bytes(), []byte("Ada Lovelace"), []byte("Ada Lovelacf"), 1)
	if _, _, err := Read(bad, []ticketcrypto.PublicKey{key.Public()}, nil); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("altered holder: %v", err)
	}
	var plain bytes.Buffer
	if err := Write(&plain, testPayload(t, key, 3), key, nil, fastKDF); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"ticket_types", "holder", `"both"`} {
		if bytes.Contains(plain.Bytes(), []byte(field)) {
			t.Errorf("a bundle without names carries %s: an older gate would refuse it", field)
		}
	}
}

func TestDirectionAllows(t *testing.T) {
	for _, c := range []struct {
		gate, scan Direction
		want       bool
	}{
		{Entry, Entry, true}, {Entry, Exit, false}, {Exit, Exit, true}, {Exit, Entry, false},
		{Both, Entry, true}, {Both, Exit, true}, {Both, Both, false}, {Both, "", false},
	} {
		if got := c.gate.Allows(c.scan); got != c.want {
			t.Errorf("%s gate allows %q scan: %v, want %v", c.gate, c.scan, got, c.want)
		}
	}
}

func FuzzRead(f *testing.F) {
	key := fixedKey(f)
	var buf bytes.Buffer
	if err := Write(&buf, testPayload(f, key, 3), key, nil, fastKDF); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(Format + "\n" + key.Public().String() + "\nAAAA\n{}"))
	f.Add([]byte("admitone-sealed-v1\nargon2id t=1 m=64 p=1 salt=AAAAAAAAAAAAAAAAAAAAAA\nAAAA\n"))
	trusted := []ticketcrypto.PublicKey{key.Public()}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _, err := Read(data, trusted, []byte("pass"))
		if err == nil {
			if p.Validate() != nil {
				t.Fatal("Read returned a payload that does not validate")
			}
		}
	})
}

// FuzzPayload feeds arbitrary JSON as a correctly signed payload, so the
// fuzzer reaches the payload decoder and Validate behind the signature.
func FuzzPayload(f *testing.F) {
	key := fixedKey(f)
	var buf bytes.Buffer
	if err := Write(&buf, testPayload(f, key, 3), key, nil, fastKDF); err != nil {
		f.Fatal(err)
	}
	body := buf.Bytes()[bytes.IndexByte(buf.Bytes(), '{'):]
	f.Add(body)
	f.Add([]byte(`{"format":"admitone-bundle-v1","tickets":[{"id":"tk_00"}]}`))
	f.Add([]byte(`{"format":"admitone-bundle-v1","ticket_types":[{"number":1,"name":"Standing"}],"tickets":[{"id":"tk_00","holder":"A"}]}`))
	trusted := []ticketcrypto.PublicKey{key.Public()}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var file bytes.Buffer
		file.WriteString(Format + "\n" + key.Public().String() + "\n")
		file.WriteString(b64sig(key, payload) + "\n")
		file.Write(payload)
		p, _, err := Read(file.Bytes(), trusted, nil)
		if err == nil && p.Validate() != nil {
			t.Fatal("Read returned a payload that does not validate")
		}
	})
}

func TestClipName(t *testing.T) {
	long := strings.Repeat("ä", MaxNameLen) // 2 bytes each
	for in, want := range map[string]string{
		"Standing":     "Standing",
		"  Balkon\n":   "Balkon",
		"a\x00b\xffc":  "a b c",
		long:           strings.Repeat("ä", MaxNameLen/2),
		"x" + long[:9]: "x" + long[:8],
	} {
		got := ClipName(in)
		if got != want {
			t.Errorf("ClipName(%q) = %q, want %q", in, got, want)
		}
		if checkName(got) != nil {
			t.Errorf("ClipName(%q) = %q, which a bundle refuses", in, got)
		}
	}
}
