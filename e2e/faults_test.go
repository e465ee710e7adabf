package e2e

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
)

// faultRig is a server with an event of n tickets and one gate, A,
// enrolled through a fault proxy, running and connected.
type faultRig struct {
	srv   *server
	ev    *event
	proxy *faultProxy
	gate  *gate
}

func newFaultRig(t *testing.T, n int) *faultRig {
	t.Helper()
	r := &faultRig{srv: startServer(t, t.TempDir(), "", "127.0.0.1:0")}
	r.ev = setupEvent(t, r.srv.url, n)
	r.proxy = newFaultProxy(t, r.srv.addr)
	r.gate = newGate(t, r.ev, r.proxy.url(), "A")
	r.gate.start(t)
	r.gate.waitConnected(t, 1, 10*time.Second)
	return r
}

// stream admits each ticket at the gate in turn, pace apart, calling
// after(i) as soon as ticket i is admitted; it returns the accepted
// check-in ids (to their ticket ids) and the mean time the gate took to
// answer.
func (r *faultRig) stream(t *testing.T, ts []ticket, pace time.Duration, after func(i int)) (map[string]string, time.Duration) {
	t.Helper()
	ids := make(map[string]string, len(ts))
	var answer time.Duration
	for i, tk := range ts {
		start := time.Now()
		v := r.gate.admit(t, tk)
		answer += time.Since(start)
		if _, dup := ids[v.CheckinID]; dup {
			t.Fatalf("gate answered check-in id %s twice", v.CheckinID)
		}
		ids[v.CheckinID] = tk.ID
		if after != nil {
			after(i)
		}
		if pace > 0 {
			time.Sleep(pace)
		}
	}
	return ids, answer / time.Duration(max(1, len(ts)))
}

// delivered waits up to timeout until the gate's outbox is empty and the
// server holds exactly the check-ins want from the gate, each once; it
// returns how long that took and the server's check-ins of the gate. On
// timeout it fails the test with what is missing, extra or doubled.
func delivered(t *testing.T, r *faultRig, want map[string]string, timeout time.Duration) (time.Duration, []serverCheckin) {
	t.Helper()
	var got []serverCheckin
	var outbox int
	var problem string
	took, ok := testenv.Poll(timeout, 20*time.Millisecond, func() bool {
		if outbox = r.gate.status(t).Outbox; outbox != 0 {
			problem = fmt.Sprintf("%d check-ins still in the gate's outbox", outbox)
			return false
		}
		got = ofGate(r.ev.checkins(t, r.srv.url), r.gate.id)
		problem = exactlyOnce(got, want)
		return problem == ""
	})
	if !ok {
		t.Fatalf("after %v: %s", took.Round(time.Millisecond), problem)
	}
	return took, got
}

// exactlyOnce compares the server's check-ins with the gate's accepted
// ones: "" when each accepted check-in is there once, for its ticket, and
// nothing else is; otherwise what differs.
func exactlyOnce(got []serverCheckin, want map[string]string) string {
	seen := make(map[string]int, len(got))
	var extra, doubled, wrong []string
	for _, c := range got {
		seen[c.CheckinID]++
		switch ticket, ok := want[c.CheckinID]; {
		case !ok:
			extra = append(extra, c.CheckinID)
		case seen[c.CheckinID] == 2:
			doubled = append(doubled, c.CheckinID)
		case ticket != c.TicketID:
			wrong = append(wrong, c.CheckinID)
		}
	}
	var missing []string
	for id := range want {
		if seen[id] == 0 {
			missing = append(missing, id)
		}
	}
	if len(extra)+len(doubled)+len(wrong)+len(missing) == 0 {
		return ""
	}
	sort.Strings(missing)
	return fmt.Sprintf("the server holds %d check-ins of the gate, want %d: %d missing %.3v, %d unknown %.3v, %d more than once %.3v, %d for another ticket %.3v",
		len(got), len(want), len(missing), missing, len(extra), extra, len(doubled), doubled, len(wrong), wrong)
}

// offlineCount counts the check-ins flagged offline.
func offlineCount(cs []serverCheckin) int {
	n := 0
	for _, c := range cs {
		if c.Offline {
			n++
		}
	}
	return n
}

