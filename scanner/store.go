package scanner

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	gosync "sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	ticketsync "github.com/admitone/admitone/sync"
)

// Bucket names of the gate store.
var (
	bucketMeta    = []byte("meta")    // profile, trusted signers, import info
	bucketTickets = []byte("tickets") // ticket id -> type number (2 bytes, big endian), then the holder's name
	bucketCodes   = []byte("codes")   // foreign barcode text -> ticket id
	bucketRevoked = []byte("revoked") // ticket id -> bundle.Revocation JSON
	bucketState   = []byte("state")   // ticket id -> ticketRecord JSON
	bucketLog     = []byte("log")     // check-in id -> changelog.Checkin JSON, in time order
	bucketOutbox  = []byte("outbox")  // check-in id -> nothing: not yet acknowledged by the server
	// bucketLineage maps a ticket that replaced another (a transfer) to
	// the first ticket of its chain; bucketState keeps one state per
	// chain, under that first ticket's id.
	bucketLineage = []byte("lineage") // ticket id -> lineage root ticket id

	keyProfile = []byte("profile")
	keyTrusted = []byte("trusted")
	keyImport  = []byte("import")
	keyKeyring = []byte("keyring")
	// keyValidUntil is how long the event's tickets admit after it moved
	// (RFC 3339), over a token's own earlier end of validity.
	keyValidUntil = []byte("valid_until")
	// keyTicketTypes holds the event's ticket type names
	// ([]bundle.TicketType JSON), if the last bundle named them.
	keyTicketTypes = []byte("ticket_types")
	keyProbe       = []byte("write-probe") // rewritten by Writable's probe
)

// ErrInUse is returned by OpenStore when another process (a running
// scannerd) holds the store.
var ErrInUse = errors.New("another scannerd holds it")

// ErrNotConfigured is returned by scans before a bundle has been imported.
var ErrNotConfigured = errors.New("gate has no gate profile yet: import a bundle or enroll")

// ErrDirection is returned for a scan in a direction the gate profile
// does not allow (an exit at an entry gate); nothing is recorded.
var ErrDirection = errors.New("direction not allowed at this gate")

// StoreOptions tune a Store.
type StoreOptions struct {
	// Lanes is the number of scan lanes that share the store. With more
	// than one, check-ins are committed with bbolt's Batch so lanes share
	// fsyncs; a lone lane commits directly, as Batch would only add delay.
	Lanes int
	// MaxBatchDelay bounds how long Batch waits for other lanes (default 1 ms).
	MaxBatchDelay time.Duration
	// NoSync skips fsync: only for benchmarks that measure everything else.
	NoSync bool
	// WriteProbeInterval is how often Writable may write a probe; zero
	// means DefaultWriteProbeInterval, and a negative interval probes on
	// every call.
	WriteProbeInterval time.Duration
	// ReadOnly opens an existing store without writing to it or creating
	// anything, sharing it with other readers (scannerd doctor); it
	// still runs every check at open. Writes fail.
	ReadOnly bool
	// WriteFault, if set, is called in every check-in and probe
	// transaction, and an error it returns fails the transaction as a
	// full disk or a failing fsync would. Only tests set it.
	WriteFault func() error
}

// Store is the gate's local state in one bbolt file: the gate profile, the
// keyring, the ticket list, revocations, per-ticket check-in state, the
// check-in log and the outbox of check-ins not yet acknowledged by the
// server. It is safe for concurrent use.
type Store struct {
	db    *bolt.DB
	batch bool
	conf  atomic.Pointer[GateConfig]
	mu    gosync.Mutex // serializes Import
	// lastID is the time part of the last check-in id, so ids made by
	// this store strictly increase and the log and outbox keep scan order
	// even when the clock stands still or steps back.
	lastID atomic.Int64

	// health is the outcome of the last write (check-in or probe), for
	// Writable; probeEvery bounds how often Writable writes a probe.
	health     writeHealth
	probeEvery time.Duration
	// writeFault is StoreOptions.WriteFault.
	writeFault func() error
}

var _ VerdictStore = (*Store)(nil)

// writeHealth is the outcome of the store's last write.
type writeHealth struct {
	mu  gosync.Mutex
	err error     // the last write's failure; nil once a write succeeds
	at  time.Time // when a write was last made or tried
}

