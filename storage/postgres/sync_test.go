package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/id"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/storage/postgres/pgtest"
	"github.com/admitone/admitone/storage/storetest"
	ticketsync "github.com/admitone/admitone/sync"
)

func TestSyncStore(t *testing.T) {
	storetest.RunSync(t, func(t *testing.T) (ticketsync.Store, purchase.Store, catalog.Store) {
		db := openTest(t)
		return db, db, db
	})
}

// withAppName adds application_name to a URL or key=value DSN, so a test
// can find its own connections in pg_stat_activity.
func withAppName(t *testing.T, dsn, name string) string {
	t.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " application_name=" + name
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestListen writes through one handle and listens on another, as two
// server instances on one database do; then kills the listening
// connection and expects Listen to reconnect and say so.
func TestListen(t *testing.T) {
	t.Parallel()
	var b [6]byte
	rand.Read(b[:])
	app := "admitone_listen_" + hex.EncodeToString(b[:])
	dsn := withAppName(t, pgtest.FreshSchema(t), app)
	writer := openDSN(t, dsn)
	listener := openDSN(t, dsn)

	ctx, cancel := context.WithCancel(t.Context())
	got := make(chan string, 100)
	done := make(chan error, 1)
	go func() { done <- listener.Listen(ctx, func(eventID string) { got <- eventID }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Listen returned %v after its context ended", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Listen did not return after its context ended")
		}
	})
	// await waits for want, skipping notifications of other tests'
	// schemas: the channel is the database's.
	await := func(what, want string) {
		t.Helper()
		deadline := time.After(time.Second)
		for {
			select {
			case e := <-got:
				if e == want {
					return
				}
			case <-deadline:
				t.Fatalf("%s: no notification %q within a second", what, want)
			}
		}
	}
	await("listening", "")

	org := catalog.Organization{ID: id.New("org"), Name: "Org"}
	must(t, writer.CreateOrg(ctx, org))
	ev := catalog.Event{ID: ticketcrypto.NewEventID().String(), OrgID: org.ID, Title: "Show", Status: catalog.StatusPublished}
	must(t, writer.CreateEvent(ctx, ev))
	g := ticketsync.Gate{ID: id.New("gat"), EventID: ev.ID, Direction: bundle.Entry, CodeHash: "code"}
	must(t, writer.CreateGate(ctx, g))
	checkin := func() changelog.Checkin {
		var ci [16]byte
		rand.Read(ci[:])
		return changelog.Checkin{ID: "ci_" + hex.EncodeToString(ci[:]), EventID: ev.ID, GateID: g.ID,
			TicketID: ticketcrypto.NewTicketID().String(), Direction: bundle.Entry, At: time.Now()}
	}
	_, err := writer.RecordCheckins(ctx, g, []changelog.Checkin{checkin()}, time.Now())
	must(t, err)
	await("check-in through the other handle", ev.ID)

	// Kill the listening connection: Listen reconnects, says "", and
	// hears the next write.
	var killed int
	err = writer.pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND query = 'LISTEN `+changesChannel+`'`, app).Scan(&killed)
	must(t, err)
	if killed != 1 {
		t.Fatalf("terminated %d listening connections, want 1", killed)
	}
	await("reconnected", "")
	_, err = writer.RecordCheckins(ctx, g, []changelog.Checkin{checkin()}, time.Now())
	must(t, err)
	await("check-in after reconnecting", ev.ID)
}

func openDSN(t *testing.T, dsn string) *DB {
	t.Helper()
	db, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
