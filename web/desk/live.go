package desk

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	gosync "sync"
	"time"

	"github.com/admitone/admitone/analytics"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/errkind"
	ticketsync "github.com/admitone/admitone/sync"
)

// feed fans the hub's pokes out to the open live streams of each event,
// and shares each event's figures among its streams: a poke that wakes
// ten dashboards of one event computes its figures once.
type feed struct {
	mu     gosync.Mutex
	events map[string]*eventFeed // by event id, while it has streams
}

// eventFeed is one event's streams and its latest figures.
type eventFeed struct {
	subs map[chan struct{}]struct{}
	// latest was computed by a run that started at latestAt; running
	// is closed when the run in progress ends.
	latest   Figures
	latestAt time.Time
	running  chan struct{}
}

// changed wakes every stream of eventID ("" wakes all). It never blocks:
// a stream already woken stays woken once.
func (f *feed) changed(eventID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ev, ef := range f.events {
		if eventID != "" && ev != eventID {
			continue
		}
		for c := range ef.subs {
			select {
			case c <- struct{}{}:
			default:
			}
		}
	}
}

func (f *feed) subscribe(eventID string) (chan struct{}, func()) {
	c := make(chan struct{}, 1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.events == nil {
		f.events = make(map[string]*eventFeed)
	}
	ef := f.events[eventID]
	if ef == nil {
		ef = &eventFeed{subs: make(map[chan struct{}]struct{})}
		f.events[eventID] = ef
	}
	ef.subs[c] = struct{}{}
	return c, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(ef.subs, c)
		if len(ef.subs) == 0 && f.events[eventID] == ef {
			delete(f.events, eventID)
		}
	}
}

// figures returns eventID's figures as computed by a run that started at
// or after since (so it saw every change told before since), running
// compute only when no such run has ended or is under way. The caller
// has subscribed to eventID.
func (f *feed) figures(ctx context.Context, eventID string, since time.Time, compute func(context.Context) (Figures, error)) (Figures, error) {
	for {
		f.mu.Lock()
		ef := f.events[eventID]
		if ef == nil {
			f.mu.Unlock()
			return compute(ctx)
		}
		if !ef.latestAt.IsZero() && !ef.latestAt.Before(since) {
			fig := ef.latest
			f.mu.Unlock()
			return fig, nil
		}
		if ef.running != nil {
			wait := ef.running
			f.mu.Unlock()
			select {
			case <-wait: // fresh enough, or else this stream runs next
			case <-ctx.Done():
				return Figures{}, ctx.Err()
			}
			continue
		}
		done, at := make(chan struct{}), time.Now()
		ef.running = done
		f.mu.Unlock()
		// Other streams wait for this run: the caller's going away
		// must not fail it for them.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		fig, err := compute(cctx)
		cancel()
		f.mu.Lock()
		if err == nil {
			ef.latest, ef.latestAt = fig, at
		}
		ef.running = nil
		close(done)
		f.mu.Unlock()
		return fig, err
	}
}

// streamCount bounds each session's open live streams.
type streamCount struct {
	mu gosync.Mutex
	n  map[string]int // by session token hash
}

func (c *streamCount) take(key string, max int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = make(map[string]int)
	}
	if c.n[key] >= max {
		return false
	}
	c.n[key]++
	return true
}

func (c *streamCount) release(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[key]--; c.n[key] <= 0 {
		delete(c.n, key)
	}
}

// Figures are what an event's dashboard shows, as the page renders them
// and the live feed sends them (JSON).
type Figures struct {
	EventID string    `json:"event_id"`
	AsOf    time.Time `json:"as_of"`
	// Sold, Capacity and Remaining add up the admission ticket types.
	Sold      int `json:"sold"`
	Capacity  int `json:"capacity"`
	Remaining int `json:"remaining"`
	CheckedIn int `json:"checked_in"`
	Inside    int `json:"inside"`
	Conflicts int `json:"conflicts"`
	// Revenue says each currency's net revenue in words.
	Revenue []string `json:"revenue"`
	// DoorsOpen: now is between the doors' opening (or the start) and
	// the end.
	DoorsOpen bool       `json:"doors_open"`
	Gates     []GateView `json:"gates"`
	// Summary says the figures in one sentence, for screen readers and
	// anyone who does not read colours.
	Summary string `json:"summary"`
	// History is the chart's past, for the page's first render only:
	// tickets paid (cumulative, by the hour they were paid) and entries
	// (cumulative, by the minute), from analytics.
	History []HistoryPoint `json:"-"`
}

// HistoryPoint is one instant of the chart's past: Unix seconds, the
// tickets paid and the entries recorded up to it.
type HistoryPoint [3]int64

