package crypto

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// testKDF is cheap so that the tests stay fast; production uses DefaultKDF.
var testKDF = KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

const testPassphrase = "correct horse battery staple"

func testSealKey(b byte) *SealKey {
	var k SealKey
	for i := range k {
		k[i] = b + byte(i)
	}
	return &k
}

func TestSealOpen(t *testing.T) {
	key := testSealKey(1)
	ad := []byte("admitone rotation key ev_e0e1e2e3e4e5e6e7")
	for _, n := range []int{0, 1, 16, 1024} {
		t.Run(fmt.Sprintf("%d bytes", n), func(t *testing.T) {
			pt := bytes.Repeat([]byte{0xa5}, n)
			sealed := Seal(key, pt, ad)
			if got, want := len(sealed), 24+n+16; got != want {
				t.Errorf("len(Seal) = %d, want nonce+plaintext+tag = %d", got, want)
			}
			got, err := Open(key, sealed, ad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, pt) {
				t.Errorf("Open = %x, want %x", got, pt)
			}
		})
	}
	a, b := Seal(key, []byte("x"), ad), Seal(key, []byte("x"), ad)
	if bytes.Equal(a, b) {
		t.Error("two seals of one plaintext are equal; the nonce is not random")
	}
	if pt := []byte("secret text"); bytes.Contains(Seal(key, pt, nil), pt) {
		t.Error("the sealed blob contains the plaintext")
	}
}

func TestOpenRefuses(t *testing.T) {
	key := testSealKey(1)
	ad := []byte("what this is")
	pt := []byte("sixteen byte msg")
	sealed := Seal(key, pt, ad)

	open := func(t *testing.T, k *SealKey, s, a []byte) {
		t.Helper()
		got, err := Open(k, s, a)
		if !errors.Is(err, ErrOpen) {
			t.Errorf("Open = %x, %v; want ErrOpen", got, err)
		}
		if got != nil {
			t.Errorf("Open returned %x with its error", got)
		}
	}
	t.Run("every bit of the sealed blob", func(t *testing.T) {
		for i := range len(sealed) * 8 {
			s := append([]byte(nil), sealed...)
			s[i/8] ^= 1 << (i % 8)
			open(t, key, s, ad)
		}
	})
	t.Run("every bit of the associated data", func(t *testing.T) {
		for i := range len(ad) * 8 {
			a := append([]byte(nil), ad...)
			a[i/8] ^= 1 << (i % 8)
			open(t, key, sealed, a)
		}
	})
	tests := []struct {
		name   string
		key    *SealKey
		sealed []byte
		ad     []byte
	}{
		{"wrong key", testSealKey(2), sealed, ad},
		{"no associated data", key, sealed, nil},
		{"longer associated data", key, sealed, append(append([]byte(nil), ad...), 0)},
		{"trailing byte", key, append(append([]byte(nil), sealed...), 0), ad},
		{"last byte cut", key, sealed[:len(sealed)-1], ad},
		{"empty", key, nil, ad},
		{"nonce only", key, sealed[:24], ad},
		{"one byte short of the minimum", key, sealed[:39], ad},
		{"minimum length, not sealed", key, make([]byte, 40), ad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { open(t, tt.key, tt.sealed, tt.ad) })
	}
}

// oversized returns a file of n bytes that starts with data. The zero tail
// comes fresh from the allocator, so it costs address space, not time.
func oversized(data []byte, n int) []byte {
	b := make([]byte, n)
	copy(b, data)
	return b
}