// DefaultWriteProbeInterval is how often Writable may write a probe.
const DefaultWriteProbeInterval = 2 * time.Second

// noteWrite records the outcome of a write transaction.
func (s *Store) noteWrite(err error) {
	s.health.mu.Lock()
	s.health.err, s.health.at = err, time.Now()
	s.health.mu.Unlock()
}

// Writable reports whether check-ins can be recorded: nil, or the error
// of the last write, a check-in's or a probe's. While that is a failure,
// and when nothing was written for a while, it writes a probe (one small
// fsynced transaction), at most once per WriteProbeInterval, so a
// disk that filled up or failed shows here and one that recovered clears.
func (s *Store) Writable() error {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	since := time.Since(s.health.at)
	if (s.health.err != nil && since >= s.probeEvery) || since >= 15*s.probeEvery {
		err := s.db.Update(func(tx *bolt.Tx) error {
			if err := s.fault(); err != nil {
				return err
			}
			return tx.Bucket(bucketMeta).Put(keyProbe, []byte(time.Now().UTC().Format(time.RFC3339Nano)))
		})
		if err != nil {
			err = fmt.Errorf("probe write: %w", err)
		}
		s.health.err, s.health.at = err, time.Now()
	}
	return s.health.err
}

// fault is the test-injected write failure, if any.
func (s *Store) fault() error {
	if s.writeFault != nil {
		return s.writeFault()
	}
	return nil
}

// nextCheckinID makes a check-in id whose time part is after every id
// this store made before.
func (s *Store) nextCheckinID(now time.Time) changelog.CheckinID {
	for {
		last := s.lastID.Load()
		n := max(now.UnixNano(), last+1)
		if s.lastID.CompareAndSwap(last, n) {
			return changelog.NewCheckinID(time.Unix(0, n))
		}
	}
}

// GateConfig is the in-memory copy of what every scan reads. It is
// replaced, never changed, by an import: callers must not modify it.
type GateConfig struct {
	Profile bundle.GateProfile
	Keyring *ticketcrypto.Keyring
	// ValidUntil extends every ticket's validity to it (the event
	// moved); zero: none.
	ValidUntil time.Time
	// TypeNames names the event's ticket types, where the bundle did.
	TypeNames map[uint16]string
}

