package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/internal/logging"
)

// ChangeReader is what the hub reads of the server's per-event change
// log; purchase.Store implements it.
type ChangeReader interface {
	Changes(ctx context.Context, eventID string, after int64, limit int) ([]changelog.Change, error)
	LastSeq(ctx context.Context, eventID string) (int64, error)
}

// IssuedTicket is what the hub checks an uploaded check-in against: the
// server's record of the ticket it names (see CheckUpload).
type IssuedTicket struct {
	EventID    string
	TypeNumber uint16
	IssuedAt   time.Time
	// ValidUntil is the end of the ticket's validity (zero: unbounded).
	ValidUntil time.Time
}

// TicketLookup reads the tickets that uploaded check-ins name, to check
// them (CheckUpload); internal/services.HubTickets adapts a purchase store to it.
type TicketLookup interface {
	// IssuedTickets returns the tickets among ids that the server
	// issued, by id.
	IssuedTickets(ctx context.Context, ids []string) (map[string]IssuedTicket, error)
}

// MaxConnsPerGate bounds one gate credential's websockets at a time: a
// gate reconnecting before the server noticed its old connection drop
// needs two; more is a copied credential or a loop.
const MaxConnsPerGate = 3

// Default timing of a connection, which a Hub's zero fields take (and
// the Client too).
const (
	DefaultHelloTimeout = 10 * time.Second
	DefaultPingInterval = 10 * time.Second
	DefaultPongWait     = 30 * time.Second
	DefaultWriteTimeout = 10 * time.Second
)

// Per-connection rate limit on frames from a gate: a burst of
// RateBurst, refilled at RatePerSecond. A full outbox drains in
// MaxBatch-sized uploads, so the limit does not slow an honest gate.
const (
	RatePerSecond = 50
	RateBurst     = 200
)

// Hub serves gates' websockets at /v1/sync, stores their uploads and
// pushes every event's new change log entries to the event's connected
// gates as they happen.
type Hub struct {
	Store   Store
	Changes ChangeReader
	// Tickets checks every upload against the server's tickets: a
	// check-in that does not fit its event is quarantined, not recorded.
	// syncserver always sets it, and so do the fan-out benchmarks; nil
	// records uploads unchecked. Concurrent uploads' lookups are
	// coalesced (ticketLookups).
	Tickets TicketLookup
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives connection events; nil discards them.
	Logger *slog.Logger
	// Recorded, when set, is called after a gate's upload is stored with
	// the check-ins recorded (new ones and any stored before, when some
	// are new) and what storing them did, conflicts included; it runs on
	// the gate's connection, so it should be quick (webhook.Service
	// enqueues). An upload sent again calls it again for check-ins that
	// are new, never for a batch stored entirely before.
	Recorded func(ctx context.Context, g Gate, cs []changelog.Checkin, res RecordResult)
	// HelloTimeout bounds the wait for a gate's hello (zero:
	// DefaultHelloTimeout).
	HelloTimeout time.Duration
	// PingInterval is how often the hub pings (zero:
	// DefaultPingInterval); a gate that answers no ping or frame for
	// PongWait (zero: DefaultPongWait) is gone.
	PingInterval, PongWait time.Duration
	// WriteTimeout bounds one frame's write (zero: DefaultWriteTimeout);
	// a gate that cannot take a frame in that time is disconnected (it
	// resumes on reconnect).
	WriteTimeout time.Duration
	// Health keeps gates' health (status frames, last seen, clock skew);
	// nil uses Store when it implements HealthStore, else keeps none.
	Health HealthStore
	// OfflineAfter is how long after a server last heard from a gate it
	// shows offline (zero: three ping intervals and 15 s, 45 s by
	// default); QuietAfter how long without a scan during doors-open
	// flags it quiet (zero: DefaultQuietAfter). See health_hub.go.
	OfflineAfter, QuietAfter time.Duration
	// Doors returns an event's doors-open window (doors time to end);
	// nil flags no gate quiet.
	Doors func(ctx context.Context, eventID string) (open, end time.Time, err error)
	// OnGateQuiet, if set, is called by CheckQuiet for each gate that
	// became quiet since the last call: the seam for operator alerts.
	OnGateQuiet func(GateState)

	mu     gosync.Mutex
	events map[string]map[*conn]struct{} // by event id
	tails  map[string]*tail              // by event id, while it has connections
	// gateConns counts each gate's connections, from before the upgrade
	// to their end (MaxConnsPerGate).
	gateConns map[string]int
	closed    bool
	// watchers are told of every Poke (Watch).
	watchers map[*watcher]struct{}

	// quiet holds the gates CheckQuiet found quiet last, by gate id.
	quiet map[string]bool

	lookups ticketLookups // sortUpload's, coalesced

	// keeping says the keeper runs (keeper.go); it does while the hub
	// holds connections.
	keeping bool
	// reports are the status reports not saved yet (health_hub.go).
	reports reportQueue
}

