package crypto

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
)

func textOf(raw []byte) string { return TokenPrefix + Base45Encode(raw) }

func TestSignParseVerifyRoundTrip(t *testing.T) {
	key := testKey(t)
	in := testToken()
	in.KeyID = KeyID{0xde, 0xad} // Sign must overwrite it with the key's id
	st := mustSign(t, key, in)

	text := st.Text()
	if got, want := len(text), 148; got != want {
		t.Errorf("len(Text()) = %d, want %d", got, want)
	}
	if !strings.HasPrefix(text, "AT1:") {
		t.Errorf("Text() = %q, want prefix AT1:", text)
	}
	if got, want := len(st.Bytes()), 96; got != want {
		t.Errorf("len(Bytes()) = %d, want %d", got, want)
	}
	if got, want := st.KeyID, key.ID(); got != want {
		t.Errorf("signed KeyID = %s, want the key's %s", got, want)
	}
	if got, want := st.Bytes()[2:4], key.ID(); !bytes.Equal(got, want[:]) {
		t.Errorf("body bytes 2-3 = %x, want key id %x", got, want)
	}

	sc, err := ParseText(text)
	if err != nil {
		t.Fatalf("ParseText: %v", err)
	}
	want := in
	want.KeyID = key.ID()
	if sc.Token != want {
		t.Errorf("ParseText token = %+v, want %+v", sc.Token, want)
	}
	if sc.Token != st.Token {
		t.Errorf("ParseText token = %+v, differs from the signed token %+v", sc.Token, st.Token)
	}
	if sc.Code != "" {
		t.Errorf("static text parsed with code %q", sc.Code)
	}
	if !bytes.Equal(sc.Bytes(), st.Bytes()) {
		t.Errorf("Scanned.Bytes() = %x, want %x", sc.Bytes(), st.Bytes())
	}
	if err := sc.Verify(key.Public()); err != nil {
		t.Errorf("Scanned.Verify(own key): %v", err)
	}
	if err := sc.Verify(testOtherKey(t).Public()); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Scanned.Verify(other key) = %v, want ErrUnknownKey", err)
	}

	got, err := testKeyring(t).Verify(text, testNow)
	if err != nil {
		t.Fatalf("Keyring.Verify: %v", err)
	}
	if got.Token != want {
		t.Errorf("Keyring.Verify token = %+v, want %+v", got.Token, want)
	}

	sb, err := ParseBytes(st.Bytes())
	if err != nil {
		t.Fatalf("ParseBytes: %v", err)
	}
	if sb.Token != want {
		t.Errorf("ParseBytes token = %+v, want %+v", sb.Token, want)
	}
}

func TestSignDeterministic(t *testing.T) {
	a := mustSign(t, testKey(t), testToken())
	b := mustSign(t, testKey(t), testToken())
	if a.Text() != b.Text() {
		t.Errorf("two signatures of one token differ:\n%s\n%s", a.Text(), b.Text())
	}
	c := mustSign(t, testOtherKey(t), testToken())
	if a.Text() == c.Text() {
		t.Error("two keys made the same token text")
	}
}

