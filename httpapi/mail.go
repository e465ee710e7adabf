package httpapi

import (
	"context"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/internal/id"

	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/purchase"
)

// OrderAttachments are the files an order confirmation mail carries
// (notify.Email.Attachments): for each valid ticket the buyer holds, its
// QR code as a PNG and, with Apple Wallet configured, its pass. A
// rotating ticket's code changes every step, so it gets neither: its
// holder shows it from the app.
func (s *Server) OrderAttachments(ctx context.Context, orderID, buyerID string) ([]notify.Attachment, error) {
	svc, err := s.purchases()
	if err != nil {
		return nil, err
	}
	tickets, err := svc.OrderTickets(ctx, orderID, buyerID)
	if err != nil {
		return nil, err
	}
	var files []notify.Attachment
	for _, t := range tickets {
		if t.Token == "" || t.Status != purchase.TicketValid || t.Rotating {
			continue
		}
		png, err := s.qrPNG(ctx, t)
		if err != nil {
			return nil, err
		}
		files = append(files, notify.Attachment{Name: t.ID + ".png", ContentType: "image/png", Data: png})
		if s.PassSigner == nil {
			continue
		}
		page, err := s.ticketPage(ctx, t)
		if err != nil {
			return nil, err
		}
		pass, err := s.pkpass(t, page, s.holderName(ctx, t.HolderID))
		if err != nil {
			return nil, err
		}
		files = append(files, notify.Attachment{Name: t.ID + ".pkpass", ContentType: "application/vnd.apple.pkpass", Data: pass})
	}
	return files, nil
}

// mailer is the notify service when it sends email.
func (s *Server) mailer() (*notify.Service, error) {
	if s.Notify == nil || !s.Notify.Mails() {
		return nil, &apiError{status: http.StatusServiceUnavailable, code: "not_configured", msg: "email is not configured on this server (syncserver --smtp-addr)"}
	}
	return s.Notify, nil
}

// mailAccepted is the answer to a request that may send a mail: the same
// whether or not it did.
type mailAccepted struct {
	Status string `json:"status"`
}

type passwordResetRequest struct {
	Email string `json:"email"`
}

// requestPasswordReset mails a single-use reset link to the address if
// it has an account. The answer is the same either way.
func (s *Server) requestPasswordReset(w http.ResponseWriter, r *http.Request, _ *account.Principal) error {
	n, err := s.mailer()
	if err != nil {
		return err
	}
	var req passwordResetRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	link, ok, err := s.Accounts.RequestPasswordReset(ctx, req.Email)
	if err != nil {
		return err
	}
	if ok {
		if err := mailAccountLink(ctx, n, link, notify.KindPasswordReset, "reset"); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusAccepted, mailAccepted{Status: "if the address has an account, a reset link is on its way"})
	return nil
}

// mailAccountLink mails a single-use link of kind to its account: the
// app's page "#what=<secret>" of the server's public address.
func mailAccountLink(ctx context.Context, n *notify.Service, link account.MailLink, kind, what string) error {
	return n.MailTo(ctx, what+"/"+link.User.ID+"/"+account.HashSecret(link.Secret)[:16], link.User.ID, notify.Mail{
		Kind: kind, To: link.User.Email, Name: link.User.Name, Link: n.Link("/app/#" + what + "=" + link.Secret), When: hours(link.TTL)})
}

// hours says how long a link works, in words.
func hours(d time.Duration) string {
	if h := int(d.Hours()); h != 1 {
		return strconv.Itoa(h) + " hours"
	}
	return "1 hour"
}

type passwordResetConfirm struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// confirmPasswordReset sets a new password with a mailed reset token.
func (s *Server) confirmPasswordReset(w http.ResponseWriter, r *http.Request, _ *account.Principal) error {
	var req passwordResetConfirm
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := s.Accounts.ResetPassword(r.Context(), req.Token, req.Password); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// requestEmailVerification mails the caller a link that verifies their
// address.
func (s *Server) requestEmailVerification(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	n, err := s.mailer()
	if err != nil {
		return err
	}
	ctx := r.Context()
	link, ok, err := s.Accounts.RequestEmailVerification(ctx, p.User.ID)
	if err != nil {
		return err
	}
	if ok {
		if err := mailAccountLink(ctx, n, link, notify.KindVerifyEmail, "verify"); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusAccepted, mailAccepted{Status: "a verification link is on its way"})
	return nil
}

type emailConfirm struct {
	Token string `json:"token"`
}

// confirmEmail verifies the address a mailed token was sent to.
func (s *Server) confirmEmail(w http.ResponseWriter, r *http.Request, _ *account.Principal) error {
	var req emailConfirm
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	u, err := s.Accounts.VerifyEmail(r.Context(), req.Token)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userView(u))
	return nil
}

type orgMessageRequest struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

type orgMessageSent struct {
	ID string `json:"id"`
	// Recipients is how many ticket holders the message is for (those
	// who unsubscribed get none).
	Recipients int `json:"recipients"`
}

