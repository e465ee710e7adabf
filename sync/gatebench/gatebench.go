// Package gatebench is the fan-out benchmarks' gates: protocol-level
// websocket clients of package sync's wire protocol (sync/doc.go) that
// upload check-ins and note when each other gate's check-ins reach them,
// and the store records they need (an event, gates with known
// credentials, issued tickets), written straight through the stores.
//
// sync's BenchmarkFanout drives them against one hub in its own process;
// e2e's TestScaleOutFanout against syncserver processes behind nginx. A
// gate here is not a scanner: it keeps no bundle and decides nothing, so
// that what the benchmark spends on its side of the machine is small.
package gatebench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/purchase"
	ticketsync "github.com/admitone/admitone/sync"
)

// Seed returns a random tag for a run's credentials.
func Seed() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Event creates an organization, a venue and an event and returns the
// event's id.
func Event(tb testing.TB, db catalog.Store) string {
	tb.Helper()
	ctx := context.Background()
	cat := &catalog.Service{Store: db}
	org, err := cat.CreateOrg(ctx, catalog.Organization{Name: "Bench Org"})
	if err != nil {
		tb.Fatal(err)
	}
	venue, err := cat.CreateVenue(ctx, catalog.Venue{OrgID: org.ID, Name: "Bench Arena", City: "Berlin", Country: "DE"})
	if err != nil {
		tb.Fatal(err)
	}
	starts := time.Now().Add(time.Hour).Truncate(time.Second)
	ev, err := cat.CreateEvent(ctx, catalog.Event{OrgID: org.ID, VenueID: venue.ID, Title: "Bench Night", Category: "music",
		TimeZone: "Europe/Berlin", StartsAt: starts, EndsAt: starts.Add(3 * time.Hour)})
	if err != nil {
		tb.Fatal(err)
	}
	return ev.ID
}

// Credential is gate i's device credential in a run tagged seed.
func Credential(seed string, i int) string {
	return fmt.Sprintf("%sbench_%s_%d", ticketsync.CredentialPrefix, seed, i)
}

// CreateGates stores n enrolled entry gates of the event straight
// through the Store (an enrolment seals a bundle per gate, which a
// fan-out benchmark does not measure) and returns their ids; gate i's
// credential is Credential(seed, i).
func CreateGates(tb testing.TB, db ticketsync.Store, eventID, seed string, n int) []string {
	tb.Helper()
	ids := make([]string, n)
	now := time.Now().UTC().Truncate(time.Microsecond)
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		ids[i] = id.New("gat")
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			errs <- db.CreateGate(context.Background(), ticketsync.Gate{
				ID: ids[i], EventID: eventID, Name: fmt.Sprintf("gate %d", i), Direction: bundle.Entry,
				CredentialHash: ticketsync.HashSecret(Credential(seed, i)), CreatedBy: "usr_bench",
				CreatedAt: now, EnrolledAt: now,
			})
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			tb.Fatal(err)
		}
	}
	return ids
}

// TicketsPerOrder is how many tickets IssueTickets puts in one order.
const TicketsPerOrder = 1000

