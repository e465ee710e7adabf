package gateapi

import (
	"io"
	"log/slog"
	"net/http"
	gosync "sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/scanner"
	"github.com/admitone/admitone/scanner/gateauth"
	"github.com/admitone/admitone/scanner/gateui"
	ticketsync "github.com/admitone/admitone/sync"
)

// Request size limits of the local HTTP API.
const (
	maxScanBody  = 8 << 10
	maxFrameBody = 8 << 20
	maxCameras   = 16
)

// Store is what the API reads of the gate's store besides scans, which go
// through the Engine: its counts, whether it is configured, and whether
// it can record check-ins.
type Store interface {
	Status() (scanner.Status, error)
	Profile() (bundle.GateProfile, bool)
	Writable() error
}

var _ Store = (*scanner.Store)(nil)

// Server is scannerd's local HTTP API:
//
//	POST /v1/scan    {"code": "...", "dry_run": false}  -> Result
//	POST /v1/frames  a JPEG frame (query camera=NAME, dry_run=1) -> Result, or 422 no_code
//	GET  /v1/status                                     -> Status
//	GET, POST, DELETE /v1/session  staff sign-in with the PIN (session.go)
//	GET  /v1/verdicts/stream  server-sent events: every verdict, and the status
//	GET  /, /ui/...  the gate's screen (package gateui)
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
type Server struct {
	Engine *scanner.Engine
	// Store is the store behind Engine, for /v1/status and /readyz.
	Store Store
	// NewDecoder makes a frame decoder for a camera lane.
	NewDecoder func() scanner.FrameDecoder
	Metrics    *scanner.Metrics
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// /v1/ routes (compared in constant time).
	Token string
	// Staff, when set, signs people in with the staff PIN: /v1/ routes
	// then take a session cookie (and, on POST and DELETE, its CSRF
	// token) or the bearer token.
	Staff *gateauth.Staff
	// AllowedHosts are host names, besides IP addresses and localhost,
	// that clients may use in Host and Origin (e.g. "gate1.local").
	AllowedHosts []string
	Log          *slog.Logger
	// Sync, if set, adds the server connection to /v1/status.
	Sync *ticketsync.Client
	// RepeatWindow is the camera lanes' repeat window (0: the default;
	// negative: off), as for scannerd's own sources.
	RepeatWindow time.Duration
	// StatusEvery is how often the verdict stream sends the gate's state
	// (0: every 5 seconds).
	StatusEvery time.Duration

	// Pickup, set at a merch desk, claims scanned order codes at the
	// server (POST /v1/pickup; the screen uses it instead of /v1/scan).
	Pickup Pickuper

	mu    gosync.Mutex
	lanes map[string]*cameraLane
	// The merch desk's frame decoder and last code seen (pickup.go).
	pickupDec    scanner.FrameDecoder
	pickupLast   string
	pickupLastAt time.Time
}

// cameraLane is the lane of one camera posting frames.
type cameraLane struct {
	mu   gosync.Mutex
	lane scanner.Lane
}

// Handler returns the HTTP handler: the routes behind the guard.
func (a *Server) Handler() http.Handler {
	return a.guard(a.protect(a.routes()))
}

// routes registers every route; the guard applies to all of them.
func (a *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/scan", a.auth(a.handleScan))
	mux.HandleFunc("POST /v1/frames", a.auth(a.handleFrame))
	mux.HandleFunc("POST /v1/pickup", a.auth(a.handlePickup))
	mux.HandleFunc("GET /v1/status", a.auth(a.handleStatus))
	mux.HandleFunc("GET /v1/session", a.handleSessionGet)
	mux.HandleFunc("POST /v1/session", a.handleSessionPost)
	mux.HandleFunc("DELETE /v1/session", a.handleSessionDelete)
	mux.HandleFunc("GET /v1/verdicts/stream", a.auth(a.handleStream))
	ui := gateui.Handler()
	mux.Handle("GET /{$}", ui)
	mux.Handle("GET /ui/", ui)
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", a.handleReady)
	if a.Metrics != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(a.Metrics.Registry, promhttp.HandlerOpts{}))
	}
	return mux
}
