package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/httpapi"
	"github.com/admitone/admitone/internal/cliconf"
	"github.com/admitone/admitone/internal/fileutil"
	"github.com/admitone/admitone/internal/logging"
	"github.com/admitone/admitone/internal/services"
	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/search"
	"github.com/admitone/admitone/storage"
	ticketsync "github.com/admitone/admitone/sync"
	"github.com/admitone/admitone/vault"
	"github.com/admitone/admitone/wallet"
	"github.com/admitone/admitone/webhook"
)

// serverConfig is syncserver's configuration; flags and ADMITONE_*
// variables fill it.
type serverConfig struct {
	DataDir  string
	Database string
	Listen   string
	LogJSON  bool
	LogLevel string
	Payments paymentConfig
	Wallets  walletConfig
	Mail     mailConfig

	// MetricsListen is where /metrics is served; "" or "off" serves
	// none. Never the API's listener.
	MetricsListen string

	// MaxHeldPerBuyer and HoldsPerMinute limit hoarding as
	// purchase.Service reads them: 0 is the default, negative is no
	// limit. The flags (--max-held-per-buyer, --holds-per-minute), where
	// 0 is no limit, fill them through holdFlags.
	MaxHeldPerBuyer int
	HoldsPerMinute  int
	holdFlags       *holdFlags
	// HoldTTL is how long a hold reserves (--hold-ttl, a test flag kept
	// out of the help: browser tests shorten it to see a hold expire);
	// zero means purchase.DefaultHoldTTL.
	HoldTTL time.Duration

	// TrustedProxies are CIDRs or addresses of reverse proxies whose
	// X-Forwarded-For or Forwarded header names the client.
	TrustedProxies []string

	// PushSubject is the contact push services see in the VAPID JWT;
	// PushAllowLoopbackHTTP admits http push endpoints on loopback
	// (tests only).
	PushSubject           string
	PushAllowLoopbackHTTP bool
	// CORSOrigins may call /v1/ from a browser (httpapi.ParseCORSOrigins);
	// HSTS sends Strict-Transport-Security: TLS ends at a proxy in front.
	CORSOrigins []string
	HSTS        bool
	// LinkTTL is how long a ticket link lasts (purchase.DefaultLinkTTL).
	LinkTTL time.Duration
	// Webhooks: organizers' webhooks and operator alerts.
	Webhooks webhookConfig

	// Roles are the parts of the server this process runs (--role: api,
	// sync, worker; empty: all).
	Roles []string
	// GateQuietAfter is how long a gate may go without a scan during
	// doors-open before the gate panel flags it quiet (sync.Hub.QuietAfter).
	GateQuietAfter time.Duration
}

