// Package storeerr holds the errors every storage backend shares, in a
// package of their own so that the backends (which storage imports) and
// the HTTP API can both name them without linking a database driver.
package storeerr

import "errors"

// ErrUnavailable marks an error that means the database cannot be reached
// or cannot take the request now (connection refused or lost, the server
// shutting down or out of connections, a deadline passed waiting for it).
// The request may succeed when retried later; the API answers 503 with
// Retry-After. Test with errors.Is: backends wrap the driver's error, which
// stays in the chain for the log.
var ErrUnavailable = errors.New("database unavailable")
