package crypto

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The token vectors in testdata/tokens pin the wire format, age-style: each
// file is a self-contained case with the keyring a verifier needs, the
// token text, and the expected result. Regenerate them with
//
//	go test ./crypto/ -run TestTokenVectors -update
//
// and review the diff: a changed good vector means a format change.
var update = flag.Bool("update", false, "rewrite testdata/tokens from the generator")

var vectorDir = filepath.Join("testdata", "tokens")

// vector is one file of testdata/tokens.
type vector struct {
	name        string // file name without .txt
	description string
	expect      string // ok, malformed, unknown_key, invalid_signature, code_expired
	now         time.Time

	// The keyring: one key trusted for one event, and optionally that
	// event's rotation key.
	publicKey    PublicKey
	keyEvent     EventID
	keyNotBefore time.Time
	keyNotAfter  time.Time
	rotationKey  RotationKey
	hasRotation  bool

	text string

	// The expected token, for expect: ok.
	token Token
}

func (v vector) keyring() (*Keyring, error) {
	var r Keyring
	err := r.Add(KeyringEntry{
		Event:     v.keyEvent,
		KeyID:     v.publicKey.ID(),
		PublicKey: v.publicKey,
		NotBefore: v.keyNotBefore,
		NotAfter:  v.keyNotAfter,
	})
	if v.hasRotation {
		r.SetRotationKey(v.keyEvent, v.rotationKey)
	}
	return &r, err
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format(time.RFC3339)
}

func parseTime(s string) (time.Time, error) {
	if s == "none" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339, s)
}

// marshal writes the file form. The text is Go-quoted because Base45 may
// end in a space and bad vectors may hold any byte.
func (v vector) marshal() []byte {
	var b bytes.Buffer
	line := func(k, val string) { fmt.Fprintf(&b, "%s: %s\n", k, val) }
	line("description", v.description)
	line("expect", v.expect)
	line("now", formatTime(v.now))
	line("public_key", v.publicKey.String())
	line("key_event", v.keyEvent.String())
	line("key_not_before", formatTime(v.keyNotBefore))
	line("key_not_after", formatTime(v.keyNotAfter))
	if v.hasRotation {
		line("rotation_key", v.rotationKey.Secret())
	}
	line("text", strconv.Quote(v.text))
	if v.expect == "ok" {
		line("event", v.token.Event.String())
		line("ticket", v.token.Ticket.String())
		line("type", strconv.Itoa(int(v.token.TypeNumber)))
		line("flags", strconv.Itoa(int(v.token.Flags)))
		line("valid_from", formatTime(v.token.ValidFrom))
		line("valid_until", formatTime(v.token.ValidUntil))
		line("kid", v.token.KeyID.String())
	}
	return b.Bytes()
}

// parseVector reads the file form. It refuses unknown or repeated fields and
// missing required ones, so the files cannot drift from what is checked.
func parseVector(data string) (vector, error) {
	var v vector
	seen := make(map[string]bool)
	for _, l := range strings.Split(strings.TrimSuffix(data, "\n"), "\n") {
		k, val, ok := strings.Cut(l, ": ")
		if !ok {
			return v, fmt.Errorf("line %q is not \"key: value\"", l)
		}
		if seen[k] {
			return v, fmt.Errorf("field %s repeated", k)
		}
		seen[k] = true
		var err error
		switch k {
		case "description":
			v.description = val
		case "expect":
			switch val {
			case "ok", "malformed", "unknown_key", "invalid_signature", "code_expired":
				v.expect = val
			default:
				err = fmt.Errorf("unknown result %q", val)
			}
		case "now":
			v.now, err = parseTime(val)
		case "public_key":
			v.publicKey, err = ParsePublicKey(val)
		case "key_event":
			v.keyEvent, err = ParseEventID(val)
		case "key_not_before":
			v.keyNotBefore, err = parseTime(val)
		case "key_not_after":
			v.keyNotAfter, err = parseTime(val)
		case "rotation_key":
			v.rotationKey, err = ParseRotationKey(val)
			v.hasRotation = true
		case "text":
			v.text, err = strconv.Unquote(val)
		case "event":
			v.token.Event, err = ParseEventID(val)
		case "ticket":
			v.token.Ticket, err = ParseTicketID(val)
		case "type":
			var n uint64
			n, err = strconv.ParseUint(val, 10, 16)
			v.token.TypeNumber = uint16(n)
		case "flags":
			var n uint64
			n, err = strconv.ParseUint(val, 10, 8)
			v.token.Flags = Flags(n)
		case "valid_from":
			v.token.ValidFrom, err = parseTime(val)
		case "valid_until":
			v.token.ValidUntil, err = parseTime(val)
		case "kid":
			v.token.KeyID, err = ParseKeyID(val)
		default:
			err = errors.New("unknown field")
		}
		if err != nil {
			return v, fmt.Errorf("field %s: %w", k, err)
		}
	}
	required := []string{"description", "expect", "now", "public_key", "key_event", "key_not_before", "key_not_after", "text"}
	if v.expect == "ok" {
		required = append(required, "event", "ticket", "type", "flags", "valid_from", "valid_until", "kid")
	}
	for _, k := range required {
		if !seen[k] {
			return v, fmt.Errorf("field %s missing", k)
		}
	}
	return v, nil
}

