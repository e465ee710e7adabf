package sync

// watcher is one Watch call's function.
type watcher struct{ fn func(eventID string) }

// Watch calls fn with the event id of every Poke (an event's change log
// grew: tickets issued or revoked, check-ins uploaded here, or, through
// a Notifier, anywhere; "" means any event may have changed) until the
// returned stop is called. fn runs under the hub's lock: it must not
// block or call the hub. The organizer's desk (web/desk) watches to push
// fresh figures to open dashboards.
func (s *Hub) Watch(fn func(eventID string)) (stop func()) {
	w := &watcher{fn: fn}
	s.mu.Lock()
	if s.watchers == nil {
		s.watchers = make(map[*watcher]struct{})
	}
	s.watchers[w] = struct{}{}
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.watchers, w)
		s.mu.Unlock()
	}
}

// GateOnline reports whether the gate holds a connection to this hub
// now (a websocket open or being opened). A gate connected to another
// server process of the same stores is not seen here.
func (s *Hub) GateOnline(gateID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gateConns[gateID] > 0
}
