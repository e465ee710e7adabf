package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bbolt "go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"
)

// File is the store's file name inside the server's data directory.
const File = "syncserver.db"

// schemaVersion is the layout this package writes. A file written by a
// newer layout is refused rather than misread. 2: the events' figures
// (figures.go), which a program of layout 1 would not keep up to date.
const schemaVersion = 2

// Buckets. Composite keys join ids with a 0 byte, which no id contains, so
// a prefix scan over "id\x00" finds exactly one owner's entries.
var (
	bucketMeta        = []byte("meta")         // "version" -> schemaVersion, big endian uint32
	bucketUsers       = []byte("users")        // user id -> account.User JSON
	bucketUserEmails  = []byte("user_emails")  // lower-cased email -> user id
	bucketAdmins      = []byte("admins")       // user id -> nothing: the users with Admin set
	bucketMemberships = []byte("memberships")  // user id, 0, org id -> account.Membership JSON
	bucketTokens      = []byte("tokens")       // token hash -> account.Token JSON
	bucketUserTokens  = []byte("user_tokens")  // user id, 0, token hash -> nothing
	bucketOrgs        = []byte("orgs")         // org id -> catalog.Organization JSON
	bucketVenues      = []byte("venues")       // venue id -> catalog.Venue JSON
	bucketEvents      = []byte("events")       // event id -> catalog.Event JSON
	bucketTicketTypes = []byte("ticket_types") // event id, 0, number (big endian uint16) -> catalog.TicketType JSON
	bucketTicketIDs   = []byte("ticket_ids")   // ticket type id -> nothing: keeps ids unique

	allBuckets = [][]byte{
		bucketMeta, bucketUsers, bucketUserEmails, bucketAdmins, bucketMemberships,
		bucketTokens, bucketUserTokens, bucketOrgs, bucketVenues, bucketEvents,
		bucketTicketTypes, bucketTicketIDs,
		// purchase.go
		bucketHolds, bucketOrders, bucketExpiry, bucketInventory, bucketEventTypes, bucketIdempotency,
		// secrets.go
		bucketSecrets,
		// tickets.go
		bucketTickets, bucketHolderTickets, bucketOrderTickets, bucketChanges, bucketChangeSeq, bucketTicketLineage,
		// links.go
		bucketLinks, bucketTicketLinks,
		// sync.go
		bucketGates, bucketGateCodes, bucketGateCreds, bucketEventGates, bucketCheckins, bucketTicketInside, bucketConflicts, bucketTicketEntered, bucketQuarantine,
		// push.go
		bucketPushSubs, bucketPushEndpoints, bucketPushUserSubs, bucketOutbox, bucketOutboxPending,
		// webhook.go
		bucketWebhooks, bucketOrgWebhooks,

		// gatehealth.go
		bucketGateHealth, bucketGateMinutes,

		// analytics.go
		bucketEventOrders, bucketEventTickets, bucketEventEntries,
		// figures.go
		bucketEventFigures,

		// vouchers.go
		bucketCodes, bucketCodeLookups, bucketEventCodes,

		// feedback.go
		bucketFeedback, bucketFeedbackComments, bucketFeedbackIDs,
		// pickups.go
		bucketPickups,
		// waitroom.go
		bucketRooms, bucketPlaces, bucketPlaceSeqs,

		bucketPushSubs, bucketPushEndpoints, bucketPushUserSubs, bucketOutbox, bucketOutboxPending, bucketUnsubscribed,
	}

	keyVersion = []byte("version")
)

// DB is the bbolt store. It implements account.Store, catalog.Store,
// purchase.Store and sync.Store and is safe for concurrent use.
type DB struct {
	db *bbolt.DB
}

// Open opens (creating if needed) dir/syncserver.db.
func Open(dir string) (*DB, error) {
	if dir == "" {
		return nil, errors.New("open bolt store: no data directory given")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open bolt store: %w", err)
	}
	path := filepath.Join(dir, File)
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bberrors.ErrTimeout) {
			return nil, fmt.Errorf("open %s: another process holds it", path)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.Update(initialize); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.MaxBatchDelay, db.MaxBatchSize = reserveBatchDelay, reserveBatchSize
	return &DB{db: db}, nil
}

// initialize creates missing buckets and checks the layout version.
func initialize(tx *bbolt.Tx) error {
	// A file from before the analytics indexes gets them built once.
	unindexed := tx.Bucket(bucketEventOrders) == nil && tx.Bucket(bucketOrders) != nil
	// A file from before the events' figures gets them counted once.
	unfigured := tx.Bucket(bucketEventFigures) == nil && tx.Bucket(bucketEvents) != nil
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bucketMeta)
	if raw := meta.Get(keyVersion); raw != nil {
		if len(raw) != 4 {
			return fmt.Errorf("layout version is %d bytes, want 4", len(raw))
		}
		if v := binary.BigEndian.Uint32(raw); v > schemaVersion {
			return fmt.Errorf("layout version %d is newer than this program's %d", v, schemaVersion)
		}
	}
	if unindexed {
		if err := buildAnalyticsIndexes(tx); err != nil {
			return fmt.Errorf("build the analytics indexes: %w", err)
		}
	}
	if unindexed || unfigured {
		if err := buildFigures(tx); err != nil {
			return fmt.Errorf("count the events' figures: %w", err)
		}
	}
	return meta.Put(keyVersion, binary.BigEndian.AppendUint32(nil, schemaVersion))
}

// Close closes the file.
func (s *DB) Close() error { return s.db.Close() }

// Ping reports whether the store can serve requests: it fails once the
// store is closed.
func (s *DB) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(*bbolt.Tx) error { return nil })
}

// view and update run fn in a read or write transaction after checking
// ctx: bbolt transactions cannot be cancelled once started.
func (s *DB) view(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

func (s *DB) update(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(fn)
}

// batch is update through bbolt's Batch: concurrent callers share one
// commit (one fsync), each still answered only after it. fn may run more
// than once (alone, after a batch it failed in), so it must derive
// everything it sets from the transaction.
func (s *DB) batch(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Batch(fn)
}

// get decodes the value at key into v, reporting whether it exists.
// Decoding copies everything out of bbolt's memory.
func get(b *bbolt.Bucket, key []byte, v any) (bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("decode %q: %w", key, err)
	}
	return true, nil
}

// put stores v as JSON at key.
func put(b *bbolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// join makes a composite key: the parts separated by 0 bytes.
func join(parts ...string) []byte {
	var k []byte
	for i, p := range parts {
		if i > 0 {
			k = append(k, 0)
		}
		k = append(k, p...)
	}
	return k
}

// prefix is the key prefix of everything owned by id in a composite-key
// bucket.
func prefix(id string) []byte { return append([]byte(id), 0) }

// keysWithPrefix returns copies of the keys that start with p.
func keysWithPrefix(b *bbolt.Bucket, p []byte) [][]byte {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	return keys
}

func hasPrefix(k, p []byte) bool { return len(k) >= len(p) && string(k[:len(p)]) == string(p) }

// storedTime is t as both backends store it: UTC, microsecond precision.
func storedTime(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

// storedSlice is s as both backends return it: nil when empty.
func storedSlice(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