// orDefault is d, or def when d is not positive.
func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func (s *Hub) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Hub) logger() *slog.Logger { return logging.OrDiscard(s.Logger) }

// HashSecret is the hex SHA-256 of an enrolment code or a device
// credential, as the Store keeps them. Both are 256-bit random values, so
// an unsalted fast hash is enough: there is nothing to guess.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CredentialPrefix starts every device credential.
const CredentialPrefix = "aogc_"

// Authenticate finds the gate of a device credential. An unknown
// credential is ErrNotFound, a revoked gate's ErrRevoked.
func (s *Hub) Authenticate(ctx context.Context, credential string) (Gate, error) {
	if !strings.HasPrefix(credential, CredentialPrefix) || len(credential) > 128 {
		return Gate{}, fmt.Errorf("device credential: %w", ErrNotFound)
	}
	g, err := s.Store.GateByCredential(ctx, HashSecret(credential))
	if err != nil {
		return Gate{}, err
	}
	if !g.RevokedAt.IsZero() {
		return Gate{}, fmt.Errorf("gate %s: %w", g.ID, ErrRevoked)
	}
	return g, nil
}

var upgrader = websocket.Upgrader{
	ReadBufferSize:  16 << 10,
	WriteBufferSize: 16 << 10,
	// A gate's connection is idle most of the time: it holds a write
	// buffer only while it writes a frame, which keeps an idle gate's
	// server memory under 64 KiB (BenchmarkIdleGateMemory).
	WriteBufferPool: &gosync.Pool{},
	// Gates are not browsers: they send no Origin, or any.
	CheckOrigin: func(*http.Request) bool { return true },
}

// ServeGate upgrades an authenticated gate's request to the sync
// websocket and runs it until either side closes. The caller has
// authenticated the request (Authenticate) and answered failures with an
// HTTP error.
//
// A gate already holding MaxConnsPerGate connections gets
// ErrTooManyConnections before the upgrade, for the caller to answer.
func (s *Hub) ServeGate(w http.ResponseWriter, r *http.Request, g Gate) error {
	if !s.claimConn(g.ID) {
		return fmt.Errorf("gate %s has %d connections open: %w", g.ID, MaxConnsPerGate, ErrTooManyConnections)
	}
	defer s.releaseConn(g.ID)
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil // the upgrader answered with an HTTP error
	}
	c := &conn{srv: s, ws: ws, gate: g, poke: make(chan struct{}, 1), acks: make(chan []string, 64),
		done: make(chan struct{}), log: s.logger().With("gate", g.ID, "event", g.EventID, "remote", r.RemoteAddr)}
	c.run(r.Context())
	return nil
}

// claimConn takes one of a gate's MaxConnsPerGate connection slots,
// from before the upgrade until the connection ends (a socket that never
// says hello holds one too), reporting whether one was free.
func (s *Hub) claimConn(gateID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gateConns == nil {
		s.gateConns = make(map[string]int)
	}
	if s.gateConns[gateID] >= MaxConnsPerGate {
		return false
	}
	s.gateConns[gateID]++
	return true
}

func (s *Hub) releaseConn(gateID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gateConns[gateID]--; s.gateConns[gateID] <= 0 {
		delete(s.gateConns, gateID)
	}
}