func TestBytesReturnsCopy(t *testing.T) {
	st := mustSign(t, testKey(t), testToken())
	b := st.Bytes()
	b[40] ^= 1
	if bytes.Equal(st.Bytes(), b) {
		t.Error("changing SignedToken.Bytes() changed the token")
	}
	sc, err := ParseBytes(st.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	b = sc.Bytes()
	b[40] ^= 1
	if err := sc.Verify(testKey(t).Public()); err != nil {
		t.Errorf("changing Scanned.Bytes() broke the scanned token: %v", err)
	}
}

func TestRotatingTextLength(t *testing.T) {
	tok := testToken()
	tok.Flags = FlagRotating
	st := mustSign(t, testKey(t), tok)
	if !st.Rotating() {
		t.Fatal("Rotating() = false for FlagRotating")
	}
	code := mustRotationKey(t, testRotationSecret).Code(testEvent, testTicket, testNow)
	text := st.TextWithCode(code)
	if got, want := len(text), 154; got != want {
		t.Errorf("len(TextWithCode) = %d, want %d", got, want)
	}
	sc, err := ParseText(text)
	if err != nil {
		t.Fatalf("ParseText: %v", err)
	}
	if sc.Code != code {
		t.Errorf("Code = %q, want %q", sc.Code, code)
	}
	if !sc.Rotating() {
		t.Error("parsed Rotating() = false")
	}
}

// TestKeyringVerifyErrors maps each way a token can be wrong to the
// sentinel that decides the gate's verdict.
func TestKeyringVerifyErrors(t *testing.T) {
	key, other := testKey(t), testOtherKey(t)
	st := mustSign(t, key, testToken())
	good := st.Text()
	body := st.Bytes()[:TokenBodySize]

	withBody := func(f func(b []byte)) string {
		b := append([]byte(nil), body...)
		f(b)
		return textOf(signRaw(t, key, b))
	}
	forged := append(append([]byte(nil), body...), other.Sign(tokenSignatureContext, body)...)
	wrongContext := append(append([]byte(nil), body...), key.Sign("AdmitOne bundle v1", body)...)
	altered := st.Bytes()
	altered[25]++ // ticket type, after signing
	zeroSig := st.Bytes()
	clear(zeroSig[TokenBodySize:])
	extra := append(st.Bytes(), 0, 0)

	keyringWith := func(e KeyringEntry) *Keyring {
		var r Keyring
		if e.Event.IsZero() {
			e.Event = testEvent
		}
		if e.PublicKey.IsZero() {
			e.PublicKey = key.Public()
		}
		e.KeyID = e.PublicKey.ID()
		if err := r.Add(e); err != nil {
			t.Fatalf("Add: %v", err)
		}
		return &r
	}

	tests := []struct {
		name string
		text string
		ring *Keyring // nil means testKeyring
		want error
	}{
		{"empty", "", nil, ErrMalformed},
		{"prefix only", "AT1:", nil, ErrMalformed},
		{"wrong prefix", "AT2:" + good[4:], nil, ErrMalformed},
		{"no prefix", good[4:], nil, ErrMalformed},
		{"prefix without colon", "AT1-" + good[4:], nil, ErrMalformed},
		{"one character short", good[:147], nil, ErrMalformed},
		{"one character more", good + "0", nil, ErrMalformed},
		{"five digits more", good + "12345", nil, ErrMalformed},
		{"seven digits more", good + "1234567", nil, ErrMalformed},
		{"two trailing bytes", textOf(extra), nil, ErrMalformed},
		{"leading space", " " + good[:147], nil, ErrMalformed},
		{"trailing newline", good + "\n", nil, ErrMalformed},
		{"base45 character outside alphabet", good[:50] + "#" + good[51:], nil, ErrMalformed},
		{"base45 group overflow", good[:4] + "GGW" + good[7:], nil, ErrMalformed},
		{"code with a letter", good + "12345A", nil, ErrMalformed},
		{"code with a space", good + "12 456", nil, ErrMalformed},
		{"version 0", withBody(func(b []byte) { b[0] = 0 }), nil, ErrMalformed},
		{"version 2", withBody(func(b []byte) { b[0] = 2 }), nil, ErrMalformed},
		{"unknown flag bit 1", withBody(func(b []byte) { b[1] = 0x02 }), nil, ErrMalformed},
		{"unknown flag bit 7", withBody(func(b []byte) { b[1] = 0x81 }), nil, ErrMalformed},
		{"validity window reversed", withBody(func(b []byte) { b[26], b[27], b[28], b[29], b[30], b[31] = b[29], b[30], b[31], b[26], b[27], b[28] }), nil, ErrMalformed},
		{"validity window empty", withBody(func(b []byte) { copy(b[29:32], b[26:29]) }), nil, ErrMalformed},
		{"key not in keyring", mustSign(t, other, testToken()).Text(), nil, ErrUnknownKey},
		{"empty keyring", good, &Keyring{}, ErrUnknownKey},
		{"key trusted for another event", good, keyringWith(KeyringEntry{Event: testOtherEvent}), ErrUnknownKey},
		{"key retired now", good, keyringWith(KeyringEntry{NotAfter: testNow}), ErrUnknownKey},
		{"key retired earlier", good, keyringWith(KeyringEntry{NotAfter: testNow.Add(-time.Hour)}), ErrUnknownKey},
		{"key not yet trusted", good, keyringWith(KeyringEntry{NotBefore: testNow.Add(time.Second)}), ErrUnknownKey},
		{"forged signature", textOf(forged), nil, ErrBadSignature},
		{"signature with another context", textOf(wrongContext), nil, ErrBadSignature},
		{"body changed after signing", textOf(altered), nil, ErrBadSignature},
		{"zero signature", textOf(zeroSig), nil, ErrBadSignature},
		{"rotating flag set after signing", textOf(func() []byte {
			b := st.Bytes()
			b[1] = byte(FlagRotating)
			return b
		}()), nil, ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ring := tt.ring
			if ring == nil {
				ring = testKeyring(t)
			}
			_, err := ring.Verify(tt.text, testNow)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if got, want := errClass(err), errClass(tt.want); got != want {
				t.Errorf("error %v is %s, want only %s", err, got, want)
			}
		})
	}

	// The window edges themselves are trusted.
	edges := []struct {
		name string
		ring *Keyring
	}{
		{"at not_before", keyringWith(KeyringEntry{NotBefore: testNow})},
		{"just before not_after", keyringWith(KeyringEntry{NotAfter: testNow.Add(time.Nanosecond)})},
		{"inside window", keyringWith(KeyringEntry{NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour)})},
	}
	for _, tt := range edges {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.ring.Verify(good, testNow); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

func TestKeyringVerifyRotating(t *testing.T) {
	rk := mustRotationKey(t, testRotationSecret)
	tok := testToken()
	tok.Flags = FlagRotating
	st := mustSign(t, testKey(t), tok)
	codeAt := func(steps int) string {
		return rk.Code(testEvent, testTicket, testNow.Add(time.Duration(steps)*RotatingStep))
	}
	// Make sure the cases below really differ from the current code.
	for _, s := range []int{-2, -1, 1, 2} {
		if codeAt(s) == codeAt(0) {
			t.Fatalf("test setup: code at step %+d equals the current code", s)
		}
	}
	otherRotation := mustRotationKey(t, "aork_"+strings.Repeat("A", 42)+"E")
	noRotation := func() *Keyring {
		r := testKeyring(t)
		delete(r.rotation, testEvent)
		return r
	}()
	rotationForOtherEvent := func() *Keyring {
		r := noRotation
		r2 := *r
		r2.rotation = map[EventID]RotationKey{testOtherEvent: rk}
		return &r2
	}()
	wrongRotation := func() *Keyring {
		r := testKeyring(t)
		r.SetRotationKey(testEvent, otherRotation)
		return r
	}()

	tests := []struct {
		name string
		text string
		ring *Keyring
		want error
	}{
		{"current step", st.TextWithCode(codeAt(0)), nil, nil},
		{"previous step", st.TextWithCode(codeAt(-1)), nil, nil},
		{"next step", st.TextWithCode(codeAt(1)), nil, nil},
		{"lower case token", strings.ToLower(st.Text()) + codeAt(0), nil, nil},
		{"missing code", st.Text(), nil, ErrCodeExpired},
		{"two steps old", st.TextWithCode(codeAt(-2)), nil, ErrCodeExpired},
		{"two steps ahead", st.TextWithCode(codeAt(2)), nil, ErrCodeExpired},
		{"an hour old", st.TextWithCode(codeAt(-120)), nil, ErrCodeExpired},
		{"code of another ticket", st.TextWithCode(rk.Code(testEvent, testOtherTick, testNow)), nil, ErrCodeExpired},
		{"keyring without rotation key", st.TextWithCode(codeAt(0)), noRotation, ErrCodeExpired},
		{"rotation key for another event only", st.TextWithCode(codeAt(0)), rotationForOtherEvent, ErrCodeExpired},
		{"wrong rotation key", st.TextWithCode(codeAt(0)), wrongRotation, ErrCodeExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ring := tt.ring
			if ring == nil {
				ring = testKeyring(t)
			}
			sc, err := ring.Verify(tt.text, testNow)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
			} else if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			// A good signature returns the token even when the code is stale.
			if sc.Ticket != testTicket || !sc.Rotating() {
				t.Errorf("Verify returned %+v, want the signed rotating token", sc.Token)
			}
		})
	}
}

