package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/qr"
	"github.com/admitone/admitone/wallet"
)

// Tickets are the signed-in caller's own, as holds and orders are: another
// holder's ticket is 404 (purchase.Service checks the holder), so its id
// is not confirmed to exist. A ticket's token is a bearer credential: it
// is shown only while the ticket is valid, and every answer that carries
// it, in any form, is sent with Cache-Control: no-store.

// qrPixelsPerModule makes a ticket code 392 pixels square (a version 6
// code of 41 modules and the quiet zone), as syncserver's tickets command
// writes them.
const qrPixelsPerModule = 8

// ticketJSON is a ticket as its holder sees it.
type ticketJSON struct {
	ID         string          `json:"id"`
	Event      ticketEventJSON `json:"event"`
	TicketType ticketTypeJSON  `json:"ticket_type"`
	// Seat is always null for now: tickets are general admission.
	Seat     *ticketSeatJSON       `json:"seat"`
	OrderID  string                `json:"order_id"`
	HolderID string                `json:"holder_id"`
	Status   purchase.TicketStatus `json:"status"`
	// Rotating tickets admit only with the current rotating code beside
	// the token: Google Wallet and qr.png show it, Apple Wallet cannot.
	Rotating     bool      `json:"rotating"`
	IssuedAt     time.Time `json:"issued_at"`
	RevokedAt    time.Time `json:"revoked_at,omitzero"`
	RevokeReason string    `json:"revoke_reason,omitempty"`
	// Replaces is the ticket this one replaced (a transfer).
	Replaces string `json:"replaces,omitempty"`
	Token    string `json:"token,omitempty"`
	// HolderName and Wallets are set on the holder's own ticket routes
	// (holderView): what a wallet app shows and which buttons work.
	HolderName string             `json:"holder_name,omitempty"`
	Wallets    *ticketWalletsJSON `json:"wallets,omitempty"`
}

// ticketWalletsJSON says which wallet routes answer for a ticket now.
type ticketWalletsJSON struct {
	Apple  bool `json:"apple"`
	Google bool `json:"google"`
}

type ticketEventJSON struct {
	ID        string         `json:"id"`
	Title     string         `json:"title"`
	Status    catalog.Status `json:"status"`
	StartsAt  time.Time      `json:"starts_at"`
	EndsAt    time.Time      `json:"ends_at"`
	DoorsAt   time.Time      `json:"doors_at,omitzero"`
	TimeZone  string         `json:"time_zone"`
	VenueName string         `json:"venue_name"`
}

type ticketTypeJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Number uint16 `json:"number"`
}

type ticketSeatJSON struct {
	Section string `json:"section,omitempty"`
	Row     string `json:"row,omitempty"`
	Number  string `json:"number,omitempty"`
}

type ticketListJSON struct {
	Tickets []ticketJSON `json:"tickets"`
}

type googleWalletJSON struct {
	SaveURL string `json:"save_url"`
}

// ticketView is t with what its holder needs of the event page.
func ticketView(t purchase.Ticket, page catalog.EventPage) ticketJSON {
	v := ticketJSON{
		ID: t.ID,
		Event: ticketEventJSON{
			ID: page.Event.ID, Title: page.Event.Title, Status: page.Event.Status,
			StartsAt: page.Event.StartsAt, EndsAt: page.Event.EndsAt, DoorsAt: page.Event.DoorsAt,
			TimeZone: page.Event.TimeZone, VenueName: page.Venue.Name,
		},
		TicketType: ticketTypeJSON{ID: t.TicketTypeID, Number: t.TypeNumber},
		OrderID:    t.OrderID, HolderID: t.HolderID, Status: t.Status, Rotating: t.Rotating,
		IssuedAt: t.IssuedAt, RevokedAt: t.RevokedAt, RevokeReason: t.RevokeReason, Replaces: t.Replaces,
	}
	if tt, ok := ticketTypeOf(page, t.TicketTypeID); ok {
		v.TicketType.Name = tt.Name
	}
	if t.Status == purchase.TicketValid {
		v.Token = t.Token
	}
	return v
}

// holderView is t as its holder sees it on their own ticket routes: with
// their name, and which wallets this server can add it to (an app shows
// only the buttons that work; a 503 from the wallet route says the same).
func (s *Server) holderView(t purchase.Ticket, page catalog.EventPage, holderName string) ticketJSON {
	v := ticketView(t, page)
	v.HolderName = holderName
	valid := t.Status == purchase.TicketValid
	v.Wallets = &ticketWalletsJSON{Apple: valid && s.PassSigner != nil && !t.Rotating, Google: valid && s.GoogleWallet != nil}
	return v
}