// generateVectors makes the vector set from fixed keys and ids.
func generateVectors(t testing.TB) []vector {
	t.Helper()
	key, other := testKey(t), testOtherKey(t)
	rk := mustRotationKey(t, testRotationSecret)
	base := vector{
		now:         testNow,
		publicKey:   key.Public(),
		keyEvent:    testEvent,
		rotationKey: rk,
		hasRotation: true,
	}
	var vs []vector
	add := func(name, expect, description, text string, edit func(*vector)) {
		v := base
		v.name, v.expect, v.description, v.text = name, expect, description, text
		if edit != nil {
			edit(&v)
		}
		vs = append(vs, v)
	}
	good := func(name, description string, tok Token, text func(SignedToken) string) {
		st := mustSign(t, key, tok)
		add(name, "ok", description, text(st), func(v *vector) { v.token = st.Token })
	}
	static := func(st SignedToken) string { return st.Text() }

	window := testToken()
	good("static_window", "static token with a validity window", window, static)

	unbounded := Token{Event: testEvent, Ticket: testOtherTick}
	good("static_unbounded", "static token, type 0, no validity window", unbounded, static)

	extremes := Token{
		Event: testEvent, Ticket: TicketID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		TypeNumber: 0xffff,
		ValidFrom:  validityEpoch.Add(time.Minute),
		ValidUntil: validityEpoch.Add(maxValidityMinutes * time.Minute),
	}
	good("static_extremes", "type 65535, the first and last representable validity minutes", extremes, static)

	rot := testToken()
	rot.Flags = FlagRotating
	good("rotating_current", "rotating token with the code of the current step", rot,
		func(st SignedToken) string { return st.TextWithCode(rk.Code(testEvent, testTicket, testNow)) })
	good("rotating_previous", "rotating token with the code of the previous step (clock skew)", rot,
		func(st SignedToken) string {
			return st.TextWithCode(rk.Code(testEvent, testTicket, testNow.Add(-RotatingStep)))
		})
	good("static_lowercase", "static token read with Caps Lock inverted: lower case is upper case", window,
		func(st SignedToken) string { return strings.ToLower(st.Text()) })

	st := mustSign(t, key, window)
	text := st.Text()
	raw := st.Bytes()
	body := raw[:TokenBodySize]
	withBody := func(f func(b []byte)) string {
		b := append([]byte(nil), body...)
		f(b)
		return textOf(signRaw(t, key, b))
	}

	add("prefix_wrong", "malformed", "prefix AT2: instead of AT1:", "AT2:"+text[4:], nil)
	add("prefix_missing", "malformed", "Base45 without the prefix", text[4:], nil)
	add("length_short", "malformed", "last character missing", text[:len(text)-1], nil)
	add("length_trailing_character", "malformed", "one character after the token", text+"0", nil)
	add("length_trailing_bytes", "malformed", "two bytes after body and signature", textOf(append(st.Bytes(), 0, 1)), nil)
	add("code_not_digits", "malformed", "rotating code with a letter", text+"12345A", nil)
	add("base45_character", "malformed", "a character outside the Base45 alphabet", text[:40]+"#"+text[41:], nil)
	add("base45_overflow", "malformed", "a Base45 group worth 65536", text[:4]+"GGW"+text[7:], nil)
	add("version_0", "malformed", "format version 0, correctly signed", withBody(func(b []byte) { b[0] = 0 }), nil)
	add("version_2", "malformed", "format version 2, correctly signed", withBody(func(b []byte) { b[0] = 2 }), nil)
	add("flags_unknown", "malformed", "flag bit 1 set, correctly signed", withBody(func(b []byte) { b[1] = 0x02 }), nil)
	add("window_reversed", "malformed", "valid_until before valid_from, correctly signed",
		withBody(func(b []byte) {
			var f, u [3]byte
			copy(f[:], b[26:29])
			copy(u[:], b[29:32])
			copy(b[26:29], u[:])
			copy(b[29:32], f[:])
		}), nil)

	add("key_unknown", "unknown_key", "signed by a key the keyring does not hold", mustSign(t, other, window).Text(), nil)
	add("key_other_event", "unknown_key", "the key is trusted for another event only", text,
		func(v *vector) { v.keyEvent = testOtherEvent })
	add("key_retired", "unknown_key", "the key was retired before now", text,
		func(v *vector) { v.keyNotAfter = testNow.Add(-time.Minute) })
	add("key_not_yet", "unknown_key", "the key is trusted only from after now", text,
		func(v *vector) { v.keyNotBefore = testNow.Add(time.Minute) })

	forged := append(append([]byte(nil), body...), other.Sign(tokenSignatureContext, body)...)
	add("signature_forged", "invalid_signature", "the body names the keyring's key; another key signed it", textOf(forged), nil)
	flipped := st.Bytes()
	flipped[TokenSize-1] ^= 0x01
	add("signature_flipped", "invalid_signature", "one bit of the signature flipped", textOf(flipped), nil)
	altered := st.Bytes()
	altered[25] ^= 0x01
	add("body_altered", "invalid_signature", "ticket type changed after signing", textOf(altered), nil)
	ctx := append(append([]byte(nil), body...), key.Sign("AdmitOne bundle v1", body)...)
	add("signature_context", "invalid_signature", "signed by the right key under another domain-separation context", textOf(ctx), nil)

	rst := mustSign(t, key, rot)
	add("rotating_no_code", "code_expired", "rotating token shown without a code (a screenshot of the static form)", rst.Text(), nil)
	add("rotating_stale", "code_expired", "rotating token with a code two steps old",
		rst.TextWithCode(rk.Code(testEvent, testTicket, testNow.Add(-2*RotatingStep))), nil)
	add("rotating_no_rotation_key", "code_expired", "rotating token; the keyring holds no rotation key",
		rst.TextWithCode(rk.Code(testEvent, testTicket, testNow)), func(v *vector) { v.hasRotation = false; v.rotationKey = RotationKey{} })
	return vs
}

