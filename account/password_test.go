package account_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/admitone/admitone/account"
)

func TestHashPasswordFormat(t *testing.T) {
	h := account.HashPassword(goodPassword)
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(h) {
		t.Fatalf("HashPassword = %q, want the OWASP argon2id PHC form", h)
	}
	p, err := account.ParsePHC(h)
	if err != nil {
		t.Fatal(err)
	}
	want := account.Argon2Params{MemoryKiB: 19456, Time: 2, Threads: 1}
	if p.Params != want || len(p.Salt) != 16 || len(p.Hash) != 32 {
		t.Errorf("ParsePHC = %+v, %d-byte salt, %d-byte hash; want %+v, 16, 32", p.Params, len(p.Salt), len(p.Hash), want)
	}
	if p.String() != h {
		t.Errorf("String() = %q, want %q", p.String(), h)
	}
	if h2 := account.HashPassword(goodPassword); h2 == h {
		t.Error("two hashes of one password are equal: salt is not random")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{goodPassword, true}, {goodPassword + " ", false}, {"Correct horse battery", false}, {"", false}} {
		got, err := account.VerifyPassword(h, tc.pw)
		if err != nil || got != tc.want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tc.pw, got, err, tc.want)
		}
	}
}

func TestVerifyPasswordOtherParams(t *testing.T) {
	salt := []byte("0123456789abcdef")
	h := account.PHC{
		Params: account.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 2},
		Salt:   salt,
		Hash:   argon2.IDKey([]byte("pw"), salt, 1, 64, 2, 24),
	}.String()
	if ok, err := account.VerifyPassword(h, "pw"); !ok || err != nil {
		t.Fatalf("VerifyPassword(%s) = %v, %v; want true", h, ok, err)
	}
	if ok, _ := account.VerifyPassword(h, "pW"); ok {
		t.Fatal("VerifyPassword accepted a wrong password")
	}
}

