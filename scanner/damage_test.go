package scanner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
)

// realGateDB makes a gate.db as a gate leaves it: a bundle of tickets
// imported, then check-ins, some uploaded (acknowledged) and some still
// in the outbox. It returns the file's bytes and the number of check-ins
// in the outbox.
func realGateDB(t testing.TB, tickets, scans, acked int) ([]byte, int) {
	t.Helper()
	f := newGateFixture(t, bundle.GateProfile{}, StoreOptions{})
	var codes []string
	for range tickets {
		codes = append(codes, f.issue(t, 1, nil).Text())
	}
	f.load(t)
	for _, c := range codes[:scans] {
		f.check(t, c, Accepted)
	}
	out, err := f.store.Outbox(acked)
	if err != nil {
		t.Fatal(err)
	}
	var ids []changelog.CheckinID
	for _, ci := range out {
		id, err := changelog.ParseCheckinID(ci.ID)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := f.store.Ack(ids...); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(f.store.db.Path())
	f.store.Close()
	raw, err := os.ReadFile(filepath.Join(dir, StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	reopened, err := OpenStore(dir, StoreOptions{})
	if err != nil {
		t.Fatalf("a healthy gate.db is refused: %v", err)
	}
	f.store = reopened
	return raw, scans - acked
}

// TestDamagedStoreIsRefused flips random bits (seeded) in 60 copies of a
// real gate.db and opens each: none may crash the process, a copy that
// opens must serve its reads, and a copy found damaged is refused with
// ErrDamaged while its outbox can still be exported where readable.
// Damage the checks cannot see is counted and reported: a flip in a free
// or never-used page changes nothing bbolt reads; one inside a value or a
// key that keeps its order is invisible without data checksums, unless
// the gate's record decoding trips on it.
func TestDamagedStoreIsRefused(t *testing.T) {
	raw, pending := realGateDB(t, 3000, 400, 250)
	// content is every bucket's key/value pairs as the page walk reads
	// them: equal content means the flips hit no data bbolt reads.
	content := func(file []byte) string {
		h := sha256.New()
		checkFile(bytes.NewReader(file), int64(len(file)), func(p []string, k, v []byte) {
			fmt.Fprintf(h, "%q %x %x\n", p, k, v)
		})
		return hex.EncodeToString(h.Sum(nil))
	}
	if err := checkFile(bytes.NewReader(raw), int64(len(raw)), nil); err != nil {
		t.Fatalf("the healthy file fails the page walk: %v", err)
	}
	want := content(raw)

	const copies = 60
	var detected, harmless, unseen, exported int
	for i := range copies {
		rng := rand.New(rand.NewPCG(9, uint64(i)))
		damaged := bytes.Clone(raw)
		for range 4 {
			bit := rng.IntN(len(damaged) * 8)
			damaged[bit/8] ^= 1 << (bit % 8)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, StoreFile), damaged, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := OpenStore(dir, StoreOptions{})
		switch {
		case err == nil:
			// Not detected: the gate must still serve its reads.
			_, serr := s.Status()
			_, oerr := s.Outbox(1000)
			s.Close()
			if content(damaged) == want {
				harmless++
			} else {
				unseen++
				t.Logf("copy %d: changed data went unnoticed (status err %v, outbox err %v)", i, serr, oerr)
			}
		case errors.Is(err, ErrDamaged):
			detected++
			var buf bytes.Buffer
			n, xerr := ExportOutbox(filepath.Join(dir, StoreFile), &buf)
			if xerr != nil {
				t.Errorf("copy %d: export: %v", i, xerr)
			}
			if n == pending {
				exported++
			}
			if i < 3 || testing.Verbose() {
				t.Logf("copy %d refused: %v; %d of %d outbox check-ins exported", i, err, n, pending)
			}
		default:
			t.Errorf("copy %d: open failed without ErrDamaged: %v", i, err)
		}
	}
	t.Logf("%d copies with 4 random bit flips each: %d detected and refused (%d of them with the whole outbox exported), %d undetected whose flips changed no key or value (free space: harmless), %d undetected with a key or value changed",
		copies, detected, exported, harmless, unseen)
	if detected == 0 {
		t.Fatal("no damaged copy was detected")
	}
}

// TestExportOutboxHealthy: on an undamaged store the export holds exactly
// the outbox, in order.
func TestExportOutboxHealthy(t *testing.T) {
	raw, pending := realGateDB(t, 50, 20, 5)
	path := filepath.Join(t.TempDir(), StoreFile)
	os.WriteFile(path, raw, 0o600)
	var buf bytes.Buffer
	n, err := ExportOutbox(path, &buf)
	if err != nil || n != pending || bytes.Count(buf.Bytes(), []byte("\n")) != pending {
		t.Fatalf("export: %d, %v; want %d lines\n%s", n, err, pending, buf.String())
	}
}

// FuzzCheckFile: the page walk never panics, loops or runs away on any
// file. The seed is a small bbolt file with 512-byte pages (the gate's
// buckets, a branch page, an inline and a nested bucket), cut at its
// last page so the fuzzer works on a few kilobytes.
func FuzzCheckFile(f *testing.F) {
	f.Add(smallBoltFile(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFile(bytes.NewReader(data), int64(len(data)), func([]string, []byte, []byte) {})
	})
}

func smallBoltFile(f testing.TB) []byte {
	path := filepath.Join(f.TempDir(), StoreFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{PageSize: 512})
	if err != nil {
		f.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for n, name := range [][]byte{bucketLog, bucketOutbox, bucketTickets} {
			b, err := tx.CreateBucket(name)
			if err != nil {
				return err
			}
			for i := range 3 + 9*n { // tickets: enough keys for a branch page

				if err := b.Put(fmt.Appendf(nil, "key-%03d", i), fmt.Appendf(nil, `{"n":%d,"pad":"......"}`, i)); err != nil {
					return err
				}
			}
		}
		nested, err := tx.Bucket(bucketLog).CreateBucket([]byte("inline"))
		if err != nil {
			return err
		}
		return nested.Put([]byte("k"), []byte("v"))
	})
	db.Close()
	if err != nil {
		f.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	fl := &boltFile{r: bytes.NewReader(raw), size: int64(len(raw))}
	if m := fl.readMeta(0); m.ok && m.pgid*uint64(m.pageSize) <= uint64(len(raw)) {
		raw = raw[:m.pgid*uint64(m.pageSize)]
	}
	if err := checkFile(bytes.NewReader(raw), int64(len(raw)), nil); err != nil {
		f.Fatalf("seed fails the walk: %v", err)
	}
	return raw
}
