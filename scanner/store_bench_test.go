package scanner

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
)

// bigBundle signs a bundle of n tickets, as `syncserver bundle export`
// would, and returns the file bytes and the signer.
func bigBundle(b *testing.B, n int) ([]byte, ticketcrypto.PublicKey) {
	b.Helper()
	key, err := ticketcrypto.GeneratePrivateKey()
	if err != nil {
		b.Fatal(err)
	}
	ev := ticketcrypto.NewEventID()
	p := &bundle.Payload{
		Format: bundle.Format, CreatedAt: time.Now(), Event: ev,
		Keyring:  []ticketcrypto.KeyringEntry{{Event: ev, KeyID: key.ID(), PublicKey: key.Public()}},
		Profiles: []bundle.GateProfile{{GateID: "north", Event: ev, Mode: bundle.ModeSigned, Direction: bundle.Entry}},
		Tickets:  make([]bundle.Ticket, n),
	}
	for i := range p.Tickets {
		p.Tickets[i] = bundle.Ticket{ID: ticketcrypto.NewTicketID(), TypeNumber: uint16(i % 4)}
	}
	for i := range n / 100 {
		p.Revocations = append(p.Revocations, bundle.Revocation{Ticket: p.Tickets[i*100].ID, At: p.CreatedAt, Reason: "refunded"})
	}
	var buf bytes.Buffer
	if err := bundle.Write(&buf, p, key, nil, ticketcrypto.KDFParams{}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes(), key.Public()
}

// BenchmarkImport100k measures `scannerd import` of a 100,000-ticket bundle
// into a fresh store: signature check, JSON decode, validation and one
// fsynced bbolt transaction.
func BenchmarkImport100k(b *testing.B) {
	data, signer := bigBundle(b, 100_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		s, err := OpenStore(b.TempDir(), StoreOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		p, _, err := bundle.Read(data, []ticketcrypto.PublicKey{signer}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Import(p, "", signer, time.Now()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

// BenchmarkOpenCheck100k measures the checks OpenStore makes of gate.db
// (page walk, bbolt's tx.Check, the gate's records decoded) on a store
// holding 100,000 tickets, 1,000 revocations and 20,000 check-ins, all in
// the outbox, against opening the same file with bbolt alone.
func BenchmarkOpenCheck100k(b *testing.B) {
	data, signer := bigBundle(b, 100_000)
	dir := b.TempDir()
	s, err := OpenStore(dir, StoreOptions{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	p, _, err := bundle.Read(data, []ticketcrypto.PublicKey{signer}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Import(p, "", signer, time.Now()); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	err = s.db.Update(func(tx *bolt.Tx) error {
		for i, t := range p.Tickets[:20_000] {
			at := now.Add(time.Duration(i) * time.Millisecond)
			id := s.nextCheckinID(at)
			ci := &changelog.Checkin{ID: id.String(), TicketID: t.ID.String(), EventID: p.Event.String(), TypeNumber: t.TypeNumber, GateID: "north",
				Direction: bundle.Entry, At: at.UTC()}
			if err := writeCheckin(tx, id, t.ID, ci, TicketState{}, true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	if st, err := os.Stat(filepath.Join(dir, StoreFile)); err == nil {
		b.Logf("gate.db: %.1f MiB", float64(st.Size())/(1<<20))
	}
	b.Run("bbolt-open-only", func(b *testing.B) {
		for b.Loop() {
			db, err := bolt.Open(filepath.Join(dir, StoreFile), 0o600, nil)
			if err != nil {
				b.Fatal(err)
			}
			db.Close()
		}
	})
	b.Run("OpenStore", func(b *testing.B) {
		for b.Loop() {
			s, err := OpenStore(dir, StoreOptions{})
			if err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
	})
	db, err := bolt.Open(filepath.Join(dir, StoreFile), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	f, err := os.Open(filepath.Join(dir, StoreFile))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	b.Run("page-walk", func(b *testing.B) {
		for b.Loop() {
			if err := checkFile(f, st.Size(), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bbolt-tx.Check", func(b *testing.B) {
		for b.Loop() {
			db.View(func(tx *bolt.Tx) error {
				for err := range tx.Check() {
					b.Fatal(err)
				}
				return nil
			})
		}
	})
	b.Run("records", func(b *testing.B) {
		for b.Loop() {
			if err := db.View(checkRecords); err != nil {
				b.Fatal(err)
			}
		}
	})
}
