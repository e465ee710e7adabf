package scanner

import (
	"bytes"
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
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
		p.Tickets[i] = bundle.Ticket{ID: ticketcrypto.NewTicketID(), Type: uint16(i % 4)}
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
