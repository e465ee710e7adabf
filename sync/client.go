package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	gosync "sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/internal/logging"
)

// GateStore is the gate's side of sync: its durable outbox and its copy
// of the event's log. scanner.Store implements it.
type GateStore interface {
	// PendingUploads returns up to limit check-ins not acknowledged yet,
	// oldest first.
	PendingUploads(limit int) ([]changelog.Checkin, error)
	// Acknowledge deletes acknowledged check-ins from the outbox.
	Acknowledge(ids []string) error
	// SyncCursor is the Seq of the last log entry applied.
	SyncCursor() (int64, error)
	// ApplyChanges applies log entries in order (issued tickets,
	// revocations, other gates' check-ins) and moves the cursor to the
	// last one's Seq, in one transaction.
	ApplyChanges(changes []changelog.Change) error
}

// ErrGateRevoked ends Client.Run: the server refused the credential for
// good. The gate keeps scanning offline; an organizer must enrol it
// again.
var ErrGateRevoked = errors.New("the server revoked this gate's credential")

// ClientStatus is what the gate shows about its connection.
type ClientStatus struct {
	Connected bool `json:"connected"`
	// ClockSkew is the gate's clock minus the server's, measured at the
	// last welcome.
	ClockSkew  time.Duration `json:"clock_skew"`
	LastSync   time.Time     `json:"last_sync,omitzero"`
	LastError  string        `json:"last_error,omitempty"`
	Reconnects int           `json:"reconnects"`
	Cursor     int64         `json:"cursor"`
	// ServerVersion is the protocol version of the last welcome; status
	// frames go to servers of StatusVersion or more.
	ServerVersion int `json:"server_version,omitempty"`
	// LastStatus is when the last status frame went out and
	// LastReport what it said: the numbers the organizers' gate panel
	// shows for this gate.
	LastStatus time.Time   `json:"last_status,omitzero"`
	LastReport *GateReport `json:"last_report,omitempty"`
}

// Client keeps a gate in sync with the server: it uploads the outbox and
// applies the event's log, reconnecting with jittered backoff whenever
// the connection drops. Check-ins are made and stored without it; it only
// moves them.
type Client struct {
	// Server is the server's base URL (http[s]://host:port); the client
	// connects to its /v1/sync.
	Server     string
	Credential string
	Store      GateStore
	Logger     *slog.Logger
	// MinBackoff and MaxBackoff bound the wait between connection
	// attempts (defaults 250 ms and 15 s); each wait is random up to the
	// current bound, which doubles per failure.
	MinBackoff, MaxBackoff time.Duration
	// AckTimeout drops a connection whose upload is not acknowledged in
	// time (default 30 s); the upload is resent on the next one.
	AckTimeout time.Duration
	// Dialer dials the websocket; nil means a default with a 10 s
	// handshake timeout.
	Dialer *websocket.Dialer
	// Report, if set, is the gate's health for status frames: sent to a
	// server that takes them (StatusVersion) on connect, within about a
	// second of the report changing, and at least every StatusInterval
	// (default DefaultStatusInterval). Nil sends none.
	Report         func() GateReport
	StatusInterval time.Duration
	// Now is the gate's clock, which hello and status frames carry; nil
	// means time.Now.
	Now func() time.Time

	kick   chan struct{}
	once   gosync.Once
	mu     gosync.Mutex
	status ClientStatus
}

func (c *Client) init() {
	c.once.Do(func() { c.kick = make(chan struct{}, 1) })
}

func (c *Client) logger() *slog.Logger { return logging.OrDiscard(c.Logger) }

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// DefaultStatusInterval is how often a gate sends a status frame when
// nothing changes.
const DefaultStatusInterval = 10 * time.Second

// statusGap spaces status frames sent because the report changed.
const statusGap = time.Second

// Kick tells the client that the outbox has a new check-in.
func (c *Client) Kick() {
	c.init()
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Status returns the connection's state.
func (c *Client) Status() ClientStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Connected reports whether the gate is connected now; check-ins made
// while it is not are flagged offline.
func (c *Client) Connected() bool { return c.Status().Connected }

func (c *Client) setStatus(fn func(*ClientStatus)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fn(&c.status)
}

// syncURL is the websocket URL of the server.
func (c *Client) syncURL() (string, error) {
	u, err := url.Parse(strings.TrimRight(c.Server, "/"))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("server URL %q: want http(s)://host:port", c.Server)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("server URL %q: want http or https", c.Server)
	}
	u.Path += "/v1/sync"
	return u.String(), nil
}

