package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/storage/postgres/pgtest"
)

// TestMultiProcess: two syncserver processes on one PostgreSQL database
// serve one event; gate A syncs with the first, gate B with the second. A
// check-in at either gate, and a refund made at the first server, reach
// the gate of the other server (LISTEN/NOTIFY between them).
func TestMultiProcess(t *testing.T) {
	needBinaries(t)
	dsn := pgtest.FreshSchema(t) // skips without PostgreSQL; fails under CI=true
	t.Parallel()
	servers := startServers(t, dsn, 2)
	s1, s2 := servers[0], servers[1]

	ev := setupEvent(t, s1.url, 20)
	a := newGate(t, ev, s1.url, "A")
	ev2 := *ev
	ev2.base = s2.url // the organizer's session works at either server
	b := newGate(t, &ev2, s2.url, "B")
	a.start(t)
	b.start(t)
	a.waitConnected(t, 1, 10*time.Second)
	b.waitConnected(t, 1, 10*time.Second)
	if s1.count(`msg="sync: gate connected"`) != 1 || s2.count(`msg="sync: gate connected"`) != 1 {
		t.Fatalf("gates connected %d times to server 1 and %d to server 2, want once each",
			s1.count(`msg="sync: gate connected"`), s2.count(`msg="sync: gate connected"`))
	}

	t1, t2 := ev.orders[0].Tickets[0], ev.orders[0].Tickets[1]
	va := a.admit(t, t1)
	took := waitVerdict(t, b, t1.Token, "already_used")
	t.Logf("gate B (server 2) refused a ticket %v after gate A (server 1) admitted it", took.Round(time.Millisecond))
	vb := b.admit(t, t2)
	took = waitVerdict(t, a, t2.Token, "already_used")
	t.Logf("gate A (server 1) refused a ticket %v after gate B (server 2) admitted it", took.Round(time.Millisecond))

	// Both servers list both check-ins, each once.
	want := map[string]string{va.CheckinID: va.TicketID, vb.CheckinID: vb.TicketID}
	for _, s := range []*server{s1, s2} {
		if _, ok := testenv.Poll(10*time.Second, 20*time.Millisecond, func() bool { return exactlyOnce(ev.checkins(t, s.url), want) == "" }); !ok {
			t.Errorf("%s: %s", s.name, exactlyOnce(ev.checkins(t, s.url), want))
		}
	}

	// A refund at server 1 revokes the order's tickets at gate B too. (It
	// is made where the order was paid: the built-in test payment
	// provider keeps its payments in the memory of the process.)
	refund := time.Now()
	call(t, "POST", s1.url+"/v1/orders/"+ev.orders[1].ID+"/refund", ev.buyer, nil, http.StatusOK, nil)
	waitVerdict(t, b, ev.orders[1].Tickets[0].Token, "revoked")
	t.Logf("gate B (server 2) refuses a ticket %v after its refund at server 1", time.Since(refund).Round(time.Millisecond))
	waitOutboxEmpty(t, a, 10*time.Second)
	waitOutboxEmpty(t, b, 10*time.Second)
}

// startServers starts n syncserver processes on the PostgreSQL database
// dsn, each on a free loopback port with a data directory of its own and
// the extra flags, and waits until all listen. Issuer keys are sealed in
// the database under the seal key, so every server of one database needs
// the same one: the first server makes it and the others get a copy.
func startServers(t *testing.T, dsn string, n int, extra ...string) []*server {
	t.Helper()
	first := t.TempDir()
	servers := []*server{startServer(t, first, dsn, "127.0.0.1:0", extra...)}
	key, err := os.ReadFile(filepath.Join(first, "seal.key"))
	if err != nil {
		t.Fatalf("the first server wrote no seal key: %v", err)
	}
	for range n - 1 {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "seal.key"), key, 0o600); err != nil {
			t.Fatal(err)
		}
		servers = append(servers, startServer(t, dir, dsn, "127.0.0.1:0", extra...))
	}
	return servers
}
