package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
)

// TestMailAcrossRestart: syncserver mails each paid order's confirmation
// through a real SMTP server (Mailpit, STARTTLS and authentication, the
// password from a file). Stopped (SIGTERM) while it sends the first
// round's mail and started again, it sends each message exactly once:
// Mailpit holds every confirmation, each Message-ID once.
func TestMailAcrossRestart(t *testing.T) {
	needBinaries(t)
	const perRound = 12
	pit := testenv.StartMailpit(t, testenv.MailpitOptions{TLS: true, User: "admitone", Password: "smtp-secret-of-the-e2e-test"})
	pwFile := filepath.Join(t.TempDir(), "smtp-password")
	if err := os.WriteFile(pwFile, []byte("smtp-secret-of-the-e2e-test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, t.TempDir(), "", "127.0.0.1:0",
		"--smtp-addr", pit.SMTP, "--smtp-from", "AdmitOne <tickets@admitone.test>", "--smtp-user", "admitone",
		"--smtp-password-file", pwFile, "--smtp-ca", pit.CAFile, "--public-url", "https://tickets.admitone.test")
	if strings.Contains(srv.logs.String(), "smtp-secret-of-the-e2e-test") {
		t.Fatal("the server logged the SMTP password")
	}
	organizer := &flashClient{client: loopbackClient(nil)}
	eventID, typeID := flashEvent(t, organizer, srv.url, 2*perRound)
	buyers := signUpBuyers(t, srv.url, perRound)

	buyAll := func(base string) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, len(buyers))
		for _, b := range buyers {
			wg.Go(func() {
				if err := buyOne(t.Context(), b, base, eventID, typeID); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	received := func() int { return len(pit.Messages(t)) }

	buyAll(srv.url)
	// Stop the server as soon as its worker has begun to send.
	if _, ok := testenv.Poll(30*time.Second, 5*time.Millisecond, func() bool { return received() > 0 }); !ok {
		t.Fatalf("no mail within 30 s of %d payments", perRound)
	}
	srv.stopClean(t, 30*time.Second)
	t.Logf("the server stopped with %d of the first %d confirmations received", received(), perRound)

	srv = srv.launch(t)
	srv.waitListening(t)
	buyAll(srv.url)
	if _, ok := testenv.Poll(60*time.Second, 50*time.Millisecond, func() bool { return received() >= 2*perRound }); !ok {
		t.Fatalf("Mailpit received %d confirmations within 60 s, want %d", received(), 2*perRound)
	}
	// One more round of the worker (it polls every 5 s) would send a
	// duplicate, if it had one to send.
	srv.stopClean(t, 30*time.Second)

	byID := map[string]int{}
	to := map[string]int{}
	for _, m := range pit.Messages(t) {
		byID[m.MessageID]++
		if len(m.To) == 1 {
			to[m.To[0].Address]++
		}
		if !strings.HasSuffix(m.MessageID, "@admitone.test") || m.Attachments != 1 {
			t.Errorf("message %s (%q): %d attachments, want a Message-ID of admitone.test and 1 QR code", m.MessageID, m.Subject, m.Attachments)
		}
	}
	if len(byID) != 2*perRound {
		t.Errorf("%d distinct Message-IDs, want %d (one per paid order)", len(byID), 2*perRound)
	}
	for id, n := range byID {
		if n != 1 {
			t.Errorf("Message-ID %s received %d times, want once", id, n)
		}
	}
	for i := range perRound {
		if a := fmt.Sprintf("buyer-%d@example.com", i); to[a] != 2 {
			t.Errorf("%s received %d confirmations, want 2", a, to[a])
		}
	}
}

// buyOne has b buy one ticket of the event and pay it with the test
// provider's card.
func buyOne(ctx context.Context, b *flashClient, base, eventID, typeID string) error {
	post := func(path string, body any, want int, out any) error {
		raw, _ := json.Marshal(body)
		status, resp, err := b.send(ctx, "POST", base+path, raw)
		if err != nil || status != want {
			return fmt.Errorf("POST %s: %d %s %v", path, status, resp, err)
		}
		return json.Unmarshal(resp, out)
	}
	var hold, order idJSON
	if err := post("/v1/holds", map[string]any{"event_id": eventID,
		"lines": []map[string]any{{"ticket_type_id": typeID, "quantity": 1}}}, http.StatusCreated, &hold); err != nil {
		return err
	}
	if err := post("/v1/orders", map[string]string{"hold_id": hold.ID}, http.StatusCreated, &order); err != nil {
		return err
	}
	var paid struct{}
	return post("/v1/orders/"+order.ID+"/pay", map[string]string{"test_card": "4242424242424242"}, http.StatusOK, &paid)
}