// TestTokenBitFlips flips each of the 768 bits of a valid token and checks
// that verification fails every time, with the verdict the flipped field
// calls for.
func TestTokenBitFlips(t *testing.T) {
	key := testKey(t)
	ring := testKeyring(t)
	raw := mustSign(t, key, testToken()).Bytes()
	if _, err := ring.Verify(textOf(raw), testNow); err != nil {
		t.Fatalf("unflipped token: %v", err)
	}
	wantClass := func(b []byte, off, bit int) string {
		switch {
		case off == 0:
			return "malformed" // version
		case off == 1 && bit == 0:
			return "invalid_signature" // the rotating flag is signed
		case off == 1:
			return "malformed" // unknown flag
		case off < 12:
			return "unknown_key" // key id or event id
		case off < 26:
			return "invalid_signature"
		case off < 32:
			from, until := decodeValidity(b[26:29]), decodeValidity(b[29:32])
			if !from.IsZero() && !until.IsZero() && !until.After(from) {
				return "malformed"
			}
			return "invalid_signature"
		default:
			return "invalid_signature"
		}
	}
	counts := make(map[string]int)
	for off := range TokenSize {
		for bit := range 8 {
			b := append([]byte(nil), raw...)
			b[off] ^= 1 << bit
			want := wantClass(b, off, bit)
			_, err := ring.Verify(textOf(b), testNow)
			if got := errClass(err); got != want {
				t.Errorf("byte %d bit %d: Keyring.Verify = %v (%s), want %s", off, bit, err, got, want)
			}
			counts[want]++

			sc, err := ParseBytes(b)
			if err == nil {
				err = sc.Verify(key.Public())
			}
			if err == nil {
				t.Errorf("byte %d bit %d: ParseBytes+Verify accepted a flipped token", off, bit)
			}
		}
	}
	// The flips must have reached every verdict, or the walk tests less
	// than it claims.
	for _, c := range []string{"malformed", "unknown_key", "invalid_signature"} {
		if counts[c] == 0 {
			t.Errorf("no flip gave %s", c)
		}
	}
}