func (c *serverConfig) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.DataDir, "data-dir", "syncserver-data", "data directory: the embedded database, seal key and the running server's admin socket (env ADMITONE_DATA_DIR)")
	fs.StringVar(&c.Database, "database", "", "PostgreSQL URL (postgres://...); empty uses the embedded database (env ADMITONE_DATABASE)")
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8080", "HTTP address (env ADMITONE_LISTEN)")
	fs.StringVar(&c.MetricsListen, "metrics-listen", "127.0.0.1:9091", `address serving Prometheus /metrics, apart from the API; "off" or "" for none (env ADMITONE_METRICS_LISTEN)`)
	fs.BoolVar(&c.LogJSON, "log-json", false, "JSON logs (env ADMITONE_LOG_JSON)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error (env ADMITONE_LOG_LEVEL)")
	fs.StringSliceVar(&c.TrustedProxies, "trusted-proxies", nil, "reverse proxies, CIDRs or addresses separated by commas, whose X-Forwarded-For or Forwarded names the client for the login and sign-up limits; empty trusts none (env ADMITONE_TRUSTED_PROXIES)")
	fs.StringVar(&c.PushSubject, "push-subject", "", "contact (mailto: or https: URL) that Web Push services see for this server (env ADMITONE_PUSH_SUBJECT)")
	fs.BoolVar(&c.PushAllowLoopbackHTTP, "push-allow-loopback-http", false, "accept http:// Web Push endpoints on loopback addresses, for tests (env ADMITONE_PUSH_ALLOW_LOOPBACK_HTTP)")
	fs.StringSliceVar(&c.CORSOrigins, "cors-origins", nil, "origins (https://shop.example.com) whose pages may call the /v1 API from a browser, separated by commas; never *; empty allows none (env ADMITONE_CORS_ORIGINS)")
	fs.BoolVar(&c.HSTS, "hsts", false, "send Strict-Transport-Security on the app and the API: the server is reached over TLS, e.g. through a proxy that terminates it (env ADMITONE_HSTS)")
	fs.DurationVar(&c.LinkTTL, "ticket-link-ttl", purchase.DefaultLinkTTL, "how long a ticket link (POST /v1/tickets/{id}/links) lasts (env ADMITONE_TICKET_LINK_TTL)")
	fs.StringSliceVar(&c.Roles, "role", nil, "the parts this process runs, separated by commas: api (the HTTP API, desk and app), sync (the gates' /v1/sync), worker (expiring holds, the outbox, reminders, the gate watch), or all (the default); split on PostgreSQL only (env ADMITONE_ROLE)")
	fs.DurationVar(&c.GateQuietAfter, "gate-quiet-after", ticketsync.DefaultQuietAfter, "a gate with no scan for this long during doors-open is flagged quiet on the gate panel, 1m to 24h (env ADMITONE_GATE_QUIET_AFTER)")
	c.Payments.addFlags(fs)
	c.Wallets.addFlags(fs)
	c.Webhooks.addFlags(fs)
	c.Mail.addFlags(fs)
	c.holdFlags = &holdFlags{}
	fs.IntVar(&c.holdFlags.maxHeld, "max-held-per-buyer", purchase.DefaultMaxHeldPerBuyer, "most admission tickets of one event one account may have in active holds at a time (a ticket type's max_held_per_buyer caps that type further); 0: no cap (env ADMITONE_MAX_HELD_PER_BUYER)")
	fs.DurationVar(&c.HoldTTL, "hold-ttl", 0, "testing only: how long a hold reserves, 1s to 1h; 0: the default (10m) (env ADMITONE_HOLD_TTL)")
	fs.MarkHidden("hold-ttl")
	fs.IntVar(&c.holdFlags.perMinute, "holds-per-minute", purchase.DefaultHoldsPerMinute, "most holds one account may make a minute (429 with Retry-After beyond); 0: no limit (env ADMITONE_HOLDS_PER_MINUTE)")
}

// holdFlags are the hold limit flags as given: 0 is no limit.
type holdFlags struct{ maxHeld, perMinute int }

// purchaseLimit is a flag's limit as purchase.Service takes it: 0 (off)
// becomes -1, since the Service reads 0 as its default.
func purchaseLimit(flag string, n int) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("--%s %d: want 0 (no limit) or more", flag, n)
	case n == 0:
		return -1, nil
	}
	return n, nil
}

// settings is what a serverConfig says once checked: nothing in it has
// touched the data directory or the database.
type settings struct {
	proxies       []netip.Prefix
	corsOrigins   []string
	maxHeld, rate int
	holdTTL       time.Duration
	pay           payment.Provider
	hooks         purchase.WebhookVerifier
	passes        *wallet.PassSigner
	google        *wallet.GoogleIssuer
	operator      *webhook.Operator
	mail          *notify.Email
	publicURL     string
	roles         roles
}

// check validates every flag and reads every file the config names
// (payment secrets, wallet certificates) before anything is created or
// migrated, so a mistake fails the start without side effects.
func (c *serverConfig) check() (settings, error) {
	var st settings
	var err error
	if st.proxies, err = httpapi.ParseTrustedProxies(c.TrustedProxies); err != nil {
		return st, fmt.Errorf("--trusted-proxies (ADMITONE_TRUSTED_PROXIES): %w", err)
	}
	if st.corsOrigins, err = httpapi.ParseCORSOrigins(c.CORSOrigins); err != nil {
		return st, fmt.Errorf("--cors-origins (ADMITONE_CORS_ORIGINS): %w", err)
	}
	if c.LinkTTL < 0 || (c.LinkTTL > 0 && c.LinkTTL < time.Minute) || c.LinkTTL > 366*24*time.Hour {
		return st, fmt.Errorf("--ticket-link-ttl %v: want from 1m to 8784h (a year)", c.LinkTTL)
	}
	st.maxHeld, st.rate = c.MaxHeldPerBuyer, c.HoldsPerMinute
	if f := c.holdFlags; f != nil {
		if st.maxHeld, err = purchaseLimit("max-held-per-buyer", f.maxHeld); err != nil {
			return st, err
		}
		if st.rate, err = purchaseLimit("holds-per-minute", f.perMinute); err != nil {
			return st, err
		}
	}
	if st.holdTTL = c.HoldTTL; st.holdTTL != 0 && (st.holdTTL < time.Second || st.holdTTL > time.Hour) {
		return st, fmt.Errorf("--hold-ttl %v: want 0 (the default) or 1s to 1h", st.holdTTL)
	}
	if st.roles, err = parseRoles(c.Roles, c.Database == ""); err != nil {
		return st, err
	}
	if c.GateQuietAfter != 0 && (c.GateQuietAfter < time.Minute || c.GateQuietAfter > 24*time.Hour) {
		return st, fmt.Errorf("--gate-quiet-after %v: want 1m to 24h", c.GateQuietAfter)
	}
	if st.pay, st.hooks, err = c.Payments.load(); err != nil {
		return st, err
	}
	if st.passes, st.google, err = c.Wallets.load(); err != nil {
		return st, err
	}
	if st.operator, err = c.Webhooks.load(); err != nil {
		return st, err
	}
	if st.mail, st.publicURL, err = c.Mail.load(); err != nil {
		return st, err
	}
	return st, nil
}