// ScanDirection is the direction a scan records at this gate: dir if the
// profile allows it, the profile's own direction when dir is empty (an
// entry at a gate for both), or an error wrapping ErrDirection.
func (c *GateConfig) ScanDirection(dir bundle.Direction) (bundle.Direction, error) {
	switch {
	case dir == "" && c.Profile.Direction == bundle.Both:
		return bundle.Entry, nil
	case dir == "":
		return c.Profile.Direction, nil
	case !c.Profile.Direction.Allows(dir):
		if dir != bundle.Entry && dir != bundle.Exit {
			return "", fmt.Errorf("%w: direction %q must be %q or %q", ErrDirection, truncate(string(dir), 20), bundle.Entry, bundle.Exit)
		}
		return "", fmt.Errorf("%w: gate %s records %s only, not %s", ErrDirection, c.Profile.GateID, c.Profile.Direction, dir)
	}
	return dir, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// ticketValue is a ticket's value in bucketTickets.
func ticketValue(typ uint16, holder string) []byte {
	return append([]byte{byte(typ >> 8), byte(typ)}, holder...)
}

// parseTicketValue reads a value of bucketTickets; ok is false for one too
// short to hold a type number.
func parseTicketValue(v []byte) (typ uint16, holder string, ok bool) {
	if len(v) < 2 {
		return 0, "", false
	}
	return uint16(v[0])<<8 | uint16(v[1]), string(v[2:]), true
}

// ticketRecord is the check-in state of one ticket.
type ticketRecord struct {
	Uses   int                `json:"uses"`
	Inside bool               `json:"inside"`
	Last   *changelog.Checkin `json:"last,omitempty"`
}

// StoreFile is the store's file name inside a gate data directory.
const StoreFile = "gate.db"

// OpenStore opens (creating if needed) the store in dir.
func OpenStore(dir string, opt StoreOptions) (*Store, error) {
	path := filepath.Join(dir, StoreFile)
	if opt.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open gate store: %w", err)
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("gate data dir: %w", err)
	}
	// bbolt trusts the file: it is opened under guarded, which turns a
	// crash on a damaged page into an error, and the file bbolt opened is
	// kept so that such a crash can still release its lock.
	var file *os.File
	var db *bolt.DB
	err := guarded(func() error {
		var err error
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, NoSync: opt.NoSync, ReadOnly: opt.ReadOnly,
			OpenFile: func(name string, flag int, mode os.FileMode) (*os.File, error) {
				f, err := os.OpenFile(name, flag, mode)
				file = f
				return f, err
			}})
		return err
	})
	if err != nil {
		var crash *crashError
		switch {
		case errors.Is(err, bolterrors.ErrTimeout):
			return nil, fmt.Errorf("open %s: %w", path, ErrInUse)
		case errors.As(err, &crash):
			if file != nil {
				file.Close()
			}
			return nil, &DamageError{Path: path, Err: err}
		case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum), errors.Is(err, bolterrors.ErrVersionMismatch):
			return nil, &DamageError{Path: path, Err: err}
		}
		return nil, fmt.Errorf("open gate store: %w", err)
	}
	if err := checkOpened(db, file); err != nil {
		guarded(db.Close)
		file.Close() // released even if bbolt's Close crashed
		return nil, &DamageError{Path: path, Err: err}
	}
	db.MaxBatchDelay = opt.MaxBatchDelay
	if db.MaxBatchDelay == 0 {
		db.MaxBatchDelay = time.Millisecond
	}
	s := &Store{db: db, batch: opt.Lanes > 1, probeEvery: DefaultWriteProbeInterval, writeFault: opt.WriteFault}
	if opt.WriteProbeInterval != 0 {
		s.probeEvery = opt.WriteProbeInterval
	}
	s.health.at = time.Now()
	update := db.Update
	if opt.ReadOnly {
		// The store's first open made every bucket.
		update = func(func(*bolt.Tx) error) error { return nil }
	}
	err = update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketTickets, bucketCodes, bucketRevoked, bucketState, bucketLog, bucketOutbox, bucketLineage} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if k, _ := tx.Bucket(bucketLog).Cursor().Last(); len(k) == len(changelog.CheckinID{}) {
			s.lastID.Store(int64(binary.BigEndian.Uint64(k[:8])))
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open gate store: %w", err)
	}
	if err := s.loadConfig(); err != nil {
		db.Close()
		return nil, &DamageError{Path: path, Err: err}
	}
	return s, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) loadConfig() error {
	return s.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		raw := meta.Get(keyProfile)
		if raw == nil {
			return nil
		}
		var c GateConfig
		if err := json.Unmarshal(raw, &c.Profile); err != nil {
			return fmt.Errorf("stored gate profile: %w", err)
		}
		var kr storedKeyring
		if err := json.Unmarshal(meta.Get(keyKeyring), &kr); err != nil {
			return fmt.Errorf("stored keyring: %w", err)
		}
		k, err := kr.build()
		if err != nil {
			return fmt.Errorf("stored keyring: %w", err)
		}
		c.Keyring = k
		if raw := meta.Get(keyValidUntil); raw != nil {
			if c.ValidUntil, err = time.Parse(time.RFC3339Nano, string(raw)); err != nil {
				return fmt.Errorf("stored validity: %w", err)
			}
		}
		if raw := meta.Get(keyTicketTypes); raw != nil {
			var tts []bundle.TicketType
			if err := json.Unmarshal(raw, &tts); err != nil {
				return fmt.Errorf("stored ticket type names: %w", err)
			}
			c.TypeNames = make(map[uint16]string, len(tts))
			for _, tt := range tts {
				c.TypeNames[tt.Number] = tt.Name
			}
		}
		s.conf.Store(&c)
		return nil
	})
}

// putValidUntil stores how long the event's tickets admit after it moved.
func putValidUntil(tx *bolt.Tx, at time.Time) error {
	if at.IsZero() {
		return nil
	}
	return tx.Bucket(bucketMeta).Put(keyValidUntil, []byte(at.UTC().Format(time.RFC3339Nano)))
}

// storedKeyring is the keyring as kept in the meta bucket.
type storedKeyring struct {
	Entries  []ticketcrypto.KeyringEntry `json:"entries"`
	Rotation []bundle.RotationKey        `json:"rotation,omitempty"`
}