func TestValidityRounding(t *testing.T) {
	minute := func(h, m int) time.Time { return time.Date(2026, 6, 1, h, m, 0, 0, time.UTC) }
	cest := time.FixedZone("CEST", 2*60*60)
	tests := []struct {
		name                string
		from, until         time.Time
		wantFrom, wantUntil time.Time
	}{
		{"exact minutes", minute(10, 0), minute(12, 0), minute(10, 0), minute(12, 0)},
		{"from rounds down", minute(10, 0).Add(59*time.Second + 999*time.Millisecond), minute(12, 0), minute(10, 0), minute(12, 0)},
		{"until rounds up", minute(10, 0), minute(12, 0).Add(time.Nanosecond), minute(10, 0), minute(12, 1)},
		{"both inside one minute", minute(10, 0).Add(10 * time.Second), minute(10, 0).Add(50 * time.Second), minute(10, 0), minute(10, 1)},
		{"only from", minute(10, 0).Add(30 * time.Second), time.Time{}, minute(10, 0), time.Time{}},
		{"only until", time.Time{}, minute(12, 0).Add(30 * time.Second), time.Time{}, minute(12, 1)},
		{"unbounded", time.Time{}, time.Time{}, time.Time{}, time.Time{}},
		{"other zone", time.Date(2026, 6, 1, 12, 0, 30, 0, cest), time.Date(2026, 6, 1, 14, 0, 30, 0, cest), minute(10, 0), minute(12, 1)},
		{"first representable minute", validityEpoch.Add(time.Minute), validityEpoch.Add(2 * time.Minute), validityEpoch.Add(time.Minute), validityEpoch.Add(2 * time.Minute)},
		{"last representable minute", time.Date(2055, 11, 24, 20, 14, 0, 0, time.UTC), time.Date(2055, 11, 24, 20, 15, 0, 0, time.UTC), time.Date(2055, 11, 24, 20, 14, 0, 0, time.UTC), time.Date(2055, 11, 24, 20, 15, 0, 0, time.UTC)},
		{"from rounds down onto the last minute", time.Date(2055, 11, 24, 20, 15, 59, 0, time.UTC), time.Time{}, time.Date(2055, 11, 24, 20, 15, 0, 0, time.UTC), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := testToken()
			tok.ValidFrom, tok.ValidUntil = tt.from, tt.until
			st := mustSign(t, testKey(t), tok)
			sc, err := ParseText(st.Text())
			if err != nil {
				t.Fatalf("ParseText: %v", err)
			}
			for _, c := range []struct {
				what      string
				got, want time.Time
			}{
				{"signed ValidFrom", st.ValidFrom, tt.wantFrom},
				{"signed ValidUntil", st.ValidUntil, tt.wantUntil},
				{"parsed ValidFrom", sc.ValidFrom, tt.wantFrom},
				{"parsed ValidUntil", sc.ValidUntil, tt.wantUntil},
			} {
				if !c.got.Equal(c.want) || c.got.IsZero() != c.want.IsZero() {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
				if !c.got.IsZero() && c.got.Location() != time.UTC {
					t.Errorf("%s is in %v, want UTC", c.what, c.got.Location())
				}
			}
		})
	}
}

