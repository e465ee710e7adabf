package scanner

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	gosync "sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/admitone/admitone/scanner/source"
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
//
// A browser on the gate's network must not be usable against the API
// from another site: every request's Host must be an IP address,
// localhost or one of AllowedHosts (a DNS-rebinding page names its own
// domain), an Origin, when sent, must be the API's own or one of
// AllowedHosts, and a POST must carry its route's content type
// (application/json, or image/jpeg for frames), which a cross-site page
// cannot send without a CORS preflight the API never grants.
type API struct {
	Engine *Engine
	// NewDecoder makes a frame decoder for a camera lane.
	NewDecoder func() FrameDecoder
	Metrics    *Metrics
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// /v1/ routes (compared in constant time).
	Token string
	// AllowedHosts are host names, besides IP addresses and localhost,
	// that clients may use in Host and Origin (e.g. "gate1.local").
	AllowedHosts []string
	Log          *slog.Logger
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
	return a.guard(mux)
}

// guard refuses requests a browser was led to send from another site:
// a Host that is not an IP address, localhost or an allowed name (DNS
// rebinding), and an Origin that is neither the API's own nor allowed.
func (a *API) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.hostAllowed(r.Host) {
			writeError(w, http.StatusForbidden, "host_not_allowed",
				"the Host header must be an IP address, localhost or a name given with --allowed-hosts")
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" && !a.originAllowed(origin, r.Host) {
			writeError(w, http.StatusForbidden, "origin_not_allowed",
				"cross-origin requests are refused; only the API's own origin or a name given with --allowed-hosts may call it")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// hostAllowed reports whether a Host header (host or host:port) names
// an IP address, localhost or one of AllowedHosts.
func (a *API) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if host == "" {
		return false
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true // a rebinding page is always on a name, never on an address
	}
	return strings.EqualFold(host, "localhost") || a.allowedName(host)
}

func (a *API) allowedName(host string) bool {
	for _, h := range a.AllowedHosts {
		if strings.EqualFold(strings.TrimSuffix(h, "."), host) {
			return true
		}
	}
	return false
}

// originAllowed reports whether an Origin header is the API's own (same
// scheme-less host:port as the request's Host) or an allowed name.
func (a *API) originAllowed(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false // includes "null", sent by sandboxed and file: pages
	}
	return strings.EqualFold(u.Host, host) || a.allowedName(strings.TrimSuffix(u.Hostname(), "."))
}

// contentType checks that a POST body is of the route's media type; a
// cross-site form or text/plain POST is refused before it is read.
func contentType(w http.ResponseWriter, r *http.Request, want string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != want {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be "+want)
		return false
	}
	return true
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

// readBody reads a request body of at most limit bytes, answering 413
// only to a body over the limit and 400 to one cut short.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return body, true
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body is larger than %d bytes", limit))
	case errors.Is(err, io.ErrUnexpectedEOF):
		writeError(w, http.StatusBadRequest, "incomplete_body", "request body is incomplete: it ended before the length its Content-Length header declared")
	default:
		writeError(w, http.StatusBadRequest, "incomplete_body", "could not read the request body: the connection failed or timed out while sending it")
	}
	return nil, false
}

type scanRequest struct {
	Code   string `json:"code"`
	DryRun bool   `json:"dry_run"`
}

func (a *API) handleScan(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if !contentType(w, r, "application/json") {
		return
	}
	var req scanRequest
	body, ok := readBody(w, r, maxScanBody)
	if !ok {
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
	if !contentType(w, r, "image/jpeg") {
		return
	}
	camera := r.URL.Query().Get("camera")
	if camera == "" {
		camera = "http"
	}
	if len(camera) > 64 {
		writeError(w, http.StatusBadRequest, "bad_camera", "camera name is limited to 64 bytes")
		return
	}
	body, ok := readBody(w, r, maxFrameBody)
	if !ok {
		return
	}
	frame, err := source.DecodeJPEG(body)
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
	res, err := l.lane.Handle(source.Input{Source: "http:" + camera, Frame: frame, At: start})
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
	if err := a.Engine.Store.Writable(); err != nil {
		writeError(w, http.StatusServiceUnavailable, "store_failing",
			"check-ins cannot be recorded ("+err.Error()+"); do not admit until the gate is ready again")
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
