package gateapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/admitone/admitone/scanner"
	ticketsync "github.com/admitone/admitone/sync"
)

// Stream defaults: how many verdicts a slow screen may fall behind before
// it loses some, and how often it hears the gate's state.
const (
	streamBuffer         = 16
	defaultStatusEvery   = 5 * time.Second
	streamRetryMillis    = 2000
	statusAfterVerdict   = 300 * time.Millisecond
	maxStreamSubscribers = 64
)

// liveStatus is /v1/status as the screen shows it: the store's counts and
// the verdicts given since scannerd started.
type liveStatus struct {
	scanner.Status
	// AdmittedHere counts accepted scans at this gate since scannerd
	// started (look-ups included); Refused counts refusals by verdict.
	AdmittedHere *int           `json:"admitted_here,omitempty"`
	Refused      map[string]int `json:"refused,omitempty"`
	// Purpose is "merch_pickup" at a merch desk (Server.Pickup set).
	Purpose string `json:"purpose,omitempty"`
}

func (a *Server) liveStatus() (liveStatus, error) {
	st, err := a.Store.Status()
	if err != nil {
		return liveStatus{}, err
	}
	if a.Sync != nil {
		ss := a.Sync.Status()
		st.Sync = &ss
	}
	ls := liveStatus{Status: st}
	if a.Pickup != nil {
		ls.Purpose = ticketsync.PurposeMerchPickup
	}
	if a.Metrics != nil {
		ls.Refused = make(map[string]int)
		for _, v := range scanner.Verdicts {
			var m dto.Metric
			if err := a.Metrics.Scans.WithLabelValues(string(v)).Write(&m); err != nil {
				continue
			}
			n := int(m.GetCounter().GetValue())
			switch {
			case v.Admits():
				ls.AdmittedHere = &n
			case n > 0:
				ls.Refused[string(v)] = n
			}
		}
	}
	return ls, nil
}

// handleStream serves the gate's verdicts as server-sent events: an
// "verdict" event (one JSON Result) for every verdict of every lane, and
// a "status" event (liveStatus) at once and then periodically. A screen
// that falls more than streamBuffer verdicts behind loses the oldest
// unsent ones; no lane ever waits for a screen.
func (a *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	if a.Engine.Feed == nil {
		writeError(w, http.StatusNotFound, "no_feed", "this gate publishes no verdict stream")
		return
	}
	if a.Engine.Feed.Subscribers() >= maxStreamSubscribers {
		writeError(w, http.StatusTooManyRequests, "too_many_screens", fmt.Sprintf("at most %d screens may watch the gate", maxStreamSubscribers))
		return
	}
	rc := http.NewResponseController(w)
	// The server's write timeout is for ordinary answers; a stream lives
	// as long as its client.
	if err := rc.SetWriteDeadline(time.Time{}); err != nil {
		writeError(w, http.StatusInternalServerError, "no_stream", "this server cannot stream")
		return
	}
	sub := a.Engine.Feed.Subscribe(streamBuffer)
	defer sub.Close()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: %d\n\n", streamRetryMillis)

	every := a.StatusEvery
	if every <= 0 {
		every = defaultStatusEvery
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	sendStatus := func() error {
		st, err := a.liveStatus()
		if err != nil {
			return writeEvent(w, "store_failing", map[string]string{"error": "the gate cannot read its store"})
		}
		return writeEvent(w, "status", st)
	}
	if err := sendStatus(); err != nil || rc.Flush() != nil {
		return
	}
	// After a verdict the counts change: send them soon, at most once
	// per statusAfterVerdict however many verdicts come.
	var soon <-chan time.Time
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case res, ok := <-sub.C:
			if !ok {
				return
			}
			err = writeEvent(w, "verdict", res)
			if soon == nil {
				soon = time.After(statusAfterVerdict)
			}
		case <-soon:
			soon = nil
			err = sendStatus()
		case <-tick.C:
			err = sendStatus()
		}
		if err != nil || rc.Flush() != nil {
			return // the client went away
		}
	}
}

// writeEvent writes one server-sent event; JSON has no raw newlines, so
// the data is one line.
func writeEvent(w io.Writer, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
	return err
}