// Poke tells the hub that an event's log grew (or, with "", that any may
// have): its gates read and get the new entries. It never blocks.
func (s *Hub) Poke(eventID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for w := range s.watchers {
		w.fn(eventID)
	}
	for ev, conns := range s.events {
		if eventID != "" && ev != eventID {
			continue
		}
		s.tails[ev].pokes.Add(1) // before the wakes: see tail
		for c := range conns {
			c.wake()
		}
	}
}

// Disconnect closes every connection of a gate (its device was revoked).
func (s *Hub) Disconnect(gateID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, conns := range s.events {
		for c := range conns {
			if c.gate.ID == gateID {
				c.shut(CloseRevoked, "gate revoked by an organizer")
			}
		}
	}
}

// Connected returns how many gates are connected, for metrics and tests.
func (s *Hub) Connected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, conns := range s.events {
		n += len(conns)
	}
	return n
}

// Shutdown closes every connection with "going away"; gates reconnect
// to another server or later.
func (s *Hub) Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, conns := range s.events {
		for c := range conns {
			c.shut(CloseGoingAway, "server shutting down")
		}
	}
}

func (s *Hub) register(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.events == nil {
		s.events = make(map[string]map[*conn]struct{})
		s.tails = make(map[string]*tail)
	}
	m := s.events[c.gate.EventID]
	if m == nil {
		m = make(map[*conn]struct{})
		s.events[c.gate.EventID] = m
		s.tails[c.gate.EventID] = &tail{}
	}
	m[c] = struct{}{}
	c.tail = s.tails[c.gate.EventID]
	if !s.keeping {
		s.keeping = true
		go s.keep()
	}
	return true
}

func (s *Hub) unregister(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.events[c.gate.EventID], c)
	if len(s.events[c.gate.EventID]) == 0 {
		delete(s.events, c.gate.EventID)
		delete(s.tails, c.gate.EventID)
	}
}

// Sizes of a tail: it reads up to tailRead entries from the store at a
// time and keeps the latest tailKeep to 2*tailKeep.
const (
	tailRead = 4 * MaxChangesPerFrame
	tailKeep = 8 * MaxChangesPerFrame
)

// tail is the recent end of one event's log, shared by the event's
// connections. A poke wakes every gate of the event; without the tail
// each would read the new entries from the store and encode them, 500
// reads and encodings of the same entries for 500 gates. With it one
// connection reads them, encoded once, and the others copy them from
// here. A gate whose cursor is before the tail (one catching up) reads
// the store itself.
//
// Freshness: a connection woken by a poke must see every entry committed
// before that poke. pokes counts the event's pokes, incremented before
// the wakes; a read of the store that started when pokes was n sees every
// entry whose poke was among the first n. So a connection that saw
// pokes = n when it started may use the tail once a read that started at
// n or later has ended (covers >= n) and reached the end of the log
// (complete); until then it waits for the read in progress or starts one.
// A full page (limit entries) it may take at any time: more follow in the
// next call. Pokes coalesce, so one read serves every gate a burst woke.
type tail struct {
	pokes atomic.Uint64

	mu       gosync.Mutex
	loaded   bool          // base and entries are set
	base     int64         // entries follow the log entry with this seq
	entries  []tailEntry   // in seq order
	covers   uint64        // pokes when the last completed read started
	complete bool          // that read reached the end of the log
	reading  chan struct{} // closed when the read in progress ends; nil if none

	frames map[frameKey]*sharedFrame // changes frames built lately; see frame
}

// frameKey names a changes frame by the entries it carries: those after
// seq after up to seq upto. Numbered entries never change, so two
// connections at one cursor send the same bytes.
type frameKey struct{ after, upto int64 }

// sharedFrame is one changes frame, built once for every connection that
// sends it.
type sharedFrame struct {
	once gosync.Once
	msg  *websocket.PreparedMessage
	err  error
}

// maxFrames bounds the frames a tail keeps: gates woken by one poke are
// mostly at one or two cursors.
const maxFrames = 16

