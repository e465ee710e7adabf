package vault

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// SecretStore keeps named sealed secrets; first writer wins.
// storage/bolt and storage/postgres implement it; storetest.RunSecrets is
// its conformance suite.
type SecretStore interface {
	// PutSecret stores value under name unless name is taken; it returns
	// what is stored under name afterwards (value, or the earlier
	// writer's). A name or value outside the limits (CheckSecret) is
	// ErrInvalidSecret.
	PutSecret(ctx context.Context, name string, value []byte) (stored []byte, err error)
	// Secrets returns every name starting with prefix and its value
	// (empty map if none).
	Secrets(ctx context.Context, prefix string) (map[string][]byte, error)
}

// Limits of a SecretStore, the same on every backend.
const (
	MaxSecretName  = 200      // bytes of UTF-8
	MaxSecretValue = 64 << 10 // bytes
)

// ErrInvalidSecret is a secret name, prefix or value a SecretStore
// refuses.
var ErrInvalidSecret = errors.New("invalid secret")

// CheckSecret checks a secret before a store writes it: a name of 1 to
// MaxSecretName bytes of UTF-8 without NUL (PostgreSQL text cannot hold
// one), and a value of 1 to MaxSecretValue bytes. Errors wrap
// ErrInvalidSecret and never show the value.
func CheckSecret(name string, value []byte) error {
	if name == "" {
		return fmt.Errorf("%w: empty name", ErrInvalidSecret)
	}
	if err := CheckSecretPrefix(name); err != nil {
		return err
	}
	switch {
	case len(value) == 0:
		return fmt.Errorf("%w: %s: empty value", ErrInvalidSecret, name)
	case len(value) > MaxSecretValue:
		return fmt.Errorf("%w: %s: value is %d bytes, more than %d", ErrInvalidSecret, name, len(value), MaxSecretValue)
	}
	return nil
}

// CheckSecretPrefix checks a prefix to list secrets by: like a name, but
// it may be empty.
func CheckSecretPrefix(prefix string) error {
	switch {
	case len(prefix) > MaxSecretName:
		return fmt.Errorf("%w: name is %d bytes, more than %d", ErrInvalidSecret, len(prefix), MaxSecretName)
	case !utf8.ValidString(prefix):
		return fmt.Errorf("%w: name is not valid UTF-8", ErrInvalidSecret)
	case strings.ContainsRune(prefix, 0):
		return fmt.Errorf("%w: name contains a NUL byte", ErrInvalidSecret)
	}
	return nil
}
