package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/catalog"
	ticketsync "github.com/admitone/admitone/sync"
)

var _ ticketsync.Notifier = (*DB)(nil)

// changesChannel is the NOTIFY channel on which every transaction that
// appends to an event's change log announces it (queueChanges), with the
// event id as payload; catalogChannel the one on which a server process
// announces a committed catalog change (catalog.Bus), likewise.
const (
	changesChannel = "admitone_changes"
	catalogChannel = "admitone_catalog"
)

var _ catalog.Bus = (*DB)(nil)

// AnnounceCatalogChange implements catalog.Bus. The payload is this
// handle's instance and the event id, "instance/eventID".
func (s *DB) AnnounceCatalogChange(ctx context.Context, eventID string) error {
	_, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, catalogChannel, s.instance+"/"+eventID)
	return err
}

// ListenCatalog implements catalog.Bus as Listen does for the change log;
// this handle's own announcements are skipped (it refreshed already).
func (s *DB) ListenCatalog(ctx context.Context, fn func(eventID string)) error {
	return s.listen(ctx, catalogChannel, func(payload string) {
		if payload == "" {
			fn("")
			return
		}
		from, eventID, ok := strings.Cut(payload, "/")
		if ok && from != s.instance && eventID != "" {
			fn(eventID)
		}
	})
}

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
	return s.listen(ctx, changesChannel, fn)
}

// listen runs LISTEN channel as Listen describes.
func (s *DB) listen(ctx context.Context, channel string, fn func(eventID string)) error {
	backoff := listenMinBackoff
	for {
		listened := s.listenOnce(ctx, channel, fn)
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
func (s *DB) listenOnce(ctx context.Context, channel string, fn func(eventID string)) bool {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		return false
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), listenCheckTimeout)
		defer cancel()
		conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
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
