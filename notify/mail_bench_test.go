package notify_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/storage/bolt"
)

// BenchmarkEmailWorker measures the outbox worker sending b.N email
// messages (an event-changed mail of about 3 KB each, no attachments)
// from a bbolt outbox to Mailpit on loopback over STARTTLS with
// authentication: claim, open the sealed mail, render both templates,
// one SMTP transaction on the kept connection, record it sent. It
// reports mails/s.
func BenchmarkEmailWorker(b *testing.B) {
	pit := testenv.StartMailpit(b, testenv.MailpitOptions{TLS: true, User: "bench", Password: "bench-password"})
	db, err := bolt.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ca, err := os.ReadFile(pit.CAFile)
	if err != nil {
		b.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	smtp := &notify.SMTP{Addr: pit.SMTP, Username: "bench", Password: "bench-password", TLS: &tls.Config{ServerName: "127.0.0.1", RootCAs: roots}}
	b.Cleanup(func() { smtp.Close() })
	svc := &notify.Service{Store: db, Seal: sealKey, Mailing: &notify.Mailing{BaseURL: "https://tickets.admitone.test"}}
	w := &notify.Worker{Store: db, Senders: map[string]notify.Sender{
		notify.ChannelEmail: &notify.Email{SMTP: smtp, From: "tickets@admitone.test", Seal: sealKey},
	}}
	ctx := b.Context()
	for i := range b.N {
		ml := notify.Mail{Kind: notify.KindEventMoved, To: fmt.Sprintf("holder-%d@example.com", i), Name: "Holder",
			Event: "Nachtmusik im Park", When: "Sat 6 Jun 2026 20:00 CEST", Link: "https://tickets.admitone.test/app/"}
		if err := svc.MailTo(ctx, fmt.Sprintf("bench/%d", i), fmt.Sprintf("usr_%d", i), ml); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	n, err := w.RunOnce(ctx)
	elapsed := time.Since(start)
	b.StopTimer()
	if err != nil || n != b.N {
		b.Fatalf("RunOnce sent %d of %d: %v", n, b.N, err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "mails/s")
	if _, ok := testenv.Poll(30*time.Second, 50*time.Millisecond, func() bool { return len(pit.Messages(b)) == b.N }); !ok {
		b.Fatalf("Mailpit holds %d messages, want %d", len(pit.Messages(b)), b.N)
	}
}