func (c *serverConfig) logger(w io.Writer) (*slog.Logger, error) {
	return logging.New(w, c.LogLevel, c.LogJSON)
}

// app is the running server: storage, services, search and HTTP.
type app struct {
	cfg      serverConfig
	log      *slog.Logger
	backend  *storage.Backend
	accounts *account.Service
	catalog  *catalog.Service
	purchase *purchase.Service
	vault    *vault.Vault
	hub      *ticketsync.Hub
	svc      *services.Services
	index    *search.Index
	api      *httpapi.Server
	roles    roles
	// Addr is where the HTTP server listens once Run started it; started
	// is closed then.
	Addr    net.Addr
	started chan struct{}

	// MetricsAddr is where /metrics is served once Run started (nil
	// when --metrics-listen is off).
	MetricsAddr net.Addr
}

// openApp checks the config, then opens storage (applying migrations),
// the search index (built in memory from the store) and the services.
func openApp(ctx context.Context, cfg serverConfig, log *slog.Logger) (*app, error) {
	set, err := cfg.check()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	key, err := loadSealKey(filepath.Join(cfg.DataDir, "seal.key"))
	if err != nil {
		return nil, err
	}
	backend, err := storage.Open(ctx, cfg.Database, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, backend: backend, roles: set.roles, started: make(chan struct{})}
	a.index, err = search.New()
	if err != nil {
		backend.Close()
		return nil, err
	}
	removeOldSearchIndex(log, cfg.DataDir)
	// Only the API answers searches: a process without it leaves the
	// index empty rather than spend the build's time and memory.
	buildIndex := func(ctx context.Context) error { return nil }
	if set.roles.api {
		buildIndex = func(ctx context.Context) error {
			start := time.Now()
			st, err := a.index.EnsureBuilt(ctx, backend.Catalog)
			if err != nil {
				return fmt.Errorf("build search index: %w", err)
			}
			log.Info("search index ready", "stats", fmt.Sprintf("%+v", st), "took", time.Since(start).Round(time.Millisecond))
			return nil
		}
	} else {
		log.Info("search index not built: this process does not serve the API", "roles", set.roles.String())
	}
	if err := buildIndex(ctx); err != nil {
		a.Close()
		return nil, err
	}
	// Paid orders get tickets signed with issuer keys sealed in the
	// database under the seal key.
	svc := services.New(services.Config{
		Stores: services.Stores{Accounts: backend.Accounts, Catalog: backend.Catalog, Purchases: backend.Purchases, Secrets: backend.Secrets, Sync: backend.Sync,
			Notify: backend.Notify, CatalogBus: backend.CatalogBus},
		PushSubject: cfg.PushSubject, PushAllowHTTP: cfg.PushAllowLoopbackHTTP,
		SealKey: key, Index: a.index, Log: log, Issuer: "AdmitOne",
		MaxHeldPerBuyer: set.maxHeld, HoldsPerMinute: set.rate, HoldTTL: set.holdTTL,
		Payments: set.pay, Webhooks: set.hooks, PassSigner: set.passes, GoogleWallet: set.google,
		WebhookInsecure: cfg.Webhooks.Insecure, OperatorWebhook: set.operator,
		Mail: set.mail, MailBaseURL: set.publicURL,
	})
	a.accounts, a.catalog, a.purchase, a.vault, a.hub, a.svc = svc.Accounts, svc.Catalog, svc.Purchase, svc.Vault, svc.Hub, svc
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.api = httpapi.New(svc)
	a.api.Ready, a.api.Registry, a.api.TrustedProxies = backend.Ping, reg, set.proxies
	registerMetrics(reg, svc, backend)
	a.api.StripePublishableKey = cfg.Payments.StripePublishableKey
	a.api.CORSOrigins, a.api.HSTS = set.corsOrigins, cfg.HSTS
	svc.Purchase.LinkTTL = cfg.LinkTTL
	svc.Hub.QuietAfter = cfg.GateQuietAfter
	svc.Catalog.Reconcile = buildIndex
	if set.mail != nil {
		set.mail.Attachments = a.api.OrderAttachments
		log.Info("email", "smtp", cfg.Mail.SMTPAddr, "from", set.mail.From, "starttls", !cfg.Mail.SMTPInsecure, "auth", cfg.Mail.SMTPUser != "")
	}
	if set.pay == nil {
		log.Warn("no payment provider is configured: priced tickets cannot be sold, only free ones (--payments stripe takes payments; --payments test takes test cards, for demos)",
			"apple_wallet", set.passes != nil, "google_wallet", set.google != nil)
	} else {
		log.Info("payments", "provider", set.pay.Name(), "apple_wallet", set.passes != nil, "google_wallet", set.google != nil)
	}
	log.Info("client addresses", "trusted_proxies", fmt.Sprint(set.proxies), "cors_origins", fmt.Sprint(set.corsOrigins), "hsts", cfg.HSTS)
	return a, nil
}