func (k storedKeyring) build() (*ticketcrypto.Keyring, error) {
	p := bundle.Payload{Keyring: k.Entries, RotationKeys: k.Rotation}
	return p.BuildKeyring()
}

// Profile returns the gate profile, or false before the first import.
func (s *Store) Profile() (bundle.GateProfile, bool) {
	c := s.conf.Load()
	if c == nil {
		return bundle.GateProfile{}, false
	}
	return c.Profile, true
}

// Config returns what every scan reads, or ErrNotConfigured before the
// first import.
func (s *Store) Config() (*GateConfig, error) {
	c := s.conf.Load()
	if c == nil {
		return nil, ErrNotConfigured
	}
	return c, nil
}

// Trusted returns the bundle signer keys this gate trusts.
func (s *Store) Trusted() ([]ticketcrypto.PublicKey, error) {
	var keys []ticketcrypto.PublicKey
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketMeta).Get(keyTrusted)
		if raw == nil {
			return nil
		}
		return json.Unmarshal(raw, &keys)
	})
	return keys, err
}

// Trust adds bundle signer keys to the trusted set.
func (s *Store) Trust(keys ...ticketcrypto.PublicKey) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var cur []ticketcrypto.PublicKey
		meta := tx.Bucket(bucketMeta)
		if raw := meta.Get(keyTrusted); raw != nil {
			if err := json.Unmarshal(raw, &cur); err != nil {
				return err
			}
		}
		for _, k := range keys {
			if !slices.ContainsFunc(cur, k.Equal) {
				cur = append(cur, k)
			}
		}
		raw, err := json.Marshal(cur)
		if err != nil {
			return err
		}
		return meta.Put(keyTrusted, raw)
	})
}

// ImportInfo describes the last import.
type ImportInfo struct {
	Signer      ticketcrypto.PublicKey `json:"signer"`
	CreatedAt   time.Time              `json:"created_at"`
	ImportedAt  time.Time              `json:"imported_at"`
	GateID      string                 `json:"gate_id"`
	Tickets     int                    `json:"tickets"`
	Revocations int                    `json:"revocations"`
	Keys        int                    `json:"keys"`
}

