package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
)

// newGate creates a gate of the event (at the event's server), enrols
// scannerd at enrolURL (the server, another server of the event, or a
// proxy before it) and leaves it stopped.
func newGate(t *testing.T, e *event, enrollURL, name string) *gate {
	t.Helper()
	id, code := e.createGate(t, name)
	return enroll(t, name, id, enrollURL, code)
}

// ofGate keeps the check-ins of one gate.
func ofGate(cs []serverCheckin, gateID string) []serverCheckin {
	var out []serverCheckin
	for _, c := range cs {
		if c.GateID == gateID {
			out = append(out, c)
		}
	}
	return out
}

// ofTicket keeps the check-ins of one ticket.
func ofTicket(cs []serverCheckin, ticketID string) []serverCheckin {
	var out []serverCheckin
	for _, c := range cs {
		if c.TicketID == ticketID {
			out = append(out, c)
		}
	}
	return out
}

// waitVerdict scans code with dry_run at g until the verdict is want, for
// up to 10 s, and returns how long that took.
func waitVerdict(t *testing.T, g *gate, code, want string) time.Duration {
	t.Helper()
	var v verdict
	// A dry run costs the gate a read: poll often, for a fine measure.
	took, ok := testenv.Poll(10*time.Second, 2*time.Millisecond, func() bool {
		v = g.scan(t, code, true)
		return v.Verdict == want
	})
	if !ok {
		t.Fatalf("gate %s still says %s after %v, want %s", g.name, v, took.Round(time.Millisecond), want)
	}
	return took
}

// waitOutboxEmpty waits up to timeout for the gate to have uploaded
// everything and returns how long that took.
func waitOutboxEmpty(t *testing.T, g *gate, timeout time.Duration) time.Duration {
	t.Helper()
	var st gateStatus
	took, ok := testenv.Poll(timeout, 20*time.Millisecond, func() bool { st = g.status(t); return st.Outbox == 0 })
	if !ok {
		t.Fatalf("gate %s: %d check-ins still in the outbox after %v", g.name, st.Outbox, timeout)
	}
	return took
}