// IssueTickets issues n tickets of the event, of a new ticket type (its
// first, number 1, which the gates' check-ins name), TicketsPerOrder to
// a paid order, straight through the stores, and returns the orders' ids
// and the tickets' ids in order.
func IssueTickets(tb testing.TB, cat catalog.Store, db purchase.Store, eventID string, n int) (orders, tickets []string) {
	tb.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	price := catalog.Money{Amount: 4_950, Currency: "EUR"}
	tt, err := cat.CreateTicketType(ctx, catalog.TicketType{ID: id.New("tt"), EventID: eventID, Name: "Standing", Kind: catalog.KindAdmission,
		Price: price, Capacity: n, PerOrderMax: 6, CreatedAt: now})
	if err != nil {
		tb.Fatal(err)
	}
	if tt.Number != 1 {
		tb.Fatalf("the ticket type is number %d of its event, want 1 (the gates' check-ins say 1)", tt.Number)
	}
	limits := purchase.Limits{Types: map[string]purchase.TypeLimit{tt.ID: {Capacity: n, PerOrderMax: 6, Shared: true}}}
	for done := 0; done < n; done += TicketsPerOrder {
		buyer := id.New("usr")
		h := purchase.Hold{ID: id.New("hld"), BuyerID: buyer, EventID: eventID, Lines: []purchase.Line{{TicketTypeID: tt.ID, Quantity: 1}},
			CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
		if err := db.Reserve(ctx, h, limits); err != nil {
			tb.Fatal(err)
		}
		o := purchase.Order{ID: id.New("ord"), HoldID: h.ID, BuyerID: buyer, EventID: eventID, Status: purchase.StatusPendingPayment,
			Lines: []purchase.OrderLine{{TicketTypeID: tt.ID, Quantity: 1, UnitPrice: price}}, Total: price,
			CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
		if err := db.CreateOrder(ctx, o); err != nil {
			tb.Fatal(err)
		}
		batch := make([]purchase.Ticket, min(TicketsPerOrder, n-done))
		for i := range batch {
			tid := ticketcrypto.NewTicketID().String()
			batch[i] = purchase.Ticket{ID: tid, EventID: eventID, TicketTypeID: tt.ID, TypeNumber: tt.Number, OrderID: o.ID,
				HolderID: buyer, Token: "AT1:token-of-" + tid, KeyID: "kid_0011223344556677", Status: purchase.TicketValid,
				IssuedAt: now.Add(time.Duration(i) * time.Microsecond)}
			tickets = append(tickets, tid)
		}
		if _, err := db.MarkPaid(ctx, o.ID, "pi_"+o.ID, now, batch); err != nil {
			tb.Fatal(err)
		}
		orders = append(orders, o.ID)
	}
	return orders, tickets
}

// WSURL is the sync websocket URL of an http:// base URL.
func WSURL(base string) string { return "ws" + strings.TrimPrefix(base, "http") + "/v1/sync" }

// Run is one measured stretch of a fan-out benchmark: check-in k of it
// has the id ci_<tag><k as 16 hex digits>, so a gate that receives a
// changes frame finds k, and with it when and by whom the check-in was
// made, without parsing JSON.
type Run struct {
	Tag    string         // 16 hex digits, unique per run
	Made   []atomic.Int64 // ns since Base when check-in k entered its gate's outbox
	Sender []atomic.Int32 // the gate that made check-in k
	Base   time.Time
	Record bool // keep every (check-in, gate) delay

	// Tickets, if set, are the tickets check-in k names (Tickets[k]):
	// issued ones, for a server that checks uploads against its tickets.
	// Unset, check-in k names a ticket of its own that no store issued.
	Tickets []string
	// Home, if set, is the server each gate is connected to (by gate
	// number); a gate then keeps the delays of check-ins made at a gate
	// of another server apart as well (Gate.Delays).
	Home []int

	Received atomic.Int64 // (check-in, other gate) arrivals so far
	Sent     atomic.Int64 // check-ins uploaded
	Acked    atomic.Int64 // check-ins acked
	Unacked  atomic.Int64 // check-ins still unacked LastAckWait after the run stopped
	LastAck  atomic.Int64 // ns since Base of the latest ack

	// anchor is what precedes k in this run's check-in ids in a frame:
	// `checkin_id":"ci_<tag>`. Searching for it rather than for
	// `"checkin_id":"` keeps the 500 simulated gates' scan of every frame
	// from stopping at each of JSON's many quotes; the gates share the
	// machine's CPU with the server they measure.
	anchor []byte
}

// NewRun makes a run of n check-ins; record keeps every delay.
func NewRun(n int, record bool) *Run {
	var b [8]byte
	rand.Read(b[:])
	tag := hex.EncodeToString(b[:])
	return &Run{Tag: tag, Made: make([]atomic.Int64, n), Sender: make([]atomic.Int32, n), Base: time.Now(), Record: record,
		anchor: []byte(`checkin_id":"ci_` + tag)}
}

// CheckinID is check-in k's id.
func (r *Run) CheckinID(k int) string { return fmt.Sprintf("ci_%s%016x", r.Tag, k) }

// TicketID is check-in k's ticket: every check-in is a first entry, as
// at an event's doors.
func (r *Run) TicketID(k int) string {
	if r.Tickets != nil {
		return r.Tickets[k]
	}
	return fmt.Sprintf("tk_%s%016x", r.Tag[:8], k)
}

// Gate is a gate reduced to its protocol: a websocket that said hello, a
// reader that notes when each other gate's check-in arrives, and, when
// it uploads, an outbox with at most one upload in flight (as
// ticketsync.Client: the next upload goes when the last is acked).
type Gate struct {
	N  int32 // its number: its credential is Credential(seed, N)
	WS *websocket.Conn

	mu     gosync.Mutex // guards run, delays and cross
	run    *Run
	delays []int32 // µs, from check-in made to changes frame read
	cross  []int32 // those of check-ins made at a gate of another server (Run.Home)

	Seq   atomic.Int64 // the last log entry received
	SeqAt atomic.Int64 // ns since the run's Base when it was

	Outbox chan int      // check-in numbers to upload
	acks   chan struct{} // one per ack frame
	Closed chan struct{} // closed when the reader ends
	Err    error         // why the reader ended
}

// Connect dials n gates at base (credentials Credential(seed, i)), each
// saying hello with since, 16 at a time; it returns once every one got
// its welcome, and closes them when tb ends.
func Connect(tb testing.TB, base, seed string, n int, since int64) []*Gate {
	tb.Helper()
	gates := make([]*Gate, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	dialer := &websocket.Dialer{HandshakeTimeout: 30 * time.Second}
	for i := range n {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			g, err := Dial(dialer, base, Credential(seed, i), since)
			if g != nil {
				g.N = int32(i)
				gates[i] = g
			}
			errs <- err
		}()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	tb.Cleanup(func() {
		for _, g := range gates {
			if g != nil {
				g.WS.Close()
			}
		}
	})
	if first != nil {
		tb.Fatal(first)
	}
	return gates
}

// Dial connects one gate and waits for its welcome.
func Dial(d *websocket.Dialer, base, credential string, since int64) (*Gate, error) {
	ws, _, err := d.Dial(WSURL(base), http.Header{"Authorization": {"Bearer " + credential}})
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	hello := fmt.Sprintf(`{"type":"hello","version":%d,"since":%d}`, ticketsync.ProtocolVersion, since)
	if err := ws.WriteMessage(websocket.TextMessage, []byte(hello)); err != nil {
		ws.Close()
		return nil, err
	}
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, msg, err := ws.ReadMessage()
	if err != nil || !bytes.HasPrefix(msg, []byte(`{"type":"welcome"`)) {
		ws.Close()
		return nil, fmt.Errorf("welcome: %q, %v", msg, err)
	}
	ws.SetReadDeadline(time.Time{})
	g := &Gate{WS: ws, Outbox: make(chan int, 1024),
		acks: make(chan struct{}, 16), Closed: make(chan struct{})}
	go g.read()
	return g, nil
}

// SetRun makes r the run the gate records arrivals of.
func (g *Gate) SetRun(r *Run) {
	g.mu.Lock()
	g.run, g.delays, g.cross = r, nil, nil
	g.mu.Unlock()
	g.SeqAt.Store(0)
}

// Delays returns the delays the gate recorded in its run, in µs: all,
// and those of check-ins made at a gate of another server (Run.Home).
func (g *Gate) Delays() (all, cross []int32) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.delays, g.cross
}

var (
	prefixAck     = []byte(`{"type":"ack"`)
	prefixChanges = []byte(`{"type":"changes"`)
	fieldSeq      = []byte(`"seq":`)
)

// read reads frames until the connection ends. It finds check-in ids by
// their field name instead of decoding the frame: the gates share the
// machine with the server, and what they spend is not the server's.
func (g *Gate) read() {
	defer close(g.Closed)
	var buf bytes.Buffer
	for {
		_, rd, err := g.WS.NextReader()
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(rd)
		}
		if err != nil {
			g.Err = err
			return
		}
		now := time.Now()
		msg := buf.Bytes()
		switch {
		case bytes.HasPrefix(msg, prefixAck):
			select {
			case g.acks <- struct{}{}:
			default:
			}
		case bytes.HasPrefix(msg, prefixChanges):
			g.mu.Lock()
			g.arrived(msg, now)
			g.mu.Unlock()
		}
	}
}

func (g *Gate) arrived(msg []byte, now time.Time) {
	r := g.run
	if r == nil {
		return
	}
	at := int64(now.Sub(r.Base))
	if i := bytes.LastIndex(msg, fieldSeq); i >= 0 {
		rest := msg[i+len(fieldSeq):]
		j := bytes.IndexByte(rest, ',')
		if seq, err := strconv.ParseInt(string(rest[:max(j, 0)]), 10, 64); err == nil {
			g.Seq.Store(seq)
			g.SeqAt.Store(at)
		}
	}
	if !r.Record {
		return // the run needs only how far each gate got
	}
	n := int64(0)
	for {
		i := bytes.Index(msg, r.anchor)
		if i < 0 {
			break
		}
		msg = msg[i+len(r.anchor):]
		if len(msg) < 16 {
			break
		}
		k, err := strconv.ParseUint(string(msg[:16]), 16, 63)
		if err != nil || k >= uint64(len(r.Made)) {
			continue
		}
		from := r.Sender[k].Load()
		if from == g.N {
			continue
		}
		n++
		d := int32((at - r.Made[k].Load()) / 1e3)
		g.delays = append(g.delays, d)
		if r.Home != nil && r.Home[from] != r.Home[g.N] {
			g.cross = append(g.cross, d)
		}
	}
	r.Received.Add(n)
}

// StatusEvery is how often an uploading gate sends a status frame: once
// a second, as scannerd does while it scans (its counts change).
const StatusEvery = time.Second

// MinUploadGap keeps a gate under the server's frame rate limit
// (ticketsync.RatePerSecond).
const MinUploadGap = time.Second / 40

// LastAckWait is how long an uploader waits for its last ack once the
// run stopped.
const LastAckWait = 30 * time.Second

// Upload sends the outbox as ticketsync.Client does: whatever is
// pending, up to batch check-ins, in one frame, then waits for the ack;
// and a status frame every StatusEvery.
// When stop closes it sends no more and returns once the upload in
// flight is acked; it returns at once if the connection ends.
func (g *Gate) Upload(r *Run, batch int, stop <-chan struct{}) {
	var pending []int
	inflight := 0 // check-ins sent and not acked
	var lastSent time.Time
	var gap <-chan time.Time
	// giveUp bounds the wait for the last ack after stop, so a lost ack
	// ends the run (counted: sent minus acked) instead of hanging it.
	var giveUp <-chan time.Time
	var sb strings.Builder
	// A status frame a second, as scannerd sends while its counts
	// change: its check-ins sent so far, all admitted.
	status := time.NewTicker(StatusEvery)
	defer status.Stop()
	scans := int64(0)
	for {
		if stop == nil && inflight == 0 {
			return
		}
		if stop != nil && inflight == 0 && len(pending) > 0 && gap == nil {
			if wait := MinUploadGap - time.Since(lastSent); wait > 0 {
				gap = time.After(wait)
			} else {
				n := min(len(pending), batch, ticketsync.MaxBatch)
				sb.Reset()
				sb.WriteString(`{"type":"upload","checkins":[`)
				at := time.Now().UTC().Format(time.RFC3339Nano)
				for i, k := range pending[:n] {
					if i > 0 {
						sb.WriteByte(',')
					}
					fmt.Fprintf(&sb, `{"id":%q,"ticket_id":%q,"ticket_type":1,"direction":"entry","at":%q}`, r.CheckinID(k), r.TicketID(k), at)
				}
				sb.WriteString(`]}`)
				if err := g.WS.WriteMessage(websocket.TextMessage, []byte(sb.String())); err != nil {
					return
				}
				pending = pending[n:]
				scans += int64(n)
				inflight, lastSent = n, time.Now()
				r.Sent.Add(int64(n))
			}
		}
		select {
		case <-stop:
			stop = nil
			giveUp = time.After(LastAckWait)
		case <-giveUp:
			r.Unacked.Add(int64(inflight))
			return
		case <-g.Closed:
			return
		case k := <-g.Outbox:
			pending = append(pending, k)
		case <-g.acks:
			r.Acked.Add(int64(inflight))
			r.LastAck.Store(int64(time.Since(r.Base)))
			inflight = 0
		case <-gap:
			gap = nil
		case <-status.C:
			msg := fmt.Sprintf(`{"type":"status","client_time":%q,"status":{"boot":"b%d","version":"bench","outbox":%d,"scans":%d,"admits":%d}}`,
				time.Now().UTC().Format(time.RFC3339Nano), g.N, len(pending), scans, scans)
			if err := g.WS.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
				return
			}
		}
	}
}