// frame returns the changes frame of page, the entries after seq after,
// encoded and framed once however many connections send it: after a poke
// the event's gates are mostly at one cursor, and each would otherwise
// build and copy the same frame.
func (t *tail) frame(after int64, page []tailEntry) (*websocket.PreparedMessage, error) {
	k := frameKey{after, page[len(page)-1].seq}
	t.mu.Lock()
	f := t.frames[k]
	if f == nil {
		if t.frames == nil || len(t.frames) >= maxFrames {
			t.frames = make(map[frameKey]*sharedFrame, maxFrames)
		}
		f = &sharedFrame{}
		t.frames[k] = f
	}
	t.mu.Unlock()
	f.once.Do(func() { f.msg, f.err = websocket.NewPreparedMessage(websocket.TextMessage, changesFrame(page)) })
	return f.msg, f.err
}

// tailEntry is one log entry as a changes frame carries it.
type tailEntry struct {
	seq  int64
	json []byte
}

// last is the seq of the tail's last entry.
func (t *tail) last() int64 {
	if len(t.entries) == 0 {
		return t.base
	}
	return t.entries[len(t.entries)-1].seq
}

// changes returns up to limit log entries of the event after seq after,
// in order, from the tail when it is fresh enough (see tail), else from
// the store.
func (t *tail) changes(ctx context.Context, r ChangeReader, eventID string, after int64, limit int) ([]tailEntry, error) {
	need := t.pokes.Load()
	t.mu.Lock()
	for {
		if t.loaded && after < t.base {
			t.mu.Unlock()
			page, err := r.Changes(ctx, eventID, after, limit)
			if err != nil {
				return nil, err
			}
			return encodeChanges(page)
		}
		if t.loaded {
			i := sort.Search(len(t.entries), func(i int) bool { return t.entries[i].seq > after })
			n := min(limit, len(t.entries)-i)
			if n == limit || t.covers >= need && t.complete {
				page := t.entries[i : i+n : i+n]
				t.mu.Unlock()
				return page, nil
			}
		}
		if t.reading != nil {
			wait := t.reading
			t.mu.Unlock()
			select {
			case <-wait:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			t.mu.Lock()
			continue
		}
		// Read on from the tail's end, or from the gate's cursor when the
		// tail is empty or ends far behind it (it was started by a gate
		// catching up): the gates past its end are the ones it must serve.
		from := after
		if t.loaded && after <= t.last()+tailRead {
			from = t.last()
		}
		started := t.pokes.Load()
		done := make(chan struct{})
		t.reading = done
		t.mu.Unlock()
		page, err := r.Changes(ctx, eventID, from, tailRead)
		var fresh []tailEntry
		if err == nil {
			fresh, err = encodeChanges(page)
		}
		t.mu.Lock()
		t.reading = nil
		close(done)
		if err != nil {
			t.mu.Unlock()
			return nil, err
		}
		if !t.loaded || from != t.last() {
			t.loaded, t.base, t.entries = true, from, nil // start afresh at from
		}
		t.entries = append(t.entries, fresh...)
		t.covers, t.complete = started, len(page) < tailRead
		if len(t.entries) > 2*tailKeep {
			drop := len(t.entries) - tailKeep
			t.base = t.entries[drop-1].seq
			t.entries = append([]tailEntry(nil), t.entries[drop:]...)
		}
	}
}

// encodeChanges encodes each log entry for changesFrame.
func encodeChanges(page []changelog.Change) ([]tailEntry, error) {
	out := make([]tailEntry, len(page))
	for i, ch := range page {
		b, err := json.Marshal(ch)
		if err != nil {
			return nil, err
		}
		out[i] = tailEntry{seq: ch.Seq, json: b}
	}
	return out, nil
}

// changesFrame is json.Marshal(Frame{Type: TypeChanges, Changes: page})
// of the page's entries, from their encodings.
func changesFrame(page []tailEntry) []byte {
	const head, end = `{"type":"` + TypeChanges + `","changes":[`, `]}`
	n := len(head) + len(end) + len(page)
	for _, e := range page {
		n += len(e.json)
	}
	b := make([]byte, 0, n)
	b = append(b, head...)
	for i, e := range page {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e.json...)
	}
	return append(b, end...)
}