// Import replaces the gate profile, keyring, ticket list and revocations
// with a bundle's, in one transaction: a failed import leaves the store as
// it was. Check-in state, the log and the outbox are kept. A bundle older
// than the one imported last is refused, so an old USB stick cannot undo
// revocations.
func (s *Store) Import(p *bundle.Payload, gateID string, signer ticketcrypto.PublicKey, now time.Time) (ImportInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	profile, err := p.Profile(gateID)
	if err != nil {
		return ImportInfo{}, err
	}
	if cur, ok := s.Profile(); ok && cur.Event != profile.Event {
		return ImportInfo{}, fmt.Errorf("this gate checks event %s; the bundle is for %s (make a new data dir for another event)", cur.Event, profile.Event)
	}
	kr, err := p.BuildKeyring()
	if err != nil {
		return ImportInfo{}, err
	}
	lineages, err := p.Lineages()
	if err != nil {
		return ImportInfo{}, err
	}
	info := ImportInfo{Signer: signer, CreatedAt: p.CreatedAt, ImportedAt: now, GateID: profile.GateID,
		Tickets: len(p.Tickets), Revocations: len(p.Revocations), Keys: kr.Len()}
	tickets := slices.Clone(p.Tickets)
	slices.SortFunc(tickets, func(a, b bundle.Ticket) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	err = s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if raw := meta.Get(keyImport); raw != nil {
			var last ImportInfo
			if err := json.Unmarshal(raw, &last); err != nil {
				return err
			}
			if p.CreatedAt.Before(last.CreatedAt) {
				return fmt.Errorf("bundle was made at %s, before the one already imported (%s)", p.CreatedAt.UTC().Format(time.RFC3339), last.CreatedAt.UTC().Format(time.RFC3339))
			}
		}
		for _, name := range [][]byte{bucketTickets, bucketCodes, bucketRevoked} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		tb, err := tx.CreateBucket(bucketTickets)
		if err != nil {
			return err
		}
		cb, err := tx.CreateBucket(bucketCodes)
		if err != nil {
			return err
		}
		rb, err := tx.CreateBucket(bucketRevoked)
		if err != nil {
			return err
		}
		tb.FillPercent = 1 // keys arrive sorted: pack pages full
		// bbolt keeps references to keys and values until commit: one
		// backing array, never reused within the transaction.
		size := 2 * len(tickets)
		for _, t := range tickets {
			size += len(t.Holder)
		}
		vals := make([]byte, 0, size)
		for _, t := range tickets {
			n := len(vals)
			vals = append(vals, ticketValue(t.TypeNumber, t.Holder)...)
			if err := tb.Put(t.ID[:], vals[n:len(vals):len(vals)]); err != nil {
				return err
			}
			if t.Code != "" {
				if err := cb.Put([]byte(t.Code), t.ID[:]); err != nil {
					return err
				}
			}
		}
		for _, r := range p.Revocations {
			raw, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := rb.Put(r.Ticket[:], raw); err != nil {
				return err
			}
		}
		if err := putValidUntil(tx, p.ValidUntil); err != nil {
			return err
		}
		if err := meta.Delete(keyTicketTypes); err != nil {
			return err
		}
		if len(p.TicketTypes) > 0 {
			raw, err := json.Marshal(p.TicketTypes)
			if err != nil {
				return err
			}
			if err := meta.Put(keyTicketTypes, raw); err != nil {
				return err
			}
		}
		// Lineages are facts that never change: added to what sync
		// brought, never replaced.
		for id, root := range lineages {
			if err := linkLineage(tx, id, root); err != nil {
				return err
			}
		}
		for key, v := range map[string]any{string(keyProfile): profile, string(keyImport): info,
			string(keyKeyring): storedKeyring{Entries: p.Keyring, Rotation: p.RotationKeys}} {
			raw, err := json.Marshal(v)
			if err != nil {
				return err
			}
			if err := meta.Put([]byte(key), raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ImportInfo{}, fmt.Errorf("import: %w", err)
	}
	if err := s.loadConfig(); err != nil {
		return info, err
	}
	return info, nil
}

// LastImport returns what the last import brought, if any.
func (s *Store) LastImport() (ImportInfo, bool, error) {
	var info ImportInfo
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketMeta).Get(keyImport)
		if raw == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(raw, &info)
	})
	return info, ok, err
}

// LookupCode finds a listed ticket by its foreign barcode text.
func (s *Store) LookupCode(code string) (bundle.Ticket, bool, error) {
	var t bundle.Ticket
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketCodes).Get([]byte(code))
		if id == nil {
			return nil
		}
		copy(t.ID[:], id)
		t.TypeNumber, t.Holder, _ = parseTicketValue(tx.Bucket(bucketTickets).Get(id))
		t.Code, ok = code, true
		return nil
	})
	return t, ok, err
}

// AdmitOptions modify one Admit.
type AdmitOptions struct {
	// Offline flags the check-in as made while the gate was not
	// connected to the server.
	Offline bool
	// Direction is the scan's direction at a gate whose profile allows
	// both; empty is the profile's own (an entry at a gate for both). A
	// direction the profile does not allow fails with ErrDirection.
	Direction bundle.Direction
}

// Admit decides a scan of ticket t with the gate's rules and, when the
// decision is to record it, commits the check-in (log, state, outbox)
// before returning. The decision and the write happen in one transaction.
func (s *Store) Admit(t Ticket, now time.Time, opt AdmitOptions) (Decision, *changelog.Checkin, error) {
	return s.decide(t, now, opt, false)
}

// Lookup decides a scan of ticket t as Admit does, in a read-only
// transaction: nothing is recorded (a supervisor's dry run).
func (s *Store) Lookup(t Ticket, now time.Time, opt AdmitOptions) (Decision, error) {
	d, _, err := s.decide(t, now, opt, true)
	return d, err
}

