package gateauth

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/argon2id"
)

func init() {
	// Tests hash many PINs; the real parameters are measured by
	// BenchmarkPINHash.
	PINParams = argon2id.Params{MemoryKiB: 64, Time: 1, Threads: 1}
}

func TestCheckPIN(t *testing.T) {
	for _, c := range []struct {
		pin string
		ok  bool
	}{
		{"402917", true}, {"40291788", true}, {strings.Repeat("31", 16), true},
		{"40291", false}, {strings.Repeat("31", 16) + "4", false}, {"", false},
		{"111111", false}, {"123456", false}, {"987654", false}, {"890123", false}, {"210987", false},
		{"40 917", false}, {"4029l7", false}, {"٤٠٢٩١٧", false},
	} {
		err := CheckPIN(c.pin)
		if (err == nil) != c.ok || (err != nil && (!errors.Is(err, ErrWeakPIN) || len(c.pin) >= MinPINLen && strings.Contains(err.Error(), c.pin))) {
			t.Errorf("CheckPIN(%q) = %v, want ok=%v and an error without the PIN", c.pin, err, c.ok)
		}
	}
}

func TestSetPINKeepsOnlyAHash(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gate")
	if set, err := PINSet(dir); set || err != nil {
		t.Fatalf("PINSet before: %v %v", set, err)
	}
	if _, err := ReadPIN(dir); !errors.Is(err, ErrPINNotSet) {
		t.Fatalf("ReadPIN before: %v, want ErrPINNotSet", err)
	}
	if err := SetPIN(dir, "123456"); !errors.Is(err, ErrWeakPIN) {
		t.Fatalf("SetPIN(123456) = %v", err)
	}
	if err := SetPIN(dir, "402917"); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, PINFile))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("402917")) || !bytes.HasPrefix(raw, []byte("$argon2id$")) {
		t.Fatalf("PIN file holds %q", raw)
	}
	if st, _ := os.Stat(filepath.Join(dir, PINFile)); st.Mode().Perm() != 0o600 {
		t.Fatalf("PIN file mode %v, want 0600", st.Mode().Perm())
	}
	h, err := ReadPIN(dir)
	if err != nil || !h.Verify("402917") || h.Verify("402918") {
		t.Fatalf("ReadPIN: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, PINFile), []byte("$argon2id$v=19$m=99999999,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPIN(dir); err == nil || !strings.Contains(err.Error(), "pin set") {
		t.Fatalf("ReadPIN of a planted 100 GB hash: %v", err)
	}
}

func TestLimiter(t *testing.T) {
	l := &Limiter{AddrFailures: 3, GlobalFailures: 5, Window: time.Minute}
	t0 := time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC)
	for i := range 3 {
		if w := l.Wait("a", t0); w != 0 {
			t.Fatalf("failure %d: wait %v", i, w)
		}
		l.Fail("a", t0.Add(time.Duration(i)*time.Second))
	}
	if w := l.Wait("a", t0.Add(10*time.Second)); w != 50*time.Second {
		t.Fatalf("after 3 failures: wait %v, want 50s (until the first leaves the window)", w)
	}
	if w := l.Wait("b", t0.Add(10*time.Second)); w != 0 {
		t.Fatalf("another address waits %v", w)
	}
	if w := l.Wait("a", t0.Add(time.Minute)); w != 0 {
		t.Fatalf("a minute later: wait %v", w)
	}
	// Two more addresses fill the overall count: everyone waits.
	l.Fail("b", t0.Add(20*time.Second))
	l.Fail("c", t0.Add(21*time.Second))
	if w := l.Wait("d", t0.Add(30*time.Second)); w != 30*time.Second {
		t.Fatalf("a fresh address after 5 failures in all: wait %v, want 30s", w)
	}
	l.Forgive("a")
	if w := l.Wait("a", t0.Add(61*time.Second)); w != 0 {
		t.Fatalf("forgiven: wait %v", w)
	}
}

func TestAddrKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7:5000": "192.0.2.7", "192.0.2.7": "192.0.2.7", "[::ffff:192.0.2.7]:1": "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64", "[fe80::1%eth0]:80": "fe80::/64", "@": "@",
	} {
		if got := AddrKey(in); got != want {
			t.Errorf("AddrKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSessions(t *testing.T) {
	s := &Sessions{TTL: time.Hour, Max: 2}
	t0 := time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC)
	a, sa := s.New(t0)
	b, _ := s.New(t0.Add(time.Minute))
	if got, ok := s.Get(a, t0.Add(59*time.Minute)); !ok || got.CSRF != sa.CSRF || len(a) != 43 || len(sa.CSRF) != 43 || a == sa.CSRF {
		t.Fatalf("Get(a) = %+v %v", got, ok)
	}
	if _, ok := s.Get(a, t0.Add(time.Hour)); ok {
		t.Fatal("a session outlived its TTL")
	}
	c, _ := s.New(t0.Add(2 * time.Minute))
	d, _ := s.New(t0.Add(3 * time.Minute)) // over Max: b, the oldest, goes
	if _, ok := s.Get(b, t0.Add(3*time.Minute)); ok || s.Len() != 2 {
		t.Fatalf("cap of 2: b still there or %d sessions", s.Len())
	}
	s.Delete(c)
	for _, id := range []string{c, "", strings.Repeat("x", 100), d[:42]} {
		if _, ok := s.Get(id, t0.Add(3*time.Minute)); ok {
			t.Errorf("Get(%q) found a session", id)
		}
	}
	if _, ok := s.Get(d, t0.Add(3*time.Minute)); !ok {
		t.Fatal("d is gone")
	}
}

func TestSignInRateLimitsAndNeverLogsThePIN(t *testing.T) {
	dir := t.TempDir()
	if err := SetPIN(dir, "402917"); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	st := NewStaff(dir, slog.New(slog.NewTextHandler(&logs, nil)))
	now := time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC)
	st.Now = func() time.Time { return now }
	ctx := context.Background()
	for i := range DefaultAddrFailures {
		if _, _, err := st.SignIn(ctx, "192.0.2.7:4000", "40291"+string(rune('0'+i))); !errors.Is(err, ErrWrongPIN) {
			t.Fatalf("wrong PIN %d: %v", i, err)
		}
	}
	_, _, err := st.SignIn(ctx, "192.0.2.7:4001", "402917")
	var retry *RetryError
	if !errors.As(err, &retry) || retry.Wait != time.Minute {
		t.Fatalf("right PIN after %d wrong ones: %v, want a minute's wait", DefaultAddrFailures, err)
	}
	id, sess, err := st.SignIn(ctx, "198.51.100.1:4000", "402917")
	if err != nil || id == "" || !sess.Expires.Equal(now.Add(SessionTTL)) {
		t.Fatalf("another address with the right PIN: %v %+v", err, sess)
	}
	now = now.Add(time.Minute)
	if _, _, err := st.SignIn(ctx, "192.0.2.7:4002", "402917"); err != nil {
		t.Fatalf("a minute later: %v", err)
	}
	if strings.Contains(logs.String(), "40291") || !strings.Contains(logs.String(), "wrong PIN") || !strings.Contains(logs.String(), "192.0.2.7") {
		t.Fatalf("log:\n%s", logs.String())
	}
	if _, _, err := NewStaff(t.TempDir(), nil).SignIn(ctx, "192.0.2.7:1", "402917"); !errors.Is(err, ErrPINNotSet) {
		t.Fatalf("no PIN file: %v", err)
	}
}

func FuzzCheckPIN(f *testing.F) {
	for _, s := range []string{"402917", "123456", "111111", "", "٤٠٢٩١٧", "0000000000000000000000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pin string) {
		err := CheckPIN(pin)
		if err != nil {
			if len(pin) >= MinPINLen && strings.Contains(err.Error(), pin) {
				t.Fatalf("error %q contains the PIN", err)
			}
			return
		}
		if len(pin) < MinPINLen || len(pin) > MaxPINLen || strings.Trim(pin, "0123456789") != "" {
			t.Fatalf("accepted %q", pin)
		}
	})
}

func FuzzAddrKey(f *testing.F) {
	for _, s := range []string{"192.0.2.7:5000", "[2001:db8::1]:1", "[fe80::1%eth0]:80", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, remote string) {
		k := AddrKey(remote)
		if AddrKey(remote) != k {
			t.Fatal("not deterministic")
		}
	})
}

func BenchmarkPINHash(b *testing.B) {
	p := argon2id.Params{MemoryKiB: 16 * 1024, Time: 3, Threads: 1} // PINParams before init lowered it
	h := argon2id.New("402917", p)
	for b.Loop() {
		h.Verify("402918")
	}
}
