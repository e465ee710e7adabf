package sync_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/internal/services"
	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/scanner"
	"github.com/admitone/admitone/storage/bolt"
	ticketsync "github.com/admitone/admitone/sync"
	"github.com/admitone/admitone/sync/gatebench"
	"github.com/admitone/admitone/vault"
)

// world is a server (hub and enroller over a bolt store, behind
// httptest) with one event, and a way to sign its tickets.
type world struct {
	db      benchStore
	hub     *ticketsync.Hub
	enr     *ticketsync.Enroller
	vault   *vault.Vault
	srv     *httptest.Server
	eventID string
	typeID  string // the event's ticket type, once ticket made it
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newWorldOn(t, db)
}

// newWorldOn is newWorld over a given store.
func newWorldOn(t *testing.T, db benchStore) *world {
	t.Helper()
	var seal ticketcrypto.SealKey
	rand.Read(seal[:])
	w := &world{db: db, vault: &vault.Vault{Store: db, Seal: &seal}}
	w.hub = &ticketsync.Hub{Store: db, Changes: db, Tickets: services.HubTickets{Store: db}}
	w.enr = &ticketsync.Enroller{Store: db, Changes: db, Keys: w.vault, TypeNames: services.GateTypeNames(db)}
	w.eventID = gatebench.Event(t, db)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/sync", func(rw http.ResponseWriter, r *http.Request) {
		g, err := w.hub.Authenticate(r.Context(), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		switch {
		case errors.Is(err, ticketsync.ErrRevoked):
			http.Error(rw, "revoked", http.StatusForbidden)
		case err != nil:
			http.Error(rw, "unknown credential", http.StatusUnauthorized)
		default:
			if err := w.hub.ServeGate(rw, r, g); err != nil {
				http.Error(rw, err.Error(), http.StatusTooManyRequests)
			}
		}
	})
	w.srv = httptest.NewServer(mux)
	t.Cleanup(func() { w.hub.Shutdown(); w.srv.Close() })
	return w
}

