package gateapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/admitone/admitone/internal/logging"
	"github.com/admitone/admitone/scanner"
	ticketsync "github.com/admitone/admitone/sync"
)

// Pickuper claims an order's merchandise at the server for a merch desk
// (*ticketsync.PickupClient).
type Pickuper interface {
	Pickup(ctx context.Context, code string) (ticketsync.PickupResult, error)
}

// pickupAnswer is POST /v1/pickup's answer: the server's result, with the
// time the desk asked.
type pickupAnswer struct {
	ticketsync.PickupResult
	At time.Time `json:"at"`
}

// handlePickup serves POST /v1/pickup at a merch desk: a code (JSON
// {"code"}) or a camera frame (image/jpeg, decoded here; the same code
// again within the repeat window is 409 repeat) is sent to the server,
// which hands out what the order has not picked up yet. Offline the
// answer is 503 offline: a pickup needs the server.
func (a *Server) handlePickup(w http.ResponseWriter, r *http.Request) {
	if a.Pickup == nil {
		writeError(w, http.StatusNotFound, "not_pickup_desk", "this gate is not a merchandise pickup desk")
		return
	}
	var code string
	switch ct := r.Header.Get("Content-Type"); {
	case ct == "image/jpeg":
		frame, ok := readFrame(w, r)
		if !ok {
			return
		}
		if a.NewDecoder == nil {
			writeError(w, http.StatusUnprocessableEntity, "no_code", "no code found in the frame")
			return
		}
		text, found := a.pickupDecoder().DecodeText(frame)
		if !found {
			writeError(w, http.StatusUnprocessableEntity, "no_code", "no code found in the frame")
			return
		}
		if a.pickupRepeat(text) {
			writeError(w, http.StatusConflict, "repeat", "same code as the previous scan; not sent again")
			return
		}
		code = text
	default:
		if !contentType(w, r, "application/json") {
			return
		}
		body, ok := readBody(w, r, maxScanBody)
		if !ok {
			return
		}
		var req struct {
			Code string `json:"code"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil || req.Code == "" {
			writeError(w, http.StatusBadRequest, "missing_field", "body must be {\"code\": \"AO1:...\"}")
			return
		}
		code = req.Code
	}
	at := time.Now().UTC()
	res, err := a.Pickup.Pickup(r.Context(), code)
	var refusal *ticketsync.PickupRefusal
	switch {
	case errors.As(err, &refusal):
		writeError(w, http.StatusUnprocessableEntity, refusal.Code, refusal.Message)
	case errors.Is(err, ticketsync.ErrPickupOffline):
		logging.OrDiscard(a.Log).Warn("pickup: server out of reach", "err", err)
		writeError(w, http.StatusServiceUnavailable, "offline", ticketsync.ErrPickupOffline.Error())
	case err != nil:
		logging.OrDiscard(a.Log).Error("pickup failed", "err", err)
		writeError(w, http.StatusBadGateway, "pickup_failed", "the server's answer was not understood; nothing was handed out")
	default:
		writeJSON(w, http.StatusOK, pickupAnswer{PickupResult: res, At: at})
	}
}

// pickupDecoder is the desk's one frame decoder.
func (a *Server) pickupDecoder() scanner.FrameDecoder {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pickupDec == nil {
		a.pickupDec = a.NewDecoder()
	}
	return a.pickupDec
}

// pickupRepeat reports whether text is the code the camera saw last,
// within the repeat window, and remembers it.
func (a *Server) pickupRepeat(text string) bool {
	window := a.RepeatWindow
	if window == 0 {
		window = scanner.DefaultRepeatWindow
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	repeat := window > 0 && text == a.pickupLast && now.Sub(a.pickupLastAt) < window
	a.pickupLast, a.pickupLastAt = text, now
	return repeat
}