func ticketTypeOf(page catalog.EventPage, id string) (catalog.TicketType, bool) {
	for _, tt := range page.TicketTypes {
		if tt.ID == id {
			return tt, true
		}
	}
	return catalog.TicketType{}, false
}

// ticketPage reads the event page of a ticket's event. An event a ticket
// names should always be there, so its absence is an internal error, not
// a 404 the client could take for the ticket's.
func (s *Server) ticketPage(ctx context.Context, t purchase.Ticket) (catalog.EventPage, error) {
	page, err := s.Catalog.EventPage(ctx, t.EventID)
	if err != nil {
		return catalog.EventPage{}, fmt.Errorf("ticket %s: event %s: %v", t.ID, t.EventID, err)
	}
	return page, nil
}

// holderTicket returns one of the caller's tickets.
func (s *Server) holderTicket(r *http.Request, p *account.Principal) (purchase.Ticket, error) {
	svc, err := s.purchases()
	if err != nil {
		return purchase.Ticket{}, err
	}
	return svc.Ticket(r.Context(), r.PathValue("id"), p.User.ID)
}

// requireValid refuses a revoked ticket with 410: its codes no longer
// admit, so no code or pass is made for it.
func requireValid(t purchase.Ticket) error {
	if t.Status == purchase.TicketValid {
		return nil
	}
	msg := "ticket " + t.ID + " was revoked"
	if t.RevokeReason != "" {
		msg += " (" + t.RevokeReason + ")"
	}
	return &apiError{status: http.StatusGone, code: "revoked", msg: msg + "; it no longer admits"}
}

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.purchases()
	if err != nil {
		return err
	}
	tickets, err := svc.Tickets(r.Context(), p.User.ID)
	if err != nil {
		return err
	}
	pages := map[string]catalog.EventPage{}
	out := ticketListJSON{Tickets: make([]ticketJSON, 0, len(tickets))}
	for _, t := range tickets {
		page, ok := pages[t.EventID]
		if !ok {
			if page, err = s.ticketPage(r.Context(), t); err != nil {
				return err
			}
			pages[t.EventID] = page
		}
		out.Tickets = append(out.Tickets, s.holderView(t, page, p.User.Name))
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	t, err := s.holderTicket(r, p)
	if err != nil {
		return err
	}
	return s.writeTicket(w, r.Context(), t, p.User.Name)
}

// writeTicket answers with one ticket as its holder, named holderName,
// sees it.
func (s *Server) writeTicket(w http.ResponseWriter, ctx context.Context, t purchase.Ticket, holderName string) error {
	page, err := s.ticketPage(ctx, t)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, s.holderView(t, page, holderName))
	return nil
}

// ticketQR draws the ticket's code. A rotating ticket's code carries the
// current rotating code after the token, as a wallet would show it, so
// the picture admits only for the current step and RotatingSkewSteps
// around it: the client fetches it again every RotatingStep.
func (s *Server) ticketQR(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	t, err := s.holderTicket(r, p)
	if err != nil {
		return err
	}
	if err := requireValid(t); err != nil {
		return err
	}
	png, err := s.qrPNG(r.Context(), t)
	if err != nil {
		return err
	}
	writeCredential(w, "image/png", "", png)
	return nil
}

// qrPNG draws a valid ticket's code, with the current rotating code if
// its token needs one.
func (s *Server) qrPNG(ctx context.Context, t purchase.Ticket) ([]byte, error) {
	text := t.Token
	sc, err := ticketcrypto.ParseText(t.Token)
	if err != nil {
		return nil, fmt.Errorf("ticket %s: stored token: %w", t.ID, err)
	}
	if sc.Rotating() {
		key, err := s.Purchase.RotationKey(ctx, t.EventID)
		if err != nil {
			return nil, fmt.Errorf("ticket %s: rotation key: %w", t.ID, err)
		}
		text += key.Code(sc.Event, sc.Ticket, s.now())
	}
	var png bytes.Buffer
	if err := qr.PNG(text, qrPixelsPerModule, &png); err != nil {
		return nil, fmt.Errorf("ticket %s: %w", t.ID, err)
	}
	return png.Bytes(), nil
}

func (s *Server) ticketPKPass(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	if s.PassSigner == nil {
		return errNoAppleWallet
	}
	t, page, err := s.walletTicket(r, p)
	if err != nil {
		return err
	}
	pass, err := s.pkpass(t, page, p.User.Name)
	if err != nil {
		return err
	}
	writeCredential(w, "application/vnd.apple.pkpass", t.ID+".pkpass", pass)
	return nil
}