func TestParsePHCRefuses(t *testing.T) {
	salt := "c2FsdHNhbHRzYWx0c2FsdA" // 16 bytes
	hash := strings.Repeat("A", 43)  // 32 zero bytes
	good := "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + hash
	if _, err := account.ParsePHC(good); err != nil {
		t.Fatalf("ParsePHC(good) = %v", err)
	}
	if _, err := account.ParsePHC("$argon2id$v=19$m=1048576,t=16,p=255$" + salt + "$" + hash); err != nil {
		t.Fatalf("ParsePHC(at the limits) = %v", err)
	}
	for name, s := range map[string]string{
		"empty":              "",
		"no leading dollar":  good[1:],
		"argon2i":            "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + hash,
		"bcrypt":             "$2b$10$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui",
		"version 16":         "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + hash,
		"no version":         "$argon2id$m=19456,t=2,p=1$" + salt + "$" + hash,
		"memory over 1 GiB":  "$argon2id$v=19$m=1048577,t=2,p=1$" + salt + "$" + hash,
		"memory huge":        "$argon2id$v=19$m=99999999999,t=2,p=1$" + salt + "$" + hash,
		"memory below 8p":    "$argon2id$v=19$m=15,t=2,p=2$" + salt + "$" + hash,
		"time zero":          "$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + hash,
		"time 17":            "$argon2id$v=19$m=19456,t=17,p=1$" + salt + "$" + hash,
		"threads zero":       "$argon2id$v=19$m=19456,t=2,p=0$" + salt + "$" + hash,
		"threads 256":        "$argon2id$v=19$m=19456,t=2,p=256$" + salt + "$" + hash,
		"leading zero":       "$argon2id$v=19$m=019456,t=2,p=1$" + salt + "$" + hash,
		"plus sign":          "$argon2id$v=19$m=+19456,t=2,p=1$" + salt + "$" + hash,
		"params reordered":   "$argon2id$v=19$t=2,m=19456,p=1$" + salt + "$" + hash,
		"param missing":      "$argon2id$v=19$m=19456,t=2$" + salt + "$" + hash,
		"param extra":        "$argon2id$v=19$m=19456,t=2,p=1,k=1$" + salt + "$" + hash,
		"salt padded":        "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "==$" + hash,
		"salt non-canonical": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdB$" + hash,
		"salt short":         "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$" + hash,
		"salt url alphabet":  "$argon2id$v=19$m=19456,t=2,p=1$c2Fs-HNhbHRzYWx0c2FsdA$" + hash,
		"hash short":         "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + hash[:20],
		"hash long":          "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + strings.Repeat("A", 90),
		"trailing field":     good + "$x",
		"trailing newline":   good + "\n",
		"too long":           good + strings.Repeat("A", 600),
	} {
		t.Run(name, func(t *testing.T) {
			if p, err := account.ParsePHC(s); err == nil {
				t.Fatalf("ParsePHC accepted it: %+v", p.Params)
			}
			if ok, err := account.VerifyPassword(s, "pw"); ok || err == nil {
				t.Fatalf("VerifyPassword = %v, %v; want false and an error", ok, err)
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		pw string
		ok bool
	}{
		{"", false},
		{"123456789", false},                     // 9 bytes
		{"1234567890", true},                     // 10 bytes
		{strings.Repeat("ab", 128), true},        // 256 bytes
		{strings.Repeat("ab", 128) + "c", false}, // 257 bytes
		{"aaaaaaaaaaaa", false},
		{"éééééééééé", false}, // one rune repeated, 20 bytes
		{"ééééé", false},      // one rune repeated, 10 bytes
		{"éééééa", true},
		{"aaaaaaaaaab", true},
		{"pass\xffword12", false},
	} {
		err := account.CheckPassword(tc.pw)
		if (err == nil) != tc.ok {
			t.Errorf("CheckPassword(%q) = %v, want ok=%v", tc.pw, err, tc.ok)
		}
		if err != nil && !errors.Is(err, account.ErrInvalid) {
			t.Errorf("CheckPassword(%q) = %v, want ErrInvalid", tc.pw, err)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com" // 254
	for _, tc := range []struct {
		in, want string // want "" means refused
	}{
		{"  Alice@Example.COM \n", "alice@example.com"},
		{"bob+tickets@example.org", "bob+tickets@example.org"},
		{long, long},
		{"x" + long, ""},
		{"", ""},
		{"   ", ""},
		{"not-an-email", ""},
		{"a@", ""},
		{"@example.com", ""},
		{"Bob <bob@example.com>", ""},
		{"<bob@example.com>", ""},
		{"bob@example.com, eve@example.com", ""},
		{"bob@@example.com", ""},
		{"bob @example.com", ""},
	} {
		got, err := account.NormalizeEmail(tc.in)
		if tc.want == "" {
			if err == nil || !errors.Is(err, account.ErrInvalid) {
				t.Errorf("NormalizeEmail(%q) = %q, %v; want ErrInvalid", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add(account.HashPassword("seed password"))
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$" + strings.Repeat("A", 22))
	f.Add("$argon2id$v=19$m=1048577,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + strings.Repeat("A", 43))
	f.Add("$argon2id$v=19$m=019456,t=2,p=1$$")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := account.ParsePHC(s)
		if err != nil {
			return
		}
		if p.String() != s {
			t.Fatalf("accepted a non-canonical string: %q re-encodes as %q", s, p.String())
		}
		if p.Params.MemoryKiB > 1<<20 || p.Params.MemoryKiB < 8*uint32(p.Params.Threads) ||
			p.Params.Time < 1 || p.Params.Time > 16 || p.Params.Threads < 1 {
			t.Fatalf("accepted parameters out of bounds: %+v", p.Params)
		}
		if len(p.Salt) < 8 || len(p.Salt) > 64 || len(p.Hash) < 16 || len(p.Hash) > 64 {
			t.Fatalf("accepted a %d-byte salt and a %d-byte hash", len(p.Salt), len(p.Hash))
		}
	})
}
