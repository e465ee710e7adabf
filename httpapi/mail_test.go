package httpapi

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/qr"
)

// mailFrom is the sender of the tests' mail; its domain ends every
// Message-ID.
const mailFrom = "tickets@admitone.test"

// mailWorld is a harness that mails through a Mailpit: its own outbox
// worker sends the email channel over STARTTLS with authentication.
type mailWorld struct {
	h      *harness
	pit    *testenv.Mailpit
	worker *notify.Worker
	smtp   *notify.SMTP
}

// enableMail has h's notify service enqueue email (no worker sends it
// unless the test runs one).
func enableMail(h *harness) {
	h.api.Notify.Mailing = &notify.Mailing{Users: h.acctStore, BaseURL: "https://tickets.admitone.test"}
}

func newMailWorld(t *testing.T, backend string, chaos bool) *mailWorld {
	t.Helper()
	pit := testenv.StartMailpit(t, testenv.MailpitOptions{TLS: true, User: "admitone", Password: "mail-password-for-tests", Chaos: chaos})
	h := newHarnessWith(t, backend, enableMail)
	ca, err := os.ReadFile(pit.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	s := &notify.SMTP{Addr: pit.SMTP, Username: "admitone", Password: "mail-password-for-tests",
		TLS: &tls.Config{ServerName: "127.0.0.1", RootCAs: roots}}
	t.Cleanup(func() { s.Close() })
	mailer := &notify.Email{SMTP: s, From: mailFrom, Name: "AdmitOne", Seal: h.api.Notify.Seal, Attachments: h.api.OrderAttachments, Now: h.clock.Now}
	w := &notify.Worker{Store: h.outbox, Now: h.clock.Now, Senders: map[string]notify.Sender{notify.ChannelEmail: mailer}}
	return &mailWorld{h: h, pit: pit, worker: w, smtp: s}
}

// organizer is an organizer and their organization, "Nachtmusik GmbH".
func (m *mailWorld) organizer(t *testing.T) (*user, catalog.Organization) {
	t.Helper()
	org := m.h.newUser(t, "organizer")
	return org, m.h.createOrg(t, org, "Nachtmusik GmbH", false)
}

// event publishes o's event "Nachtmusik im Park" in 30 days with one
// ticket type.
func (m *mailWorld) event(t *testing.T, org *user, o catalog.Organization) (catalog.Event, catalog.TicketType) {
	t.Helper()
	h := m.h
	v := h.createVenue(t, org, o.ID, venueBody("Tempodrom", "Berlin", "DE", 52.5009, 13.3817))
	ev := h.createEvent(t, org, o.ID, eventBody(v.ID, "Nachtmusik im Park", "music", h.clock.Now().Add(30*24*time.Hour)))
	tt := h.createTicketType(t, org, ev.ID, ticketTypeBody("Standing", 2500, "EUR"))
	return h.publish(t, org, ev.ID), tt
}

// run sends what is due and returns how many messages it finished.
func (m *mailWorld) run(t *testing.T) int {
	t.Helper()
	n, err := m.worker.RunOnce(t.Context())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return n
}

// messageID is the Message-ID, as Mailpit shows it, of the outbox
// message id.
func messageID(id string) string {
	return strings.Trim(notify.MailMessageID(id, "admitone.test"), "<>")
}

// find returns the one message Mailpit received with the Message-ID of
// the outbox message id.
func (m *mailWorld) find(t *testing.T, id string) testenv.MailpitMessage {
	t.Helper()
	want := messageID(id)
	var found []testenv.MailpitSummary
	for _, s := range m.pit.Messages(t) {
		if s.MessageID == want {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("Mailpit has %d messages with the Message-ID of %s, want 1", len(found), id)
	}
	return m.pit.Message(t, found[0].ID)
}

// TestMailOrderConfirmation: a paid order's confirmation reaches the
// buyer through a real SMTP server (STARTTLS and authentication) with
// each ticket's QR code, which decodes to the ticket's token, and its
// Apple Wallet pass attached.
func TestMailOrderConfirmation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		m := newMailWorld(t, backend, false)
		h := m.h
		h.enableTickets(t)
		org, o := m.organizer(t)
		ev, tt := m.event(t, org, o)
		alice := h.newUser(t, "alice")
		order, tickets := h.buyTickets(t, alice, ev.ID, purchase.Line{TicketTypeID: tt.ID, Quantity: 2})

		if n := m.run(t); n != 1 {
			t.Fatalf("the worker finished %d messages, want 1 (the confirmation)", n)
		}
		id := "mail/paid/" + order.ID + "/" + alice.ID
		stored, err := h.outbox.Message(t.Context(), id)
		if err != nil || stored.Status != notify.StatusSent || stored.Target != alice.Email {
			t.Fatalf("outbox %s: %+v, %v; want sent to %s", id, stored, err, alice.Email)
		}
		msg := m.find(t, id)
		if !strings.Contains(msg.Subject, "Nachtmusik im Park") || !strings.Contains(msg.Text, order.ID) || !strings.Contains(msg.HTML, order.ID) {
			t.Errorf("subject %q, text and HTML parts should name the event and order %s:\n%s", msg.Subject, order.ID, msg.Text)
		}
		tokens := map[string]string{} // ticket id -> token
		for _, tk := range tickets {
			tokens[tk.ID] = tk.Token
		}
		pngs, passes := 0, 0
		for _, a := range msg.Attachments {
			tid, ext, _ := strings.Cut(a.FileName, ".")
			token, ok := tokens[tid]
			if !ok {
				t.Errorf("attachment %s names no ticket of the order", a.FileName)
				continue
			}
			body := m.pit.Part(t, msg.ID, a.PartID)
			switch {
			case ext == "png" && a.ContentType == "image/png":
				pngs++
				img, err := png.Decode(bytes.NewReader(body))
				if err != nil {
					t.Fatalf("%s: %v", a.FileName, err)
				}
				res, err := qr.DecodeImage(img)
				if err != nil || res.Text != token {
					t.Errorf("%s decodes to %v (%v), want ticket %s's token", a.FileName, res, err, tid)
				}
			case ext == "pkpass" && a.ContentType == "application/vnd.apple.pkpass":
				passes++
				if !bytes.HasPrefix(body, []byte("PK")) {
					t.Errorf("%s is not a zip archive", a.FileName)
				}
			default:
				t.Errorf("attachment %s of type %s unexpected", a.FileName, a.ContentType)
			}
		}
		if pngs != 2 || passes != 2 {
			t.Errorf("%d QR PNGs and %d passes attached, want 2 and 2", pngs, passes)
		}
		if msg.ListUnsubscribe.Header != "" {
			t.Errorf("a confirmation is transactional, yet carries List-Unsubscribe %q", msg.ListUnsubscribe.Header)
		}

		// The same trigger again (a payment webhook delivered twice)
		// sends nothing new.
		h.api.Notify.OrderPaid(t.Context(), order)
		if n := m.run(t); n != 0 {
			t.Errorf("after the same trigger again the worker finished %d messages, want 0", n)
		}
		if got := m.pit.CountMessageID(t, messageID(id)); got != 1 {
			t.Errorf("Mailpit has the confirmation %d times, want 1", got)
		}
	})
}

