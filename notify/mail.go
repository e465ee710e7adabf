package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	texttemplate "text/template"
	"time"

	ticketcrypto "github.com/admitone/admitone/crypto"
)

// ChannelEmail is the channel of email messages: their Target is the
// recipient's address and their Payload a sealed Mail.
const ChannelEmail = "email"

// Kinds of email beyond the push kinds (KindOrderPaid, KindRefunded,
// KindEventMoved, KindEventCancelled are mailed too).
const (
	KindReminder      = "reminder"       // doors in 24 hours; may be unsubscribed
	KindOrgMessage    = "org_message"    // an organizer's message to an event's holders; may be unsubscribed
	KindVerifyEmail   = "verify_email"   // confirm an address
	KindPasswordReset = "password_reset" // a single-use link
	KindStaffInvite   = "staff_invite"   // join an organization's staff
	KindTicketInvite  = "ticket_invite"  // a ticket was transferred to an address without an account
)

// mailKinds are the kinds with templates; Unsubscribable ones carry
// List-Unsubscribe.
var mailKinds = map[string]bool{
	KindOrderPaid: false, KindRefunded: false, KindEventMoved: false, KindEventCancelled: false,
	KindReminder: true, KindOrgMessage: true,
	KindVerifyEmail: false, KindPasswordReset: false, KindStaffInvite: false, KindTicketInvite: false,
}

// Unsubscribable reports whether mail of kind is not transactional, so
// its recipient may opt out of it.
func Unsubscribable(kind string) bool { return mailKinds[kind] }

// Mail is what an email message's templates are filled with; the outbox
// keeps it as JSON sealed with the server's seal key (it may carry a
// password reset link), and the Email sender renders it when it sends.
type Mail struct {
	Kind string `json:"kind"`
	To   string `json:"to"`
	Name string `json:"name,omitempty"`
	// OrderID is the order a confirmation attaches the tickets of.
	OrderID string `json:"order_id,omitempty"`
	EventID string `json:"event_id,omitempty"`
	Event   string `json:"event,omitempty"` // the event's title
	When    string `json:"when,omitempty"`  // a date or time, as the recipient reads it
	Org     string `json:"org,omitempty"`   // an organization's name
	// Subject and Body are an organizer's message (KindOrgMessage).
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body,omitempty"`
	// Link is the message's action: the app, a verification, reset or
	// invitation link.
	Link string `json:"link,omitempty"`
	// Unsubscribe is the signed opt-out link of an Unsubscribable kind.
	Unsubscribe string `json:"unsubscribe,omitempty"`
}

// Limits of an organizer's message.
const (
	MaxOrgSubject = 200
	MaxOrgBody    = 8000
)

//go:embed mail/*.txt mail/*.html
var mailFiles embed.FS

var (
	textMails = texttemplate.Must(texttemplate.ParseFS(mailFiles, "mail/*.txt"))
	htmlMails = htmltemplate.Must(htmltemplate.ParseFS(mailFiles, "mail/*.html"))
)

func init() {
	// A kind without its three templates fails at start, not when its
	// first mail goes out.
	for k := range mailKinds {
		if textMails.Lookup(k+".txt") == nil || textMails.Lookup(k+".subject") == nil || htmlMails.Lookup(k+".html") == nil {
			panic("notify: mail templates of " + k + " missing")
		}
	}
}

// Attachment is a file attached to a mail.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// mailAD binds a sealed Mail to its outbox message.
func mailAD(id string) []byte { return []byte("admitone notify mail v1\x00" + id) }

// SealMail makes the outbox payload of m for message id.
func SealMail(seal *ticketcrypto.SealKey, id string, m Mail) ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return ticketcrypto.Seal(seal, b, mailAD(id)), nil
}

// OpenMail reads the Mail an email message's payload seals.
func OpenMail(seal *ticketcrypto.SealKey, id string, payload []byte) (Mail, error) {
	b, err := ticketcrypto.Open(seal, payload, mailAD(id))
	if err != nil {
		return Mail{}, fmt.Errorf("%w: mail %s: %v", ErrPermanent, id, err)
	}
	var m Mail
	if err := json.Unmarshal(b, &m); err != nil {
		return Mail{}, fmt.Errorf("%w: mail %s: %v", ErrPermanent, id, err)
	}
	return m, nil
}

// MailMessageID is the Message-ID header of the outbox message id sent
// from domain: derived from the id, so every attempt at one message
// carries the same Message-ID and a receiver can tell a repeat.
func MailMessageID(id, domain string) string {
	h := sha256.Sum256([]byte("admitone outbox\x00" + id))
	return "<" + hex.EncodeToString(h[:16]) + "@" + domain + ">"
}

// Email sends email messages: it opens the sealed Mail, fills its
// kind's templates, attaches an order's tickets to a confirmation and
// hands the result to the SMTP server.
type Email struct {
	SMTP *SMTP
	// From is the sender's address, Name the sender's display name.
	From string
	Name string
	Seal *ticketcrypto.SealKey
	// Attachments returns the files a confirmation of orderID, mailed to
	// its buyer, carries: each ticket's QR code and, with wallets
	// configured, its pass (httpapi.Server.OrderAttachments); nil
	// attaches none.
	Attachments func(ctx context.Context, orderID, buyerID string) ([]Attachment, error)
	Now         func() time.Time
}

