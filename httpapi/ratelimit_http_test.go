package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
)

// limitedHarness is a harness with the account service's default limits
// and trusted as the reverse proxies (every test request comes from
// 127.0.0.1).
func limitedHarness(t *testing.T, trusted string, configure func(*harness)) *harness {
	t.Helper()
	return newHarnessWith(t, "bolt", func(h *harness) {
		h.accounts.Limits = account.RateLimits{}
		p, err := ParseTrustedProxies([]string{trusted})
		if err != nil {
			t.Fatal(err)
		}
		h.api.TrustedProxies = p
		if configure != nil {
			configure(h)
		}
	})
}

// from sends a JSON POST as a proxy would forward it for client (an
// X-Forwarded-For value).
func (h *harness) from(t *testing.T, client, path string, body map[string]any) response {
	t.Helper()
	return h.send(t, h.fromRequest(t, client, path, body))
}

func (h *harness) fromRequest(t *testing.T, client, path string, body map[string]any) *http.Request {
	t.Helper()
	j, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), "POST", h.srv.URL+path, bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", client)
	return req
}

// sendAll sends reqs at once and returns their answers in order.
func (h *harness) sendAll(t *testing.T, reqs []*http.Request) []response {
	t.Helper()
	res := make([]response, len(reqs))
	errs := make([]error, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Go(func() {
			<-start
			r, err := h.srv.Client().Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			defer r.Body.Close()
			res[i].status, res[i].header = r.StatusCode, r.Header
			res[i].body, errs[i] = io.ReadAll(r.Body)
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return res
}

// wantRetry fails the test unless r is status with code, a Retry-After of
// wait in seconds, and a message that says the same wait.
func (r response) wantRetry(t *testing.T, status int, code string, wait time.Duration) {
	t.Helper()
	r.want(t, status)
	e := r.apiErr(t)
	if e.Code != code {
		t.Fatalf("code %q, want %q", e.Code, code)
	}
	if got := r.header.Get("Retry-After"); got != strconv.Itoa(int(wait/time.Second)) {
		t.Fatalf("Retry-After %q, want %d (message %q)", got, int(wait/time.Second), e.Message)
	}
	if !strings.HasSuffix(e.Message, "try again in "+wait.String()) {
		t.Fatalf("message %q does not say %v, as Retry-After does", e.Message, wait)
	}
}

// Behind a trusted proxy each client is limited by its own address: one
// client's wrong passwords and its flood of attempts refuse neither the
// account's owner nor anyone else, and Retry-After is the wait the
// message gives.
func TestLoginLimitsBehindProxy(t *testing.T) {
	h := limitedHarness(t, "127.0.0.0/8", nil)
	alice := h.signUp(t, h.email("alice"))
	login := func(client, email, password string) response {
		return h.from(t, client, "/v1/auth/login", map[string]any{"email": email, "password": password})
	}
	const attacker, owner = "203.0.113.9", "198.51.100.7"

	// The client's own forged entries, left of what the proxy appended,
	// change nothing.
	for i := range 5 {
		res := login(fmt.Sprintf("10.%d.0.1, %s", i, attacker), alice.Email, "wrong password").want(t, http.StatusUnauthorized)
		if c := res.apiErr(t).Code; c != "bad_login" {
			t.Fatalf("wrong password %d: code %q", i+1, c)
		}
	}
	login(attacker, alice.Email, testPassword).wantRetry(t, http.StatusTooManyRequests, "rate_limited", time.Second)
	login(owner, alice.Email, testPassword).want(t, http.StatusOK)
	h.clock.Advance(time.Second)
	login(attacker, alice.Email, "wrong password").want(t, http.StatusUnauthorized)
	login(attacker, alice.Email, testPassword).wantRetry(t, http.StatusTooManyRequests, "rate_limited", 2*time.Second)
	login(owner, alice.Email, testPassword).want(t, http.StatusOK)

	// A minute on, the attacker floods logins for other emails until its
	// address is refused (20 a minute); 15 s on, the wait left is 45 s.
	h.clock.Advance(time.Minute)
	for i := 0; ; i++ {
		res := login(attacker, fmt.Sprintf("guess-%d@example.com", i), "wrong password")
		if res.status == http.StatusTooManyRequests {
			break
		}
		res.want(t, http.StatusUnauthorized)
		if i > 20 {
			t.Fatal("no address limit after 20 attempts")
		}
	}
	h.clock.Advance(15 * time.Second)
	login(attacker, alice.Email, testPassword).wantRetry(t, http.StatusTooManyRequests, "rate_limited", 45*time.Second)
	// Everyone else behind the proxy signs in.
	bob := h.signUp(t, h.email("bob"))
	login("198.51.100.8", bob.Email, testPassword).want(t, http.StatusOK)
	login(owner, alice.Email, testPassword).want(t, http.StatusOK)
}

// A peer that is not a trusted proxy is limited by its own address
// whatever X-Forwarded-For it sends.
func TestLoginForgedForwardedFor(t *testing.T) {
	h := limitedHarness(t, "10.0.0.0/8", nil)
	alice := h.signUp(t, h.email("alice"))
	for i := range 5 {
		h.from(t, fmt.Sprintf("203.0.113.%d", i), "/v1/auth/login", map[string]any{"email": alice.Email, "password": "wrong password"}).
			want(t, http.StatusUnauthorized)
	}
	h.from(t, "198.51.100.7", "/v1/auth/login", map[string]any{"email": alice.Email, "password": testPassword}).
		wantRetry(t, http.StatusTooManyRequests, "rate_limited", time.Second)
}

// Sign-ups are limited per client address, 10 an hour, with a true
// Retry-After; a refused sign-up stores nothing.
func TestSignUpLimitHTTP(t *testing.T) {
	h := limitedHarness(t, "127.0.0.0/8", nil)
	signUp := func(client, email string) response {
		return h.from(t, client, "/v1/auth/signup", map[string]any{"email": email, "password": testPassword})
	}
	for range 10 {
		signUp("203.0.113.9", h.email("flood")).want(t, http.StatusCreated)
		h.clock.Advance(time.Minute)
	}
	m := h.spy.mark()
	signUp("203.0.113.9", h.email("flood")).wantRetry(t, http.StatusTooManyRequests, "rate_limited", 50*time.Minute)
	if w := h.spy.since(m); len(w) > 0 {
		t.Fatalf("a refused sign-up wrote %v", w)
	}
	signUp("198.51.100.7", h.email("other")).want(t, http.StatusCreated)
	h.clock.Advance(50 * time.Minute)
	signUp("203.0.113.9", h.email("later")).want(t, http.StatusCreated)
}

// With every password-hashing slot taken, sign-ups and logins are answered
// 503 busy with Retry-After rather than queued; nothing is stored for
// them. One slot and no wait make the overlap of concurrent requests
// refuse some of them.
func TestHashingBusyHTTP(t *testing.T) {
	h := limitedHarness(t, "127.0.0.0/8", func(h *harness) {
		h.accounts.MaxConcurrentHashes = 1
		h.accounts.HashWait = time.Nanosecond
	})
	const n = 8
	created, busy := 0, 0
	for round := 0; busy == 0 || created == 0; round++ {
		if round == 10 {
			t.Fatalf("%d rounds of %d concurrent sign-ups with one hashing slot: %d created, %d busy; want both", round, n, created, busy)
		}
		reqs := make([]*http.Request, n)
		emails := make([]string, n)
		for i := range n {
			emails[i] = h.email("busy")
			reqs[i] = h.fromRequest(t, fmt.Sprintf("198.51.100.%d", round*n+i), "/v1/auth/signup",
				map[string]any{"email": emails[i], "password": testPassword})
		}
		for i, r := range h.sendAll(t, reqs) {
			_, err := h.accounts.UserByEmail(t.Context(), emails[i])
			switch r.status {
			case http.StatusCreated:
				created++
				if err != nil {
					t.Fatalf("sign-up answered 201 but the user is not stored: %v", err)
				}
			case http.StatusServiceUnavailable:
				busy++
				r.wantRetry(t, http.StatusServiceUnavailable, "busy", time.Second)
				if !errors.Is(err, account.ErrNotFound) {
					t.Fatalf("sign-up answered 503 but stored the user: %v", err)
				}
			default:
				t.Fatalf("sign-up answered %d: %s", r.status, r.short())
			}
		}
	}

	// Logins the same way.
	u := h.signUp(t, h.email("login"))
	ok, busy := 0, 0
	for round := 0; busy == 0 || ok == 0; round++ {
		if round == 10 {
			t.Fatalf("%d rounds of %d concurrent logins with one hashing slot: %d signed in, %d busy; want both", round, n, ok, busy)
		}
		reqs := make([]*http.Request, n)
		for i := range n {
			reqs[i] = h.fromRequest(t, fmt.Sprintf("198.51.101.%d", round*n+i), "/v1/auth/login",
				map[string]any{"email": u.Email, "password": testPassword})
		}
		for _, r := range h.sendAll(t, reqs) {
			switch r.status {
			case http.StatusOK:
				ok++
			case http.StatusServiceUnavailable:
				busy++
				r.wantRetry(t, http.StatusServiceUnavailable, "busy", time.Second)
			default:
				t.Fatalf("login answered %d: %s", r.status, r.short())
			}
		}
	}
}