// TestValidityLimit pins the last representable minute: 2^24-1 minutes after
// 2024-01-01T00:00Z.
func TestValidityLimit(t *testing.T) {
	got := validityEpoch.Add(maxValidityMinutes * time.Minute)
	want := time.Date(2055, 11, 24, 20, 15, 0, 0, time.UTC)
	if !got.Equal(want) {
		t.Errorf("last validity minute = %v, want %v", got, want)
	}
}

func TestSignRefuses(t *testing.T) {
	at := func(y int, mo time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	}
	tests := []struct {
		name    string
		key     PrivateKey
		edit    func(*Token)
		errWant string
	}{
		{"no key", PrivateKey{}, func(*Token) {}, "no signing key"},
		{"unknown flag", testKey(t), func(tk *Token) { tk.Flags = 0x02 }, "unknown flags"},
		{"unknown and known flags", testKey(t), func(tk *Token) { tk.Flags = 0x81 }, "unknown flags"},
		{"from before epoch", testKey(t), func(tk *Token) { tk.ValidFrom = at(2023, 12, 31, 23, 59, 0) }, "valid_from"},
		{"from at epoch (minute 0 means unbounded)", testKey(t), func(tk *Token) { tk.ValidFrom = validityEpoch }, "valid_from"},
		{"until at epoch", testKey(t), func(tk *Token) { tk.ValidFrom = time.Time{}; tk.ValidUntil = validityEpoch }, "valid_until"},
		{"until one minute too late", testKey(t), func(tk *Token) { tk.ValidUntil = at(2055, 11, 24, 20, 16, 0) }, "valid_until"},
		{"until rounds up past the limit", testKey(t), func(tk *Token) { tk.ValidUntil = at(2055, 11, 24, 20, 15, 0).Add(time.Nanosecond) }, "valid_until"},
		{"from after the limit", testKey(t), func(tk *Token) { tk.ValidFrom = at(2056, 1, 1, 0, 0, 0); tk.ValidUntil = time.Time{} }, "valid_from"},
		{"year 9999", testKey(t), func(tk *Token) { tk.ValidUntil = at(9999, 1, 1, 0, 0, 0) }, "valid_until"},
		{"year 1", testKey(t), func(tk *Token) { tk.ValidFrom = time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC) }, "valid_from"},
		{"window empty", testKey(t), func(tk *Token) { tk.ValidUntil = tk.ValidFrom }, "not after"},
		{"window reversed", testKey(t), func(tk *Token) { tk.ValidFrom, tk.ValidUntil = tk.ValidUntil, tk.ValidFrom }, "not after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := testToken()
			tt.edit(&tok)
			st, err := Sign(tt.key, tok)
			if err == nil {
				t.Fatalf("Sign = %s, want an error", st.Text())
			}
			if !strings.Contains(err.Error(), tt.errWant) {
				t.Errorf("Sign error %q, want it to contain %q", err, tt.errWant)
			}
		})
	}
}