// TestCrossGateRefusal: a ticket admitted at gate A is refused as
// already_used at gate B once A's check-in went through the server, and a
// refund revokes the order's other tickets at both gates.
func TestCrossGateRefusal(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	srv := startServer(t, t.TempDir(), "", "127.0.0.1:0")
	ev := setupEvent(t, srv.url, 20)
	a, b := newGate(t, ev, srv.url, "A"), newGate(t, ev, srv.url, "B")
	a.start(t)
	b.start(t)
	a.waitConnected(t, 1, 10*time.Second)
	b.waitConnected(t, 1, 10*time.Second)

	tk := ev.orders[0].Tickets[0]
	if v := b.scan(t, tk.Token, true); v.Verdict != "accepted" {
		t.Fatalf("gate B before any scan: %s, want accepted (dry run)", v)
	}
	va := a.admit(t, tk)
	took := waitVerdict(t, b, tk.Token, "already_used")
	t.Logf("gate B refused the ticket %v after gate A admitted it", took.Round(time.Millisecond))
	vb := b.scan(t, tk.Token, false)
	if vb.Verdict != "already_used" || vb.CheckinID != "" {
		t.Fatalf("real scan at gate B: %s with check-in %q, want already_used and none", vb, vb.CheckinID)
	}
	if vb.Previous == nil || vb.Previous.GateID != a.id {
		t.Errorf("gate B's already_used names %+v as the earlier check-in, want gate A (%s)", vb.Previous, a.id)
	}
	waitOutboxEmpty(t, a, 10*time.Second)
	got := ofTicket(ev.checkins(t, srv.url), va.TicketID)
	if len(got) != 1 || got[0].CheckinID != va.CheckinID || got[0].GateID != a.id || got[0].Offline {
		t.Errorf("the server holds %+v for the ticket, want only gate A's online check-in %s", got, va.CheckinID)
	}

	// The organizer refunds the order (its buyer may not: one of its
	// tickets was used to enter): its other tickets are revoked at both
	// gates, which learn it from the server's log.
	refund := time.Now()
	call(t, "POST", srv.url+"/v1/orders/"+ev.orders[0].ID+"/refund", ev.organizer, nil, http.StatusOK, nil)
	other := ev.orders[0].Tickets[1]
	for _, g := range []*gate{a, b} {
		waitVerdict(t, g, other.Token, "revoked")
		t.Logf("gate %s refuses a refunded ticket %v after the refund", g.name, time.Since(refund).Round(time.Millisecond))
	}
	for _, g := range []*gate{a, b} {
		if v := g.scan(t, other.Token, false); v.Verdict != "revoked" || v.CheckinID != "" {
			t.Errorf("real scan of a refunded ticket at gate %s: %s with check-in %q, want revoked and none", g.name, v, v.CheckinID)
		}
	}
	// A ticket of another order is untouched.
	if v := b.scan(t, ev.orders[1].Tickets[0].Token, true); v.Verdict != "accepted" {
		t.Errorf("gate B, a ticket of an order not refunded: %s, want accepted (dry run)", v)
	}
	if n := len(ev.checkins(t, srv.url)); n != 1 {
		t.Errorf("the server holds %d check-ins, want 1: refused scans are not check-ins", n)
	}

	// Both scannerd processes reported their health: online, their
	// version, and their real scans (dry runs are not counted) with the
	// refusals by verdict.
	want := map[string]gateCounts{
		a.id: {Scans: 2, Admits: 1, Refusals: map[string]int64{"revoked": 1}},
		b.id: {Scans: 2, Refusals: map[string]int64{"already_used": 1, "revoked": 1}},
	}
	var health map[string]gateHealth
	if _, ok := testenv.Poll(10*time.Second, 50*time.Millisecond, func() bool {
		health = ev.gateHealth(t, srv.url)
		for id, w := range want {
			h := health[id]
			if !h.Online || h.Scans != w.Scans || h.Admits != w.Admits || !sameCounts(h.Refusals, w.Refusals) || !strings.HasPrefix(h.Version, "scannerd") {
				return false
			}
		}
		return true
	}); !ok {
		t.Errorf("gate health %+v, want online scannerd gates counting %+v", health, want)
	}
}

// gateCounts and gateHealth are what GET /v1/events/{id}/gates shows of
// a gate's health.
type gateCounts struct {
	Scans    int64            `json:"scans"`
	Admits   int64            `json:"admits"`
	Refusals map[string]int64 `json:"refusals"`
}

type gateHealth struct {
	gateCounts
	Online      bool   `json:"online"`
	Version     string `json:"version"`
	ClockSkewMS *int64 `json:"clock_skew_ms"`
	Outbox      int64  `json:"outbox"`
}

// gateHealth lists the event's gates' health by gate id.
func (e *event) gateHealth(t *testing.T, server string) map[string]gateHealth {
	t.Helper()
	var out struct {
		Gates []struct {
			ID     string     `json:"id"`
			Health gateHealth `json:"health"`
		} `json:"gates"`
	}
	call(t, "GET", server+"/v1/events/"+e.id+"/gates", e.organizer, nil, http.StatusOK, &out)
	m := make(map[string]gateHealth, len(out.Gates))
	for _, g := range out.Gates {
		m[g.ID] = g.Health
	}
	return m
}

func sameCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, n := range a {
		if b[k] != n {
			return false
		}
	}
	return true
}