// Send implements Sender.
func (e *Email) Send(ctx context.Context, m Message) error {
	ml, err := OpenMail(e.Seal, m.ID, m.Payload)
	if err != nil {
		return err
	}
	var files []Attachment
	if ml.Kind == KindOrderPaid && ml.OrderID != "" && e.Attachments != nil {
		if files, err = e.Attachments(ctx, ml.OrderID, m.UserID); err != nil {
			return fmt.Errorf("mail %s: attachments: %w", m.ID, err)
		}
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	msg, err := e.Render(m.ID, ml, files, now())
	if err != nil {
		return err
	}
	from, _ := mail.ParseAddress(e.From)
	return e.SMTP.Deliver(ctx, from.Address, ml.To, msg)
}

// Render makes the RFC 5322 message of ml, the outbox message id's
// mail: a text and an HTML part, then the attachments.
func (e *Email) Render(id string, ml Mail, files []Attachment, date time.Time) ([]byte, error) {
	if _, ok := mailKinds[ml.Kind]; !ok {
		return nil, fmt.Errorf("%w: mail %s: unknown kind %q", ErrPermanent, id, ml.Kind)
	}
	to, err := mail.ParseAddress(ml.To)
	if err != nil || to.Name != "" {
		return nil, fmt.Errorf("%w: mail %s: recipient address", ErrPermanent, id)
	}
	from, err := mail.ParseAddress(e.From)
	if err != nil {
		return nil, fmt.Errorf("%w: sender address %q", ErrPermanent, e.From)
	}
	if e.Name != "" {
		from.Name = e.Name
	}
	var subject, text, html bytes.Buffer
	if err := textMails.ExecuteTemplate(&subject, ml.Kind+".subject", ml); err != nil {
		return nil, fmt.Errorf("%w: mail %s: %v", ErrPermanent, id, err)
	}
	if err := textMails.ExecuteTemplate(&text, ml.Kind+".txt", ml); err != nil {
		return nil, fmt.Errorf("%w: mail %s: %v", ErrPermanent, id, err)
	}
	if err := htmlMails.ExecuteTemplate(&html, ml.Kind+".html", ml); err != nil {
		return nil, fmt.Errorf("%w: mail %s: %v", ErrPermanent, id, err)
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]

	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", from.String())
	h("To", to.String())
	h("Subject", mime.QEncoding.Encode("utf-8", oneLine(subject.String())))
	h("Date", date.UTC().Format(time.RFC1123Z))
	h("Message-ID", MailMessageID(id, domain))
	h("MIME-Version", "1.0")
	h("Auto-Submitted", "auto-generated")
	if Unsubscribable(ml.Kind) && ml.Unsubscribe != "" {
		h("List-Unsubscribe", "<"+oneLine(ml.Unsubscribe)+">")
		h("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	outer := multipart.NewWriter(&b)
	alt := outer
	if len(files) > 0 {
		h("Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": outer.Boundary()}))
		b.WriteString("\r\n")
		var ab bytes.Buffer
		alt = multipart.NewWriter(&ab)
		if err := writeAlternative(alt, text.Bytes(), html.Bytes()); err != nil {
			return nil, err
		}
		w, err := outer.CreatePart(textproto.MIMEHeader{"Content-Type": {
			mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": alt.Boundary()})}})
		if err != nil {
			return nil, err
		}
		w.Write(ab.Bytes())
		for _, f := range files {
			if err := writeAttachment(outer, f); err != nil {
				return nil, err
			}
		}
		if err := outer.Close(); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	h("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": alt.Boundary()}))
	b.WriteString("\r\n")
	if err := writeAlternative(alt, text.Bytes(), html.Bytes()); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeAlternative writes the text and HTML parts and closes w.
func writeAlternative(w *multipart.Writer, text, html []byte) error {
	for _, p := range []struct {
		ct   string
		body []byte
	}{{"text/plain; charset=utf-8", text}, {"text/html; charset=utf-8", html}} {
		pw, err := w.CreatePart(textproto.MIMEHeader{"Content-Type": {p.ct}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return err
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write(p.body); err != nil {
			return err
		}
		if err := qp.Close(); err != nil {
			return err
		}
	}
	return w.Close()
}

func writeAttachment(w *multipart.Writer, f Attachment) error {
	pw, err := w.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {f.ContentType},
		"Content-Transfer-Encoding": {"base64"},
		"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": f.Name})},
	})
	if err != nil {
		return err
	}
	enc := base64.StdEncoding.EncodeToString(f.Data)
	for len(enc) > 76 {
		io.WriteString(pw, enc[:76]+"\r\n")
		enc = enc[76:]
	}
	_, err = io.WriteString(pw, enc+"\r\n")
	return err
}

// oneLine keeps a header value on one line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
}