// ticket signs a ticket of the event and stores it paid, as a paid
// order does, which logs its issue.
func (w *world) ticket(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	st, err := w.vault.SignTicket(ctx, purchase.TicketToSign{EventID: w.eventID, TypeNumber: 1})
	if err != nil {
		t.Fatal(err)
	}
	if w.typeID == "" {
		tt, err := w.db.CreateTicketType(ctx, catalog.TicketType{ID: id.New("tt"), EventID: w.eventID, Name: "Standing",
			Kind: catalog.KindAdmission, Price: catalog.Money{Amount: 1000, Currency: "EUR"}, Capacity: 100, PerOrderMax: 6, CreatedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if tt.Number != 1 {
			t.Fatalf("first ticket type has number %d", tt.Number)
		}
		w.typeID = tt.ID
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	buyer := id.New("usr")
	h := purchase.Hold{ID: id.New("hld"), BuyerID: buyer, EventID: w.eventID, Lines: []purchase.Line{{TicketTypeID: w.typeID, Quantity: 1}},
		CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
	if err := w.db.Reserve(ctx, h, purchase.Limits{Types: map[string]purchase.TypeLimit{w.typeID: {Capacity: 100, PerOrderMax: 6}}}); err != nil {
		t.Fatal(err)
	}
	price := catalog.Money{Amount: 1000, Currency: "EUR"}
	o := purchase.Order{ID: id.New("ord"), HoldID: h.ID, BuyerID: buyer, EventID: w.eventID, Status: purchase.StatusPendingPayment,
		Lines: []purchase.OrderLine{{TicketTypeID: w.typeID, Quantity: 1, UnitPrice: price}}, Total: price, CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
	if err := w.db.CreateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	tk := purchase.Ticket{ID: st.ID, EventID: w.eventID, TicketTypeID: w.typeID, TypeNumber: 1, OrderID: o.ID, HolderID: buyer,
		Token: st.Token, KeyID: st.KeyID, Status: purchase.TicketValid, IssuedAt: now}
	if _, err := w.db.MarkPaid(ctx, o.ID, "pi_"+o.ID, now, []purchase.Ticket{tk}); err != nil {
		t.Fatal(err)
	}
	return st.Token
}

// gate is an enrolled scannerd: its store, engine and sync client.
type gate struct {
	id     string
	store  *scanner.Store
	engine *scanner.Engine
	client *ticketsync.Client
	stop   context.CancelFunc
	done   chan error
}

func (w *world) enroll(t *testing.T, name string) *gate {
	t.Helper()
	ctx := context.Background()
	g, code, err := w.enr.CreateGate(ctx, w.eventID, ticketsync.GateSpec{Name: name, Direction: bundle.Entry}, "usr_test")
	if err != nil {
		t.Fatal(err)
	}
	enr, err := w.enr.Enroll(ctx, code, ticketsync.EnrollOptions{Names: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.enr.Enroll(ctx, code, ticketsync.EnrollOptions{}); !errors.Is(err, ticketsync.ErrNotFound) {
		t.Fatalf("second use of an enrolment code: %v, want ErrNotFound", err)
	}
	s, err := scanner.OpenStore(filepath.Join(t.TempDir(), name), scanner.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Enroll(enr, w.srv.URL, code, time.Now()); err != nil {
		t.Fatal(err)
	}
	c := &ticketsync.Client{Server: w.srv.URL, Credential: enr.Credential, Store: s, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}
	gt := &gate{id: g.ID, store: s, client: c, engine: &scanner.Engine{Store: s, Online: c.Connected, Recorded: c.Kick}}
	return gt
}

func (g *gate) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	g.stop, g.done = cancel, make(chan error, 1)
	go func() { g.done <- g.client.Run(ctx) }()
	t.Cleanup(g.halt)
}

func (g *gate) halt() {
	if g.stop != nil {
		g.stop()
		<-g.done
		g.stop = nil
	}
}

func (g *gate) scan(t *testing.T, code string, dry bool) scanner.Result {
	t.Helper()
	res, err := g.engine.Check(code, scanner.CheckOptions{DryRun: dry})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// eventually polls cond every 5 ms for up to d.
func eventually(d time.Duration, cond func() bool) bool {
	_, ok := testenv.Poll(d, 5*time.Millisecond, cond)
	return ok
}

func outbox(t *testing.T, g *gate) int {
	n, err := g.store.OutboxLen()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCrossGate: a ticket admitted at gate A is already_used at gate B
// once A's check-in travelled through the server; the outbox empties;
// the server logs the check-in once.
func TestCrossGate(t *testing.T) {
	w := newWorld(t)
	token := w.ticket(t)
	a, b := w.enroll(t, "north"), w.enroll(t, "south")
	a.start(t)
	b.start(t)
	if !eventually(5*time.Second, func() bool { return a.client.Connected() && b.client.Connected() }) {
		t.Fatal("gates did not connect")
	}
	if res := a.scan(t, token, false); res.Verdict != scanner.Accepted {
		t.Fatalf("gate A: %s (%s)", res.Verdict, res.Reason)
	}
	start := time.Now()
	var res scanner.Result
	if !eventually(5*time.Second, func() bool { res = b.scan(t, token, true); return res.Verdict == scanner.AlreadyUsed }) {
		t.Fatalf("gate B still says %s (%s)", res.Verdict, res.Reason)
	}
	t.Logf("gate B refused the ticket %v after gate A admitted it", time.Since(start).Round(time.Millisecond))
	if res.Previous == nil || res.Previous.GateID != a.id {
		t.Errorf("gate B's already_used names %+v, want gate %s", res.Previous, a.id)
	}
	if !eventually(5*time.Second, func() bool { return outbox(t, a) == 0 }) {
		t.Errorf("gate A's outbox holds %d after the ack", outbox(t, a))
	}

	// The server stored A's check-in once, in the event's log.
	log, err := w.db.Changes(context.Background(), w.eventID, 0, 100)
	must(t, err)
	n := 0
	for _, c := range log {
		if c.Kind == changelog.KindCheckin {
			n++
			if c.GateID != a.id || c.TicketID != res.TicketID {
				t.Errorf("logged check-in %+v", c)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d check-ins logged, want 1", n)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestOfflineConflict: two gates cut off from the server admit one
// ticket; after they reconnect the server holds both check-ins and lists
// the conflict with both gates and times; both outboxes empty.
func TestOfflineConflict(t *testing.T) {
	w := newWorld(t)
	token := w.ticket(t)
	a, b := w.enroll(t, "east"), w.enroll(t, "west")
	ra, rb := a.scan(t, token, false), b.scan(t, token, false)
	if ra.Verdict != scanner.Accepted || rb.Verdict != scanner.Accepted {
		t.Fatalf("offline gates: %s, %s; both should admit", ra.Verdict, rb.Verdict)
	}
	a.start(t)
	b.start(t)
	if !eventually(5*time.Second, func() bool { return outbox(t, a) == 0 && outbox(t, b) == 0 }) {
		t.Fatalf("outboxes hold %d and %d", outbox(t, a), outbox(t, b))
	}
	var cs []ticketsync.Conflict
	if !eventually(5*time.Second, func() bool {
		var err error
		cs, err = w.db.Conflicts(context.Background(), w.eventID, 10)
		return err == nil && len(cs) == 1
	}) {
		t.Fatalf("conflicts: %+v", cs)
	}
	c := cs[0]
	gates := map[string]bool{c.First.GateID: true, c.Second.GateID: true}
	if !gates[a.id] || !gates[b.id] || c.TicketID != ra.TicketID || !c.First.Offline || !c.Second.Offline || c.First.At.IsZero() || c.Second.At.IsZero() {
		t.Errorf("conflict %+v, want gates %s and %s, both offline", c, a.id, b.id)
	}
}

// dial opens a raw websocket as a gate with credential.
func dial(t *testing.T, w *world, credential string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	url := "ws" + strings.TrimPrefix(w.srv.URL, "http") + "/v1/sync"
	return websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer " + credential}})
}

// closeOf reads until the server closes and returns the close frame.
func closeOf(t *testing.T, ws *websocket.Conn) *websocket.CloseError {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce
			}
			t.Fatalf("connection ended without a close frame: %v", err)
		}
	}
}

// TestBadInput: each bad frame or credential is refused with a close
// code and a reason naming the problem, nothing is stored, and another
// gate keeps syncing meanwhile.
func TestBadInput(t *testing.T) {
	w := newWorld(t)
	token := w.ticket(t)
	good := w.enroll(t, "good")
	good.start(t)
	bad := w.enroll(t, "bad")
	cred := bad.client.Credential

	// Unknown credential: 401 before the upgrade.
	if _, res, err := dial(t, w, "aogc_nope"); err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown credential: %v, %v", res, err)
	}
	hello := `{"type":"hello","version":1,"since":0}`
	ci := func(event, gateID string) string {
		b, _ := json.Marshal(changelog.Checkin{ID: changelog.NewCheckinID(time.Now()).String(), EventID: event, GateID: gateID,
			TicketID: ticketcrypto.NewTicketID().String(), TypeNumber: 1, Direction: bundle.Entry, At: time.Now().UTC()})
		return `{"type":"upload","checkins":[` + string(b) + `]}`
	}
	cases := []struct {
		name   string
		frames []string
		binary bool
		code   int
		reason string
	}{
		{"malformed JSON", []string{hello, `{"type":"upload","checkins":[`}, false, ticketsync.CloseBadData, "malformed"},
		{"unknown type", []string{hello, `{"type":"teleport"}`}, false, ticketsync.CloseUnsupported, "unknown frame type"},
		{"unknown field", []string{hello, `{"type":"upload","bogus":1}`}, false, ticketsync.CloseBadData, "bogus"},
		{"no hello", []string{`{"type":"upload","checkins":[]}`}, false, ticketsync.CloseProtocol, "hello"},
		{"wrong version", []string{`{"type":"hello","version":99}`}, false, ticketsync.CloseVersion, "version"},
		{"another event's check-in", []string{hello, ci("ev_0011223344556677", "")}, false, ticketsync.ClosePolicy, "event"},
		{"another gate's check-in", []string{hello, ci("", good.id)}, false, ticketsync.ClosePolicy, "gate"},
		{"bad check-in id", []string{hello, `{"type":"upload","checkins":[{"id":"ci_x","ticket_id":"tk_000000000000000000000000","direction":"entry","at":"2026-01-01T00:00:00Z"}]}`}, false, ticketsync.CloseBadData, "check-in id"},
		{"oversized", []string{hello, `{"type":"upload","checkins":[],"pad":"` + strings.Repeat("x", ticketsync.MaxFrameBytes) + `"}`}, false, ticketsync.CloseTooBig, "limit"},
		{"binary frame", []string{hello, "\x00\x01"}, true, ticketsync.CloseUnsupported, "binary"},
	}
	before, err := w.db.LastSeq(context.Background(), w.eventID)
	must(t, err)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ws, _, err := dial(t, w, cred)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			for i, f := range c.frames {
				kind := websocket.TextMessage
				if c.binary && i == len(c.frames)-1 {
					kind = websocket.BinaryMessage
				}
				if err := ws.WriteMessage(kind, []byte(f)); err != nil {
					break // the server may close before the last frame
				}
			}
			ce := closeOf(t, ws)
			if ce.Code != c.code || !strings.Contains(ce.Text, c.reason) {
				t.Errorf("close %d %q, want %d naming %q", ce.Code, ce.Text, c.code, c.reason)
			}
		})
	}
	after, err := w.db.LastSeq(context.Background(), w.eventID)
	must(t, err)
	if after != before {
		t.Errorf("bad input stored %d log entries", after-before)
	}
	// The good gate was served throughout.
	if res := good.scan(t, token, false); res.Verdict != scanner.Accepted {
		t.Fatalf("good gate: %s", res.Verdict)
	}
	if !eventually(5*time.Second, func() bool { return outbox(t, good) == 0 }) {
		t.Errorf("good gate's outbox holds %d", outbox(t, good))
	}
}

// TestRevokedGate: revoking a gate closes its connection with 4003 and
// the client stops with ErrGateRevoked, whether this hub was told
// (Disconnect) or the gate was revoked through another server process
// (only the store says so; the hub's keeper finds out at its next
// round, keeper.go).
func TestRevokedGate(t *testing.T) {
	for _, told := range []bool{true, false} {
		t.Run(map[bool]string{true: "hub told", false: "revoked elsewhere"}[told], func(t *testing.T) {
			// Told, only Disconnect can end the connection within the
			// wait: the keepalive is seconds away.
			w := newWorld(t)
			w.hub.PingInterval = map[bool]time.Duration{true: 10 * time.Second, false: 50 * time.Millisecond}[told]
			a := w.enroll(t, "gate")
			a.start(t)
			if !eventually(5*time.Second, a.client.Connected) {
				t.Fatal("gate did not connect")
			}
			if _, err := w.db.RevokeGate(context.Background(), a.id, time.Now()); err != nil {
				t.Fatal(err)
			}
			if told {
				w.hub.Disconnect(a.id)
			}
			select {
			case err := <-a.done:
				if !errors.Is(err, ticketsync.ErrGateRevoked) {
					t.Errorf("client ended with %v, want ErrGateRevoked", err)
				}
				a.stop = nil
			case <-time.After(5 * time.Second):
				t.Fatal("client still running after revocation")
			}
		})
	}
}