// TestOfflineConflict: two gates cut off from the server (A behind a
// proxy that black-holes its connections, B run with --offline) both
// admit one ticket; once they reach the server, it holds both check-ins
// and lists one conflict naming both gates.
func TestOfflineConflict(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	srv := startServer(t, t.TempDir(), "", "127.0.0.1:0")
	ev := setupEvent(t, srv.url, 10)
	pa := newFaultProxy(t, srv.addr)
	a := newGate(t, ev, pa.url(), "A")
	b := newGate(t, ev, srv.url, "B")
	pa.setMode(blackhole)
	a.start(t)
	b.start(t, "--offline")

	tk := ev.orders[0].Tickets[0]
	va, vb := a.admit(t, tk), b.admit(t, tk)
	if a.connects() != 0 || b.connects() != 0 {
		t.Fatalf("gates connected %d and %d times while cut off", a.connects(), b.connects())
	}
	if n := len(ev.checkins(t, srv.url)); n != 0 {
		t.Fatalf("the server holds %d check-ins while both gates are cut off", n)
	}

	// Back online: A's network returns, B restarts without --offline.
	back := time.Now()
	pa.setMode(forward)
	b.stop(t)
	b.start(t)
	waitOutboxEmpty(t, a, 10*time.Second)
	waitOutboxEmpty(t, b, 10*time.Second)
	var cs []conflict
	if _, ok := testenv.Poll(10*time.Second, 20*time.Millisecond, func() bool { cs = ev.conflicts(t); return len(cs) > 0 }); !ok {
		t.Fatal("the server lists no conflict after both gates uploaded")
	}
	t.Logf("conflict listed %v after the gates came back", time.Since(back).Round(time.Millisecond))
	if len(cs) != 1 {
		t.Fatalf("the server lists %d conflicts, want 1: %+v", len(cs), cs)
	}
	c := cs[0]
	gates := map[string]string{c.First.GateID: c.First.CheckinID, c.Second.GateID: c.Second.CheckinID}
	if c.TicketID != va.TicketID || gates[a.id] != va.CheckinID || gates[b.id] != vb.CheckinID {
		t.Errorf("conflict %+v, want ticket %s with gate A's %s and gate B's %s", c, va.TicketID, va.CheckinID, vb.CheckinID)
	}
	if !c.First.Offline || !c.Second.Offline {
		t.Errorf("conflict %+v: both sides were admitted offline", c)
	}
	got := ofTicket(ev.checkins(t, srv.url), va.TicketID)
	if len(got) != 2 || !got[0].Offline || !got[1].Offline {
		t.Errorf("the server holds %+v for the ticket, want both gates' offline check-ins", got)
	}
	// Now each gate knows of the other's check-in, and a third scan is
	// refused everywhere.
	for _, g := range []*gate{a, b} {
		if v := g.scan(t, tk.Token, false); v.Verdict != "already_used" {
			t.Errorf("gate %s after sync: %s, want already_used", g.name, v)
		}
	}
}