// TestBusyGate is the baseline of the fault tests: no fault, but a gate
// scanning 400 tickets about as fast as it can (some 300 a second, as a
// gate whose local API serves many handheld scanners might). It stays
// connected throughout, so no check-in is flagged offline, and each
// reaches the server once. (It found the rate limit cutting off such a
// gate: see sync.uploadGap.)
func TestBusyGate(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	r := newFaultRig(t, 400)
	start := time.Now()
	want, mean := r.stream(t, r.ev.tickets(), 2*time.Millisecond, nil)
	rate := float64(len(want)) / time.Since(start).Seconds()
	took, got := delivered(t, r, want, 10*time.Second)
	t.Logf("%d scans at %.0f a second (mean answer %v); all on the server %v after the last scan",
		len(want), rate, mean.Round(time.Microsecond), took.Round(time.Millisecond))
	if n := r.gate.connects(); n != 1 {
		t.Errorf("the gate connected %d times: a busy gate was disconnected (%s)", n, lastLine(r.gate.logs.String(), "sync: disconnected"))
	}
	if n := offlineCount(got); n != 0 {
		t.Errorf("%d check-ins flagged offline though the network never failed", n)
	}
}

// lastLine is the last line of log that contains s, or "".
func lastLine(log, s string) string {
	lines := strings.Split(log, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], s) {
			return lines[i]
		}
	}
	return ""
}

// TestFaultServerKilled: the server is SIGKILLed in the middle of a
// stream of 200 scans at a gate and restarted on the same data; every
// accepted check-in reaches it exactly once.
func TestFaultServerKilled(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	r := newFaultRig(t, 200)
	const killAt, restartAt = 59, 129
	var killed time.Time
	want, _ := r.stream(t, r.ev.tickets(), 5*time.Millisecond, func(i int) {
		switch i {
		case killAt:
			// Right after a scan, while its upload is on the way.
			r.srv.kill(t)
			killed = time.Now()
			t.Logf("SIGKILL to the server after %d scans; %d check-ins unacknowledged in the gate's outbox",
				i+1, r.gate.status(t).Outbox)
		case restartAt:
			// Scanning goes on while the server starts.
			r.srv = r.srv.launch(t)
		}
	})
	r.srv.waitListening(t)
	t.Logf("server down for %v (until it listened again)", time.Since(killed).Round(time.Millisecond))
	took, got := delivered(t, r, want, 30*time.Second)
	t.Logf("all %d check-ins on the server %v after the last scan; %d flagged offline; gate connected %d times",
		len(want), took.Round(time.Millisecond), offlineCount(got), r.gate.connects())
	if r.gate.connects() < 2 {
		t.Errorf("the gate connected %d times: it never reconnected to the restarted server", r.gate.connects())
	}
}

// TestFaultGateKilled: the gate is SIGKILLed right after a scan, its
// upload on the way, and restarted on its data: what it accepted before
// the kill was durable and reaches the server once, with what it accepts
// after.
func TestFaultGateKilled(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	r := newFaultRig(t, 100)
	ts := r.ev.tickets()
	before, _ := r.stream(t, ts[:50], 5*time.Millisecond, func(i int) {
		if i == 49 {
			r.gate.kill(t)
		}
	})
	r.gate.start(t)
	r.gate.waitConnected(t, 1, 10*time.Second)
	after, _ := r.stream(t, ts[50:], 5*time.Millisecond, nil)
	for id, tk := range before {
		after[id] = tk
	}
	took, _ := delivered(t, r, after, 10*time.Second)
	t.Logf("all %d check-ins on the server %v after the last scan", len(after), took.Round(time.Millisecond))
	// The restarted gate still knows the tickets it admitted.
	if v := r.gate.scan(t, ts[0].Token, true); v.Verdict != "already_used" {
		t.Errorf("restarted gate, a ticket it admitted before the kill: %s, want already_used", v)
	}
}

