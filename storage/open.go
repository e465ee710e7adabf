package storage

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/storage/bolt"
	"github.com/admitone/admitone/storage/postgres"
	ticketsync "github.com/admitone/admitone/sync"
	"github.com/admitone/admitone/vault"
)

// Backend is an open storage backend.
type Backend struct {
	// Kind is "bolt" or "postgres", for logs.
	Kind string
	// Accounts and Catalog are the domain stores; one database holds both.
	Accounts account.Store
	Catalog  catalog.Store
	// Purchases holds holds, orders and inventory, in the same database.
	Purchases purchase.Store
	// Secrets holds vault.Vault's sealed keys, in the same database.
	Secrets vault.SecretStore
	// Sync holds gates, uploaded check-ins and conflicts, in the same
	// database.
	Sync ticketsync.Store
	// Notify holds push subscriptions and the outbox, in the same
	// database.
	Notify notify.Store
	// Notifier tells of other processes' change log appends: PostgreSQL
	// only; nil for bolt, which one process owns.
	Notifier ticketsync.Notifier
	// CatalogBus tells other server processes of catalog changes and this
	// one of theirs (PostgreSQL, several processes); nil on the embedded
	// store, which one process holds.
	CatalogBus catalog.Bus
	// Backup writes a consistent copy of the embedded store while it
	// serves (bolt.DB.Backup); nil for PostgreSQL, whose backups are
	// pg_dump's (docs/operations.md).
	Backup func(io.Writer) (int64, error)

	ping  func(context.Context) error
	close func() error
}

// Open opens bbolt in dataDir when dsn is empty, or the PostgreSQL
// database at dsn (postgres:// or postgresql://), applying its migrations.
func Open(ctx context.Context, dsn, dataDir string) (*Backend, error) {
	if dsn == "" {
		db, err := bolt.Open(dataDir)
		if err != nil {
			return nil, err
		}
		return &Backend{Kind: "bolt", Accounts: db, Catalog: db, Purchases: db, Secrets: db, Sync: db, Notify: db, Backup: db.Backup,
			ping: db.Ping, close: db.Close}, nil
	}
	scheme, _, hasScheme := strings.Cut(dsn, "://")
	switch s := strings.ToLower(scheme); {
	case s == "postgres" || s == "postgresql":
	case hasScheme && isScheme(scheme):
		return nil, fmt.Errorf("database URL scheme %q: want postgres:// or postgresql://, or no database for the embedded store", scheme)
	default:
		// Not echoed: it may hold a password.
		return nil, fmt.Errorf("database: want a postgres:// or postgresql:// URL, or no database for the embedded store")
	}
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return &Backend{Kind: "postgres", Accounts: db, Catalog: db, Purchases: db, Secrets: db, Sync: db, Notify: db, Notifier: db,
		CatalogBus: db, ping: db.Ping, close: db.Close}, nil
}

// Ping reports whether the backend can serve requests, for /readyz.
func (b *Backend) Ping(ctx context.Context) error { return b.ping(ctx) }

// Close closes the backend.
func (b *Backend) Close() error { return b.close() }

// isScheme reports whether s looks like a URL scheme (RFC 3986), so an
// error may show it without showing a password.
func isScheme(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
