package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/storage/storeerr"
)

// DB is the PostgreSQL store. It implements account.Store,
// catalog.Store, purchase.Store, sync.Store and sync.Notifier and is safe
// for concurrent use.
type DB struct {
	pool pool
	// reservations is Reserve's group commit (purchase.go).
	reservations groupCommit
	// uploads is RecordCheckins' group commit (uploads.go).
	uploads *batcher[*upload]
	// orders and payments are CreateOrder's and MarkPaid's group
	// commits (ordergroups.go).
	orders   *batcher[*orderRequest]
	payments *batcher[*payRequest]
	// numbering numbers the change log after commit (numbering.go);
	// stopSweep ends its sweep and sweepDone closes when it has.
	numbering numbering
	stopSweep context.CancelFunc
	sweepDone chan struct{}
	// instance names this handle in its catalog announcements, so it
	// skips its own (notify.go).
	instance string
}

// Open connects to the database at dsn (a postgres:// URL or a key=value
// connection string, as pgx accepts) and applies any pending migrations.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message leaves the password out.
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if _, err := Migrate(ctx, p); err != nil {
		p.Close()
		return nil, fmt.Errorf("open postgres %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	s := &DB{pool: pool{p}, sweepDone: make(chan struct{}), instance: id.New("pid")}
	sweepCtx, stop := context.WithCancel(context.Background())
	s.stopSweep = stop
	s.uploads, s.orders, s.payments = s.newUploads(), s.newOrders(), s.newPayments()
	go func() {
		defer close(s.sweepDone)
		s.sweep(sweepCtx)
	}()
	return s, nil
}

// Close closes the pool's connections, waiting for those in use; queued
// reservations are decided first.
func (s *DB) Close() error {
	s.stopSweep()
	<-s.sweepDone
	s.reservations.close()
	s.uploads.close()
	s.orders.close()
	s.payments.close()
	s.pool.Close()
	return nil
}

// Ping reports whether the database answers.
func (s *DB) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// SQLSTATE codes translated into domain errors.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

// translate maps a driver error to the domain's notFound or exists by
// SQLSTATE, keeping the constraint's name for the log.
func translate(err error, notFound, exists error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case uniqueViolation:
			return fmt.Errorf("%w (%s)", exists, pgErr.ConstraintName)
		case foreignKeyViolation:
			return fmt.Errorf("referenced row missing (%s): %w", pgErr.ConstraintName, notFound)
		}
	}
	return err
}

// inTx runs fn in a transaction, committing if it returns nil.
func (s *DB) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return unavailable(err)
	}
	return unavailable(tx.Commit(ctx))
}

// pool is the connection pool with every error that means the database
// cannot be reached wrapped in storeerr.ErrUnavailable, so callers answer
// "try again" rather than fail. Methods not overridden are pgxpool's;
// transactions are classified by inTx.
type pool struct{ *pgxpool.Pool }

func (p pool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := p.Pool.Exec(ctx, sql, args...)
	return tag, unavailable(err)
}

func (p pool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	r, err := p.Pool.Query(ctx, sql, args...)
	if err != nil {
		return r, unavailable(err)
	}
	return rows{r}, nil
}

func (p pool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return row{p.Pool.QueryRow(ctx, sql, args...)}
}

func (p pool) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := p.Pool.Begin(ctx)
	return tx, unavailable(err)
}

func (p pool) Ping(ctx context.Context) error { return unavailable(p.Pool.Ping(ctx)) }

type rows struct{ pgx.Rows }

func (r rows) Err() error { return unavailable(r.Rows.Err()) }

type row struct{ pgx.Row }

func (r row) Scan(dest ...any) error { return unavailable(r.Row.Scan(dest...)) }

// unavailable wraps err in storeerr.ErrUnavailable when, by its type, it
// means the database cannot be reached or cannot take work now: a failed
// connection attempt, a network error on an open connection, the
// connection closed under the query, a deadline passed, or the server's
// own connection-exception, shutdown and too-many-connections codes.
func unavailable(err error) error {
	if err == nil || errors.Is(err, storeerr.ErrUnavailable) {
		return err
	}
	var connectErr *pgconn.ConnectError
	var netErr *net.OpError
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, context.DeadlineExceeded):
	case errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "08") ||
		pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03" || pgErr.Code == "53300"):
	default:
		return err
	}
	return &unavailableError{err}
}

// unavailableError is a driver error marked storeerr.ErrUnavailable; its
// text stays the driver's, for the log.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string   { return e.err.Error() }
func (e *unavailableError) Unwrap() []error { return []error{e.err, storeerr.ErrUnavailable} }

// storedTime is t as both backends store it: UTC, microsecond precision.
func storedTime(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := storedTime(t)
	return &u
}

// fromNull is the inverse of nullTime for a scanned value.
func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// nullString stores "" as NULL.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// array is s for a NOT NULL text[] column: pgx sends a nil slice as NULL.
func array(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// storedSlice is s as both backends return it: nil when empty.
func storedSlice(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