// conn is one gate's websocket. One goroutine reads (run), one writes
// (writer); they share nothing but the channels and the close.
type conn struct {
	srv  *Hub
	ws   *websocket.Conn
	gate Gate
	log  *slog.Logger

	poke chan struct{} // the event's log grew; capacity 1: pokes coalesce
	acks chan []string // ids to acknowledge, in order
	done chan struct{} // closed by shut

	closeOnce gosync.Once
	cursor    int64 // the last seq sent; the writer's alone after hello
	tail      *tail // the event's, set by register

	// heard and synced are the server's clock (Unix ns) when the gate
	// last sent a frame or pong, and when it last synced (an ack or log
	// entries sent); the hub's keeper saves them (GateTouch).
	heard, synced atomic.Int64
	// lastStatus is when the reader last queued a status frame.
	lastStatus time.Time
}

func (c *conn) wake() {
	select {
	case c.poke <- struct{}{}:
	default:
	}
}

// shut sends a close frame with code and reason (once) and ends the
// connection.
func (c *conn) shut(code int, reason string) {
	c.closeOnce.Do(func() {
		msg := websocket.FormatCloseMessage(code, closeReason(reason))
		c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		close(c.done)
		c.ws.Close()
	})
}

// closeReason cuts a reason to what a close frame carries (123 bytes),
// on a UTF-8 boundary.
func closeReason(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	cut := max - 3
	for cut > 0 && s[cut]&0xc0 == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}

func (c *conn) run(ctx context.Context) {
	defer c.shut(CloseNormal, "")
	// The websocket library's own limit is twice ours, so a frame a
	// little over ours gets a close reason saying so (the library closes
	// beyond its limit with none).
	c.ws.SetReadLimit(2 * MaxFrameBytes)
	c.ws.SetReadDeadline(time.Now().Add(orDefault(c.srv.HelloTimeout, DefaultHelloTimeout)))
	hello, err := c.read()
	if err != nil {
		c.refuse(err, CloseHelloTimeout)
		return
	}
	if hello.Type != TypeHello {
		c.shut(CloseProtocol, "the first frame must be hello, not "+hello.Type)
		return
	}
	if hello.Version != ProtocolVersion {
		c.shut(CloseVersion, fmt.Sprintf("protocol version %d is not supported; this server speaks %d", hello.Version, ProtocolVersion))
		return
	}
	head, err := c.srv.Changes.LastSeq(ctx, c.gate.EventID)
	if err != nil {
		c.log.Error("sync: read log head", "err", err)
		c.shut(CloseInternal, "server could not read the event's log")
		return
	}
	c.cursor = max(hello.Since, 0)
	welcome := Frame{Type: TypeWelcome, Version: StatusVersion, ServerTime: c.srv.now().UTC(), GateID: c.gate.ID, EventID: c.gate.EventID, Head: head}
	if err := c.write(welcome); err != nil {
		return
	}
	if !c.srv.register(c) {
		c.shut(CloseGoingAway, "server shutting down")
		return
	}
	defer c.srv.unregister(c)
	var skew time.Duration
	if !hello.ClientTime.IsZero() {
		skew = hello.ClientTime.Sub(welcome.ServerTime)
	}
	c.log.Info("sync: gate connected", "since", hello.Since, "head", head, "clock_skew", skew.Round(time.Millisecond))
	c.hear()
	c.srv.hello(c, GateTouch{At: welcome.ServerTime, Skew: skew, SkewKnown: !hello.ClientTime.IsZero()})
	defer c.srv.touchGone(c)

	c.wake() // send what the gate missed
	go c.writer(ctx)

	pongWait := orDefault(c.srv.PongWait, DefaultPongWait)
	pong := func(string) error { c.ws.SetReadDeadline(time.Now().Add(pongWait)); c.hear(); return nil }
	c.ws.SetPongHandler(pong)
	pong("")
	tokens, last := float64(RateBurst), time.Now()
	for {
		f, err := c.read()
		if err != nil {
			c.refuse(err, CloseBadData)
			return
		}
		pong("")
		now := time.Now()
		tokens = min(RateBurst, tokens+now.Sub(last).Seconds()*RatePerSecond)
		last = now
		if tokens < 1 {
			c.shut(ClosePolicy, fmt.Sprintf("rate limit: more than %d frames a second", RatePerSecond))
			return
		}
		tokens--
		switch f.Type {
		case TypeUpload:
			if err := c.upload(ctx, f.Checkins); err != nil {
				return
			}
		case TypeStatus:
			c.srv.report(c, f)
		default:
			c.shut(CloseProtocol, "a gate may send hello once and then upload and status frames, not "+f.Type)
			return
		}
	}
}

