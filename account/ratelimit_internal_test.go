package account

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
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
// it does the dummy argon2id verify rather than answering at once, and
// with no slot free within HashWait it answers busy.
func TestLoginUnknownEmailHashes(t *testing.T) {
	s := &Service{Store: emptyStore{}, MaxConcurrentHashes: 1, HashWait: 20 * time.Millisecond}
	s.init()
	s.hashSem <- struct{}{} // hold the only slot
	// The deadline only keeps a broken bound from hanging the test.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err := s.Login(ctx, LoginRequest{Email: "nobody@example.com", Password: "whatever password"})
	var re *RetryError
	if !errors.Is(err, ErrBusy) || !errors.As(err, &re) || re.Wait != time.Second {
		t.Fatalf("Login(unknown email) with no hashing slot = %v; want a RetryError wrapping ErrBusy, 1s", err)
	}
	<-s.hashSem
	_, _, err = s.Login(context.Background(), LoginRequest{Email: "nobody@example.com", Password: "whatever password"})
	if !errors.Is(err, ErrBadLogin) {
		t.Fatalf("Login(unknown email) = %v, want ErrBadLogin", err)
	}
}

// At most MaxConcurrentHashes hashes run at once (by default one per
// CPU); a call that finds every slot taken for HashWait is refused busy
// rather than queued, and gets a slot once one frees up within HashWait.
func TestHashingBounded(t *testing.T) {
	def := &Service{Store: emptyStore{}}
	def.init()
	if n := cap(def.hashSem); n != runtime.NumCPU() {
		t.Errorf("default hashing slots %d, want runtime.NumCPU() = %d", n, runtime.NumCPU())
	}

	const slots = 3
	s := &Service{Store: emptyStore{}, MaxConcurrentHashes: slots, HashWait: time.Minute}
	s.init()
	var active, peak atomic.Int64
	var wg sync.WaitGroup
	for range 8 * slots {
		wg.Go(func() {
			err := s.hashing(t.Context(), func() {
				n := active.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				HashPassword("a password to hash") // real work, so the calls overlap
				active.Add(-1)
			})
			if err != nil {
				t.Errorf("hashing: %v", err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > slots || p < 2 {
		t.Fatalf("%d hashes ran at once with %d slots; want 2 to %d", p, slots, slots)
	}

	// Every slot held: a call waits HashWait, then is refused busy.
	s = &Service{Store: emptyStore{}, MaxConcurrentHashes: 2, HashWait: 20 * time.Millisecond}
	s.init()
	release := make(chan struct{})
	held := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			s.hashing(t.Context(), func() { held <- struct{}{}; <-release })
		})
	}
	<-held
	<-held
	ran := false
	// The deadline only keeps a broken bound from hanging the test.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err := s.hashing(ctx, func() { ran = true })
	var re *RetryError
	if !errors.As(err, &re) || !errors.Is(err, ErrBusy) || re.Wait != time.Second || ran {
		t.Fatalf("hashing with every slot held = %v (ran %v); want a RetryError wrapping ErrBusy, 1s, not run", err, ran)
	}
	if !strings.HasSuffix(err.Error(), "try again in 1s") {
		t.Errorf("busy message %q does not say 1s", err)
	}
	// A slot freed while a call waits is taken.
	s.HashWait = time.Minute
	done := make(chan error)
	go func() { done <- s.hashing(t.Context(), func() { ran = true }) }()
	close(release)
	if err := <-done; err != nil || !ran {
		t.Fatalf("hashing once a slot freed = %v (ran %v)", err, ran)
	}
	wg.Wait()
}

// emptyStore has no users.
type emptyStore struct{ Store }

func (emptyStore) UserByEmail(context.Context, string) (User, error) { return User{}, ErrNotFound }