// otherB64 returns a base64url character other than c.
func otherB64(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func mustSealPassphrase(t testing.TB, pass, pt string) []byte {
	t.Helper()
	data, err := SealPassphrase([]byte(pass), []byte(pt), testKDF)
	if err != nil {
		t.Fatalf("SealPassphrase: %v", err)
	}
	return data
}

func TestSealPassphrase(t *testing.T) {
	pt := testKeySecret
	data := mustSealPassphrase(t, testPassphrase, pt)

	lines := strings.Split(string(data), "\n")
	if len(lines) != 4 || lines[3] != "" {
		t.Fatalf("sealed file %q: want 3 lines ending in a newline", data)
	}
	if got, want := lines[0], "admitone-sealed-v1"; got != want {
		t.Errorf("line 1 = %q, want %q", got, want)
	}
	if !strings.HasPrefix(lines[1], "argon2id t=1 m=64 p=1 salt=") {
		t.Errorf("line 2 = %q, want the parameters", lines[1])
	}
	if !IsSealed(data) {
		t.Error("IsSealed = false")
	}
	if IsSealed([]byte(pt)) {
		t.Error("IsSealed(plaintext) = true")
	}
	if bytes.Contains(data, []byte(pt[5:])) || bytes.Contains(data, []byte(testPassphrase)) {
		t.Error("the sealed file contains the plaintext or the passphrase")
	}

	got, err := OpenPassphrase([]byte(testPassphrase), data)
	if err != nil {
		t.Fatalf("OpenPassphrase: %v", err)
	}
	if string(got) != pt {
		t.Errorf("OpenPassphrase = %q, want %q", got, pt)
	}
	// A file whose final newline an editor dropped still opens.
	if got, err := OpenPassphrase([]byte(testPassphrase), bytes.TrimSuffix(data, []byte("\n"))); err != nil || string(got) != pt {
		t.Errorf("without the final newline: %q, %v", got, err)
	}
	if again := mustSealPassphrase(t, testPassphrase, pt); bytes.Equal(again, data) {
		t.Error("two seals are equal; salt or nonce is not random")
	}
}

func TestSealPassphraseRefuses(t *testing.T) {
	tests := []struct {
		name    string
		pass    string
		p       KDFParams
		errWant string
	}{
		{"empty passphrase", "", testKDF, "empty passphrase"},
		{"time 0", testPassphrase, KDFParams{Time: 0, MemoryKiB: 64, Threads: 1}, "time"},
		{"time 17", testPassphrase, KDFParams{Time: 17, MemoryKiB: 64, Threads: 1}, "time"},
		{"threads 0", testPassphrase, KDFParams{Time: 1, MemoryKiB: 64, Threads: 0}, "threads"},
		{"memory below 8 per thread", testPassphrase, KDFParams{Time: 1, MemoryKiB: 15, Threads: 2}, "memory"},
		{"memory over 1 GiB", testPassphrase, KDFParams{Time: 1, MemoryKiB: 1<<20 + 1, Threads: 1}, "memory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := SealPassphrase([]byte(tt.pass), []byte("x"), tt.p)
			if err == nil {
				t.Fatal("SealPassphrase accepted it")
			}
			if !strings.Contains(err.Error(), tt.errWant) {
				t.Errorf("error %q, want it to contain %q", err, tt.errWant)
			}
		})
	}
}