// Run syncs until ctx ends (returning nil) or the server revokes the
// gate (ErrGateRevoked).
func (c *Client) Run(ctx context.Context) error {
	c.init()
	target, err := c.syncURL()
	if err != nil {
		return err
	}
	minB, maxB := c.MinBackoff, c.MaxBackoff
	if minB <= 0 {
		minB = 250 * time.Millisecond
	}
	if maxB <= 0 {
		maxB = 15 * time.Second
	}
	bound := minB
	for {
		welcomed, err := c.session(ctx, target)
		c.setStatus(func(s *ClientStatus) {
			s.Connected = false
			if err != nil {
				s.LastError = err.Error()
			}
		})
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrGateRevoked) {
			c.logger().Error("sync: the server revoked this gate; scanning goes on offline", "err", err)
			return err
		}
		if welcomed {
			bound = minB
		}
		wait := time.Duration(rand.Int64N(int64(bound)) + 1)
		c.logger().Warn("sync: disconnected; retrying", "err", err, "in", wait.Round(time.Millisecond))
		bound = min(2*bound, maxB)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		c.setStatus(func(s *ClientStatus) { s.Reconnects++ })
	}
}

// Probe connects once, says hello and closes on the server's welcome:
// scannerd doctor's check that the server is reachable, still accepts
// the credential (ErrGateRevoked if not) and agrees about the time. It
// returns the welcome and the time from sending hello to reading it, so
// the gate's clock skew is about time.Since(welcome.ServerTime) - rtt/2.
// It uploads and applies nothing; Store is read for the cursor only.
func (c *Client) Probe(ctx context.Context) (welcome Frame, rtt time.Duration, err error) {
	target, err := c.syncURL()
	if err != nil {
		return Frame{}, 0, err
	}
	start := time.Now()
	ws, welcome, _, err := c.handshake(ctx, target)
	if err != nil {
		return Frame{}, 0, err
	}
	rtt = time.Since(start)
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(CloseNormal, ""), time.Now().Add(time.Second))
	ws.Close()
	return welcome, rtt, nil
}

// handshake dials the server and exchanges hello and welcome; the caller
// closes the connection.
func (c *Client) handshake(ctx context.Context, target string) (*websocket.Conn, Frame, int64, error) {
	d := c.Dialer
	if d == nil {
		d = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment}
	}
	hdr := http.Header{"Authorization": {"Bearer " + c.Credential}}
	ws, res, err := d.DialContext(ctx, target, hdr)
	if err != nil {
		if res != nil && (res.StatusCode == http.StatusForbidden || res.StatusCode == http.StatusUnauthorized) {
			return nil, Frame{}, 0, fmt.Errorf("%w (HTTP %d)", ErrGateRevoked, res.StatusCode)
		}
		return nil, Frame{}, 0, fmt.Errorf("connect: %w", err)
	}
	fail := func(err error) (*websocket.Conn, Frame, int64, error) {
		ws.Close()
		return nil, Frame{}, 0, err
	}
	ws.SetReadLimit(MaxFrameBytes)
	cursor, err := c.Store.SyncCursor()
	if err != nil {
		return fail(err)
	}
	if err := writeFrame(ws, Frame{Type: TypeHello, Version: ProtocolVersion, Since: cursor, ClientTime: c.now().UTC()}); err != nil {
		return fail(err)
	}
	ws.SetReadDeadline(time.Now().Add(DefaultHelloTimeout))
	welcome, err := readFrame(ws)
	if err != nil {
		return fail(err)
	}
	if welcome.Type != TypeWelcome {
		return fail(fmt.Errorf("server answered hello with %q", welcome.Type))
	}
	return ws, welcome, cursor, nil
}