// Close releases storage and the index.
func (a *app) Close() error {
	var errs []error
	if a.index != nil {
		errs = append(errs, a.index.Close())
	}
	errs = append(errs, a.backend.Close())
	return errors.Join(errs...)
}

// Run serves HTTP until ctx ends, then shuts down gracefully.
func (a *app) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	a.Addr = ln.Addr()
	// The admin commands reach the running server through its socket.
	adminCtx, stopAdmin := context.WithCancel(ctx)
	adminDone := make(chan struct{})
	adminLn, adminPath, err := listenAdmin(a.cfg.DataDir)
	switch {
	case errors.Is(err, errAdminSocketInUse):
		stopAdmin()
		ln.Close()
		return err
	case err != nil: // a path too long, a file system without sockets
		a.log.Warn("no admin socket: admin create, keys rotate and bundle server-export need the server stopped", "err", err)
		close(adminDone)
	default:
		go func() {
			defer close(adminDone)
			a.serveAdmin(adminCtx, adminLn, adminPath)
		}()
	}
	defer func() {
		stopAdmin()
		<-adminDone
	}()
	srv := &http.Server{Handler: a.roles.servedBy(a.api.Handler()), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 32 << 10,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 2)
	var metrics *http.Server
	if m := a.cfg.MetricsListen; m != "" && m != "off" {
		mln, err := net.Listen("tcp", m)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--metrics-listen: %w", err)
		}
		a.MetricsAddr = mln.Addr()
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.api.MetricsHandler())
		metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second,
			ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
		go func() { errc <- metrics.Serve(mln) }()
		a.log.Info("metrics listening", "addr", a.MetricsAddr.String())
	}
	go func() { errc <- srv.Serve(ln) }()
	notifyDone := make(chan struct{})
	if a.roles.worker {
		go a.purchase.RunExpiry(ctx, 15*time.Second)                  // releases expired holds and unpaid orders
		go func() { defer close(notifyDone); a.svc.RunNotify(ctx) }() // sends the outbox, checks for doors opening
		go a.svc.RunGateWatch(ctx)                                    // alerts the operator of gates gone quiet at open doors
	} else {
		close(notifyDone)
	}
	go a.svc.Catalog.RunBus(ctx) // other processes' catalog changes: caches and search here
	if n := a.backend.Notifier; n != nil {
		// Other server processes on the same PostgreSQL write to the
		// log too; their notifications reach this process's gates.
		go func() {
			if err := n.Listen(ctx, a.hub.Poke); err != nil && ctx.Err() == nil {
				a.log.Error("listen for other servers' changes", "err", err)
			}
		}()
	}
	a.log.Info("syncserver listening", "addr", a.Addr.String(), "storage", a.backend.Kind, "roles", a.roles.String(), "admin_socket", adminPath)
	close(a.started)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.hub.Shutdown() // hijacked websockets are not the HTTP server's to close
	<-notifyDone     // the message being sent is sent and recorded before the store closes
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if metrics != nil {
		metrics.Shutdown(shutdown)
	}
	return srv.Shutdown(shutdown)
}

