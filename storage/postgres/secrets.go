package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/vault"
)

var _ vault.SecretStore = (*DB)(nil)

// PutSecret stores value under name unless name is taken, and returns
// what name holds afterwards.
func (s *DB) PutSecret(ctx context.Context, name string, value []byte) ([]byte, error) {
	if err := vault.CheckSecret(name, value); err != nil {
		return nil, err
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return nil, fmt.Errorf("put secret %s: %w", name, err)
	}
	// A statement of its own, so that its snapshot sees the row of a
	// concurrent writer that ON CONFLICT waited for.
	var stored []byte
	if err := s.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&stored); err != nil {
		return nil, fmt.Errorf("put secret %s: read back: %w", name, err)
	}
	return stored, nil
}

// likeEscaper makes a prefix match itself literally in LIKE ... ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// Secrets returns every secret whose name starts with prefix.
func (s *DB) Secrets(ctx context.Context, prefix string) (map[string][]byte, error) {
	if err := vault.CheckSecretPrefix(prefix); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT name, value FROM secrets WHERE name LIKE $1 ESCAPE '\'`, likeEscaper.Replace(prefix)+"%")
	if err != nil {
		return nil, fmt.Errorf("secrets %q: %w", prefix, err)
	}
	out := make(map[string][]byte)
	var name string
	var value []byte
	_, err = pgx.ForEachRow(rows, []any{&name, &value}, func() error {
		out[name] = value // pgx scans bytea into a new slice per row
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("secrets %q: %w", prefix, err)
	}
	return out, nil
}
