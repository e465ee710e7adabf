package gateauth

import (
	"net/netip"
	gosync "sync"
	"time"
)

// Limiter defaults.
const (
	DefaultAddrFailures   = 5
	DefaultGlobalFailures = 30
	DefaultFailureWindow  = time.Minute
	defaultMaxAddrs       = 4096
)

// Limiter counts wrong PINs within a sliding window, per client address
// and over all addresses, and says how long a client must wait once
// either count is full. It is safe for concurrent use; the zero value
// uses the defaults: 5 per address and 30 in all per minute.
type Limiter struct {
	AddrFailures   int
	GlobalFailures int
	Window         time.Duration

	mu     gosync.Mutex
	addrs  map[string][]time.Time // ascending, at most AddrFailures each
	global []time.Time            // ascending, at most GlobalFailures
}

func (l *Limiter) limits() (perAddr, global int, window time.Duration) {
	perAddr, global, window = l.AddrFailures, l.GlobalFailures, l.Window
	if perAddr <= 0 {
		perAddr = DefaultAddrFailures
	}
	if global <= 0 {
		global = DefaultGlobalFailures
	}
	if window <= 0 {
		window = DefaultFailureWindow
	}
	return
}

// Wait returns how long a client at addr (an AddrKey) must wait before
// its next PIN is checked: zero if it may try now.
func (l *Limiter) Wait(addr string, now time.Time) time.Duration {
	perAddr, global, window := l.limits()
	l.mu.Lock()
	defer l.mu.Unlock()
	return max(waitFor(l.addrs[addr], perAddr, window, now), waitFor(l.global, global, window, now))
}

func waitFor(times []time.Time, limit int, window time.Duration, now time.Time) time.Duration {
	if len(times) < limit {
		return 0
	}
	return max(0, times[len(times)-limit].Add(window).Sub(now))
}

// Fail records a wrong PIN from addr at now.
func (l *Limiter) Fail(addr string, now time.Time) {
	perAddr, global, window := l.limits()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.global = record(l.global, global, window, now)
	if l.addrs == nil {
		l.addrs = make(map[string][]time.Time)
	}
	if _, ok := l.addrs[addr]; !ok && len(l.addrs) >= defaultMaxAddrs {
		for k, v := range l.addrs {
			if now.Sub(v[len(v)-1]) >= window {
				delete(l.addrs, k)
			}
		}
		if len(l.addrs) >= defaultMaxAddrs {
			return // the overall count still slows this address down
		}
	}
	l.addrs[addr] = record(l.addrs[addr], perAddr, window, now)
}

// record appends now to times, dropping what left the window and the
// oldest beyond limit.
func record(times []time.Time, limit int, window time.Duration, now time.Time) []time.Time {
	keep := times[:0]
	for _, t := range times {
		if now.Sub(t) < window {
			keep = append(keep, t)
		}
	}
	keep = append(keep, now)
	if len(keep) > limit {
		keep = keep[len(keep)-limit:]
	}
	return keep
}

// Forgive forgets addr's wrong PINs, after a right one.
func (l *Limiter) Forgive(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.addrs, addr)
}

// AddrKey is the limiter's key for a request's remote address
// (host:port or a bare IP): the IP, or its /64 for IPv6, since one
// client commonly holds a whole /64. What does not parse is its own key.
func AddrKey(remote string) string {
	ip, err := netip.ParseAddr(remote)
	if err != nil {
		ap, perr := netip.ParseAddrPort(remote)
		if perr != nil {
			return remote
		}
		ip = ap.Addr()
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