// read reads one text frame and parses it.
func (c *conn) read() (Frame, error) {
	kind, b, err := c.ws.ReadMessage()
	if err != nil {
		return Frame{}, err
	}
	if kind != websocket.TextMessage {
		return Frame{}, &UnknownTypeError{Type: "binary frame"}
	}
	return ParseFrame(b)
}

// refuse closes the connection after a read error with a reason naming
// it; a closed socket is just closed.
func (c *conn) refuse(err error, def int) {
	var unknown *UnknownTypeError
	switch {
	case errors.Is(err, websocket.ErrReadLimit) || errors.Is(err, ErrTooBig):
		c.shut(CloseTooBig, fmt.Sprintf("frame over the %d byte limit", MaxFrameBytes))
	case errors.As(err, &unknown):
		c.shut(CloseUnsupported, unknown.Error())
	case websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) || isNetClosed(err):
		c.shut(CloseNormal, "")
	default:
		var ce *websocket.CloseError
		if errors.As(err, &ce) || isTimeout(err) {
			c.shut(def, "read: "+err.Error())
			return
		}
		c.shut(def, err.Error())
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func isNetClosed(err error) bool {
	return err != nil && strings.Contains(err.Error(), "use of closed network connection")
}

// upload stores a gate's check-ins and queues their ack. A check-in of
// another event or gate closes the connection and nothing is stored.
func (c *conn) upload(ctx context.Context, cs []changelog.Checkin) error {
	if len(cs) == 0 {
		return nil
	}
	for i := range cs {
		if cs[i].EventID == "" {
			cs[i].EventID = c.gate.EventID
		}
		if cs[i].GateID == "" {
			cs[i].GateID = c.gate.ID
		}
		if cs[i].EventID != c.gate.EventID || cs[i].GateID != c.gate.ID {
			c.shut(ClosePolicy, fmt.Sprintf("check-in for event %s gate %s; this is gate %s of event %s",
				clip(cs[i].EventID), clip(cs[i].GateID), c.gate.ID, c.gate.EventID))
			return ErrInvalid
		}
	}
	now := c.srv.now().UTC()
	record, quarantine, err := c.srv.sortUpload(ctx, cs, now)
	if err == nil && len(quarantine) > 0 {
		for _, q := range quarantine {
			c.log.Warn("sync: check-in quarantined", "checkin", q.ID, "ticket", clip(q.TicketID), "reason", q.Reason, "detail", q.Detail)
		}
		_, err = c.srv.Store.QuarantineCheckins(ctx, c.gate, quarantine)
	}
	var res RecordResult
	if err == nil && len(record) > 0 {
		res, err = c.srv.Store.RecordCheckins(ctx, c.gate, record, now)
	}
	if err != nil {
		c.log.Error("sync: store check-ins", "count", len(cs), "err", err)
		c.shut(CloseInternal, "server could not store the check-ins; resend after reconnecting")
		return err
	}
	for _, cf := range res.Conflicts {
		c.log.Warn("sync: ticket admitted twice", "ticket", cf.TicketID, "first_gate", cf.First.GateID, "second_gate", cf.Second.GateID)
	}
	if c.srv.Recorded != nil && res.New > 0 {
		c.srv.Recorded(ctx, c.gate, record, res)
	}
	ids := make([]string, len(cs))
	for i, ci := range cs {
		ids[i] = ci.ID
	}
	select {
	case c.acks <- ids:
	case <-c.done:
		return errors.New("closed")
	}
	c.synced.Store(now.UnixNano())
	if res.New > 0 {
		c.srv.Poke(c.gate.EventID)
	}
	return nil
}

// sortUpload splits an upload into the check-ins to record and those to
// quarantine (CheckUpload), reading the tickets they name.
func (s *Hub) sortUpload(ctx context.Context, cs []changelog.Checkin, now time.Time) ([]changelog.Checkin, []Quarantined, error) {
	if s.Tickets == nil {
		return cs, nil, nil
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.TicketID
	}
	tickets, err := s.lookups.lookup(ctx, s.Tickets, ids)
	if err != nil {
		return nil, nil, err
	}
	record := make([]changelog.Checkin, 0, len(cs))
	var quarantine []Quarantined
	for _, c := range cs {
		t, known := tickets[c.TicketID]
		if reason, detail := CheckUpload(c, t, known, now); reason != "" {
			quarantine = append(quarantine, Quarantined{Checkin: c, Reason: reason, Detail: detail, ReceivedAt: now})
			continue
		}
		record = append(record, c)
	}
	return record, quarantine, nil
}

// writer sends acks and new log entries, coalescing whatever is pending
// into as few frames as it can, and pings.
func (c *conn) writer(ctx context.Context) {
	ping := time.NewTicker(orDefault(c.srv.PingInterval, DefaultPingInterval))
	defer ping.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-ctx.Done():
			c.shut(CloseGoingAway, "server shutting down")
			return
		case ids := <-c.acks:
			for more := true; more; {
				select {
				case next := <-c.acks:
					ids = append(ids, next...)
				default:
					more = false
				}
			}
			if c.write(Frame{Type: TypeAck, IDs: ids}) != nil {
				return
			}
		case <-c.poke:
			if !c.sendChanges(ctx) {
				return
			}
		case <-ping.C:
			// Only the ping: the hub's keeper saves every connection's
			// health and checks for revoked gates (keeper.go).
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(orDefault(c.srv.WriteTimeout, DefaultWriteTimeout))); err != nil {
				c.shut(CloseSlowGate, "ping failed")
				return
			}
		}
	}
}

