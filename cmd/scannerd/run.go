package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	gosync "sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/scanner"
	"github.com/admitone/admitone/scanner/gateapi"
	"github.com/admitone/admitone/scanner/gateauth"
	"github.com/admitone/admitone/scanner/hook"
	"github.com/admitone/admitone/scanner/source"
	ticketsync "github.com/admitone/admitone/sync"
)

type runOptions struct {
	sources      []string
	listen       string
	apiToken     string
	allowedHosts []string
	dryRun       bool
	exitWhenDone bool
	lossless     bool
	repeat       time.Duration
	memoryLimit  int64
	offline      bool
	// tls forces HTTPS on loopback; tlsCert and tlsKey are a real
	// certificate instead of the gate's own (access.go).
	tls             bool
	tlsCert, tlsKey string
	onVerdict       hook.Config
}

func newRunCmd(g *globalOptions) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the gate: scan from cameras, handheld scanners and the local HTTP API",
		Long: `Run reads every --source in its own lane, serves the local HTTP API on
--listen, and prints one JSON verdict line per scan on standard output.

Sources:
  PATH or dir:PATH             pictures (.jpg, .png) and .txt code lists
  mjpeg:-                      an MJPEG stream on standard input
  cmd:COMMAND ARGS...          an MJPEG stream from a command, e.g.
                               cmd:rpicam-vid -t 0 -n --codec mjpeg -o -
  yuv:WxH:-  yuv:WxH:cmd:...   raw YUV420 frames, e.g. rpicam-vid --codec yuv420
  lines:-  lines:PATH          one code per line: a USB keyboard-wedge scanner

--on-verdict runs a command for every verdict (a turnstile relay, lights),
with ADMITONE_VERDICT, ADMITONE_ADMIT (1: let the holder through),
ADMITONE_REASON, ADMITONE_TICKET_ID and more in its environment (see
scanner/hook). It never delays a verdict: commands that cannot keep up
are dropped and logged.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			// A soft heap limit keeps a Raspberry Pi Zero 2 W (512 MB)
			// comfortable: every camera frame allocates a fresh image, and
			// without a limit the heap doubles before each collection.
			// GOMEMLIMIT, when set, wins.
			if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok && o.memoryLimit > 0 {
				debug.SetMemoryLimit(o.memoryLimit)
			}
			d, err := newDaemon(g, o, cmd.InOrStdin(), cmd.OutOrStdout(), log)
			if err != nil {
				return err
			}
			defer d.Close()
			return d.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.sources, "source", nil, "frame or code source (repeatable; see above)")
	f.StringVar(&o.listen, "listen", "127.0.0.1:8091", `local HTTP API address ("" to disable); off loopback it serves HTTPS and needs a staff PIN (scannerd pin set) or --api-token`)
	f.StringVar(&o.apiToken, "api-token", "", "bearer token required on /v1/ routes (env ADMITONE_API_TOKEN)")
	f.StringSliceVar(&o.allowedHosts, "allowed-hosts", nil, "host names, besides IP addresses and localhost, clients may reach the API by (Host and Origin headers), e.g. gate1.local")
	f.BoolVar(&o.dryRun, "dry-run", false, "check without recording check-ins")
	f.BoolVar(&o.exitWhenDone, "exit-when-done", false, "exit when every source has ended instead of serving on")
	f.BoolVar(&o.lossless, "lossless", false, "camera sources wait for the decoder instead of dropping frames (replaying a recording; never for a live camera)")
	f.Int64Var(&o.memoryLimit, "memory-limit", 32<<20, "soft Go heap limit in bytes (0: none; GOMEMLIMIT overrides)")
	f.DurationVar(&o.repeat, "repeat-window", scanner.DefaultRepeatWindow, "the same code in front of the same camera within this window is one scan")
	f.BoolVar(&o.tls, "tls", false, "serve HTTPS on loopback too (off loopback it always does)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "PEM certificate chain to serve instead of the gate's own self-signed one (with --tls-key)")
	f.StringVar(&o.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	f.BoolVar(&o.offline, "offline", false, "do not sync with the server even if the gate is enrolled (check-ins queue in the outbox)")
	f.StringVar(&o.onVerdict.Command, "on-verdict", "", "command run for every verdict, beside the lanes, with the verdict in ADMITONE_* environment variables (split like cmd:, no shell), e.g. a turnstile relay")
	f.DurationVar(&o.onVerdict.Timeout, "on-verdict-timeout", hook.DefaultTimeout, "an --on-verdict command still running after this is killed with its process group")
	f.IntVar(&o.onVerdict.Jobs, "on-verdict-jobs", hook.DefaultJobs, "--on-verdict commands that may run at once")
	return cmd
}

// daemon is `scannerd run`: lanes, the HTTP API and the verdict output.
type daemon struct {
	opts    *runOptions
	store   *scanner.Store
	engine  *scanner.Engine
	metrics *scanner.Metrics
	sources []source.Source
	listed  bool
	log     *slog.Logger
	// sync keeps an enrolled gate in sync with the server; nil when the
	// gate was never enrolled or runs --offline.
	sync *ticketsync.Client
	// pickup claims order codes at the server at a merch desk; nil at a
	// door.
	pickup *ticketsync.PickupClient
	// staff signs people in with the staff PIN; nil when none is set.
	staff   *gateauth.Staff
	dataDir string
	errOut  io.Writer // where the HTTPS fingerprint is printed; os.Stderr if nil
	// hook runs --on-verdict; nil without it.
	hook *hook.Hook

	outMu gosync.Mutex
	out   *json.Encoder

	// Addr is the HTTP API's address once listening; started is closed
	// when the API listens and the lanes run.
	Addr    net.Addr
	started chan struct{}
}

func newDaemon(g *globalOptions, o *runOptions, stdin io.Reader, stdout io.Writer, log *slog.Logger) (*daemon, error) {
	if len(o.sources) == 0 && o.listen == "" {
		return nil, errors.New("nothing to do: give at least one --source or a --listen address")
	}
	if err := checkListen(o, g.dataDir); err != nil {
		return nil, err
	}
	d := &daemon{opts: o, log: log, out: json.NewEncoder(stdout), started: make(chan struct{}), dataDir: g.dataDir}
	for _, spec := range o.sources {
		src, err := source.Config{Stdin: stdin, Logger: log, Lossless: o.lossless}.Parse(spec)
		if err != nil {
			return nil, err
		}
		d.sources = append(d.sources, src)
	}
	s, err := g.openStore(max(1, len(d.sources)))
	if err != nil {
		return nil, err
	}
	d.store = s
	profile, ok := s.Profile()
	if !ok {
		s.Close()
		return nil, fmt.Errorf("%w (data dir %s)", scanner.ErrNotConfigured, g.dataDir)
	}
	d.listed = profile.Mode == bundle.ModeListed
	if d.staff, err = newStaff(g.dataDir, d); err != nil {
		s.Close()
		return nil, err
	}
	d.engine = &scanner.Engine{Store: s, Log: log, Feed: &scanner.Feed{}, Counts: scanner.NewCounters()}
	if sc, enrolled, err := s.SyncConfig(); err != nil {
		s.Close()
		return nil, err
	} else if enrolled && !o.offline {
		d.sync = &ticketsync.Client{Server: sc.Server, Credential: sc.Credential, Store: s, Logger: log}
		d.engine.Online, d.engine.Recorded = d.sync.Connected, d.sync.Kick
		version := gateVersion()
		d.sync.Report = func() ticketsync.GateReport {
			n, err := s.OutboxLen()
			if err != nil {
				n = 0 // the store is failing; /readyz says so
			}
			return d.engine.Counts.Report(n, version)
		}
		if sc.Purpose == ticketsync.PurposeMerchPickup {
			d.pickup = &ticketsync.PickupClient{Server: sc.Server, Credential: sc.Credential}
		}
	}
	d.metrics = scanner.NewMetrics(func() float64 {
		n, err := s.OutboxLen()
		if err != nil {
			return -1
		}
		return float64(n)
	})
	if o.onVerdict.Command != "" {
		o.onVerdict.Log = log
		if d.hook, err = hook.New(o.onVerdict); err != nil {
			s.Close()
			return nil, err
		}
		d.metrics.Registry.MustRegister(d.hook.Collectors()...)
	}
	return d, nil
}

// Close releases the store.
func (d *daemon) Close() error { return d.store.Close() }

// Run serves until ctx ends (or, with --exit-when-done, the sources end).
func (d *daemon) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var srv *http.Server
	errc := make(chan error, 1)
	if d.opts.listen != "" {
		ln, err := net.Listen("tcp", d.opts.listen)
		if err != nil {
			return fmt.Errorf("--listen: %w", err)
		}
		d.Addr = ln.Addr()
		if tln, err := d.serveTLS(ln, d.dataDir); err != nil {
			ln.Close()
			return err
		} else {
			ln = tln
		}
		api := &gateapi.Server{Engine: d.engine, Store: d.store, Metrics: d.metrics, Token: d.opts.apiToken, Staff: d.staff,
			AllowedHosts: d.opts.allowedHosts, Log: d.log, Sync: d.sync, RepeatWindow: d.opts.repeat, Pickup: pickuper(d.pickup),
			NewDecoder: func() scanner.FrameDecoder { return scanner.NewQRDecoder(scanner.QRDecoderOptions{Listed: d.listed}) }}
		srv = &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
			MaxHeaderBytes: 16 << 10,
			// Requests end with the daemon: a screen's verdict stream
			// would otherwise hold Shutdown for its whole timeout.
			BaseContext: func(net.Listener) context.Context { return ctx }}
		go func() {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
		d.log.Info("http api listening", "addr", d.Addr.String())
	}
	syncDone := make(chan struct{})
	if d.sync != nil {
		go func() {
			defer close(syncDone)
			if err := d.sync.Run(ctx); err != nil {
				d.log.Error("sync stopped; the gate scans on offline", "err", err)
			}
		}()
	} else {
		close(syncDone)
	}
	if d.hook != nil {
		d.hook.Start(d.engine.Feed)
		defer d.hook.Close() // after the lanes and the API stopped giving verdicts
	}
	var lanes gosync.WaitGroup
	for _, src := range d.sources {
		lanes.Go(func() { d.runLane(ctx, src) })
	}
	close(d.started)
	sdNotify("READY=1")
	go sdWatchdog(ctx, func() bool { _, err := d.store.OutboxLen(); return err == nil })
	lanesDone := make(chan struct{})
	go func() { lanes.Wait(); close(lanesDone) }()

	var err error
	switch {
	case d.opts.exitWhenDone || srv == nil:
		select {
		case <-lanesDone:
		case <-ctx.Done():
		case err = <-errc:
		}
	default:
		select {
		case <-ctx.Done():
		case err = <-errc:
		}
	}
	sdNotify("STOPPING=1")
	cancel()
	<-lanesDone
	<-syncDone
	if srv != nil {
		shutdownCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		srv.Shutdown(shutdownCtx)
	}
	return err
}

// runLane feeds one source through its lane until the source ends.
func (d *daemon) runLane(ctx context.Context, src source.Source) {
	lane := &scanner.Lane{Engine: d.engine, DryRun: d.opts.dryRun, RepeatWindow: d.opts.repeat,
		Decoder: scanner.NewQRDecoder(scanner.QRDecoderOptions{Listed: d.listed})}
	in := make(chan source.Input, 1)
	srcErr := make(chan error, 1)
	go func() { srcErr <- src.Run(ctx, in); close(in) }()
	var dropped uint64
	for input := range in {
		if st := source.StatsOf(src); st.Dropped > dropped {
			d.metrics.Dropped.WithLabelValues(src.Name()).Add(float64(st.Dropped - dropped))
			dropped = st.Dropped
		}
		res, err := lane.Handle(input)
		if err != nil {
			d.metrics.Errors.WithLabelValues("store").Inc()
			d.log.Error("scan failed: not recorded, do not admit", "source", src.Name(), "err", err)
			d.emit(scanner.Result{Verdict: "error", Reason: "the check-in could not be recorded; do not admit",
				Source: input.Source, At: time.Now().UTC().Format(time.RFC3339Nano)})
			continue
		}
		d.metrics.Observe(src.Name(), res)
		if res.Decoded && !res.Repeat {
			d.emit(res.Result)
		}
	}
	if err := <-srcErr; err != nil && !errors.Is(err, context.Canceled) {
		d.log.Error("source stopped", "source", src.Name(), "err", err)
	} else {
		d.log.Info("source ended", "source", src.Name())
	}
}

func (d *daemon) emit(r scanner.Result) {
	if r.Verdict == "error" {
		d.engine.Feed.Publish(r) // the engine published every other verdict
	}
	d.outMu.Lock()
	defer d.outMu.Unlock()
	d.out.Encode(r)
}

// gateVersion is scannerd's version for status frames: the module
// version and, when the build recorded it, the VCS revision.
func gateVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "scannerd"
	}
	v := "scannerd " + bi.Main.Version
	for _, st := range bi.Settings {
		if st.Key == "vcs.revision" && len(st.Value) >= 12 {
			v += " " + st.Value[:12]
		}
	}
	if len(v) > 64 {
		v = v[:64]
	}
	return v
}

// pickuper is p as the gate API's Pickuper: nil stays nil, so a door's
// API has no desk.
func pickuper(p *ticketsync.PickupClient) gateapi.Pickuper {
	if p == nil {
		return nil
	}
	return p
}
