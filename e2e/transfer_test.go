package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
)

// transfer gives tk to the account of recipient (a session token,
// email) and returns the new ticket as the recipient sees it, token
// included.
func (e *event) transfer(t *testing.T, tk ticket, email, recipient string) ticket {
	t.Helper()
	var moved struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	call(t, "POST", e.base+"/v1/tickets/"+tk.ID+"/transfer", e.buyer, map[string]any{"to": email}, http.StatusCreated, &moved)
	if moved.Token != "" {
		t.Fatalf("the sender's transfer answer carries the recipient's token")
	}
	var mine ticket
	call(t, "GET", e.base+"/v1/tickets/"+moved.ID, recipient, nil, http.StatusOK, &mine)
	if mine.Token == "" || mine.Token == tk.Token {
		t.Fatalf("the recipient's ticket %s has token %q", moved.ID, mine.Token)
	}
	return mine
}

// wantRefused calls a route that must answer status with the error code.
func wantRefused(t *testing.T, method, url, token string, body any, status int, code string) {
	t.Helper()
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	call(t, method, url, token, body, status, &e)
	if e.Error.Code != code {
		t.Fatalf("%s %s: error %q (%s), want %q", method, url, e.Error.Code, e.Error.Message, code)
	}
}

// TestTransferHoles runs the attacks of a ticket that admits two people
// against real processes: syncserver and two scannerd gates, A (behind a
// proxy that can cut it off) and B.
func TestTransferHoles(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	srv := startServer(t, t.TempDir(), "", "127.0.0.1:0")
	ev := setupEvent(t, srv.url, 20)
	friend := account(t, srv.url, "friend@example.com")
	pa := newFaultProxy(t, srv.addr)
	a := newGate(t, ev, pa.url(), "A")
	b := newGate(t, ev, srv.url, "B")
	a.start(t)
	b.start(t)
	a.waitConnected(t, 1, 10*time.Second)
	b.waitConnected(t, 1, 10*time.Second)
	tks := ev.orders[0].Tickets

	// 1. Scanned in, then transferred from inside: refused, and so is the
	// buyer's refund. The recipient never gets a ticket.
	a.admit(t, tks[0])
	waitOutboxEmpty(t, a, 10*time.Second)
	wantRefused(t, "POST", srv.url+"/v1/tickets/"+tks[0].ID+"/transfer", ev.buyer, map[string]any{"to": "friend@example.com"}, http.StatusConflict, "ticket_used")
	wantRefused(t, "POST", srv.url+"/v1/orders/"+ev.orders[0].ID+"/refund", ev.buyer, nil, http.StatusConflict, "ticket_used")

	// 1, offline: gate A is cut off and admits a ticket; the server does
	// not know, so the transfer goes through. When A is back, the
	// replacement is refused at B (A's check-in carries over to it).
	pa.setMode(blackhole)
	a.admit(t, tks[1])
	gift := ev.transfer(t, tks[1], "friend@example.com", friend)
	waitVerdict(t, b, gift.Token, "accepted") // B learnt of the new ticket; nobody knows it is inside yet
	pa.setMode(forward)
	waitOutboxEmpty(t, a, 15*time.Second)
	took := waitVerdict(t, b, gift.Token, "already_used")
	t.Logf("gate B refused the transferred ticket %v after gate A's offline entry of the old one reached it", took.Round(time.Millisecond))
	if v := a.scan(t, gift.Token, false); v.Verdict != "already_used" {
		t.Errorf("gate A, the transferred ticket of the one it admitted: %s, want already_used", v)
	}

	// 1, offline, and the friend is faster: both are admitted, and the
	// server reports the conflict across the transfer.
	pa.setMode(blackhole)
	va := a.admit(t, tks[2])
	gift2 := ev.transfer(t, tks[2], "friend@example.com", friend)
	waitVerdict(t, b, gift2.Token, "accepted")
	vb := b.admit(t, gift2)
	waitOutboxEmpty(t, b, 10*time.Second)
	pa.setMode(forward)
	waitOutboxEmpty(t, a, 15*time.Second)
	var cs []conflict
	if _, ok := testenv.Poll(10*time.Second, 20*time.Millisecond, func() bool { cs = ev.conflicts(t); return len(cs) > 0 }); !ok {
		t.Fatal("the server lists no conflict for a ticket admitted at A and its replacement admitted at B")
	}
	c := cs[0]
	gates := map[string]string{c.First.GateID: c.First.CheckinID, c.Second.GateID: c.Second.CheckinID}
	if len(cs) != 1 || c.TicketID != tks[2].ID || gates[a.id] != va.CheckinID || gates[b.id] != vb.CheckinID {
		t.Errorf("conflicts %+v, want one for ticket %s with gate A's %s and gate B's %s", cs, tks[2].ID, va.CheckinID, vb.CheckinID)
	}

	// 2. The buyer's view of the order never shows a recipient's token.
	var paid struct {
		Tickets []struct {
			ID    string `json:"id"`
			Token string `json:"token"`
		} `json:"tickets"`
	}
	call(t, "POST", srv.url+"/v1/orders/"+ev.orders[0].ID+"/pay", ev.buyer, map[string]any{}, http.StatusOK, &paid)
	for _, tk := range paid.Tickets {
		if tk.Token != "" && (tk.Token == gift.Token || tk.Token == gift2.Token || tk.ID == gift.ID || tk.ID == gift2.ID) {
			t.Errorf("the buyer's paid order shows the recipient's token of %s", tk.ID)
		}
	}

	// 3. Transfer, then refund: refused, and the recipient's ticket still
	// admits.
	second := ev.orders[1]
	gift3 := ev.transfer(t, second.Tickets[0], "friend@example.com", friend)
	wantRefused(t, "POST", srv.url+"/v1/orders/"+second.ID+"/refund", ev.buyer, nil, http.StatusConflict, "ticket_transferred")
	waitVerdict(t, b, gift3.Token, "accepted")
	b.admit(t, gift3)
}
