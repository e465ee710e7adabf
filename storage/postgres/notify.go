package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	ticketsync "github.com/admitone/admitone/sync"
)

var _ ticketsync.Notifier = (*DB)(nil)

// changesChannel is the NOTIFY channel on which every transaction that
// appends to an event's change log announces it (queueChanges), with the
// event id as payload.
const changesChannel = "admitone_changes"

// Listen's reconnection backoff, and how long its connection may be idle
// before it checks that the server is still there: a connection dropped
// without a word (a NAT timeout, a failover) would otherwise wait for
// notifications forever.
const (
	listenMinBackoff   = 100 * time.Millisecond
	listenMaxBackoff   = 10 * time.Second
	listenIdleCheck    = 30 * time.Second
	listenCheckTimeout = 5 * time.Second
)

// Listen implements sync.Notifier on a connection of its own, outside the
// pool, running LISTEN admitone_changes: fn gets the event id of every
// change log append committed by any process on this database, once per
// event per transaction. fn("") is called whenever listening starts,
// first and after every reconnection, since appends committed before
// then were not announced: the caller rechecks everything. A lost
// connection is reopened with exponential backoff (100 ms up to 10 s).
// fn runs on Listen's goroutine and should return quickly; notifications
// queue up meanwhile. Listen returns nil once ctx ends.
func (s *DB) Listen(ctx context.Context, fn func(eventID string)) error {
	backoff := listenMinBackoff
	for {
		listened := s.listenOnce(ctx, fn)
		if ctx.Err() != nil {
			return nil
		}
		if listened {
			backoff = listenMinBackoff
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, listenMaxBackoff)
	}
}

// listenOnce connects, listens and passes notifications to fn until the
// connection fails or ctx ends, reporting whether LISTEN took effect.
func (s *DB) listenOnce(ctx context.Context, fn func(eventID string)) bool {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		return false
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), listenCheckTimeout)
		defer cancel()
		conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		return false
	}
	fn("")
	for {
		waitCtx, cancel := context.WithTimeout(ctx, listenIdleCheck)
		n, err := conn.WaitForNotification(waitCtx)
		idle := waitCtx.Err() != nil
		cancel()
		switch {
		case err == nil:
			fn(n.Payload)
		case ctx.Err() != nil:
			return true
		case idle && !conn.IsClosed():
			// A timeout leaves the connection usable; a ping tells
			// whether the server still answers on it.
			checkCtx, cancel := context.WithTimeout(ctx, listenCheckTimeout)
			err := conn.Ping(checkCtx)
			cancel()
			if err != nil {
				return true
			}
		default:
			return true
		}
	}
}