var errNoAppleWallet = &apiError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "Apple Wallet is not configured on this server"}

// pkpass builds a valid ticket's Apple Wallet pass.
func (s *Server) pkpass(t purchase.Ticket, page catalog.EventPage, holderName string) ([]byte, error) {
	if t.Rotating {
		return nil, rotatingUnsupported(t.ID)
	}
	e, v := page.Event, page.Venue
	pt := wallet.PassTicket{
		TicketID: t.ID, Token: t.Token,
		EventTitle: e.Title, VenueName: v.Name, VenueLat: v.Lat, VenueLon: v.Lon,
		Starts: e.StartsAt, Ends: e.EndsAt, TimeZone: e.TimeZone,
		HolderName: holderName,
	}
	if tt, ok := ticketTypeOf(page, t.TicketTypeID); ok {
		pt.TicketTypeName = tt.Name
	}
	pass, err := s.PassSigner.Build(pt)
	if errors.Is(err, wallet.ErrRotatingUnsupported) {
		// The token requires a rotating code though the stored ticket
		// does not say so; the token is what the gate reads.
		return nil, rotatingUnsupported(t.ID)
	}
	return pass, err
}

// walletTicket is one of the caller's valid tickets with its event page,
// for a wallet.
func (s *Server) walletTicket(r *http.Request, p *account.Principal) (purchase.Ticket, catalog.EventPage, error) {
	t, err := s.holderTicket(r, p)
	if err != nil {
		return t, catalog.EventPage{}, err
	}
	if err := requireValid(t); err != nil {
		return t, catalog.EventPage{}, err
	}
	page, err := s.ticketPage(r.Context(), t)
	return t, page, err
}

func rotatingUnsupported(ticketID string) error {
	return &apiError{status: http.StatusConflict, code: "rotating_unsupported",
		msg: "ticket " + ticketID + " requires a rotating code, which Apple Wallet cannot show; " +
			"add it to Google Wallet (GET /v1/tickets/" + ticketID + "/google-wallet) or show qr.png instead"}
}

func (s *Server) ticketGoogleWallet(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	if s.GoogleWallet == nil {
		return &apiError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "Google Wallet is not configured on this server"}
	}
	t, page, err := s.walletTicket(r, p)
	if err != nil {
		return err
	}
	org, err := s.Catalog.Org(r.Context(), page.Event.OrgID)
	if err != nil {
		return fmt.Errorf("ticket %s: organization %s: %v", t.ID, page.Event.OrgID, err)
	}
	e, v := page.Event, page.Venue
	gt := wallet.GoogleTicket{
		TicketID: t.ID, Token: t.Token,
		// One class per event and ticket type: what its tickets share.
		ClassSuffix: e.ID + "." + t.TicketTypeID,
		IssuerName:  org.Name,
		EventTitle:  e.Title, VenueName: v.Name, VenueAddress: venueAddress(v),
		DoorsOpen: e.DoorsAt, Starts: e.StartsAt, Ends: e.EndsAt, TimeZone: e.TimeZone,
		HolderName: p.User.Name,
	}
	if tt, ok := ticketTypeOf(page, t.TicketTypeID); ok {
		gt.TicketTypeName = tt.Name
	}
	// The token decides whether the gate wants a rotating code, so it
	// decides whether Google gets the ticket's secret.
	sc, err := ticketcrypto.ParseText(t.Token)
	if err != nil {
		return fmt.Errorf("ticket %s: stored token: %w", t.ID, err)
	}
	if sc.Rotating() {
		key, err := s.Purchase.RotationKey(r.Context(), t.EventID)
		if err != nil {
			return fmt.Errorf("ticket %s: rotation key: %w", t.ID, err)
		}
		gt.RotatingSecret = key.TicketSecret(sc.Event, sc.Ticket)
	}
	url, err := s.GoogleWallet.SaveURL(gt)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, googleWalletJSON{SaveURL: url})
	return nil
}

// venueAddress is the venue's street and city on one line.
func venueAddress(v catalog.Venue) string {
	var parts []string
	for _, s := range []string{v.Address, v.City, v.Country} {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// writeCredential sends a file that carries a ticket's token, which no
// cache may keep; filename, if set, suggests a download name.
func writeCredential(w http.ResponseWriter, contentType, filename string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if filename != "" {
		h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	}
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
