package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
)

// TestLoginUnderSignUpFlood measures a user's login latency while one
// address floods sign-ups (each a 19 MiB argon2id hash), with the
// server's default limits and with the sign-up limit off (as before it
// existed), behind a trusted proxy so the two clients have addresses of
// their own. It asserts behaviour only: with the default limits every
// login of the user succeeds, and the flood makes at most ten accounts
// and is refused after that; without the sign-up limit a login may wait
// past HashWait for a hashing slot and be answered busy (503), which is
// counted, not failed. BENCHMARKS.md ("Sign-in under a sign-up flood") has the
// figures of ADMITONE_LOGINFLOOD=1 (20 s a case); the default is a short
// run.
func TestLoginUnderSignUpFlood(t *testing.T) {
	span := 2 * time.Second
	if os.Getenv("ADMITONE_LOGINFLOOD") == "1" {
		span = 20 * time.Second
	}
	type result struct {
		name               string
		p50, p99, max      time.Duration
		logins             int
		created, refused   int64
		busy, flooderCalls int64
		loginBusy          int
	}
	var results []result
	for _, c := range []struct {
		name     string
		flooders int
		signUps  int // per address per hour; 0: the default
	}{
		{"no flood", 0, 0},
		{"6 flooders, sign-up limit on (default)", 6, 0},
		{"6 flooders, sign-up limit off", 6, 1 << 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarnessWith(t, "bolt", func(h *harness) {
				h.accounts.Limits = account.RateLimits{AddrAttempts: 1 << 20, SignUpAttempts: c.signUps}
				h.api.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
			})
			user := h.newUser(t, "regular")
			post := func(path, client string, body any) int {
				raw, _ := json.Marshal(body)
				req, err := http.NewRequestWithContext(t.Context(), "POST", h.srv.URL+path, bytes.NewReader(raw))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Forwarded-For", client)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					return 0
				}
				res.Body.Close()
				return res.StatusCode
			}
			var created, refused, busy, calls atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for f := range c.flooders {
				wg.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						calls.Add(1)
						switch post("/v1/auth/signup", "198.51.100.7", map[string]any{
							"email": fmt.Sprintf("flood-%d-%d@example.com", f, i), "password": "a long passphrase"}) {
						case http.StatusCreated:
							created.Add(1)
						case http.StatusTooManyRequests:
							refused.Add(1)
						case http.StatusServiceUnavailable:
							busy.Add(1)
						}
					}
				})
			}
			var lat []time.Duration
			var loginBusy int
			deadline := time.Now().Add(span)
			for time.Now().Before(deadline) && len(lat)+loginBusy < 10_000 {
				start := time.Now()
				status := post("/v1/auth/login", "203.0.113.9", map[string]any{"email": user.Email, "password": testPassword})
				switch {
				case status == http.StatusOK:
					lat = append(lat, time.Since(start))
				case status == http.StatusServiceUnavailable && c.signUps != 0:
					// Without the sign-up limit the flood holds the
					// hashing slots, and a login that waits past
					// HashWait is answered busy: what the limit is for.
					loginBusy++
				default:
					t.Fatalf("login %d of the user answered %d", len(lat)+loginBusy+1, status)
				}
			}
			if len(lat) == 0 {
				t.Fatalf("no login of the user succeeded in %v (%d answered busy)", span, loginBusy)
			}
			close(stop)
			wg.Wait()
			if c.flooders > 0 && c.signUps == 0 && (created.Load() > 10 || refused.Load() == 0) {
				t.Errorf("with the default limit the flood made %d accounts and was refused %d times, want at most 10 and refusals", created.Load(), refused.Load())
			}
			slices.Sort(lat)
			at := func(q float64) time.Duration { return lat[int(q*float64(len(lat)-1))] }
			results = append(results, result{name: c.name, p50: at(0.5), p99: at(0.99), max: lat[len(lat)-1], logins: len(lat),
				created: created.Load(), refused: refused.Load(), busy: busy.Load(), flooderCalls: calls.Load(), loginBusy: loginBusy})
		})
	}
	t.Logf("| case | logins | logins answered busy | login p50 | p99 | max | flood sign-ups created / 429 / 503 |")
	t.Logf("|---|---|---|---|---|---|---|")
	for _, r := range results {
		t.Logf("| %s | %d | %d | %v | %v | %v | %d / %d / %d |", r.name, r.logins, r.loginBusy, r.p50.Round(time.Millisecond/10),
			r.p99.Round(time.Millisecond/10), r.max.Round(time.Millisecond/10), r.created, r.refused, r.busy)
	}
}