// sendChanges sends every log entry after the cursor, in frames of at
// most MaxChangesPerFrame.
func (c *conn) sendChanges(ctx context.Context) bool {
	for {
		page, err := c.tail.changes(ctx, c.srv.Changes, c.gate.EventID, c.cursor, MaxChangesPerFrame)
		if err != nil {
			if ctx.Err() == nil {
				c.log.Error("sync: read log", "after", c.cursor, "err", err)
			}
			c.shut(CloseInternal, "server could not read the event's log")
			return false
		}
		if len(page) == 0 {
			return true
		}
		msg, err := c.tail.frame(c.cursor, page)
		if err != nil {
			c.log.Error("sync: changes frame", "after", c.cursor, "err", err)
			c.shut(CloseInternal, "server could not encode the event's log")
			return false
		}
		if c.writeWith(func() error { return c.ws.WritePreparedMessage(msg) }) != nil {
			return false
		}
		c.cursor = page[len(page)-1].seq
		c.synced.Store(c.srv.now().UnixNano())
		if len(page) < MaxChangesPerFrame {
			return true
		}
	}
}

func (c *conn) write(f Frame) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return c.writeRaw(b)
}

// writeRaw writes an encoded frame.
func (c *conn) writeRaw(b []byte) error {
	return c.writeWith(func() error { return c.ws.WriteMessage(websocket.TextMessage, b) })
}

// writeWith runs write, one message to the gate, under the write
// deadline; a failed write closes the connection.
func (c *conn) writeWith(write func() error) error {
	c.ws.SetWriteDeadline(time.Now().Add(orDefault(c.srv.WriteTimeout, DefaultWriteTimeout)))
	if err := write(); err != nil {
		c.shut(CloseSlowGate, "write failed")
		return err
	}
	return nil
}
