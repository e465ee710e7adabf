package e2e

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// proxyMode is what the fault proxy does with connections.
type proxyMode int

const (
	// forward passes bytes both ways (after the latency, if any).
	forward proxyMode = iota
	// refuse resets every connection: new ones as they are accepted, and
	// the open ones when the mode is set. To a gate the server is down.
	refuse
	// blackhole accepts new connections and never answers: a cable pulled
	// somewhere further on. Held connections are closed when the mode
	// changes.
	blackhole
)

// faultProxy is a TCP proxy between gates and the server that injects
// network faults. A small one of our own rather than toxiproxy: the
// tests need four faults, each a few lines here, and no extra module.
type faultProxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	mode    proxyMode
	latency time.Duration
	conns   map[*proxyConn]struct{}
	held    map[net.Conn]struct{} // black-holed
	closed  bool
	wg      sync.WaitGroup

	// Counters for the test's log: connections accepted, open ones
	// reset, of those the ones cut mid-exchange (bytes in the proxy, or
	// the gate's last bytes still unanswered: an upload or its ack lost
	// on the way), and new ones refused.
	accepted, resets, cutMidExchange, refused atomic.Int64
}

// proxyConn is one proxied connection: the gate's side and the server's.
type proxyConn struct {
	client, upstream net.Conn
	once             sync.Once
	// transit counts bytes read from one side and not yet written to
	// the other; awaiting is set when bytes went to the server and
	// none came back since.
	transit  atomic.Int64
	awaiting atomic.Bool
}

// close ends both sides; with reset, as an RST (no FIN, unsent data
// dropped), which is how a connection dies when a NAT or the server's
// host drops it.
func (c *proxyConn) close(reset bool) {
	c.once.Do(func() {
		for _, conn := range []net.Conn{c.client, c.upstream} {
			if tc, ok := conn.(*net.TCPConn); ok && reset {
				tc.SetLinger(0)
			}
			conn.Close()
		}
	})
}

// newFaultProxy listens on a free loopback port and forwards to target
// (host:port). Cleanup closes it and every connection.
func newFaultProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, target: target, conns: make(map[*proxyConn]struct{}), held: make(map[net.Conn]struct{})}
	p.wg.Go(p.serve)
	t.Cleanup(p.close)
	return p
}

// url is the proxy's base URL, for a gate to enrol at.
func (p *faultProxy) url() string { return "http://" + p.ln.Addr().String() }

func (p *faultProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		p.mu.Lock()
		mode, closed := p.mode, p.closed
		if mode == blackhole && !closed {
			p.held[c] = struct{}{}
			p.mu.Unlock()
			continue
		}
		p.mu.Unlock()
		if mode == refuse || closed {
			p.refused.Add(1)
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
			continue
		}
		p.wg.Go(func() { p.pipe(c) })
	}
}

// pipe connects a gate's connection to the server and pumps both ways
// until either side ends.
func (p *faultProxy) pipe(client net.Conn) {
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		// The server is down: so is the gate's connection.
		client.(*net.TCPConn).SetLinger(0)
		client.Close()
		return
	}
	pc := &proxyConn{client: client, upstream: up}
	p.mu.Lock()
	if p.closed || p.mode != forward {
		p.mu.Unlock()
		pc.close(true)
		return
	}
	p.conns[pc] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.conns, pc)
		p.mu.Unlock()
	}()
	var both sync.WaitGroup
	both.Go(func() { p.pump(pc, client, up) })
	both.Go(func() { p.pump(pc, up, client) })
	both.Wait()
}

// chunk is bytes read and when they may be written on.
type chunk struct {
	b   []byte
	due time.Time
}

// pump copies src to dst, holding each chunk for the latency in force
// when it was read. Chunks are queued, not sent one round trip at a
// time, so latency delays the stream without throttling it, as a long
// link does. When src ends, what was read is still delivered, then both
// sides close.
func (p *faultProxy) pump(pc *proxyConn, src, dst net.Conn) {
	queue := make(chan chunk, 256)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for c := range queue {
			if d := time.Until(c.due); d > 0 {
				time.Sleep(d)
			}
			_, err := dst.Write(c.b)
			pc.transit.Add(-int64(len(c.b)))
			pc.awaiting.Store(dst == pc.upstream)
			if err != nil {
				pc.close(false)
				for range queue { // let the reader finish
				}
				return
			}
		}
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			lat := p.latency
			p.mu.Unlock()
			pc.transit.Add(int64(n))
			queue <- chunk{b: append([]byte(nil), buf[:n]...), due: time.Now().Add(lat)}
		}
		if err != nil {
			break
		}
	}
	close(queue)
	<-writerDone
	pc.close(false)
}

// setMode switches the proxy to forward, refuse or blackhole. Leaving
// forward resets every open connection; leaving blackhole closes the
// held ones.
func (p *faultProxy) setMode(m proxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == blackhole && m != blackhole {
		for c := range p.held {
			c.Close()
			delete(p.held, c)
		}
	}
	p.mode = m
	if m != forward {
		p.resetLocked()
	}
}

// resetAll resets every open connection now (new ones are accepted as
// the mode says) and returns how many it reset.
func (p *faultProxy) resetAll() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.resetLocked()
}

func (p *faultProxy) resetLocked() int {
	n := 0
	for pc := range p.conns {
		if pc.transit.Load() > 0 || pc.awaiting.Load() {
			p.cutMidExchange.Add(1)
		}
		pc.close(true)
		delete(p.conns, pc)
		n++
	}
	p.resets.Add(int64(n))
	return n
}

// setLatency delays every chunk read from now on by d, each way.
func (p *faultProxy) setLatency(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency = d
}

func (p *faultProxy) close() {
	p.mu.Lock()
	p.closed = true
	p.resetLocked()
	for c := range p.held {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}
