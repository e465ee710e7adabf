package scanner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

// ErrDamaged is wrapped by OpenStore's error when gate.db fails its
// checks at open; the gate must not scan with it.
var ErrDamaged = errors.New("gate store is damaged")

// DamageError says which checks gate.db failed.
type DamageError struct {
	Path string
	Err  error
}

func (e *DamageError) Error() string {
	return fmt.Sprintf("%s is damaged: %v", e.Path, e.Err)
}

func (e *DamageError) Unwrap() []error { return []error{ErrDamaged, e.Err} }

// crashError is a panic or memory fault caught by guarded.
type crashError struct{ v any }

func (e *crashError) Error() string { return fmt.Sprintf("reading it crashed: %v", e.v) }

// guarded runs fn, turning a panic, and a memory fault in this goroutine
// (bbolt reading a damaged page through its map), into a *crashError.
func guarded(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = &crashError{r}
		}
	}()
	return fn()
}

// checkOpened checks an open store's file: the page-level walk (checkFile,
// which also makes bbolt's own check safe to run), bbolt's consistency
// check, and the gate's own records decoded one by one.
func checkOpened(db *bolt.DB, f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := checkFile(f, st.Size(), nil); err != nil {
		return err
	}
	return guarded(func() error {
		return db.View(func(tx *bolt.Tx) error {
			var first error
			for err := range tx.Check() { // drained: the check's goroutine ends
				if first == nil {
					first = fmt.Errorf("bbolt check: %w", err)
				}
			}
			if first != nil {
				return first
			}
			return checkRecords(tx)
		})
	})
}

// checkRecords decodes every record the gate keeps, so a flipped bit that
// breaks one shows now rather than at the scan that reads it.
func checkRecords(tx *bolt.Tx) error {
	buckets := map[string]func(k, v []byte) error{
		string(bucketMeta): func(k, v []byte) error {
			switch {
			case bytes.Equal(k, keySyncCursor) && len(v) != 8:
				return errors.New("sync cursor is not 8 bytes")
			case slices.ContainsFunc(jsonMetaKeys, func(j []byte) bool { return bytes.Equal(j, k) }) && !json.Valid(v):
				return errors.New("not JSON")
			}
			return nil
		},
		string(bucketTickets): func(k, v []byte) error {
			if len(k) != idLen || len(v) < 2 {
				return fmt.Errorf("%d-byte ticket id, %d-byte entry", len(k), len(v))
			}
			return nil
		},
		string(bucketCodes): func(_, v []byte) error {
			if len(v) != idLen {
				return fmt.Errorf("%d-byte ticket id", len(v))
			}
			return nil
		},
		string(bucketRevoked): func(k, v []byte) error { return decodeRecord(k, v, idLen, new(bundle.Revocation)) },
		string(bucketState):   func(k, v []byte) error { return decodeRecord(k, v, idLen, new(ticketRecord)) },
		string(bucketLog):     func(k, v []byte) error { return decodeRecord(k, v, len(changelog.CheckinID{}), new(changelog.Checkin)) },
		string(bucketOutbox): func(k, v []byte) error {
			if len(v) != 0 || tx.Bucket(bucketLog) == nil || tx.Bucket(bucketLog).Get(k) == nil {
				return errors.New("outbox entry without its check-in in the log")
			}
			return nil
		},
	}
	for name, check := range buckets {
		b := tx.Bucket([]byte(name))
		if b == nil {
			continue // created at open
		}
		if err := b.ForEach(func(k, v []byte) error {
			if err := check(k, v); err != nil {
				return fmt.Errorf("bucket %s, key %x: %w", name, k, err)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// idLen is a ticket id's length, the key of the ticket buckets.
const idLen = len(ticketcrypto.TicketID{})

// jsonMetaKeys are the meta records kept as JSON.
var jsonMetaKeys = [][]byte{keyProfile, keyTrusted, keyImport, keyKeyring, keySync}

func decodeRecord(k, v []byte, klen int, into any) error {
	if len(k) != klen {
		return fmt.Errorf("%d-byte key, want %d", len(k), klen)
	}
	return json.Unmarshal(v, into)
}

// ExportOutbox writes the check-ins a store at path had not yet uploaded,
// one JSON object a line in time order, reading the file page by page
// without bbolt so that a damaged file cannot crash it; what cannot be
// read is skipped. It returns how many it wrote.
func ExportOutbox(path string, w io.Writer) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	pending := map[string]bool{}
	checkFile(f, st.Size(), func(p []string, k, _ []byte) {
		if len(p) == 1 && p[0] == string(bucketOutbox) {
			pending[string(k)] = true
		}
	})
	n := 0
	var werr error
	checkFile(f, st.Size(), func(p []string, k, v []byte) {
		if werr != nil || len(p) != 1 || p[0] != string(bucketLog) || !pending[string(k)] {
			return
		}
		var ci changelog.Checkin
		if json.Unmarshal(v, &ci) != nil {
			return // unreadable: skipped
		}
		line, _ := json.Marshal(ci)
		if _, werr = w.Write(append(line, '\n')); werr == nil {
			n++
		}
	})
	return n, werr
}
