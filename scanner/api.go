package scanner

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	gosync "sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	ticketsync "github.com/admitone/admitone/sync"
)

// Request size limits of the local HTTP API.
const (
	maxScanBody  = 8 << 10
	maxFrameBody = 8 << 20
	maxCameras   = 16
)

// API is scannerd's local HTTP API:
//
//	POST /v1/scan    {"code": "...", "dry_run": false}  -> Result
//	POST /v1/frames  a JPEG frame (query camera=NAME)  -> Result, or 422 no_code
//	GET  /v1/status                                     -> Status
//	GET  /metrics, /livez, /readyz
//
// Frames posted for one camera name form one lane, so a code held in
// front of a tablet for many frames is one scan.
type API struct {
	Engine *Engine
	// NewDecoder makes a frame decoder for a camera lane.
	NewDecoder func() FrameDecoder
	Metrics    *Metrics
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// /v1/ routes (compared in constant time).
	Token string
	Log   *slog.Logger
	// Sync, if set, adds the server connection to /v1/status.
	Sync *ticketsync.Client

	mu    gosync.Mutex
	lanes map[string]*apiLane
}

type apiLane struct {
	mu   gosync.Mutex
	lane Lane
}

// Handler returns the HTTP handler.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/scan", a.auth(a.handleScan))
	mux.HandleFunc("POST /v1/frames", a.auth(a.handleFrame))
	mux.HandleFunc("GET /v1/status", a.auth(a.handleStatus))
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", a.handleReady)
	if a.Metrics != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(a.Metrics.Registry, promhttp.HandlerOpts{}))
	}
	return mux
}

func (a *API) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.Token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(a.Token)) != 1 {
				writeError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong bearer token")
				return
			}
		}
		h(w, r)
	}
}

type scanRequest struct {
	Code   string `json:"code"`
	DryRun bool   `json:"dry_run"`
}

func (a *API) handleScan(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var req scanRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxScanBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body is larger than %d bytes", maxScanBody))
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_json", "request body: "+err.Error())
		return
	}
	if req.Code == "" {
		writeError(w, http.StatusBadRequest, "missing_field", "code is required")
		return
	}
	res, err := a.Engine.Check(req.Code, CheckOptions{DryRun: req.DryRun, Source: "api"})
	if err != nil {
		a.storeFailure(w, err)
		return
	}
	a.Metrics.Observe("api", LaneResult{Result: res, Decoded: true, Latency: time.Since(start)})
	writeJSON(w, http.StatusOK, res)
}

func (a *API) handleFrame(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	camera := r.URL.Query().Get("camera")
	if camera == "" {
		camera = "http"
	}
	if len(camera) > 64 {
		writeError(w, http.StatusBadRequest, "bad_camera", "camera name is limited to 64 bytes")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFrameBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("frame is larger than %d bytes", maxFrameBody))
		return
	}
	frame, err := sourceDecodeJPEG(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_frame", "frame is not a usable JPEG: "+err.Error())
		return
	}
	l, err := a.lane(camera)
	if err != nil {
		writeError(w, http.StatusTooManyRequests, "too_many_cameras", err.Error())
		return
	}
	l.mu.Lock()
	res, err := l.lane.Handle(Input{Source: "http:" + camera, Frame: frame, At: start})
	l.mu.Unlock()
	if err != nil {
		a.storeFailure(w, err)
		return
	}
	a.Metrics.Observe("http:"+camera, res)
	switch {
	case !res.Decoded:
		writeError(w, http.StatusUnprocessableEntity, "no_code", "no code found in the frame")
	case res.Repeat:
		writeError(w, http.StatusConflict, "repeat", "same code as the previous scan on this camera; not scanned again")
	default:
		writeJSON(w, http.StatusOK, res.Result)
	}
}

func (a *API) lane(camera string) (*apiLane, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if l, ok := a.lanes[camera]; ok {
		return l, nil
	}
	if len(a.lanes) >= maxCameras {
		return nil, fmt.Errorf("at most %d cameras may post frames", maxCameras)
	}
	if a.lanes == nil {
		a.lanes = make(map[string]*apiLane)
	}
	l := &apiLane{lane: Lane{Engine: a.Engine}}
	if a.NewDecoder != nil {
		l.lane.Decoder = a.NewDecoder()
	}
	a.lanes[camera] = l
	return l, nil
}

func (a *API) handleStatus(w http.ResponseWriter, _ *http.Request) {
	st, err := a.Engine.Store.Status()
	if err == nil && a.Sync != nil {
		ss := a.Sync.Status()
		st.Sync = &ss
	}
	if err != nil {
		a.storeFailure(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (a *API) handleReady(w http.ResponseWriter, _ *http.Request) {
	if _, ok := a.Engine.Store.Profile(); !ok {
		writeError(w, http.StatusServiceUnavailable, "not_configured", ErrNotConfigured.Error())
		return
	}
	io.WriteString(w, "ready\n")
}

func (a *API) storeFailure(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrNotConfigured) {
		writeError(w, http.StatusServiceUnavailable, "not_configured", err.Error())
		return
	}
	if a.Metrics != nil {
		a.Metrics.Errors.WithLabelValues("store").Inc()
	}
	if a.Log != nil {
		a.Log.Error("scan failed", "err", err)
	}
	writeError(w, http.StatusInternalServerError, "store_failed", "the check-in could not be recorded; do not admit")
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