// TestRefusedGates: the server refuses a wrong device credential, an
// unknown or used enrolment code and a revoked gate; a revoked scannerd
// says so in its log and keeps scanning offline.
func TestRefusedGates(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	srv := startServer(t, t.TempDir(), "", "127.0.0.1:0")
	ev := setupEvent(t, srv.url, 10)

	var random [32]byte
	rand.Read(random[:])
	// A websocket upgrade request, as a gate sends it, with each kind of
	// wrong credential.
	dial := func(credential string) (int, string) {
		t.Helper()
		req, err := http.NewRequest("GET", srv.url+"/v1/sync", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		if credential != "" {
			req.Header.Set("Authorization", "Bearer "+credential)
		}
		res, err := httpClient.Do(req)
		if err != nil {
			t.Fatalf("GET /v1/sync: %v", err)
		}
		defer res.Body.Close()
		if res.StatusCode == http.StatusSwitchingProtocols {
			return res.StatusCode, "" // the body is the websocket: close it unread
		}
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		json.NewDecoder(res.Body).Decode(&e)
		return res.StatusCode, e.Error.Code
	}
	for _, c := range []struct{ name, credential string }{
		{"none", ""},
		{"unknown", "aogc_" + hex.EncodeToString(random[:])},
		{"organizer's session", ev.organizer},
		{"enrolment code as credential", "aoec_" + hex.EncodeToString(random[:])},
		{"oversized", "aogc_" + strings.Repeat("a", 4096)},
	} {
		if status, code := dial(c.credential); status != http.StatusUnauthorized {
			t.Errorf("sync with credential %s: HTTP %d (%s), want 401", c.name, status, code)
		}
	}

	// Enrolment codes work once and only if the server made them.
	id, code := ev.createGate(t, "R")
	if out, err := runScannerd(t, "enroll", "--data-dir", t.TempDir(), "--server", srv.url, "--code", "aoec_"+hex.EncodeToString(random[:])); err == nil || !strings.Contains(out, "enrolment code unknown") {
		t.Errorf("scannerd enroll with an unknown code: %v, output %q; want a failure naming the code", err, out)
	}
	r := enroll(t, "R", id, srv.url, code)
	if out, err := runScannerd(t, "enroll", "--data-dir", t.TempDir(), "--server", srv.url, "--code", code); err == nil || !strings.Contains(out, "enrolment code unknown") {
		t.Errorf("scannerd enroll with a used code: %v, output %q; want a failure naming the code", err, out)
	}

	// A second device enrolled over plain HTTP, to hold its credential.
	id2, code2 := ev.createGate(t, "R2")
	var enr struct {
		Credential string `json:"credential"`
	}
	call(t, "POST", srv.url+"/v1/gates/enroll", "", map[string]any{"code": code2}, http.StatusOK, &enr)
	if !strings.HasPrefix(enr.Credential, "aogc_") {
		t.Fatalf("enrolment credential %q lacks aogc_", enr.Credential)
	}
	if status, _ := dial(enr.Credential); status != http.StatusSwitchingProtocols {
		t.Errorf("sync with a valid credential: HTTP %d, want 101", status)
	}
	call(t, "DELETE", srv.url+"/v1/gates/"+id2, ev.organizer, nil, http.StatusOK, nil)
	if status, code := dial(enr.Credential); status != http.StatusForbidden || code != "gate_revoked" {
		t.Errorf("sync with a revoked gate's credential: HTTP %d (%s), want 403 gate_revoked", status, code)
	}
	// Only an organizer revokes: the buyer is refused.
	if status, _, err := send("DELETE", srv.url+"/v1/gates/"+id, ev.buyer, nil); err != nil || status != http.StatusNotFound {
		t.Errorf("DELETE gate by the buyer: HTTP %d (%v), want 404", status, err)
	}

	// A running scannerd is revoked while connected.
	r.start(t)
	r.waitConnected(t, 1, 10*time.Second)
	first := r.admit(t, ev.orders[0].Tickets[0])
	waitOutboxEmpty(t, r, 10*time.Second)
	revoked := time.Now()
	call(t, "DELETE", srv.url+"/v1/gates/"+r.id, ev.organizer, nil, http.StatusOK, nil)
	if !r.waitCount("the server revoked this gate", 1, 10*time.Second) {
		t.Fatal("scannerd did not log that the server revoked it")
	}
	t.Logf("scannerd logged its revocation %v after the DELETE", time.Since(revoked).Round(time.Millisecond))
	// It scans on, offline: the check-in waits in its outbox.
	later := r.admit(t, ev.orders[0].Tickets[1])
	if r.exited() {
		t.Fatalf("revoked scannerd exited: %v", r.err)
	}
	if st := r.status(t); st.Outbox != 1 || st.Checkins != 2 {
		t.Errorf("revoked gate: outbox %d, check-ins %d; want 1 and 2", st.Outbox, st.Checkins)
	}
	// Restarted, it is refused at once and says so again; it does not
	// retry in a loop.
	r.stop(t)
	r.start(t)
	if !r.waitCount("the server revoked this gate", 1, 10*time.Second) {
		t.Fatal("restarted revoked scannerd did not log that the server revoked it")
	}
	if v := r.scan(t, ev.orders[0].Tickets[2].Token, false); v.Verdict != "accepted" {
		t.Errorf("revoked gate after restart: %s, want accepted (offline)", v)
	}
	time.Sleep(500 * time.Millisecond) // time for a retry loop to show
	if n := r.count("retrying"); n != 0 {
		t.Errorf("revoked scannerd retried %d times", n)
	}
	got := ofGate(ev.checkins(t, srv.url), r.id)
	if len(got) != 1 || got[0].CheckinID != first.CheckinID {
		t.Errorf("the server holds %+v from the revoked gate, want only %s from before the revocation (not %s)", got, first.CheckinID, later.CheckinID)
	}
}