// history merges the hourly sales and the per-minute entries of st into
// one cumulative series, oldest first, at most maxHistory points (the
// newest).
func history(st analytics.EventStats) []HistoryPoint {
	type step struct{ paid, entered int64 }
	steps := map[int64]step{}
	for _, b := range st.Sales {
		s := steps[b.Start.Unix()]
		s.paid += int64(b.Units)
		steps[b.Start.Unix()] = s
	}
	for _, m := range st.EntriesPerMinute {
		s := steps[m.Minute.Unix()]
		s.entered += int64(m.Entries)
		steps[m.Minute.Unix()] = s
	}
	times := make([]int64, 0, len(steps))
	for t := range steps {
		times = append(times, t)
	}
	slices.Sort(times)
	out := make([]HistoryPoint, 0, len(times))
	var paid, entered int64
	for _, t := range times {
		paid, entered = paid+steps[t].paid, entered+steps[t].entered
		out = append(out, HistoryPoint{t, paid, entered})
	}
	if len(out) > maxHistory {
		out = out[len(out)-maxHistory:]
	}
	return out
}

// maxHistory bounds the chart's past points (a day and a half of minutes).
const maxHistory = 2000

// GateView is one gate as the dashboard's gate panel shows it, from the
// hub's gate health (sync.Hub.GateStates): what every server process
// heard from the gate, saved in the store.
type GateView struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Direction string `json:"direction"`
	Enrolled  bool   `json:"enrolled"`
	Revoked   bool   `json:"revoked"`
	// Online: a server process heard from the gate lately, or this one
	// holds its connection.
	Online bool `json:"online"`
	// Entries counts the gate's recorded entries (analytics).
	Entries int `json:"entries"`
	// LastSync and ClockSkew are in words, "" before the gate reported
	// them; ScansPerMinute (averaged over sync.RateWindow) and Outbox
	// (check-ins not yet uploaded, from the gate's last status report)
	// are nil before the gate first connected.
	LastSync       string   `json:"last_sync"`
	ClockSkew      string   `json:"clock_skew"`
	ScansPerMinute *float64 `json:"scans_per_minute"`
	Outbox         *int64   `json:"outbox"`
	// Quiet flags an enrolled gate that is offline, or online without a
	// scan for the hub's QuietAfter, while the doors are open.
	Quiet bool `json:"quiet"`
	// State says the gate's state in words: "online", "offline", "not
	// enrolled", "revoked", with "quiet during doors-open" (and why) when
	// Quiet.
	State string `json:"state"`
}

// figures computes an event's figures from the store.
func (d *Desk) figures(ctx context.Context, e catalog.Event) (Figures, error) {
	now := d.now()
	f := Figures{EventID: e.ID, AsOf: now.UTC(), Revenue: []string{}, Gates: []GateView{}}
	doors := e.DoorsAt
	if doors.IsZero() {
		doors = e.StartsAt
	}
	f.DoorsOpen = !now.Before(doors) && now.Before(e.EndsAt)
	entries := map[string]int{}
	if d.Analytics != nil {
		st, err := d.Analytics.EventStats(ctx, e.ID)
		if err != nil {
			return Figures{}, err
		}
		for _, t := range st.TicketTypes {
			if t.Kind == catalog.KindAdmission {
				f.Sold += t.Sold
				f.Capacity += t.Capacity
				f.Remaining += t.Remaining
			}
		}
		f.CheckedIn, f.Inside, f.Conflicts = st.CheckedIn, st.Inside, st.Conflicts
		for _, r := range st.Revenue {
			f.Revenue = append(f.Revenue, formatMoney(r.Net, r.Currency))
		}
		for _, g := range st.Entries {
			entries[g.GateID] = g.Entries
		}
		f.History = history(st)
	}
	if d.Hub != nil {
		gates, err := d.Hub.GateStates(ctx, e.ID)
		if err != nil {
			return Figures{}, err
		}
		now := now.UTC()
		for _, g := range gates {
			f.Gates = append(f.Gates, gateView(g, now, d.Hub.GateOnline(g.ID), entries[g.ID]))
		}
	}
	online := 0
	for _, g := range f.Gates {
		if g.Online {
			online++
		}
	}
	f.Summary = fmt.Sprintf("%d of %d sold, %d checked in, %d inside now, %d conflicts; %d of %d gates online.",
		f.Sold, f.Capacity, f.CheckedIn, f.Inside, f.Conflicts, online, len(f.Gates))
	return f, nil
}

