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
	"strings"
	gosync "sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/admitone/admitone/purchase"
)

// ChangeLog is what the hub reads of the server's per-event log;
// purchase.Store implements it.
type ChangeLog interface {
	Changes(ctx context.Context, eventID string, after int64, limit int) ([]purchase.Change, error)
	LogHead(ctx context.Context, eventID string) (int64, error)
}

// Timing of a connection. Vars, so tests can shorten them.
var (
	// HelloTimeout bounds the wait for a gate's hello.
	HelloTimeout = 10 * time.Second
	// PingInterval is how often the server pings; a gate that answers no
	// ping or frame for PongWait is gone.
	PingInterval = 10 * time.Second
	PongWait     = 30 * time.Second
	// WriteTimeout bounds one frame's write; a gate that cannot take a
	// frame in that time is disconnected (it resumes on reconnect).
	WriteTimeout = 10 * time.Second
)

// Per-connection rate limit on frames from a gate: a burst of
// RateBurst, refilled at RatePerSecond. A full outbox drains in
// MaxBatch-sized uploads, so the limit does not slow an honest gate.
const (
	RatePerSecond = 50
	RateBurst     = 200
)

// Server is the sync hub: it serves gates' websockets at /v1/sync,
// stores their uploads and pushes every event's new log entries to the
// event's connected gates as they happen.
type Server struct {
	Store Store
	Log   ChangeLog
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives connection events; nil means slog.Default().
	Logger *slog.Logger

	mu     gosync.Mutex
	events map[string]map[*conn]struct{} // by event id
	closed bool
	// OnConflict, if set, is called for each conflict an upload made.
	OnConflict func(Conflict)
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

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
func (s *Server) Authenticate(ctx context.Context, credential string) (Gate, error) {
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
	// Gates are not browsers: they send no Origin, or any.
	CheckOrigin: func(*http.Request) bool { return true },
}

// ServeGate upgrades an authenticated gate's request to the sync
// websocket and runs it until either side closes. The caller has
// authenticated the request (Authenticate) and answered failures with an
// HTTP error.
func (s *Server) ServeGate(w http.ResponseWriter, r *http.Request, g Gate) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered with an HTTP error
	}
	c := &conn{srv: s, ws: ws, gate: g, poke: make(chan struct{}, 1), acks: make(chan []string, 64),
		done: make(chan struct{}), log: s.logger().With("gate", g.ID, "event", g.EventID, "remote", r.RemoteAddr)}
	c.run(r.Context())
}

// Poke tells the hub that an event's log grew (or, with "", that any may
// have): its gates read and get the new entries. It never blocks.
func (s *Server) Poke(eventID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ev, conns := range s.events {
		if eventID != "" && ev != eventID {
			continue
		}
		for c := range conns {
			c.wake()
		}
	}
}

// Disconnect closes every connection of a gate (its device was revoked).
func (s *Server) Disconnect(gateID string) {
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
func (s *Server) Connected() int {
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
func (s *Server) Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, conns := range s.events {
		for c := range conns {
			c.shut(CloseGoingAway, "server shutting down")
		}
	}
}

func (s *Server) register(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.events == nil {
		s.events = make(map[string]map[*conn]struct{})
	}
	m := s.events[c.gate.EventID]
	if m == nil {
		m = make(map[*conn]struct{})
		s.events[c.gate.EventID] = m
	}
	m[c] = struct{}{}
	return true
}

func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.events[c.gate.EventID], c)
	if len(s.events[c.gate.EventID]) == 0 {
		delete(s.events, c.gate.EventID)
	}
}

// conn is one gate's websocket. One goroutine reads (run), one writes
// (writer); they share nothing but the channels and the close.
type conn struct {
	srv  *Server
	ws   *websocket.Conn
	gate Gate
	log  *slog.Logger

	poke chan struct{} // the event's log grew; capacity 1: pokes coalesce
	acks chan []string // ids to acknowledge, in order
	done chan struct{} // closed by shut

	closeOnce gosync.Once
	cursor    int64 // the last seq sent; the writer's alone after hello
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
	c.ws.SetReadDeadline(time.Now().Add(HelloTimeout))
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
	head, err := c.srv.Log.LogHead(ctx, c.gate.EventID)
	if err != nil {
		c.log.Error("sync: read log head", "err", err)
		c.shut(CloseInternal, "server could not read the event's log")
		return
	}
	c.cursor = max(hello.Since, 0)
	welcome := Frame{Type: TypeWelcome, Version: ProtocolVersion, ServerTime: c.srv.now().UTC(), GateID: c.gate.ID, EventID: c.gate.EventID, Head: head}
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

	c.wake() // send what the gate missed
	go c.writer(ctx)

	pong := func(string) error { c.ws.SetReadDeadline(time.Now().Add(PongWait)); return nil }
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
		default:
			c.shut(CloseProtocol, "a gate may send hello once and then upload frames, not "+f.Type)
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
func (c *conn) upload(ctx context.Context, cs []Checkin) error {
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
	res, err := c.srv.Store.RecordCheckins(ctx, c.gate, cs, c.srv.now().UTC())
	if err != nil {
		c.log.Error("sync: store check-ins", "count", len(cs), "err", err)
		c.shut(CloseInternal, "server could not store the check-ins; resend after reconnecting")
		return err
	}
	for _, cf := range res.Conflicts {
		c.log.Warn("sync: ticket admitted twice", "ticket", cf.TicketID, "first_gate", cf.First.GateID, "second_gate", cf.Second.GateID)
		if c.srv.OnConflict != nil {
			c.srv.OnConflict(cf)
		}
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
	if res.New > 0 {
		c.srv.Poke(c.gate.EventID)
	}
	return nil
}

// writer sends acks and new log entries, coalescing whatever is pending
// into as few frames as it can, and pings.
func (c *conn) writer(ctx context.Context) {
	ping := time.NewTicker(PingInterval)
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
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(WriteTimeout)); err != nil {
				c.shut(CloseSlowGate, "ping failed")
				return
			}
			// Another server process may have revoked the gate: its
			// Disconnect reaches only its own connections.
			if g, err := c.srv.Store.Gate(ctx, c.gate.ID); err == nil && !g.RevokedAt.IsZero() {
				c.shut(CloseRevoked, "gate revoked by an organizer")
				return
			}
		}
	}
}

// sendChanges sends every log entry after the cursor, in frames of at
// most MaxChangesPerFrame.
func (c *conn) sendChanges(ctx context.Context) bool {
	for {
		page, err := c.srv.Log.Changes(ctx, c.gate.EventID, c.cursor, MaxChangesPerFrame)
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
		if c.write(Frame{Type: TypeChanges, Changes: page}) != nil {
			return false
		}
		c.cursor = page[len(page)-1].Seq
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
	c.ws.SetWriteDeadline(time.Now().Add(WriteTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.shut(CloseSlowGate, "write failed")
		return err
	}
	return nil
}
