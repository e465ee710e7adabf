// Package storeerr holds the errors every storage backend shares, in a
// package of their own so that the backends (which storage imports) and
// the services above them can name them without linking a database
// driver.
package storeerr

import (
	"time"

	"github.com/admitone/admitone/internal/errkind"
)

// ErrUnavailable marks an error that means the database cannot be reached
// or cannot take the request now (connection refused or lost, the server
// shutting down or out of connections, a deadline passed waiting for it).
// The request may succeed when retried later. It is errkind.Unavailable,
// hidden, with a wait: the API answers 503 with Retry-After and a message
// of its own, and logs the detail. Test with errors.Is: backends wrap the
// driver's error, which stays in the chain for the log.
var ErrUnavailable = errkind.Hidden(errkind.Unavailable, "unavailable", "database unavailable",
	"the database is not answering; try again in a few seconds").WithRetryAfter(5 * time.Second)