// TestSignValidFromFirstMinute: minute 0 of the validity fields means "no
// lower bound". A ValidFrom inside the first minute after the epoch rounds
// down to minute 0, so Sign must refuse it rather than silently drop the
// lower bound.
func TestSignValidFromFirstMinute(t *testing.T) {
	tok := testToken()
	tok.ValidFrom = validityEpoch.Add(30 * time.Second)
	st, err := Sign(testKey(t), tok)
	if err == nil && st.ValidFrom.IsZero() {
		t.Errorf("Sign(ValidFrom = %v) made a token with no lower bound; want an error", tok.ValidFrom)
	}
}

// TestValidityErrorNamesLimit: the refusal must name the real last minute,
// so that a user is not told a date before it is in range.
func TestValidityErrorNamesLimit(t *testing.T) {
	tok := testToken()
	tok.ValidUntil = time.Date(2055, 11, 25, 0, 0, 0, 0, time.UTC)
	_, err := Sign(testKey(t), tok)
	if err == nil {
		t.Fatal("Sign accepted a ValidUntil after the last representable minute")
	}
	if !strings.Contains(err.Error(), "2055-11-24T20:15") {
		t.Errorf("Sign error %q, want it to name the limit 2055-11-24T20:15Z", err)
	}
}

func TestParseTextCase(t *testing.T) {
	st := mustSign(t, testKey(t), testToken())
	upper := st.Text()
	mixed := []byte(upper)
	for i := range mixed {
		if i%2 == 0 && mixed[i] >= 'A' && mixed[i] <= 'Z' {
			mixed[i] += 'a' - 'A'
		}
	}
	for _, tt := range []struct{ name, text string }{
		{"upper", upper},
		{"lower", strings.ToLower(upper)},
		{"mixed", string(mixed)},
		{"lower prefix", "at1:" + upper[4:]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !IsTokenText(tt.text) {
				t.Errorf("IsTokenText = false")
			}
			sc, err := ParseText(tt.text)
			if err != nil {
				t.Fatalf("ParseText: %v", err)
			}
			if sc.Token != st.Token || !bytes.Equal(sc.Bytes(), st.Bytes()) {
				t.Errorf("ParseText = %+v, want %+v", sc.Token, st.Token)
			}
			if _, err := testKeyring(t).Verify(tt.text, testNow); err != nil {
				t.Errorf("Keyring.Verify: %v", err)
			}
		})
	}
}