// decide is Admit, or Lookup when dryRun.
func (s *Store) decide(t Ticket, now time.Time, opt AdmitOptions, dryRun bool) (Decision, *changelog.Checkin, error) {
	c, err := s.Config()
	if err != nil {
		return Decision{}, nil, err
	}
	dir, err := c.ScanDirection(opt.Direction)
	if err != nil {
		return Decision{}, nil, err
	}
	profile := c.Profile
	profile.Direction = dir
	var d Decision
	var rec *changelog.Checkin
	fn := func(tx *bolt.Tx) error {
		d, rec = Decision{}, nil // Batch may run fn again
		st, err := readState(tx, t.ID)
		if err != nil {
			return err
		}
		d = Decide(profile, now, t, st)
		d.Holder = st.Holder
		if !d.Record || dryRun {
			return nil
		}
		id := s.nextCheckinID(now)
		ci := &changelog.Checkin{ID: id.String(), TicketID: t.ID.String(), EventID: t.Event.String(), TypeNumber: t.TypeNumber,
			GateID: c.Profile.GateID, Direction: dir, At: now.UTC(), Offline: opt.Offline}
		if err := s.fault(); err != nil {
			return err
		}
		if err := writeCheckin(tx, id, t.ID, ci, st, true); err != nil {
			return err
		}
		rec = ci
		return nil
	}
	switch {
	case dryRun:
		err = s.db.View(fn)
	case s.batch:
		err = s.db.Batch(fn)
	default:
		err = s.db.Update(fn)
	}
	if !dryRun && (err != nil || rec != nil) {
		s.noteWrite(err)
	}
	if err != nil {
		return Decision{}, nil, fmt.Errorf("record check-in of %s: %w", t.ID, err)
	}
	return d, rec, nil
}

// readState loads what the store knows of a ticket: its own listing and
// revocation, and its lineage's entry state.
func readState(tx *bolt.Tx, id ticketcrypto.TicketID) (TicketState, error) {
	var st TicketState
	v := tx.Bucket(bucketTickets).Get(id[:])
	st.Listed = v != nil
	_, st.Holder, _ = parseTicketValue(v)
	if raw := tx.Bucket(bucketRevoked).Get(id[:]); raw != nil {
		var r bundle.Revocation
		if err := json.Unmarshal(raw, &r); err != nil {
			return st, fmt.Errorf("stored revocation of %s: %w", id, err)
		}
		st.Revoked = &r
	}
	r, err := readRecord(tx, lineageRoot(tx, id))
	if err != nil {
		return st, err
	}
	st.Uses, st.Inside, st.Last = r.Uses, r.Inside, r.Last
	return st, nil
}

// lineageRoot is the first ticket of id's chain of transfers (id itself
// for a ticket that replaced none).
func lineageRoot(tx *bolt.Tx, id ticketcrypto.TicketID) ticketcrypto.TicketID {
	if raw := tx.Bucket(bucketLineage).Get(id[:]); len(raw) == len(id) {
		return ticketcrypto.TicketID(raw)
	}
	return id
}

// readRecord reads the entry state stored under a lineage root.
func readRecord(tx *bolt.Tx, root ticketcrypto.TicketID) (ticketRecord, error) {
	var r ticketRecord
	if raw := tx.Bucket(bucketState).Get(root[:]); raw != nil {
		if err := json.Unmarshal(raw, &r); err != nil {
			return r, fmt.Errorf("stored state of %s: %w", root, err)
		}
	}
	return r, nil
}

func putRecord(tx *bolt.Tx, root ticketcrypto.TicketID, r ticketRecord) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketState).Put(root[:], raw)
}

// linkLineage records that ticket id belongs to the chain that starts
// with root (root: the chain's first ticket, or the ticket id replaced,
// whose own root is taken). A state the gate recorded for id before it
// learnt the link (it admitted the new ticket offline) is merged into
// the chain's, so nothing admits twice.
func linkLineage(tx *bolt.Tx, id, root ticketcrypto.TicketID) error {
	root = lineageRoot(tx, root)
	if root == id || lineageRoot(tx, id) == root {
		return nil
	}
	if err := tx.Bucket(bucketLineage).Put(id[:], root[:]); err != nil {
		return err
	}
	own, err := readRecord(tx, id)
	if err != nil || (own.Uses == 0 && own.Last == nil) {
		return err
	}
	chain, err := readRecord(tx, root)
	if err != nil {
		return err
	}
	chain.Uses += own.Uses
	if chain.Last == nil || (own.Last != nil && own.Last.At.After(chain.Last.At)) {
		chain.Inside, chain.Last = own.Inside, own.Last
	}
	if err := tx.Bucket(bucketState).Delete(id[:]); err != nil {
		return err
	}
	return putRecord(tx, root, chain)
}