// gateView is g as the gate panel shows it at now; here says whether
// this process holds the gate's connection.
func gateView(g ticketsync.GateState, now time.Time, here bool, entries int) GateView {
	h := g.Health
	v := GateView{ID: g.ID, Name: g.Name, Direction: string(g.Direction), Enrolled: !g.EnrolledAt.IsZero(),
		Revoked: !g.RevokedAt.IsZero(), Online: h.Online || here, Entries: entries}
	if !h.LastSync.IsZero() {
		v.LastSync = ago(now.Sub(h.LastSync)) + " (" + h.LastSync.Format("15:04:05 UTC") + ")"
	}
	if h.ClockSkewMS != nil {
		v.ClockSkew = skewWords(time.Duration(*h.ClockSkewMS) * time.Millisecond)
	}
	if !h.LastSeen.IsZero() {
		rate := math.Round(h.ScansPerMinute*10) / 10
		outbox := h.Outbox
		v.ScansPerMinute, v.Outbox = &rate, &outbox
	}
	switch {
	case v.Revoked:
		v.State = "revoked"
	case !v.Enrolled:
		v.State = "not enrolled"
	case v.Online:
		v.State = "online"
	default:
		v.State = "offline"
	}
	if v.Enrolled && !v.Revoked && h.Quiet && !(v.Online && h.QuietReason == ticketsync.QuietOffline) {
		v.Quiet = true
		v.State += ", quiet during doors-open"
		if h.QuietReason == ticketsync.QuietNoScans {
			v.State += ": no scans lately"
		}
	}
	return v
}

// ago says a past span in words: "just now", "42 s ago", "5 min ago",
// "3 h ago".
func ago(d time.Duration) string {
	switch {
	case d < 2*time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	default:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
}

// skewWords says a gate's clock skew (its clock minus the server's).
func skewWords(d time.Duration) string {
	switch {
	case d > -time.Second && d < time.Second:
		return "in step (under 1 s)"
	case d > 0:
		return d.Round(100*time.Millisecond).String() + " ahead"
	default:
		return (-d).Round(100*time.Millisecond).String() + " behind"
	}
}

// minGap spaces a stream's recomputations: a burst of check-ins is one
// push, at most this long after the first.
const minGap = 100 * time.Millisecond

// live streams the event's figures as server-sent events: a "figures"
// event at once, then one soon after each change the hub tells of (a
// sale, a refund, a check-in uploaded to any server process), a
// recomputation every Refresh in case a change went untold (a gate
// connecting, a ticket type added), and a comment every Heartbeat. The
// stream ends when the session does.
func (d *Desk) live(w http.ResponseWriter, r *http.Request, s *session) {
	e, _, err := d.event(r, s)
	if err != nil {
		d.fail(w, r, s, err)
		return
	}
	maxStreams := d.MaxStreams
	if maxStreams <= 0 {
		maxStreams = DefaultMaxStreams
	}
	if !d.streams.take(s.P.TokenHash, maxStreams) {
		w.Header().Set("Retry-After", "30")
		d.fail(w, r, s, errkind.New(errkind.RateLimited, "too_many_streams",
			fmt.Sprintf("this session has %d live dashboards open already; close one", maxStreams)))
		return
	}
	defer d.streams.release(s.P.TokenHash)
	wake, stop := d.feed.subscribe(e.ID)
	defer stop()

	rc := http.NewResponseController(w)
	// The server's read timeout would end the stream (net/http cancels
	// a request whose connection read times out); writes get their own
	// deadline below.
	rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	refresh := cmp.Or(max(d.Refresh, 0), DefaultRefresh)
	heartbeat := cmp.Or(max(d.Heartbeat, 0), DefaultHeartbeat)
	write := func(b []byte) bool {
		rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	ctx := r.Context()
	var last string
	send := func() bool {
		f, err := d.feed.figures(ctx, e.ID, time.Now(), func(ctx context.Context) (Figures, error) { return d.figures(ctx, e) })
		if err != nil {
			d.log().Warn("desk: live figures", "event", e.ID, "err", err)
			return ctx.Err() == nil
		}
		at := f.AsOf
		f.AsOf = time.Time{}
		key, _ := json.Marshal(f)
		if string(key) == last {
			return true // nothing changed: nothing to send
		}
		last, f.AsOf = string(key), at
		b, _ := json.Marshal(f)
		return write([]byte("event: figures\ndata: " + string(b) + "\n\n"))
	}
	if !write([]byte("retry: 2000\n\n")) || !send() {
		return
	}
	tick := time.NewTicker(refresh)
	defer tick.Stop()
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
			if !send() {
				return
			}
			select { // coalesce a burst
			case <-ctx.Done():
				return
			case <-time.After(minGap):
			}
		case <-tick.C:
			if !send() {
				return
			}
		case <-beat.C:
			if d.session(r) == nil {
				write([]byte("event: signed-out\ndata: {}\n\n"))
				return
			}
			if !write([]byte(": heartbeat\n\n")) {
				return
			}
		}
	}
}