// loadSealKey reads the key that seals secrets at rest (TOTP secrets),
// creating it on first start. Several servers on one PostgreSQL must share
// this file.
func loadSealKey(path string) (*ticketcrypto.SealKey, error) {
	var key ticketcrypto.SealKey
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		rand.Read(key[:])
		text := base64.RawURLEncoding.EncodeToString(key[:]) + "\n"
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			return nil, fmt.Errorf("create seal key %s: %w", path, err)
		}
		return &key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("seal key %s: %w", path, err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(raw) != len(key) {
		return nil, fmt.Errorf("seal key %s: want %d bytes of base64url", path, len(key))
	}
	copy(key[:], raw)
	return &key, nil
}

// runningServer returns the admin socket of the server running on the
// data directory, if one answers there and the config uses the embedded
// database, which that server holds; nil otherwise. On PostgreSQL the
// commands open the database themselves, as a running server allows.
// Call it after cliconf.ApplyEnv.
func (c *serverConfig) runningServer() *adminClient {
	if c.Database != "" {
		return nil
	}
	return dialAdmin(c.DataDir)
}

// openFor fills the config from ADMITONE_* variables and opens the app
// with a logger on the command's standard error.
func (c *serverConfig) openFor(cmd *cobra.Command) (*app, error) {
	if err := cliconf.ApplyEnv(cmd.Flags()); err != nil {
		return nil, err
	}
	log, err := c.logger(cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	return openApp(cmd.Context(), *c, log)
}

func newServeCmd() *cobra.Command {
	cfg := &serverConfig{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server: catalog, search, accounts (embedded storage unless --database)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := cfg.openFor(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			return a.Run(cmd.Context())
		},
	}
	cfg.addFlags(cmd.Flags())
	return cmd
}

func newAdminCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "admin", Short: "Manage administrators"}
	cfg := &serverConfig{}
	var email, passFile string
	create := &cobra.Command{
		Use:   "create --email EMAIL",
		Short: "Create the first administrator (password from --password-file or ADMITONE_ADMIN_PASSWORD); through the running server's admin socket if there is one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cliconf.ApplyEnv(cmd.Flags()); err != nil { // --password-file may come from the environment
				return err
			}
			pass, err := fileutil.ReadSecret(passFile, "ADMITONE_ADMIN_PASSWORD", "--password-file")
			if err != nil {
				return err
			}
			var res adminCreated
			if c := cfg.runningServer(); c != nil {
				err = c.callJSON(cmd.Context(), "/admin/create", adminCreateRequest{Email: email, Password: string(pass)}, &res)
			} else {
				var a *app
				if a, err = cfg.openFor(cmd); err != nil {
					return err
				}
				defer a.Close()
				res, err = createAdmin(cmd.Context(), a.accounts, email, string(pass))
			}
			if err != nil {
				return err
			}
			res.print(cmd.OutOrStdout())
			return nil
		},
	}
	cfg.addFlags(create.Flags())
	create.Flags().StringVar(&email, "email", "", "the administrator's email")
	create.Flags().StringVar(&passFile, "password-file", "", "file holding the password")
	create.MarkFlagRequired("email")
	cmd.AddCommand(create)
	return cmd
}

func newMigrateCmd() *cobra.Command {
	cfg := &serverConfig{}
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply database migrations and exit (serve also applies them on start)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cliconf.ApplyEnv(cmd.Flags()); err != nil {
				return err
			}
			b, err := storage.Open(cmd.Context(), cfg.Database, cfg.DataDir)
			if err != nil {
				return err
			}
			defer b.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "%s storage is at the current schema\n", b.Kind)
			return nil
		},
	}
	cfg.addFlags(cmd.Flags())
	return cmd
}

// removeOldSearchIndex deletes the on-disk search index that releases
// before the in-memory one kept in the data directory: it is derived data
// nothing reads any more, and at 100,000 events it held 150 MiB. Only a
// directory that holds a bleve index's metadata file is removed.
func removeOldSearchIndex(log *slog.Logger, dataDir string) {
	dir := filepath.Join(dataDir, "search.bleve")
	if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); err != nil {
		return
	}
	if err := os.RemoveAll(dir); err != nil {
		log.Warn("could not remove the old on-disk search index; it is no longer used", "dir", dir, "err", err)
		return
	}
	log.Info("removed the old on-disk search index; search now lives in memory", "dir", dir)
}
