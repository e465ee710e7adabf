package bolt

import (
	"bytes"
	"context"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/vault"
)

var _ vault.SecretStore = (*DB)(nil)

// bucketSecrets holds vault.Vault's sealed secrets: name -> value. The
// store neither seals nor reads them.
var bucketSecrets = []byte("secrets")

// PutSecret stores value under name unless name is taken, and returns
// what name holds afterwards.
func (s *DB) PutSecret(ctx context.Context, name string, value []byte) ([]byte, error) {
	if err := vault.CheckSecret(name, value); err != nil {
		return nil, err
	}
	var stored []byte
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSecrets)
		if old := b.Get([]byte(name)); old != nil {
			stored = bytes.Clone(old)
			return nil
		}
		stored = bytes.Clone(value)
		return b.Put([]byte(name), stored)
	})
	if err != nil {
		return nil, fmt.Errorf("put secret %s: %w", name, err)
	}
	return stored, nil
}

// Secrets returns every secret whose name starts with prefix.
func (s *DB) Secrets(ctx context.Context, prefix string) (map[string][]byte, error) {
	if err := vault.CheckSecretPrefix(prefix); err != nil {
		return nil, err
	}
	out := make(map[string][]byte)
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketSecrets).Cursor()
		p := []byte(prefix)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			out[string(k)] = bytes.Clone(v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("secrets %q: %w", prefix, err)
	}
	return out, nil
}