func TestIsTokenText(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"AT1:", true},
		{"at1:ABC", true},
		{"At1:x", true},
		{"AT1", false},
		{"", false},
		{"AT2:ABC", false},
		{" AT1:", false},
		{"https://example.com/AT1:", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := IsTokenText(tt.in); got != tt.want {
				t.Errorf("IsTokenText(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseBytesLength(t *testing.T) {
	raw := mustSign(t, testKey(t), testToken()).Bytes()
	for _, n := range []int{0, 1, 32, 95, 97, 128} {
		b := make([]byte, n)
		copy(b, raw)
		_, err := ParseBytes(b)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseBytes(%d bytes) = %v, want ErrMalformed", n, err)
		}
	}
}

// TestTokenQRCode checks the design target: the static and rotating texts
// fit a version 6 QR code (41x41) at error correction M, in alphanumeric
// mode.
func TestTokenQRCode(t *testing.T) {
	tok := testToken()
	tok.Flags = FlagRotating
	st := mustSign(t, testKey(t), tok)
	tests := []struct {
		name    string
		text    string
		wantLen int
	}{
		{"static", st.Text(), 148},
		{"rotating", st.TextWithCode("987654"), 154},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(tt.text); got != tt.wantLen {
				t.Errorf("len = %d, want %d", got, tt.wantLen)
			}
			code, err := encoder.Encoder_encode(tt.text, decoder.ErrorCorrectionLevel_M, nil)
			if err != nil {
				t.Fatalf("Encoder_encode: %v", err)
			}
			if got := code.GetVersion().GetVersionNumber(); got > 6 {
				t.Errorf("QR version %d, want 6 or lower", got)
			}
			if got := code.GetVersion().GetDimensionForVersion(); got > 41 {
				t.Errorf("QR code is %dx%d modules, want at most 41x41", got, got)
			}
			if got := code.GetMode(); got != decoder.Mode_ALPHANUMERIC {
				t.Errorf("QR mode %v, want alphanumeric", got)
			}
			if got := code.GetECLevel(); got != decoder.ErrorCorrectionLevel_M {
				t.Errorf("QR error correction %v, want M", got)
			}
		})
	}
}

// readVectorTexts returns the token texts in testdata/tokens, for fuzz seeds.
func readVectorTexts(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "tokens", "*.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	var texts []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		v, err := parseVector(string(data))
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		texts = append(texts, v.text)
	}
	return texts
}

func FuzzParseText(f *testing.F) {
	for _, s := range readVectorTexts(f) {
		f.Add(s)
	}
	f.Add("")
	f.Add("AT1:")
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseText(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("ParseText error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if len(sc.Code) != 0 && len(sc.Code) != RotatingCodeDigits {
			t.Errorf("code %q has %d digits", sc.Code, len(sc.Code))
		}
		if got, want := TokenPrefix+Base45Encode(sc.Bytes())+sc.Code, strings.ToUpper(s); got != want {
			t.Errorf("re-encoded\n%q\nwant\n%q", got, want)
		}
		body, err := sc.AppendBody(nil)
		if err != nil {
			t.Fatalf("AppendBody of a parsed token: %v", err)
		}
		if !bytes.Equal(body, sc.Bytes()[:TokenBodySize]) {
			t.Errorf("AppendBody = %x, want the parsed body %x", body, sc.Bytes()[:TokenBodySize])
		}
	})
}

func FuzzParseBytes(f *testing.F) {
	for _, s := range readVectorTexts(f) {
		if len(s) < len(TokenPrefix) {
			continue
		}
		s = strings.ToUpper(s[len(TokenPrefix):])
		if len(s) > 144 {
			s = s[:144]
		}
		if b, err := Base45Decode(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte{})
	f.Add(make([]byte, TokenSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := ParseBytes(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("ParseBytes error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if !bytes.Equal(sc.Bytes(), b) {
			t.Errorf("Bytes() = %x, want %x", sc.Bytes(), b)
		}
		body, err := sc.AppendBody(nil)
		if err != nil {
			t.Fatalf("AppendBody of a parsed token: %v", err)
		}
		if !bytes.Equal(body, b[:TokenBodySize]) {
			t.Errorf("AppendBody = %x, want %x", body, b[:TokenBodySize])
		}
		st, err := ParseText(textOf(b))
		if err != nil {
			t.Fatalf("ParseText of the encoded bytes: %v", err)
		}
		if st.Token != sc.Token {
			t.Errorf("ParseText token %+v, ParseBytes token %+v", st.Token, sc.Token)
		}
	})
}
