package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/purchase"
)

// Ticket links take a ticket to a phone without a bearer header (see
// purchase.Link): the holder makes one (POST /v1/tickets/{id}/links), and
// whoever opens it first, on one device, gets the ticket, its code and
// its pass through /v1/links/{token}. The device proves itself with a
// cookie of its own (deviceCookie), set the first time it opens a link;
// a client without cookies cannot bind a link and gets 410 link_used on
// its second request.

// deviceCookie holds a device's secret (purchase.NewDeviceSecret); the
// server keeps only its hash, on the links the device opened.
const deviceCookie = "admitone_device"

// linkJSON is a new ticket link.
type linkJSON struct {
	// URL is the attendee app's ticket page for the link, relative to
	// the server; QRURL and PassURL are its code and Apple Wallet pass.
	URL       string    `json:"url"`
	Token     string    `json:"token"`
	QRURL     string    `json:"qr_url"`
	PassURL   string    `json:"pass_url"`
	ExpiresAt time.Time `json:"expires_at"`
}

type linksRevokedJSON struct {
	Revoked int `json:"revoked"`
}

func (s *Server) createTicketLink(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.purchases()
	if err != nil {
		return err
	}
	token, l, err := svc.CreateLink(r.Context(), r.PathValue("id"), p.User.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, linkJSON{
		URL: "/app/ticket.html?link=" + token, Token: token,
		QRURL: "/v1/links/" + token + "/qr.png", PassURL: "/v1/links/" + token + "/pass.pkpass",
		ExpiresAt: l.ExpiresAt,
	})
	return nil
}

func (s *Server) revokeTicketLinks(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.purchases()
	if err != nil {
		return err
	}
	n, err := svc.RevokeLinks(r.Context(), r.PathValue("id"), p.User.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, linksRevokedJSON{Revoked: n})
	return nil
}

// linkTicket redeems the path's link on the caller's device, setting the
// device cookie on a device that has none.
func (s *Server) linkTicket(w http.ResponseWriter, r *http.Request) (purchase.Ticket, error) {
	svc, err := s.purchases()
	if err != nil {
		return purchase.Ticket{}, err
	}
	device := ""
	if c, err := r.Cookie(deviceCookie); err == nil {
		device = c.Value
	}
	hash, err := purchase.ParseDeviceSecret(device)
	if err != nil {
		device = purchase.NewDeviceSecret()
		if hash, err = purchase.ParseDeviceSecret(device); err != nil {
			return purchase.Ticket{}, err
		}
		http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: device, Path: "/v1/links/",
			MaxAge: 400 * 24 * 60 * 60, HttpOnly: true, Secure: s.HSTS || r.TLS != nil, SameSite: http.SameSiteStrictMode})
	}
	return svc.RedeemLink(r.Context(), r.PathValue("token"), hash)
}

func (s *Server) getLink(w http.ResponseWriter, r *http.Request, _ *account.Principal) error {
	t, err := s.linkTicket(w, r)
	if err != nil {
		return err
	}
	var holder string
	if u, err := s.Accounts.UserByID(r.Context(), t.HolderID); err == nil {
		holder = u.Name // the name the ticket page shows; none if the account is gone
	}
	return s.writeTicket(w, r.Context(), t, holder)
}

func (s *Server) linkQR(w http.ResponseWriter, r *http.Request, _ *account.Principal) error {
	t, err := s.linkTicket(w, r)
	if err != nil {
		return err
	}
	png, err := s.qrPNG(r.Context(), t)
	if err != nil {
		return err
	}
	writeCredential(w, "image/png", "", png)
	return nil
}

func (s *Server) linkPKPass(w http.ResponseWriter, r *http.Request, _ *account.Principal) error {
	if s.PassSigner == nil {
		return errNoAppleWallet
	}
	t, err := s.linkTicket(w, r)
	if err != nil {
		return err
	}
	page, err := s.ticketPage(r.Context(), t)
	if err != nil {
		return err
	}
	pass, err := s.pkpass(t, page, s.holderName(r.Context(), t.HolderID))
	if err != nil {
		return err
	}
	writeCredential(w, "application/vnd.apple.pkpass", t.ID+".pkpass", pass)
	return nil
}

// holderName is the name a pass shows for the holder; "" if the account
// cannot be read.
func (s *Server) holderName(ctx context.Context, holderID string) string {
	u, err := s.Accounts.UserByID(ctx, holderID)
	if err != nil {
		return ""
	}
	return u.Name
}