// TestFaultConnectionResets: the proxy resets the gate's connection
// every 100 ms during a stream of 200 scans. A little latency (10 ms
// each way) keeps uploads and acks on the wire long enough for resets to
// cut them.
func TestFaultConnectionResets(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	r := newFaultRig(t, 200)
	r.proxy.setLatency(10 * time.Millisecond)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				r.proxy.resetAll()
			}
		}
	}()
	want, _ := r.stream(t, r.ev.tickets(), 10*time.Millisecond, nil)
	close(stop)
	<-done
	resets, cut := r.proxy.resets.Load(), r.proxy.cutMidExchange.Load()
	took, got := delivered(t, r, want, 30*time.Second)
	t.Logf("%d connections reset during the stream, %d of them mid-exchange; all %d check-ins on the server %v after the last scan; %d flagged offline; gate connected %d times",
		resets, cut, len(want), took.Round(time.Millisecond), offlineCount(got), r.gate.connects())
	if resets == 0 {
		t.Error("no connection was reset: the test did not test resets")
	}
}

// TestFaultLatency: 200 ms each way between gate and server slows sync
// but neither the gate's answers nor its connection.
func TestFaultLatency(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	r := newFaultRig(t, 100)
	ts := r.ev.tickets()
	// A baseline stream without latency, then one with it.
	wantFast, fast := r.stream(t, ts[:50], 5*time.Millisecond, nil)
	tookFast, _ := delivered(t, r, wantFast, 10*time.Second)
	r.proxy.setLatency(200 * time.Millisecond)
	wantSlow, slow := r.stream(t, ts[50:], 5*time.Millisecond, nil)
	for id, tk := range wantSlow {
		wantFast[id] = tk
	}
	tookSlow, got := delivered(t, r, wantFast, 30*time.Second)
	t.Logf("without latency: mean answer %v, uploaded %v after the last scan", fast.Round(time.Microsecond), tookFast.Round(time.Millisecond))
	t.Logf("with 200 ms each way: mean answer %v, uploaded %v after the last scan", slow.Round(time.Microsecond), tookSlow.Round(time.Millisecond))
	if n := offlineCount(got); n != 0 {
		t.Errorf("%d check-ins flagged offline: latency alone must not disconnect the gate", n)
	}
	if n := r.gate.connects(); n != 1 {
		t.Errorf("the gate connected %d times: latency alone must not drop its connection", n)
	}
}

// TestFaultGateOffline: the proxy refuses the gate's connections for a
// stretch of 300 scans; they queue in the outbox, flagged offline, and
// all reach the server once it is reachable again.
func TestFaultGateOffline(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	r := newFaultRig(t, 310)
	ts := r.ev.tickets()
	online, _ := r.stream(t, ts[:10], 0, nil)
	delivered(t, r, online, 10*time.Second)

	disconnects := r.gate.count("sync: disconnected")
	r.proxy.setMode(refuse)
	if !r.gate.waitCount("sync: disconnected", disconnects+1, 10*time.Second) {
		t.Fatal("the gate did not notice its connection reset")
	}
	offline, _ := r.stream(t, ts[10:], 3*time.Millisecond, nil)
	if st := r.gate.status(t); st.Outbox != len(offline) {
		t.Errorf("gate offline after %d scans: outbox %d, want %d", len(offline), st.Outbox, len(offline))
	}
	if got := ofGate(r.ev.checkins(t, r.srv.url), r.gate.id); len(got) != len(online) {
		t.Errorf("the server holds %d check-ins of the gate while it is cut off, want %d", len(got), len(online))
	}

	refused := r.proxy.refused.Load()
	r.proxy.setMode(forward)
	all := make(map[string]string, len(ts))
	for id, tk := range online {
		all[id] = tk
	}
	for id, tk := range offline {
		all[id] = tk
	}
	took, got := delivered(t, r, all, 30*time.Second)
	t.Logf("%d scans offline (%d connection attempts refused); all %d check-ins on the server %v after the network returned",
		len(offline), refused, len(all), took.Round(time.Millisecond))
	for _, c := range got {
		if _, wasOffline := offline[c.CheckinID]; c.Offline != wasOffline {
			t.Errorf("check-in %s flagged offline=%v, want %v", c.CheckinID, c.Offline, wasOffline)
		}
	}
}
