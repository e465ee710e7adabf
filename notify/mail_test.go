package notify_test

import (
	"bytes"
	"context"
	"mime"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/storage/bolt"
)

var renderAt = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// headerKeys are every header a rendered mail may carry.
var headerKeys = map[string]bool{"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true, "Mime-Version": true,
	"Auto-Submitted": true, "Content-Type": true, "List-Unsubscribe": true, "List-Unsubscribe-Post": true}

func render(t testing.TB, id string, ml notify.Mail) (*mail.Message, error) {
	t.Helper()
	e := &notify.Email{From: "tickets@admitone.test", Name: "AdmitOne"}
	raw, err := e.Render(id, ml, nil, renderAt)
	if err != nil {
		return nil, err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the rendered mail does not parse: %v\n%s", err, raw)
	}
	for k := range msg.Header {
		if !headerKeys[k] {
			t.Fatalf("the rendered mail has a header %q:\n%s", k, raw)
		}
	}
	return msg, nil
}

// TestRenderMail: what a mail's headers say, and that text from users
// (an event's title, an organizer's subject) cannot add a header.
func TestRenderMail(t *testing.T) {
	ml := notify.Mail{Kind: notify.KindOrgMessage, To: "holder@example.com", Event: "Night\r\nBcc: victim@example.com",
		Org: "Org", Subject: "Parking\nBcc: victim@example.com", Body: "Use the north car park.",
		Unsubscribe: "https://tickets.admitone.test/v1/mail/unsubscribe?t=usr_1.sig"}
	msg, err := render(t, "mail/msg/ev_1/msg_1/usr_1", ml)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := msg.Header.Get("Message-Id"), notify.MailMessageID("mail/msg/ev_1/msg_1/usr_1", "admitone.test"); got != want {
		t.Errorf("Message-ID %q, want %q", got, want)
	}
	if got := msg.Header.Get("List-Unsubscribe"); got != "<"+ml.Unsubscribe+">" {
		t.Errorf("List-Unsubscribe %q", got)
	}
	if got := msg.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", got)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || !strings.HasPrefix(subject, "Parking Bcc: victim@example.com") {
		t.Errorf("Subject %q (%v)", subject, err)
	}

	// Transactional mail has no List-Unsubscribe even with a link.
	ml.Kind = notify.KindOrderPaid
	msg, err = render(t, "mail/paid/ord_1/usr_1", ml)
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("List-Unsubscribe"); got != "" {
		t.Errorf("an order confirmation carries List-Unsubscribe %q", got)
	}
	// A recipient with a display name, or two, is refused.
	for _, to := range []string{"Eve <eve@example.com>", "a@example.com, b@example.com", "not an address"} {
		ml.To = to
		if _, err := render(t, "mail/paid/ord_1/usr_1", ml); err == nil {
			t.Errorf("recipient %q rendered", to)
		}
	}
}

// FuzzRenderMail: whatever users put in a mail's fields, it renders or
// is refused, and a rendered mail has only the headers it should.
func FuzzRenderMail(f *testing.F) {
	f.Add("holder@example.com", "Ann", "Night", "Parking", "Body\r\n.\r\nQUIT")
	f.Add("x@y", "\r\nBcc: a@b", "=?utf-8?q?x?=", "Ü\x00", "")
	f.Fuzz(func(t *testing.T, to, name, event, subject, body string) {
		for _, kind := range []string{notify.KindOrgMessage, notify.KindOrderPaid, notify.KindTicketInvite} {
			render(t, "mail/x", notify.Mail{Kind: kind, To: to, Name: name, Event: event, Subject: subject, Body: body,
				Unsubscribe: "https://t.example/u?t=" + name})
		}
	})
}

// memSecrets is a vault.SecretStore in memory.
type memSecrets struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memSecrets) PutSecret(_ context.Context, name string, value []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	if v, ok := s.m[name]; ok {
		return v, nil
	}
	s.m[name] = value
	return value, nil
}

func (s *memSecrets) Secrets(_ context.Context, prefix string) (map[string][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]byte{}
	for k, v := range s.m {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out, nil
}

// FuzzSignedLinks: an invitation token round-trips, and any other text
// given as an invitation or unsubscribe token is refused without a
// panic; a refused unsubscribe token records nothing.
func FuzzSignedLinks(f *testing.F) {
	db, err := bolt.Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	svc := &notify.Service{Store: db, Secrets: &memSecrets{}, Seal: sealKey, Now: func() time.Time { return renderAt }}
	inv := notify.Invite{Email: "new@example.com", OrgID: "org_1", Role: "staff", ExpiresAt: renderAt.Add(time.Hour)}
	good, err := svc.InviteToken(f.Context(), inv)
	if err != nil {
		f.Fatal(err)
	}
	if got, err := svc.ParseInvite(f.Context(), good); err != nil || got != inv {
		f.Fatalf("ParseInvite(InviteToken(inv)) = %+v, %v", got, err)
	}
	f.Add(good)
	f.Add(good[:len(good)-1] + "A")
	f.Add(svc.UnsubscribeToken("usr_1"))
	f.Add("usr_1.")
	f.Fuzz(func(t *testing.T, token string) {
		if got, err := svc.ParseInvite(t.Context(), token); err == nil && token != good {
			t.Fatalf("ParseInvite accepted %q as %+v", token, got)
		}
		uid, _, _ := strings.Cut(token, ".")
		if err := svc.UnsubscribeMail(t.Context(), token); err == nil {
			if token != svc.UnsubscribeToken(uid) {
				t.Fatalf("UnsubscribeMail accepted %q", token)
			}
		} else if off, _ := db.Unsubscribed(t.Context(), uid); off && uid != "usr_1" { // usr_1's seed token is valid
			t.Fatalf("a refused token %q unsubscribed %s", token, uid)
		}
	})
}