func TestTokenVectors(t *testing.T) {
	if *update {
		old, err := filepath.Glob(filepath.Join(vectorDir, "*.txt"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.MkdirAll(vectorDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, v := range generateVectors(t) {
			if err := os.WriteFile(filepath.Join(vectorDir, v.name+".txt"), v.marshal(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	files, err := filepath.Glob(filepath.Join(vectorDir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("%d vectors in %s, want at least 20 (run with -update to generate)", len(files), vectorDir)
	}
	results := make(map[string]int)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			v, err := parseVector(string(data))
			if err != nil {
				t.Fatalf("parse vector: %v", err)
			}
			results[v.expect]++
			ring, err := v.keyring()
			if err != nil {
				t.Fatalf("keyring: %v", err)
			}
			sc, err := ring.Verify(v.text, v.now)
			if got := errClass(err); got != v.expect {
				t.Fatalf("Verify = %v (%s), want %s", err, got, v.expect)
			}
			if v.expect != "ok" {
				return
			}
			if sc.Token != v.token {
				t.Errorf("token = %+v, want %+v", sc.Token, v.token)
			}
			if got, want := TokenPrefix+Base45Encode(sc.Bytes())+sc.Code, strings.ToUpper(v.text); got != want {
				t.Errorf("re-encoded text %q, want %q", got, want)
			}
		})
	}
	for _, r := range []string{"ok", "malformed", "unknown_key", "invalid_signature", "code_expired"} {
		if results[r] == 0 {
			t.Errorf("no vector expects %s", r)
		}
	}
}

// TestTokenVectorsUpToDate regenerates the vectors in memory and compares
// them with the files, so that a change in signing or encoding shows up as
// a vector diff rather than silently.
func TestTokenVectorsUpToDate(t *testing.T) {
	if *update {
		t.Skip("vectors are being rewritten")
	}
	for _, v := range generateVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join(vectorDir, v.name+".txt"))
			if err != nil {
				t.Fatalf("%v (run with -update to generate)", err)
			}
			if want := v.marshal(); !bytes.Equal(got, want) {
				t.Errorf("file differs from the generator:\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

func TestParseVectorRefuses(t *testing.T) {
	good := string(generateVectors(t)[0].marshal())
	tests := []struct {
		name string
		data string
	}{
		{"unknown field", good + "colour: blue\n"},
		{"repeated field", good + "type: 7\n"},
		{"missing field", strings.Replace(good, "kid: ", "kid_: ", 1)},
		{"unknown result", strings.Replace(good, "expect: ok", "expect: fine", 1)},
		{"not key value", good + "just text\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseVector(tt.data); err == nil {
				t.Error("parseVector accepted it")
			}
		})
	}
}