func TestOpenPassphraseRefuses(t *testing.T) {
	data := string(mustSealPassphrase(t, testPassphrase, "plaintext"))
	lines := strings.SplitN(data, "\n", 4)
	head, params, box := lines[0], lines[1], lines[2]
	salt := params[strings.Index(params, "salt=")+5:]
	file := func(l ...string) []byte { return []byte(strings.Join(l, "\n") + "\n") }
	withParams := func(p string) []byte { return file(head, p, box) }

	tests := []struct {
		name    string
		pass    string
		data    []byte
		wantErr error  // ErrOpen, or nil for a format error
		errWant string // substring, for format errors
	}{
		{"wrong passphrase", "Correct horse battery staple", []byte(data), ErrOpen, ""},
		{"empty passphrase", "", []byte(data), ErrOpen, ""},
		{"time changed", testPassphrase, withParams(strings.Replace(params, "t=1", "t=2", 1)), ErrOpen, ""},
		{"memory changed", testPassphrase, withParams(strings.Replace(params, "m=64", "m=72", 1)), ErrOpen, ""},
		{"salt changed", testPassphrase, withParams(strings.Replace(params, "salt="+salt[:1], "salt="+otherB64(salt[0]), 1)), ErrOpen, ""},
		{"header line changed", testPassphrase, file("admitone-sealed-v2", params, box), nil, "not a sealed file"},
		{"box changed", testPassphrase, file(head, params, box[:10]+otherB64(box[10])+box[11:]), ErrOpen, ""},
		{"box cut", testPassphrase, file(head, params, box[:20]), ErrOpen, ""},
		{"empty", testPassphrase, nil, nil, "not a sealed file"},
		{"two lines", testPassphrase, file(head, params), nil, "3 lines"},
		{"four lines", testPassphrase, file(head, params, box, box), nil, "3 lines"},
		{"CRLF", testPassphrase, []byte(strings.ReplaceAll(data, "\n", "\r\n")), nil, "sealed"},
		{"box not base64url", testPassphrase, file(head, params, box+"!"), nil, "not base64url"},
		{"box padded", testPassphrase, file(head, params, box+"="), nil, "not base64url"},
		{"not argon2id", testPassphrase, withParams(strings.Replace(params, "argon2id", "scrypt", 1)), nil, "second line"},
		{"parameter missing", testPassphrase, withParams("argon2id t=1 m=64 salt=" + salt), nil, "second line"},
		{"parameters reordered", testPassphrase, withParams("argon2id m=64 t=1 p=1 salt=" + salt), nil, "want t="},
		{"t=0", testPassphrase, withParams(strings.Replace(params, "t=1", "t=0", 1)), nil, "time 0"},
		{"t too large", testPassphrase, withParams(strings.Replace(params, "t=1", "t=1000", 1)), nil, "time 1000"},
		{"t negative", testPassphrase, withParams(strings.Replace(params, "t=1", "t=-1", 1)), nil, "not a number"},
		{"t not a number", testPassphrase, withParams(strings.Replace(params, "t=1", "t=one", 1)), nil, "not a number"},
		{"huge m", testPassphrase, withParams(strings.Replace(params, "m=64", "m=4000000", 1)), nil, "memory 4000000"},
		{"m over 32 bits", testPassphrase, withParams(strings.Replace(params, "m=64", "m=4294967296", 1)), nil, "not a number"},
		{"m below 8 per thread", testPassphrase, withParams(strings.Replace(params, "p=1", "p=16", 1)), nil, "memory 64"},
		{"p=0", testPassphrase, withParams(strings.Replace(params, "p=1", "p=0", 1)), nil, "threads"},
		{"p over 255", testPassphrase, withParams(strings.Replace(params, "p=1", "p=256", 1)), nil, "more than 255"},
		{"short salt", testPassphrase, withParams(strings.Replace(params, salt, salt[:20], 1)), nil, "salt"},
		{"salt not base64url", testPassphrase, withParams(strings.Replace(params, salt, "!!!!"+salt[4:], 1)), nil, "salt"},
		{"too large", testPassphrase, oversized(file(head, params, box), 256<<20+1), nil, "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OpenPassphrase([]byte(tt.pass), tt.data)
			if err == nil {
				t.Fatalf("OpenPassphrase = %q, want an error", got)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("error %v, want %v", err, tt.wantErr)
				}
			} else {
				if errors.Is(err, ErrOpen) {
					t.Errorf("format error %q wraps ErrOpen; it should say what is wrong with the file", err)
				}
				if !strings.Contains(err.Error(), tt.errWant) {
					t.Errorf("error %q, want it to contain %q", err, tt.errWant)
				}
			}
			if tt.pass != "" && strings.Contains(err.Error(), tt.pass) {
				t.Errorf("error %q contains the passphrase", err)
			}
			if strings.Contains(err.Error(), "plaintext") {
				t.Errorf("error %q contains the plaintext", err)
			}
		})
	}
}

func FuzzOpenPassphrase(f *testing.F) {
	const plaintext = "fuzz plaintext"
	good := mustSealPassphrase(f, testPassphrase, plaintext)
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte("admitone-sealed-v1\n"))
	f.Add([]byte("admitone-sealed-v1\nargon2id t=1 m=8 p=1 salt=AAAAAAAAAAAAAAAAAAAAAA\nAAAA\n"))
	f.Add([]byte("admitone-sealed-v1\nargon2id t=0 m=64 p=0 salt=AAAAAAAAAAAAAAAAAAAAAA\n\n"))
	f.Add(bytes.Replace(good, []byte("t=1"), []byte("t=2"), 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Bound the cost of one input: the parser accepts up to 16 passes
		// over 1 GiB, which is right for real files but too slow to fuzz.
		if lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n"); len(lines) == 3 {
			if p, _, err := parseKDFLine(lines[1]); err == nil && uint64(p.Time)*uint64(p.MemoryKiB) > 4096 {
				t.Skip("argon2id parameters too costly to fuzz")
			}
		}
		got, err := OpenPassphrase([]byte(testPassphrase), data)
		if err != nil {
			if strings.Contains(err.Error(), testPassphrase) {
				t.Errorf("error %q contains the passphrase", err)
			}
			return
		}
		// Only an authentic file opens, and the only one under this
		// passphrase holds this plaintext.
		if string(got) != plaintext {
			t.Errorf("OpenPassphrase opened %q", got)
		}
	})
}
