package sync_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/services"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/storage/bolt"
	"github.com/admitone/admitone/storage/postgres"
	"github.com/admitone/admitone/storage/postgres/pgtest"
	ticketsync "github.com/admitone/admitone/sync"
	"github.com/admitone/admitone/vault"
)

// benchStore is what a syncserver's backend is: both bolt.DB and
// postgres.DB.
type benchStore interface {
	account.Store
	ticketsync.Store
	purchase.Store
	catalog.Store
	vault.SecretStore
	Close() error
}

var (
	_ benchStore = (*bolt.DB)(nil)
	_ benchStore = (*postgres.DB)(nil)
)

// eachBackend runs fn as the sub-benchmarks "bolt" and "postgres"; the
// latter needs ADMITONE_TEST_POSTGRES (pgtest: skipped on a laptop
// without it, failed under CI=true) and gets a fresh schema.
//
// settle, called after a benchmark's setup wrote its tickets, does on
// PostgreSQL what autovacuum would have done long before the doors of a
// real event opened: VACUUM ANALYZE of the tables the setup filled.
// Without it autovacuum starts on them a minute into the measurement and
// takes most of a core for a second, which is the setup's cost, not the
// event's. On bbolt it does nothing.
func eachBackend(b *testing.B, fn func(b *testing.B, db benchStore, settle func(b *testing.B))) {
	b.Run("bolt", func(b *testing.B) {
		db, err := bolt.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		fn(b, db, func(*testing.B) {})
	})
	b.Run("postgres", func(b *testing.B) {
		dsn := pgtest.FreshSchema(b)
		if n := envInt("ADMITONE_SYNCBENCH_PG_POOL", 0); n > 0 {
			// pgxpool's own setting; its default is max(4, CPUs).
			dsn += "&pool_max_conns=" + strconv.Itoa(n)
		}
		db, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		fn(b, db, func(b *testing.B) {
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, "VACUUM ANALYZE tickets, orders, changes, change_seq, event_figures, gates"); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// benchHub is the hub as syncserver mounts it: GET /v1/sync, with the
// credential checked before the upgrade.
func benchHub(hub *ticketsync.Hub) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/sync", func(rw http.ResponseWriter, r *http.Request) {
		g, err := hub.Authenticate(r.Context(), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		switch {
		case errors.Is(err, ticketsync.ErrRevoked):
			http.Error(rw, "revoked", http.StatusForbidden)
		case err != nil:
			http.Error(rw, "unknown credential", http.StatusUnauthorized)
		default:
			hub.ServeGate(rw, r, g)
		}
	})
	return mux
}

// fanoutServer is a hub over db behind httptest on loopback, which checks
// every upload against db's tickets (services.HubTickets). With
// PostgreSQL it also listens for the database's notifications and pokes
// the hub, as syncserver does.
func fanoutServer(b *testing.B, db benchStore) (*ticketsync.Hub, *httptest.Server) {
	b.Helper()
	hub := &ticketsync.Hub{Store: db, Changes: db, Tickets: services.HubTickets{Store: db}, Logger: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(benchHub(hub))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	if n, ok := db.(ticketsync.Notifier); ok {
		go func() { defer close(done); n.Listen(ctx, hub.Poke) }()
	} else {
		close(done)
	}
	b.Cleanup(func() { cancel(); <-done; hub.Shutdown(); srv.Close() })
	return hub, srv
}

// envInt reads a positive integer from the environment, or returns def.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// envDuration reads a duration (or seconds) from the environment, or
// returns def.
func envDuration(name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	return def
}

// dbObservation is what a benchmark on PostgreSQL watches of the
// database beside its own figures: pg_stat_activity sampled every 10 ms
// (change-log lock waits) and the CPU time of the postgres processes.
type dbObservation struct {
	sampler *pgtest.WaitSampler
	cpu     time.Duration
	start   time.Time
}

// observeDB starts watching when db is PostgreSQL, else returns nil.
func observeDB(b *testing.B, db benchStore) *dbObservation {
	if _, ok := db.(*postgres.DB); !ok {
		return nil
	}
	s, err := pgtest.SampleWaits(pgtest.DSN(b), 10*time.Millisecond)
	if err != nil {
		b.Fatal(err)
	}
	cpu, err := pgtest.ServerCPU()
	if err != nil {
		b.Fatal(err)
	}
	return &dbObservation{sampler: s, cpu: cpu, start: time.Now()}
}

// report stops watching and reports the share of samples with a
// change-log lock wait and the database's CPU in cores.
func (o *dbObservation) report(b *testing.B) {
	if o == nil {
		return
	}
	rep, err := o.sampler.Stop()
	if err != nil {
		b.Fatal(err)
	}
	cpu, err := pgtest.ServerCPU()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("PostgreSQL: %s", rep)
	b.ReportMetric(100*rep.Share(), "pct_log_lock_waits")
	b.ReportMetric((cpu-o.cpu).Seconds()/time.Since(o.start).Seconds(), "db_cpu_cores")
}