// Pace is a paced run's size: Rate check-ins a second for Duration,
// spread round-robin over the first Uploaders gates.
type Pace struct {
	Rate, Uploaders int
	Duration        time.Duration
	// Tickets, Home: the run's (Run.Tickets, Run.Home), if set.
	Tickets []string
	Home    []int
}

// PacedResult is what a paced run measured.
type PacedResult struct {
	Delays []int32 // µs, every (check-in, other gate) pair delivered, unsorted
	Cross  []int32 // those of pairs on different servers (Pace.Home)
	Lost   int64   // pairs not delivered within 30 s of the last check-in
	Made   int     // check-ins made
	Acked  int64   // check-ins acked
	Pacing time.Duration
	// AckSpan is from the run's start to the last ack.
	AckSpan time.Duration
}

// Paced offers p.Rate check-ins a second for p.Duration and waits (30 s
// at most) for every other gate to receive them.
func Paced(gates []*Gate, p Pace) PacedResult {
	total := int(float64(p.Rate) * p.Duration.Seconds())
	uploaders := min(max(p.Uploaders, 1), len(gates))
	r := NewRun(total, true)
	r.Tickets, r.Home = p.Tickets, p.Home
	if r.Tickets != nil && len(r.Tickets) < total {
		panic(fmt.Sprintf("gatebench: %d tickets for %d check-ins", len(r.Tickets), total))
	}
	for _, g := range gates {
		g.SetRun(r)
	}
	stop := make(chan struct{})
	done := make(chan struct{}, uploaders)
	for _, g := range gates[:uploaders] {
		go func() { g.Upload(r, ticketsync.MaxBatch, stop); done <- struct{}{} }()
	}
	interval := time.Second / time.Duration(p.Rate)
	start := time.Now()
	for k := range total {
		if d := time.Until(start.Add(time.Duration(k) * interval)); d > 0 {
			time.Sleep(d)
		}
		g := gates[k%uploaders]
		r.Sender[k].Store(g.N)
		r.Made[k].Store(int64(time.Since(r.Base)))
		g.Outbox <- k
	}
	pacing := time.Since(start)
	expected := int64(total) * int64(len(gates)-1)
	WaitFor(30*time.Second, func() bool { return r.Received.Load() >= expected })
	close(stop)
	for range uploaders {
		<-done
	}
	res := PacedResult{Made: total, Acked: r.Acked.Load(), Pacing: pacing,
		AckSpan: time.Duration(r.LastAck.Load()) - start.Sub(r.Base)}
	for _, g := range gates {
		all, cross := g.Delays()
		res.Delays = append(res.Delays, all...)
		res.Cross = append(res.Cross, cross...)
	}
	res.Lost = expected - int64(len(res.Delays))
	return res
}

// Percentile is the nearest-rank p-th percentile (0-100) of sorted
// delays in µs, in ms, with lost pairs counted as later than any
// delivered (+Inf if p falls among them).
func Percentile(sorted []int32, lost int64, p float64) float64 {
	n := int64(len(sorted)) + lost
	i := int64(math.Ceil(p/100*float64(n))) - 1
	if i >= int64(len(sorted)) {
		return math.Inf(1)
	}
	return float64(sorted[max(i, 0)]) / 1e3
}

// WaitFor polls cond every millisecond for up to d: often, as the
// benchmarks time what they wait for.
func WaitFor(d time.Duration, cond func() bool) bool {
	_, ok := testenv.Poll(d, time.Millisecond, cond)
	return ok
}
