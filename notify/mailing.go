package notify

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/purchase"
)

// Users is what the mail side of Service reads of accounts: an
// account's address and name.
type Users interface {
	UserByID(ctx context.Context, id string) (account.User, error)
}

// Mailing turns on the email channel of a Service.
type Mailing struct {
	Users Users
	// BaseURL is the server's public address (https://tickets.example),
	// the start of every link a mail carries.
	BaseURL string
	// RemindWithin is how long before doors the reminder goes; zero
	// means DefaultRemindWithin.
	RemindWithin time.Duration
}

// DefaultRemindWithin is Mailing.RemindWithin when not set.
const DefaultRemindWithin = 24 * time.Hour

// Email ids, like push ids, say what a mail is about so the same
// trigger enqueues it once (see doc.go).
func mailID(key, userID string) string { return "mail/" + key + "/" + userID }

// link is the public address of path.
func (m *Mailing) link(path string) string { return strings.TrimRight(m.BaseURL, "/") + path }

// mailUsers enqueues one mail of kind to each user, filled by fill; an
// account without an address, or one that unsubscribed from an
// Unsubscribable kind, gets none.
func (s *Service) mailUsers(ctx context.Context, users []string, kind, key string, fill func(*Mail)) error {
	if s.Mailing == nil {
		return nil
	}
	var msgs []Message
	for _, uid := range users {
		u, err := s.Mailing.Users.UserByID(ctx, uid)
		if errors.Is(err, account.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		ml := Mail{Kind: kind, To: u.Email, Name: u.Name, Link: s.Mailing.link("/app/")}
		if Unsubscribable(kind) {
			off, err := s.Store.Unsubscribed(ctx, uid)
			if err != nil {
				return err
			}
			if off {
				continue
			}
			ml.Unsubscribe = s.Mailing.link("/v1/mail/unsubscribe?t=" + url.QueryEscape(s.unsubscribeToken(uid)))
		}
		fill(&ml)
		m, err := s.mailMessage(mailID(key, uid), uid, ml)
		if err != nil {
			return err
		}
		msgs = append(msgs, m)
	}
	if len(msgs) == 0 {
		return nil
	}
	_, err := s.Store.Enqueue(ctx, msgs)
	return err
}

// mailMessage seals ml into the outbox message id.
func (s *Service) mailMessage(id, userID string, ml Mail) (Message, error) {
	p, err := SealMail(s.Seal, id, ml)
	if err != nil {
		return Message{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	return Message{ID: id, Channel: ChannelEmail, UserID: userID, Target: ml.To, Payload: p,
		Status: StatusPending, NextAt: now, CreatedAt: now}, nil
}

// MailTo enqueues one mail to an address that may have no account (an
// invitation, a password reset): id says what it is about, so the same
// id is sent once; userID is the account concerned, or the address.
func (s *Service) MailTo(ctx context.Context, id, userID string, ml Mail) error {
	if s.Mailing == nil {
		return nil
	}
	m, err := s.mailMessage("mail/"+id, userID, ml)
	if err != nil {
		return err
	}
	_, err = s.Store.Enqueue(ctx, []Message{m})
	return err
}

// Link is the public address of path (for the links of MailTo's mails);
// "" without mailing.
func (s *Service) Link(path string) string {
	if s.Mailing == nil {
		return ""
	}
	return s.Mailing.link(path)
}

// Mails reports whether the email channel is on.
func (s *Service) Mails() bool { return s.Mailing != nil }

// eventWhen is an event's start as its attendees read it.
func eventWhen(ev catalog.Event, t time.Time) string {
	if loc, err := time.LoadLocation(ev.TimeZone); err == nil {
		t = t.In(loc)
	}
	return t.Format("Mon 2 Jan 2006 15:04 MST")
}

func (s *Service) mailOrder(ctx context.Context, kind, key string, o purchase.Order) {
	ev, _ := s.Events.Event(ctx, o.EventID)
	s.report("mail "+kind, o.ID, s.mailUsers(ctx, []string{o.BuyerID}, kind, key, func(m *Mail) {
		m.OrderID, m.EventID, m.Event = o.ID, o.EventID, ev.Title
		if !ev.StartsAt.IsZero() {
			m.When = eventWhen(ev, ev.StartsAt)
		}
	}))
}

// OrgMessage is an organizer's message to every holder of a valid
// ticket of an event.
type OrgMessage struct {
	// ID names the message (one per request); each holder gets it once.
	ID      string
	Org     string // the organization's name
	Subject string
	Body    string
}

// CheckOrgMessage checks an organizer's message's subject and body.
func CheckOrgMessage(subject, body string) error {
	switch {
	case strings.TrimSpace(subject) == "" || len(subject) > MaxOrgSubject || strings.ContainsAny(subject, "\r\n"):
		return fmt.Errorf("%w: subject: want 1 to %d bytes on one line", ErrInvalid, MaxOrgSubject)
	case strings.TrimSpace(body) == "" || len(body) > MaxOrgBody:
		return fmt.Errorf("%w: body: want 1 to %d bytes", ErrInvalid, MaxOrgBody)
	case !okText(subject, MaxOrgSubject) || !okText(body, MaxOrgBody):
		return fmt.Errorf("%w: subject or body: not valid UTF-8 text", ErrInvalid)
	}
	return nil
}

// MessageHolders mails msg to every holder of a valid ticket of ev who
// did not unsubscribe; it returns how many holders it looked at.
func (s *Service) MessageHolders(ctx context.Context, ev catalog.Event, msg OrgMessage) (int, error) {
	if err := CheckOrgMessage(msg.Subject, msg.Body); err != nil {
		return 0, err
	}
	holders, err := s.holders(ctx, ev.ID, true)
	if err != nil {
		return 0, err
	}
	return len(holders), s.mailUsers(ctx, holders, KindOrgMessage, "msg/"+ev.ID+"/"+msg.ID, func(m *Mail) {
		m.EventID, m.Event, m.Org, m.Subject, m.Body = ev.ID, ev.Title, msg.Org, msg.Subject, msg.Body
	})
}

// Unsubscribe tokens: the account id and an HMAC-SHA256 of it under a
// key sealed in the secret store ("notify/unsubscribe"), so the link
// needs no sign-in and names no one but its holder.
const unsubscribeSecret = "notify/unsubscribe"

// key returns the HMAC key sealed under name, loading (or making) it
// once.
func (s *Service) key(ctx context.Context, name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.linkKeys[name]; ok {
		return k, nil
	}
	k, err := loadSecretKey(ctx, s.Secrets, s.Seal, name)
	if err != nil {
		return nil, err
	}
	if s.linkKeys == nil {
		s.linkKeys = map[string][]byte{}
	}
	s.linkKeys[name] = k
	return k, nil
}

func (s *Service) unsubscribeToken(userID string) string {
	k, err := s.key(context.Background(), unsubscribeSecret)
	if err != nil {
		return ""
	}
	mac := hmac.New(sha256.New, k)
	mac.Write([]byte("unsubscribe\x00" + userID))
	return userID + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// UnsubscribeToken is the token of userID's unsubscribe link.
func (s *Service) UnsubscribeToken(userID string) string { return s.unsubscribeToken(userID) }

// UnsubscribeMail records that the account a signed unsubscribe token
// names gets no more Unsubscribable mail. A token that does not verify
// is ErrInvalid.
func (s *Service) UnsubscribeMail(ctx context.Context, token string) error {
	uid, _, ok := strings.Cut(token, ".")
	if !ok || len(token) > 2*MaxID || !okText(uid, MaxID) {
		return fmt.Errorf("%w: unsubscribe token", ErrInvalid)
	}
	want := s.unsubscribeToken(uid)
	if want == "" || !hmac.Equal([]byte(want), []byte(token)) {
		return fmt.Errorf("%w: unsubscribe token", ErrInvalid)
	}
	return s.Store.SetUnsubscribed(ctx, uid, s.now().UTC().Truncate(time.Microsecond))
}

// loadSecretKey returns the 32-byte key sealed under name in the secret
// store, making it the first time (first writer wins).
func loadSecretKey(ctx context.Context, store interface {
	PutSecret(ctx context.Context, name string, value []byte) ([]byte, error)
	Secrets(ctx context.Context, prefix string) (map[string][]byte, error)
}, seal *ticketcrypto.SealKey, name string) ([]byte, error) {
	if seal == nil {
		return nil, fmt.Errorf("%s: no seal key", name)
	}
	ad := []byte("admitone notify v1\x00" + name)
	got, err := store.Secrets(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	sealed, ok := got[name]
	if !ok {
		raw := make([]byte, 32)
		rand.Read(raw)
		if sealed, err = store.PutSecret(ctx, name, ticketcrypto.Seal(seal, raw, ad)); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	k, err := ticketcrypto.Open(seal, sealed, ad)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return k, nil
}