// TestMailRetry: while the SMTP server refuses (Mailpit's chaos answers
// 451 to MAIL FROM), the message stays pending with its error and a
// backoff; once the server accepts, the retry delivers it, once.
func TestMailRetry(t *testing.T) {
	m := newMailWorld(t, "bolt", true)
	h := m.h
	org, o := m.organizer(t)
	ev, tt := m.event(t, org, o)
	alice := h.newUser(t, "alice")

	m.pit.Chaos(t, 451, 100)
	order, _ := h.buyTickets(t, alice, ev.ID, purchase.Line{TicketTypeID: tt.ID, Quantity: 1})
	id := "mail/paid/" + order.ID + "/" + alice.ID
	for attempt := 1; attempt <= 2; attempt++ {
		if n := m.run(t); n != 0 {
			t.Fatalf("attempt %d: the worker finished %d messages while the server refuses", attempt, n)
		}
		got, err := h.outbox.Message(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != notify.StatusPending || got.Attempts != attempt || !strings.Contains(got.LastError, "451") || !got.NextAt.After(h.clock.Now()) {
			t.Fatalf("attempt %d: %s is %s after %d attempts, next %v (now %v), last error %q; want pending, retried later after a 451",
				attempt, id, got.Status, got.Attempts, got.NextAt, h.clock.Now(), got.LastError)
		}
		if n := len(m.pit.Messages(t)); n != 0 {
			t.Fatalf("Mailpit received %d messages while refusing", n)
		}
		h.clock.Advance(notify.Backoff(notify.DefaultBackoff, attempt))
	}

	m.pit.Chaos(t, 451, 0)
	if n := m.run(t); n != 1 {
		t.Fatalf("once the server accepts, the worker finished %d messages, want 1", n)
	}
	if got, _ := h.outbox.Message(t.Context(), id); got.Status != notify.StatusSent || got.Attempts != 3 {
		t.Errorf("%s: %s after %d attempts, want sent after 3", id, got.Status, got.Attempts)
	}
	m.find(t, id)
}

var (
	resetToken  = regexp.MustCompile(`aor_[A-Za-z0-9_-]{43}`)
	verifyToken = regexp.MustCompile(`aov_[A-Za-z0-9_-]{43}`)
)

// TestMailPasswordReset: a reset request answers the same for an address
// with and without an account, mails a link to the account's address
// only, and the link sets a new password once, ending every session.
func TestMailPasswordReset(t *testing.T) {
	m := newMailWorld(t, "bolt", false)
	h := m.h
	alice := h.newUser(t, "alice")
	known := h.do(t, "POST", "/v1/auth/password-reset", "", map[string]any{"email": strings.ToUpper(alice.Email)}).want(t, http.StatusAccepted)
	unknown := h.do(t, "POST", "/v1/auth/password-reset", "", map[string]any{"email": "nobody-" + alice.Email}).want(t, http.StatusAccepted)
	if !bytes.Equal(known.body, unknown.body) {
		t.Errorf("the answers for an address with and without an account differ:\n%s\n%s", known.body, unknown.body)
	}
	// A second request within a minute sends nothing more.
	h.do(t, "POST", "/v1/auth/password-reset", "", map[string]any{"email": alice.Email}).want(t, http.StatusAccepted)
	if n := m.run(t); n != 1 {
		t.Fatalf("the worker sent %d mails, want 1 (the reset link to alice)", n)
	}
	list := m.pit.Messages(t)
	if len(list) != 1 || len(list[0].To) != 1 || list[0].To[0].Address != alice.Email {
		t.Fatalf("Mailpit has %+v, want one mail to %s", list, alice.Email)
	}
	msg := m.pit.Message(t, list[0].ID)
	token := resetToken.FindString(msg.Text)
	if token == "" || !strings.Contains(msg.HTML, token) {
		t.Fatalf("no reset token in the mail:\n%s", msg.Text)
	}
	stored, err := h.acctStore.TokenByHash(t.Context(), account.HashSecret(token))
	if err != nil || stored.Kind != account.TokenReset {
		t.Fatalf("the reset token is not stored by its hash as a reset token: %+v %v", stored, err)
	}
	// The secret never signs anyone in.
	h.do(t, "GET", "/v1/me", token, nil).want(t, http.StatusUnauthorized)

	const next = "a brand new passphrase"
	h.do(t, "POST", "/v1/auth/password-reset/confirm", "", map[string]any{"token": token, "password": next}).want(t, http.StatusNoContent)
	h.do(t, "GET", "/v1/me", alice.Token, nil).want(t, http.StatusUnauthorized)
	h.do(t, "POST", "/v1/auth/login", "", map[string]any{"email": alice.Email, "password": next}).want(t, http.StatusOK)
	if e := h.do(t, "POST", "/v1/auth/password-reset/confirm", "", map[string]any{"token": token, "password": "yet another passphrase"}).
		want(t, http.StatusBadRequest).apiErr(t); e.Code != "bad_link" {
		t.Errorf("a second use: %s, want bad_link", e.Code)
	}

	// A link used after its hour is refused.
	h.clock.Advance(account.LinkEvery)
	h.do(t, "POST", "/v1/auth/password-reset", "", map[string]any{"email": alice.Email}).want(t, http.StatusAccepted)
	m.run(t)
	var late string
	for _, s := range m.pit.Messages(t) {
		if tok := resetToken.FindString(m.pit.Message(t, s.ID).Text); tok != token && tok != "" {
			late = tok
		}
	}
	h.clock.Advance(account.ResetTTL)
	h.do(t, "POST", "/v1/auth/password-reset/confirm", "", map[string]any{"token": late, "password": "yet another passphrase"}).want(t, http.StatusBadRequest)
}

// TestMailVerifyEmail: a signed-in account asks for a verification mail;
// its link verifies the address once.
func TestMailVerifyEmail(t *testing.T) {
	m := newMailWorld(t, "postgres", false)
	h := m.h
	bob := h.newUser(t, "bob")
	h.do(t, "POST", "/v1/auth/email/verify", bob.Token, nil).want(t, http.StatusAccepted)
	m.run(t)
	list := m.pit.Messages(t)
	if len(list) != 1 {
		t.Fatalf("Mailpit has %d mails, want 1", len(list))
	}
	token := verifyToken.FindString(m.pit.Message(t, list[0].ID).Text)
	u := decodeAs[userJSON](t, h.do(t, "POST", "/v1/auth/email/confirm", "", map[string]any{"token": token}), http.StatusOK)
	if u.ID != bob.ID || !u.EmailVerified {
		t.Errorf("confirm answered %+v, want bob verified", u)
	}
	h.do(t, "POST", "/v1/auth/email/confirm", "", map[string]any{"token": token}).want(t, http.StatusBadRequest)
}

// TestMailOrgMessageAndUnsubscribe: an organizer's message reaches every
// holder with List-Unsubscribe headers; the one-click POST to the
// header's link unsubscribes that holder from the next message and from
// the reminder, not from transactional mail.
func TestMailOrgMessageAndUnsubscribe(t *testing.T) {
	m := newMailWorld(t, "bolt", false)
	h := m.h
	org, o := m.organizer(t)
	ev, tt := m.event(t, org, o)
	bob, carol := h.newUser(t, "bob"), h.newUser(t, "carol")
	h.buyTickets(t, bob, ev.ID, purchase.Line{TicketTypeID: tt.ID, Quantity: 1})
	h.buyTickets(t, carol, ev.ID, purchase.Line{TicketTypeID: tt.ID, Quantity: 1})
	m.run(t) // the confirmations

	other := h.newUser(t, "other-organizer")
	h.createOrg(t, other, "Someone Else", false)
	// Another organization's organizer does not see the event at all.
	h.do(t, "POST", "/v1/events/"+ev.ID+"/messages", other.Token, map[string]any{"subject": "Hi", "body": "Hello"}).want(t, http.StatusNotFound)
	h.do(t, "POST", "/v1/events/"+ev.ID+"/messages", org.Token, map[string]any{"subject": "Parking", "body": strings.Repeat("x", notify.MaxOrgBody+1)}).
		want(t, http.StatusUnprocessableEntity)
	h.do(t, "POST", "/v1/events/"+ev.ID+"/messages", org.Token, map[string]any{"subject": "Two\r\nlines", "body": "x"}).
		want(t, http.StatusUnprocessableEntity)

	sent := decodeAs[orgMessageSent](t, h.do(t, "POST", "/v1/events/"+ev.ID+"/messages", org.Token,
		map[string]any{"subject": "Parking", "body": "Use the north car park.\nDoors at 19:00."}), http.StatusAccepted)
	if sent.Recipients != 2 {
		t.Errorf("the message is for %d holders, want 2", sent.Recipients)
	}
	m.run(t)
	got := m.mailsTo(t, "Parking")
	if len(got) != 2 || got[bob.Email] == nil || got[carol.Email] == nil {
		t.Fatalf("the organizer's message reached %v, want bob and carol", got)
	}
	bobs := got[bob.Email]
	if !strings.Contains(bobs.Text, "north car park") || bobs.ListUnsubscribe.HeaderPost != "List-Unsubscribe=One-Click" {
		t.Errorf("bob's mail: List-Unsubscribe-Post %q, text:\n%s", bobs.ListUnsubscribe.HeaderPost, bobs.Text)
	}
	link := strings.Trim(bobs.ListUnsubscribe.Header, "<>")
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(link, "https://tickets.admitone.test/v1/mail/unsubscribe?t=") {
		t.Fatalf("List-Unsubscribe %q", bobs.ListUnsubscribe.Header)
	}
	// A tampered token is refused; the real one unsubscribes bob.
	h.do(t, "POST", "/v1/mail/unsubscribe?t="+url.QueryEscape(carol.ID+".AAAA"), "", "List-Unsubscribe=One-Click").want(t, http.StatusUnprocessableEntity)
	h.do(t, "GET", u.RequestURI(), "", nil).want(t, http.StatusOK)
	if off, _ := h.outbox.Unsubscribed(t.Context(), bob.ID); off {
		t.Fatal("opening the unsubscribe page unsubscribed bob; only its POST may")
	}
	h.do(t, "POST", u.RequestURI(), "", "List-Unsubscribe=One-Click").want(t, http.StatusOK)

	h.do(t, "POST", "/v1/events/"+ev.ID+"/messages", org.Token, map[string]any{"subject": "Set times", "body": "Headliner at 21:30."}).
		want(t, http.StatusAccepted)
	// The reminder goes a day before doors.
	h.clock.Set(ev.StartsAt.Add(-20 * time.Hour))
	if _, err := h.api.Notify.CheckDoors(t.Context()); err != nil {
		t.Fatal(err)
	}
	m.run(t)
	for _, subject := range []string{"Set times", "Tomorrow: Nachtmusik im Park"} {
		got := m.mailsTo(t, subject)
		if len(got) != 1 || got[carol.Email] == nil {
			t.Errorf("%q reached %v, want carol only (bob unsubscribed)", subject, got)
		}
	}
}

// mailsTo returns the mails whose subject starts with subject, by
// recipient.
func (m *mailWorld) mailsTo(t *testing.T, subject string) map[string]*testenv.MailpitMessage {
	t.Helper()
	out := map[string]*testenv.MailpitMessage{}
	for _, s := range m.pit.Messages(t) {
		if strings.HasPrefix(s.Subject, subject) && len(s.To) == 1 {
			msg := m.pit.Message(t, s.ID)
			out[s.To[0].Address] = &msg
		}
	}
	return out
}

// TestMailInvitations: adding a member by an address without an account
// mails a signed invitation; only an account with that address accepts
// it. Sending a ticket to such an address mails an invitation too, once.
func TestMailInvitations(t *testing.T) {
	m := newMailWorld(t, "postgres", false)
	h := m.h
	org, o := m.organizer(t)
	newcomer := h.email("newcomer")
	inv := decodeAs[memberInvited](t, h.do(t, "POST", "/v1/orgs/"+o.ID+"/members", org.Token,
		map[string]any{"email": newcomer, "role": "staff"}), http.StatusAccepted)
	if inv.Invited != newcomer || inv.Role != account.RoleStaff {
		t.Errorf("invited %+v", inv)
	}
	m.run(t)
	got := m.mailsTo(t, "Join Nachtmusik GmbH")
	msg := got[newcomer]
	if len(got) != 1 || msg == nil {
		t.Fatalf("the invitation reached %v, want %s", got, newcomer)
	}
	_, token, _ := strings.Cut(regexp.MustCompile(`#invite=\S+`).FindString(msg.Text), "=")

	// Someone else's account cannot use the link; the newcomer's can.
	eve := h.newUser(t, "eve")
	h.do(t, "POST", "/v1/invitations/accept", eve.Token, map[string]any{"token": token}).want(t, http.StatusForbidden)
	h.do(t, "POST", "/v1/invitations/accept", eve.Token, map[string]any{"token": token + "x"}).want(t, http.StatusUnprocessableEntity)
	nu := h.signUp(t, newcomer)
	h.login(t, nu)
	mb := decodeAs[account.Membership](t, h.do(t, "POST", "/v1/invitations/accept", nu.Token, map[string]any{"token": token}), http.StatusCreated)
	if mb.OrgID != o.ID || mb.Role != account.RoleStaff || mb.UserID != nu.ID {
		t.Errorf("accepted as %+v", mb)
	}
	h.clock.Advance(notify.InviteTTL)
	for _, u := range []*user{nu, org, eve} {
		h.login(t, u) // the sessions ended meanwhile
	}
	h.do(t, "POST", "/v1/invitations/accept", nu.Token, map[string]any{"token": token}).want(t, http.StatusUnprocessableEntity)

	// A ticket sent to an address without an account.
	ev, tt := m.event(t, org, o)
	alice := h.newUser(t, "alice")
	_, tickets := h.buyTickets(t, alice, ev.ID, purchase.Line{TicketTypeID: tt.ID, Quantity: 1})
	friend := h.email("friend")
	for range 2 {
		e := h.do(t, "POST", "/v1/tickets/"+tickets[0].ID+"/transfer", alice.Token, map[string]any{"to": friend}).want(t, http.StatusUnprocessableEntity).apiErr(t)
		if !strings.Contains(e.Message, "invitation") {
			t.Errorf("the refusal does not say an invitation went: %s", e.Message)
		}
	}
	// Another account's ticket invites no one.
	h.do(t, "POST", "/v1/tickets/"+tickets[0].ID+"/transfer", eve.Token, map[string]any{"to": h.email("stranger")}).want(t, http.StatusNotFound)
	m.run(t)
	invites := m.mailsTo(t, "A ticket for Nachtmusik im Park")
	if len(invites) != 1 || invites[friend] == nil {
		t.Errorf("ticket invitations reached %v, want %s once", invites, friend)
	}
	if n := m.pit.CountMessageID(t, messageID("mail/ticket-invite/"+tickets[0].ID+"/"+addressID(friend)[5:])); n != 1 {
		t.Errorf("the ticket invitation arrived %d times, want once", n)
	}
}