// writeCheckin appends a check-in to the log, updates the ticket's state
// and, for the gate's own check-ins, queues it in the outbox. id and
// ticket are ci's check-in and ticket ids, parsed.
func writeCheckin(tx *bolt.Tx, id changelog.CheckinID, ticket ticketcrypto.TicketID, ci *changelog.Checkin, st TicketState, outbox bool) error {
	raw, err := json.Marshal(ci)
	if err != nil {
		return err
	}
	logb := tx.Bucket(bucketLog)
	if logb.Get(id[:]) != nil {
		return nil // already recorded: a resend
	}
	logb.FillPercent = 0.9 // ids grow with time
	if err := logb.Put(id[:], raw); err != nil {
		return err
	}
	if outbox {
		if err := tx.Bucket(bucketOutbox).Put(id[:], nil); err != nil {
			return err
		}
	}
	r := ticketRecord{Uses: st.Uses, Inside: st.Inside, Last: st.Last}
	if ci.Direction == bundle.Exit {
		r.Inside = false
	} else {
		r.Uses++
		r.Inside = true
	}
	r.Last = ci
	return putRecord(tx, lineageRoot(tx, ticket), r)
}

// Outbox returns up to limit check-ins not yet acknowledged by the server,
// oldest first.
func (s *Store) Outbox(limit int) ([]changelog.Checkin, error) {
	var out []changelog.Checkin
	err := s.db.View(func(tx *bolt.Tx) error {
		logb := tx.Bucket(bucketLog)
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			var ci changelog.Checkin
			if err := json.Unmarshal(logb.Get(k), &ci); err != nil {
				return fmt.Errorf("outbox entry %x: %w", k, err)
			}
			out = append(out, ci)
		}
		return nil
	})
	return out, err
}

// Ack removes acknowledged check-ins from the outbox; they stay in the log.
func (s *Store) Ack(ids ...changelog.CheckinID) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		for _, id := range ids {
			if err := b.Delete(id[:]); err != nil {
				return err
			}
		}
		return nil
	})
}

// OutboxLen counts check-ins not yet acknowledged by the server. It reads
// only the outbox, so it is cheap enough for every metrics scrape.
func (s *Store) OutboxLen() (int, error) {
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketOutbox).Stats().KeyN
		return nil
	})
	return n, err
}

// Checkins calls fn for each logged check-in in time order until fn
// returns false.
func (s *Store) Checkins(fn func(changelog.Checkin) bool) error {
	return s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketLog).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var ci changelog.Checkin
			if err := json.Unmarshal(v, &ci); err != nil {
				return fmt.Errorf("log entry %x: %w", k, err)
			}
			if !fn(ci) {
				return nil
			}
		}
		return nil
	})
}

// Status counts what the store holds.
type Status struct {
	Configured  bool                `json:"configured"`
	Profile     *bundle.GateProfile `json:"profile,omitempty"`
	Import      *ImportInfo         `json:"last_import,omitempty"`
	Tickets     int                 `json:"tickets"`
	Revocations int                 `json:"revocations"`
	Checkins    int                 `json:"checkins"`
	Inside      int                 `json:"inside"`
	Outbox      int                 `json:"outbox"`
	// Sync is the server connection of an enrolled gate that syncs.
	Sync *ticketsync.ClientStatus `json:"sync,omitempty"`
}

// Status reports counts for `scannerd status` and /readyz.
func (s *Store) Status() (Status, error) {
	var st Status
	if p, ok := s.Profile(); ok {
		st.Configured, st.Profile = true, &p
	}
	if info, ok, err := s.LastImport(); err != nil {
		return st, err
	} else if ok {
		st.Import = &info
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		st.Tickets = tx.Bucket(bucketTickets).Stats().KeyN
		st.Revocations = tx.Bucket(bucketRevoked).Stats().KeyN
		st.Checkins = tx.Bucket(bucketLog).Stats().KeyN
		st.Outbox = tx.Bucket(bucketOutbox).Stats().KeyN
		return tx.Bucket(bucketState).ForEach(func(_, v []byte) error {
			var r ticketRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			if r.Inside {
				st.Inside++
			}
			return nil
		})
	})
	return st, err
}
