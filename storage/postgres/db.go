package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is the PostgreSQL store. It implements account.Store,
// catalog.Store, purchase.Store, sync.Store and sync.Notifier and is safe
// for concurrent use.
type DB struct {
	pool *pgxpool.Pool
	// reservations is Reserve's group commit (purchase.go).
	reservations groupCommit
}

// Open connects to the database at dsn (a postgres:// URL or a key=value
// connection string, as pgx accepts) and applies any pending migrations.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message leaves the password out.
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if _, err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	return &DB{pool: pool}, nil
}

// Close closes the pool's connections, waiting for those in use; queued
// reservations are decided first.
func (s *DB) Close() error {
	s.reservations.close()
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
		return err
	}
	return tx.Commit(ctx)
}

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
