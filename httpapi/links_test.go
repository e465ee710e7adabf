package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/wallet"
)

// linkWire is POST /v1/tickets/{id}/links's answer.
type linkWire struct {
	URL       string    `json:"url"`
	Token     string    `json:"token"`
	QRURL     string    `json:"qr_url"`
	PassURL   string    `json:"pass_url"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (h *harness) newLink(t *testing.T, ticketID, bearer string) linkWire {
	t.Helper()
	res := h.do(t, "POST", "/v1/tickets/"+ticketID+"/links", bearer, nil)
	noStore(t, res)
	return decodeAs[linkWire](t, res, http.StatusCreated)
}

// device is a phone without a bearer token: it keeps the cookies the
// server sets on it.
type phoneClient struct {
	h       *harness
	cookies []*http.Cookie
}

func (d *phoneClient) get(t *testing.T, path string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", d.h.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range d.cookies {
		req.AddCookie(c)
	}
	res := d.h.send(t, req)
	d.cookies = append(d.cookies, (&http.Response{Header: res.header}).Cookies()...)
	return res
}

func wantLinkErr(t *testing.T, res response, status int, code string) {
	t.Helper()
	res.want(t, status)
	if e := res.apiErr(t); e.Code != code {
		t.Errorf("error %+v, want code %s", e, code)
	}
	if strings.Contains(string(res.body), "AT1:") {
		t.Errorf("refusal carries a token: %s", res.short())
	}
}

func TestTicketLinks(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		tw := newTicketWorld(t, backend)
		h := tw.h

		t.Run("opens once, on one device", func(t *testing.T) {
			l := h.newLink(t, tw.standingA.ID, tw.alice.Token)
			if !strings.HasPrefix(l.Token, purchase.LinkTokenPrefix) || l.URL != "/app/ticket.html?link="+l.Token ||
				l.QRURL != "/v1/links/"+l.Token+"/qr.png" || !l.ExpiresAt.Equal(h.clock.Now().Add(purchase.DefaultLinkTTL).Truncate(time.Microsecond)) {
				t.Errorf("link %+v, want a token, its page, QR and a week's expiry", l)
			}
			phone := &phoneClient{h: h}
			res := phone.get(t, "/v1/links/"+l.Token)
			noStore(t, res)
			got := decodeAs[ticketWire](t, res, http.StatusOK)
			if got.ID != tw.standingA.ID || got.Token == nil || *got.Token != tw.standingA.Token {
				t.Fatalf("link opened: ticket %s, token %v; want %s with its token", got.ID, got.Token, tw.standingA.ID)
			}
			if len(phone.cookies) != 1 || phone.cookies[0].Name != deviceCookie || !phone.cookies[0].HttpOnly {
				t.Fatalf("cookies %+v, want one HttpOnly device cookie", phone.cookies)
			}
			// The same device again, and its QR code.
			decodeAs[ticketWire](t, phone.get(t, "/v1/links/"+l.Token), http.StatusOK)
			qr := phone.get(t, l.QRURL).want(t, http.StatusOK)
			noStore(t, qr)
			if text := decodeQR(t, qr); text != tw.standingA.Token {
				t.Errorf("QR through the link = %q, want the token", text)
			}
			if len(phone.cookies) != 1 {
				t.Errorf("the device got another cookie: %+v", phone.cookies)
			}
			// Another device, with or without a cookie of its own.
			other := &phoneClient{h: h}
			wantLinkErr(t, other.get(t, "/v1/links/"+l.Token), http.StatusGone, "link_used")
			wantLinkErr(t, other.get(t, l.QRURL), http.StatusGone, "link_used")
			wantLinkErr(t, (&phoneClient{h: h}).get(t, l.QRURL), http.StatusGone, "link_used")
		})

		t.Run("pass through the link", func(t *testing.T) {
			l := h.newLink(t, tw.standingA.ID, tw.alice.Token)
			res := (&phoneClient{h: h}).get(t, l.PassURL).want(t, http.StatusOK)
			if err := wallet.VerifyManifest(res.body); err != nil {
				t.Fatalf("pass through the link: %v", err)
			}
		})

		t.Run("expired", func(t *testing.T) {
			l := h.newLink(t, tw.standingA.ID, tw.alice.Token)
			h.clock.Advance(purchase.DefaultLinkTTL + time.Second)
			t.Cleanup(func() { h.clock.Advance(-purchase.DefaultLinkTTL - time.Second) })
			wantLinkErr(t, (&phoneClient{h: h}).get(t, "/v1/links/"+l.Token), http.StatusGone, "link_expired")
		})

		t.Run("revoked by the holder", func(t *testing.T) {
			l := h.newLink(t, tw.pitA.ID, tw.alice.Token)
			phone := &phoneClient{h: h}
			phone.get(t, "/v1/links/"+l.Token).want(t, http.StatusOK)
			h.do(t, "DELETE", "/v1/tickets/"+tw.pitA.ID+"/links", tw.bob.Token, nil).want(t, http.StatusNotFound)
			phone.get(t, "/v1/links/"+l.Token).want(t, http.StatusOK)
			got := decodeAs[linksRevokedJSON](t, h.do(t, "DELETE", "/v1/tickets/"+tw.pitA.ID+"/links", tw.alice.Token, nil), http.StatusOK)
			if got.Revoked < 1 {
				t.Errorf("revoked %d links, want at least 1", got.Revoked)
			}
			wantLinkErr(t, phone.get(t, "/v1/links/"+l.Token), http.StatusGone, "link_revoked")
		})

		t.Run("revoked with the ticket", func(t *testing.T) {
			o, refunded := h.buyTickets(t, tw.alice, tw.event.ID, purchase.Line{TicketTypeID: tw.standing.ID, Quantity: 1})
			_, moved := h.buyTickets(t, tw.alice, tw.event.ID, purchase.Line{TicketTypeID: tw.standing.ID, Quantity: 1})
			lr, lm := h.newLink(t, refunded[0].ID, tw.alice.Token), h.newLink(t, moved[0].ID, tw.alice.Token)
			phone := &phoneClient{h: h}
			phone.get(t, "/v1/links/"+lr.Token).want(t, http.StatusOK)
			if _, err := h.purchase.Refund(t.Context(), o.ID); err != nil {
				t.Fatal(err)
			}
			h.do(t, "POST", "/v1/tickets/"+moved[0].ID+"/transfer", tw.alice.Token, map[string]any{"to": tw.bob.Email}).want(t, http.StatusCreated)
			wantLinkErr(t, phone.get(t, "/v1/links/"+lr.Token), http.StatusGone, "ticket_revoked")
			wantLinkErr(t, phone.get(t, lr.QRURL), http.StatusGone, "ticket_revoked")
			wantLinkErr(t, phone.get(t, "/v1/links/"+lm.Token), http.StatusGone, "ticket_transferred")
			// No new link for a ticket that no longer admits.
			wantLinkErr(t, h.do(t, "POST", "/v1/tickets/"+refunded[0].ID+"/links", tw.alice.Token, nil), http.StatusGone, "ticket_revoked")
		})

		t.Run("only the holder makes links", func(t *testing.T) {
			h.do(t, "POST", "/v1/tickets/"+tw.standingA.ID+"/links", tw.bob.Token, nil).want(t, http.StatusNotFound)
			h.do(t, "POST", "/v1/tickets/"+tw.standingA.ID+"/links", "", nil).want(t, http.StatusUnauthorized)
		})

		t.Run("forged or mangled tokens", func(t *testing.T) {
			l := h.newLink(t, tw.standingA.ID, tw.alice.Token)
			flip := []byte(l.Token)
			if flip[10] == 'A' {
				flip[10] = 'B'
			} else {
				flip[10] = 'A'
			}
			for token, code := range map[string]string{
				string(flip): "link_not_found",
				purchase.LinkTokenPrefix + strings.Repeat("A", 43): "link_not_found",
				l.Token[:len(l.Token)-1]:                           "link_invalid",
				l.Token + "A":                                      "link_invalid",
				"aotx_" + l.Token[5:]:                              "link_invalid",
				purchase.LinkTokenPrefix + strings.Repeat("!", 43): "link_invalid",
			} {
				res := (&phoneClient{h: h}).get(t, "/v1/links/"+token)
				wantLinkErr(t, res, http.StatusNotFound, code)
				if e := res.apiErr(t); !strings.Contains(e.Message, "link") {
					t.Errorf("token %q: message %q does not say what is wrong", token, e.Message)
				}
			}
		})
	})
}

func FuzzParseLinkToken(f *testing.F) {
	f.Add(purchase.LinkTokenPrefix + strings.Repeat("A", 43))
	f.Add(purchase.LinkTokenPrefix + strings.Repeat("_", 42) + "8")
	f.Add("aotl_")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		hash, err := purchase.ParseLinkToken(s)
		if err != nil {
			if hash != "" {
				t.Fatalf("%q: error %v with hash %q", s, err, hash)
			}
			return
		}
		if len(hash) != 64 || len(s) != purchase.LinkTokenLen || !strings.HasPrefix(s, purchase.LinkTokenPrefix) {
			t.Fatalf("%q accepted with hash %q", s, hash)
		}
		// One hash, one token: no two spellings of one secret.
		if again, _ := purchase.ParseLinkToken(s); again != hash {
			t.Fatalf("%q: hash %q then %q", s, hash, again)
		}
	})
}