// session runs one connection; welcomed reports whether the server
// accepted it.
func (c *Client) session(ctx context.Context, target string) (welcomed bool, err error) {
	ws, welcome, cursor, err := c.handshake(ctx, target)
	if err != nil {
		return false, err
	}
	defer ws.Close()
	skew := c.now().Sub(welcome.ServerTime) // half the round trip is in it too
	c.setStatus(func(s *ClientStatus) {
		s.Connected, s.ClockSkew, s.LastSync, s.LastError, s.Cursor = true, skew, time.Now(), "", cursor
		s.ServerVersion = welcome.Version
	})
	c.logger().Info("sync: connected", "gate", welcome.GateID, "event", welcome.EventID, "since", cursor, "head", welcome.Head,
		"clock_skew", skew.Round(time.Millisecond))

	// The server pings; every frame or ping proves it alive.
	alive := func() { ws.SetReadDeadline(time.Now().Add(DefaultPongWait)) }
	ws.SetPingHandler(func(data string) error {
		alive()
		return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(DefaultWriteTimeout))
	})
	alive()

	acks := make(chan []string, 16)
	readErr := make(chan error, 1)
	done := make(chan struct{})
	defer close(done)
	go func() { readErr <- c.reader(ws, alive, acks, done) }()

	ackTimeout := c.AckTimeout
	if ackTimeout <= 0 {
		ackTimeout = 30 * time.Second
	}
	var inflight map[string]bool
	var sentAt time.Time
	var gap <-chan time.Time // the wait before the next upload, if any
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	st := statusSender{c: c, ws: ws, on: c.Report != nil && welcome.Version >= StatusVersion}
	if err := st.send(true); err != nil {
		return true, err
	}
	for {
		if inflight == nil && gap == nil {
			if wait := uploadGap - time.Since(sentAt); wait > 0 {
				gap = time.After(wait)
			}
		}
		if inflight == nil && gap == nil {
			batch, err := c.Store.PendingUploads(MaxBatch)
			if err != nil {
				return true, err
			}
			if len(batch) > 0 {
				if err := writeFrame(ws, Frame{Type: TypeUpload, Checkins: batch}); err != nil {
					return true, err
				}
				inflight, sentAt = make(map[string]bool, len(batch)), time.Now()
				for _, ci := range batch {
					inflight[ci.ID] = true
				}
			}
		}
		select {
		case <-ctx.Done():
			ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(CloseGoingAway, "gate shutting down"), time.Now().Add(time.Second))
			return true, ctx.Err()
		case err := <-readErr:
			return true, err
		case ids := <-acks:
			if err := c.Store.Acknowledge(ids); err != nil {
				return true, err
			}
			for _, id := range ids {
				delete(inflight, id)
			}
			if len(inflight) == 0 {
				inflight = nil
			}
		case <-c.kick:
		case <-gap:
			gap = nil
		case <-poll.C:
			if inflight != nil && time.Since(sentAt) > ackTimeout {
				return true, fmt.Errorf("upload of %d check-ins not acknowledged in %v", len(inflight), ackTimeout)
			}
			if err := st.send(false); err != nil {
				return true, err
			}
		}
	}
}

// statusSender sends one connection's status frames.
type statusSender struct {
	c    *Client
	ws   *websocket.Conn
	on   bool
	last GateReport
	at   time.Time // when the last one went out (monotonic)
}

// send sends the gate's report if force, if it changed (and statusGap
// passed), or if the status interval passed.
func (s *statusSender) send(force bool) error {
	if !s.on {
		return nil
	}
	r := s.c.Report()
	since := time.Since(s.at)
	interval := s.c.StatusInterval
	if interval <= 0 {
		interval = DefaultStatusInterval
	}
	if !force && since < interval && (since < statusGap || sameReport(r, s.last)) {
		return nil
	}
	if err := writeFrame(s.ws, Frame{Type: TypeStatus, ClientTime: s.c.now().UTC(), Status: &r}); err != nil {
		return err
	}
	s.last, s.at = r, time.Now()
	s.c.setStatus(func(st *ClientStatus) { st.LastStatus, st.LastReport = s.at, &r })
	return nil
}

func sameReport(a, b GateReport) bool {
	if a.Boot != b.Boot || a.Version != b.Version || a.Outbox != b.Outbox || a.Scans != b.Scans || a.Admits != b.Admits || len(a.Refusals) != len(b.Refusals) {
		return false
	}
	for k, n := range a.Refusals {
		if m, ok := b.Refusals[k]; !ok || m != n {
			return false
		}
	}
	return true
}

// uploadGap spaces a connection's uploads: scans that come faster share
// the next upload instead of each sending its own frame, which would run
// a busy gate into the server's rate limit (RatePerSecond) and get it
// disconnected. Uploading at half the limit's rate leaves a margin.
const uploadGap = 2 * time.Second / RatePerSecond

// reader applies the server's frames until the connection fails.
func (c *Client) reader(ws *websocket.Conn, alive func(), acks chan<- []string, done <-chan struct{}) error {
	for {
		f, err := readFrame(ws)
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) && ce.Code == CloseRevoked {
				return fmt.Errorf("%w: %s", ErrGateRevoked, ce.Text)
			}
			return err
		}
		alive()
		switch f.Type {
		case TypeAck:
			select {
			case acks <- f.IDs:
			case <-done:
				return nil
			}
		case TypeChanges:
			if err := c.Store.ApplyChanges(f.Changes); err != nil {
				return fmt.Errorf("apply %d log entries: %w", len(f.Changes), err)
			}
			if n := len(f.Changes); n > 0 {
				last := f.Changes[n-1].Seq
				c.setStatus(func(s *ClientStatus) { s.Cursor, s.LastSync = last, time.Now() })
			}
		default:
			return fmt.Errorf("server sent an unexpected %q frame", f.Type)
		}
	}
}

func writeFrame(ws *websocket.Conn, f Frame) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	ws.SetWriteDeadline(time.Now().Add(DefaultWriteTimeout))
	return ws.WriteMessage(websocket.TextMessage, b)
}

func readFrame(ws *websocket.Conn) (Frame, error) {
	kind, b, err := ws.ReadMessage()
	if err != nil {
		return Frame{}, err
	}
	if kind != websocket.TextMessage {
		return Frame{}, errors.New("server sent a binary frame")
	}
	return ParseFrame(b)
}
