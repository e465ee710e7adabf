package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/storage/postgres/pgtest"
)

// deskScans is how many check-ins TestDeskCheckinDelay times.
const deskScans = 60

// TestDeskCheckinDelay measures the delay from a check-in at a real gate
// (scannerd's local scan API, which records it and uploads it at once)
// to the desk's live feed sending figures that count it, for
// BENCHMARKS.md: on bbolt with one server, and on PostgreSQL with the
// gate syncing to one server and the dashboard open on another (the
// check-in reaches the second through LISTEN/NOTIFY). It logs p50, p99
// and the maximum; it asserts only that every check-in reached the feed.
func TestDeskCheckinDelay(t *testing.T) {
	t.Run("bolt", func(t *testing.T) {
		s := startServer(t, t.TempDir(), "", "127.0.0.1:0")
		measureDeskDelay(t, s.url, s.url)
	})
	t.Run("postgres-two-servers", func(t *testing.T) {
		needBinaries(t)
		dsn := pgtest.FreshSchema(t) // skips without PostgreSQL; fails under CI=true
		dir1, dir2 := t.TempDir(), t.TempDir()
		s1 := startServer(t, dir1, dsn, "127.0.0.1:0")
		key, err := os.ReadFile(filepath.Join(dir1, "seal.key"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir2, "seal.key"), key, 0o600); err != nil {
			t.Fatal(err)
		}
		s2 := startServer(t, dir2, dsn, "127.0.0.1:0")
		measureDeskDelay(t, s1.url, s2.url)
	})
}

// measureDeskDelay sets up an event on gateURL with a gate syncing there,
// opens its dashboard's feed at deskURL, admits deskScans tickets one by
// one and logs how long each took to show in the feed.
func measureDeskDelay(t *testing.T, gateURL, deskURL string) {
	e := setupEvent(t, gateURL, deskScans)
	id, code := e.createGate(t, "North")
	g := enroll(t, "north", id, gateURL, code)
	g.start(t)
	g.waitConnected(t, 1, 30*time.Second)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	feed := openDeskFeed(t, ctx, deskURL, "organizer@example.com", e.id)
	// fromScan counts from the scan request to the gate; fromVerdict
	// from its answer, when the check-in is in gate.db and its upload
	// is due (the upload follows within sync's uploadGap, 40 ms), so it
	// bounds the upload-to-feed delay from above.
	var fromScan, fromVerdict []time.Duration
	for i, tk := range e.tickets() {
		start := time.Now()
		g.admit(t, tk)
		verdict := time.Now()
		for f := range feed {
			if f.checkedIn >= i+1 {
				fromScan, fromVerdict = append(fromScan, f.at.Sub(start)), append(fromVerdict, f.at.Sub(verdict))
				break
			}
		}
		if len(fromScan) != i+1 {
			t.Fatalf("the feed ended before check-in %d showed", i+1)
		}
		time.Sleep(100 * time.Millisecond) // one check-in at a time
	}
	for _, d := range []struct {
		what string
		ds   []time.Duration
	}{{"scan request at the gate", fromScan}, {"gate's verdict", fromVerdict}} {
		slices.Sort(d.ds)
		q := func(p float64) time.Duration {
			return d.ds[int(p*float64(len(d.ds)-1)+0.5)].Round(100 * time.Microsecond)
		}
		t.Logf("%s to the desk's figure: n=%d p50=%v p99=%v max=%v", d.what, len(d.ds), q(0.5), q(0.99), q(1))
	}
}

// feedFigures is what the delay test reads of a figures message, stamped
// with when it arrived.
type feedFigures struct {
	checkedIn int
	at        time.Time
}

var deskCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// openDeskFeed signs in to the desk at base as a browser would and reads
// the event's live feed until ctx ends, sending each figures message.
func openDeskFeed(t *testing.T, ctx context.Context, base, email, eventID string) <-chan feedFigures {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) string {
		res, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	m := deskCSRF.FindStringSubmatch(get("/desk/login"))
	if m == nil {
		t.Fatal("the desk's sign-in page has no CSRF field")
	}
	res, err := c.PostForm(base+"/desk/login", url.Values{"csrf": {m[1]}, "email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("desk sign-in: %d", res.StatusCode)
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/desk/events/"+eventID+"/live", nil)
	res, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("live feed: %d", res.StatusCode)
	}
	out := make(chan feedFigures, 64)
	go func() {
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var f struct {
				CheckedIn int `json:"checked_in"`
			}
			if json.Unmarshal([]byte(data), &f) == nil {
				out <- feedFigures{checkedIn: f.CheckedIn, at: time.Now()}
			}
		}
	}()
	return out
}
