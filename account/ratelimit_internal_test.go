package account

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSlidingWindow(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	w := newSlidingWindow(3, time.Minute, 100)
	for i := range 3 {
		if d := w.take("k", t0.Add(time.Duration(i)*10*time.Second)); d != 0 {
			t.Fatalf("take %d refused (wait %v)", i, d)
		}
	}
	// Events at 0s, 10s, 20s: the 4th is allowed when the first is a
	// minute old.
	if d := w.take("k", t0.Add(30*time.Second)); d != 30*time.Second {
		t.Fatalf("4th take: wait %v, want 30s", d)
	}
	if d := w.take("k", t0.Add(time.Minute)); d != 0 {
		t.Fatalf("take at 60s refused (wait %v)", d)
	}
	if d := w.wait("k", t0.Add(time.Minute)); d != 10*time.Second {
		t.Fatalf("wait after 10s, 20s, 60s = %v, want 10s", d)
	}
	w.reset("k")
	if d := w.wait("k", t0.Add(time.Minute)); d != 0 {
		t.Fatalf("wait after reset = %v", d)
	}
}

func TestSlidingWindowBounded(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	w := newSlidingWindow(1, time.Hour, 3)
	for _, k := range []string{"a", "b", "c"} {
		w.add(k, t0)
	}
	w.add("a", t0) // a is now the most recently touched
	w.add("d", t0) // evicts b, the least recently touched
	if n := w.len(); n != 3 {
		t.Fatalf("len = %d, want 3", n)
	}
	for k, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if got := w.wait(k, t0) > 0; got != want {
			t.Errorf("key %s remembered = %v, want %v", k, got, want)
		}
	}
}

func TestAddrKey(t *testing.T) {
	for in, want := range map[string]string{
		"198.51.100.7:1234":          "198.51.100.7",
		"198.51.100.7":               "198.51.100.7",
		"[::ffff:198.51.100.7]:80":   "198.51.100.7",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"2001:db8:1:2::9":            "2001:db8:1:2::/64",
		"[fe80::1%eth0]:80":          "fe80::/64",
		"unix socket":                "unix socket",
	} {
		if got := addrKey(in); got != want {
			t.Errorf("addrKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// A login for an unknown email waits for a hashing slot like any other:
// it does the dummy argon2id verify rather than answering at once.
func TestLoginUnknownEmailHashes(t *testing.T) {
	s := &Service{Store: emptyStore{}, MaxConcurrentHashes: 1}
	s.init()
	s.hashSem <- struct{}{} // hold the only slot
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _, err := s.Login(ctx, LoginRequest{Email: "nobody@example.com", Password: "whatever password"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Login(unknown email) = %v; want it blocked on hashing until the deadline", err)
	}
	<-s.hashSem
	_, _, err = s.Login(context.Background(), LoginRequest{Email: "nobody@example.com", Password: "whatever password"})
	if !errors.Is(err, ErrBadLogin) {
		t.Fatalf("Login(unknown email) = %v, want ErrBadLogin", err)
	}
}

// emptyStore has no users.
type emptyStore struct{ Store }

func (emptyStore) UserByEmail(context.Context, string) (User, error) { return User{}, ErrNotFound }