// messageHolders mails an organizer's message to every holder of a
// valid ticket of the event.
func (s *Server) messageHolders(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	n, err := s.mailer()
	if err != nil {
		return err
	}
	eventID, err := s.requireEventOrg(r, p)
	if err != nil {
		return err
	}
	var req orgMessageRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := notify.CheckOrgMessage(req.Subject, req.Body); err != nil {
		return err
	}
	ctx := r.Context()
	ev, err := s.Catalog.Event(ctx, eventID)
	if err != nil {
		return err
	}
	org, err := s.Catalog.Org(ctx, ev.OrgID)
	if err != nil {
		return err
	}
	msg := notify.OrgMessage{ID: id.New("msg"), Org: org.Name, Subject: req.Subject, Body: req.Body}
	count, err := n.MessageHolders(ctx, ev, msg)
	if err != nil {
		return err
	}
	s.Log.Info("organizer message to ticket holders", "event", eventID, "message", msg.ID, "by", p.User.ID, "holders", count)
	writeJSON(w, http.StatusAccepted, orgMessageSent{ID: msg.ID, Recipients: count})
	return nil
}

// unsubscribePage is what the unsubscribe link opens: a button that
// POSTs, since mail scanners follow links and must not unsubscribe
// anyone.
func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request, _ *account.Principal) error {
	token := r.URL.Query().Get("t")
	if len(token) > 2*notify.MaxID || token == "" {
		return &apiError{status: http.StatusBadRequest, code: "invalid", msg: "the unsubscribe link has no valid t parameter"}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return unsubscribePageHTML.Execute(w, token)
}

var unsubscribePageHTML = template.Must(template.New("unsubscribe").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Unsubscribe</title></head>
<body><h1>Unsubscribe</h1>
<p>Stop reminders and organizers' messages by email? Order confirmations, refunds and changes to your events still come.</p>
<form method="post" action="/v1/mail/unsubscribe?t={{.}}"><button type="submit">Unsubscribe</button></form>
</body></html>
`))

// unsubscribeMail records the opt-out a signed link carries: the page's
// form and mail clients' one-click POST (RFC 8058) both land here.
func (s *Server) unsubscribeMail(w http.ResponseWriter, r *http.Request, _ *account.Principal) error {
	n, err := s.mailer()
	if err != nil {
		return err
	}
	if _, err := readBody(w, r, 1024); err != nil { // "List-Unsubscribe=One-Click" or the empty form
		return err
	}
	if err := n.UnsubscribeMail(r.Context(), r.URL.Query().Get("t")); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Unsubscribed</title></head>"+
		"<body><p>You are unsubscribed from reminders and organizers' messages.</p></body></html>\n")
	return nil
}

type memberInvited struct {
	Invited   string       `json:"invited"`
	OrgID     string       `json:"org_id"`
	Role      account.Role `json:"role"`
	ExpiresAt time.Time    `json:"expires_at"`
}

// inviteMember mails an address without an account a signed link to
// join orgID with role once it has one (POST /v1/invitations/accept).
func (s *Server) inviteMember(w http.ResponseWriter, r *http.Request, orgID, email string, role account.Role) error {
	ctx := r.Context()
	e, err := account.NormalizeEmail(email)
	if err != nil {
		return err
	}
	org, err := s.Catalog.Org(ctx, orgID)
	if err != nil {
		return err
	}
	inv := notify.Invite{Email: e, OrgID: orgID, Role: string(role), ExpiresAt: s.now().Add(notify.InviteTTL).UTC().Truncate(time.Second)}
	token, err := s.Notify.InviteToken(ctx, inv)
	if err != nil {
		return err
	}
	err = s.Notify.MailTo(ctx, "invite/"+orgID+"/"+account.HashSecret(token)[:16], addressID(e), notify.Mail{
		Kind: notify.KindStaffInvite, To: e, Org: org.Name, Link: s.Notify.Link("/app/#invite=" + token)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, memberInvited{Invited: e, OrgID: orgID, Role: role, ExpiresAt: inv.ExpiresAt})
	return nil
}

type invitationAccept struct {
	Token string `json:"token"`
}

// acceptInvitation makes the caller a member as a mailed invitation
// says, if the caller's account has the invited address.
func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	n, err := s.mailer()
	if err != nil {
		return err
	}
	var req invitationAccept
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	inv, err := n.ParseInvite(r.Context(), req.Token)
	if err != nil {
		return err
	}
	m, err := s.Accounts.AcceptInvitation(r.Context(), *p, inv.Email, inv.OrgID, account.Role(inv.Role))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

// inviteTicketRecipient mails an address without an account that the
// caller wants to send them a ticket, once per ticket and address; it
// reports whether it did. Only the holder of a valid ticket invites, so
// the route mails no one for anybody else.
func (s *Server) inviteTicketRecipient(r *http.Request, p *account.Principal, to string) (bool, error) {
	if s.Notify == nil || !s.Notify.Mails() {
		return false, nil
	}
	e, err := account.NormalizeEmail(to)
	if err != nil {
		return false, nil // the refusal already names the address
	}
	t, err := s.holderTicket(r, p)
	if err != nil {
		return false, err
	}
	if err := requireValid(t); err != nil {
		return false, err
	}
	ctx := r.Context()
	ml := notify.Mail{Kind: notify.KindTicketInvite, To: e, Name: p.User.Name, EventID: t.EventID, Link: s.Notify.Link("/app/")}
	if ev, err := s.Catalog.Event(ctx, t.EventID); err == nil {
		ml.Event = ev.Title
	}
	return true, s.Notify.MailTo(ctx, "ticket-invite/"+t.ID+"/"+addressID(e)[5:], addressID(e), ml)
}

// addressID stands for an address without an account where the outbox
// wants an account id.
func addressID(email string) string { return "addr_" + account.HashSecret(email)[:24] }
