package httpapi

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/purchase"
)

// rotationWire is GET /v1/tickets/{id}/rotation's answer.
type rotationWire struct {
	TicketID   string    `json:"ticket_id"`
	Secret     string    `json:"secret"`
	Digits     int       `json:"digits"`
	Period     int       `json:"period"`
	Algorithm  string    `json:"algorithm"`
	ValidUntil time.Time `json:"valid_until"`
}

func (h *harness) rotation(t *testing.T, ticketID, token string) rotationWire {
	t.Helper()
	res := h.do(t, "GET", "/v1/tickets/"+ticketID+"/rotation", token, nil)
	noStore(t, res)
	return decodeAs[rotationWire](t, res, http.StatusOK)
}

func TestTicketRotation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		tw := newTicketWorld(t, backend)
		h := tw.h
		path := func(id string) string { return "/v1/tickets/" + id + "/rotation" }

		t.Run("the holder's secret yields the code the gate accepts", func(t *testing.T) {
			got := h.rotation(t, tw.pitA.ID, tw.alice.Token)
			if got.TicketID != tw.pitA.ID || got.Digits != 6 || got.Period != 30 || got.Algorithm != "SHA1" || got.ValidUntil.IsZero() {
				t.Errorf("rotation = %+v, want ticket %s, 6 digits, 30 s, SHA1 and a validity end", got, tw.pitA.ID)
			}
			secret, err := base64.RawURLEncoding.DecodeString(got.Secret)
			if err != nil || len(secret) != 20 {
				t.Fatalf("secret %q: %d bytes, %v; want 20 bytes of unpadded base64url", got.Secret, len(secret), err)
			}
			key, err := h.purchase.RotationKey(t.Context(), tw.event.ID)
			if err != nil {
				t.Fatal(err)
			}
			tid, _ := ticketcrypto.ParseTicketID(tw.pitA.ID)
			for _, at := range []time.Time{h.clock.Now(), h.clock.Now().Add(17 * time.Minute)} {
				code := ticketcrypto.TOTP(secret, at, time.Duration(got.Period)*time.Second, got.Digits)
				if want := key.Code(tw.ev, tid, at); code != want {
					t.Errorf("at %v the device computes %s, the gate wants %s", at, code, want)
				}
				if err := key.VerifyCode(tw.ev, tid, code, at); err != nil {
					t.Errorf("the gate refuses the device's code: %v", err)
				}
			}
			// The check can fail: bob's ticket's code is another.
			bobTID, _ := ticketcrypto.ParseTicketID(tw.bobStanding.ID)
			if err := key.VerifyCode(tw.ev, bobTID, ticketcrypto.TOTP(secret, h.clock.Now(), ticketcrypto.RotatingStep, 6), h.clock.Now()); err == nil {
				t.Error("alice's secret makes codes for bob's ticket")
			}
		})

		t.Run("another account or an unknown ticket is not found", func(t *testing.T) {
			for _, id := range []string{tw.pitA.ID, "tk_000000000000000000000000", "nonsense"} {
				res := h.do(t, "GET", path(id), tw.bob.Token, nil).want(t, http.StatusNotFound)
				if e := res.apiErr(t); e.Code != "not_found" {
					t.Errorf("GET %s as bob: code %q, want not_found", path(id), e.Code)
				}
				if strings.Contains(string(res.body), "secret") {
					t.Errorf("GET %s as bob: body %s", path(id), res.body)
				}
			}
			h.do(t, "GET", path(tw.pitA.ID), "", nil).want(t, http.StatusUnauthorized)
		})

		t.Run("a static ticket has no rotating code", func(t *testing.T) {
			res := h.do(t, "GET", path(tw.standingA.ID), tw.alice.Token, nil).want(t, http.StatusConflict)
			if e := res.apiErr(t); e.Code != "not_rotating" {
				t.Errorf("code %q, want not_rotating", e.Code)
			}
		})

		t.Run("refunded ticket is gone", func(t *testing.T) {
			o, tickets := h.buyTickets(t, tw.alice, tw.event.ID, purchase.Line{TicketTypeID: tw.pit.ID, Quantity: 1})
			h.rotation(t, tickets[0].ID, tw.alice.Token)
			if _, err := h.purchase.Refund(t.Context(), o.ID); err != nil {
				t.Fatalf("Refund: %v", err)
			}
			res := h.do(t, "GET", path(tickets[0].ID), tw.alice.Token, nil).want(t, http.StatusGone)
			if e := res.apiErr(t); e.Code != "ticket_revoked" || !strings.Contains(e.Message, "refunded") {
				t.Errorf("error %+v, want ticket_revoked saying refunded", e)
			}
		})

		t.Run("transferred ticket is gone; the recipient's secret differs", func(t *testing.T) {
			_, tickets := h.buyTickets(t, tw.alice, tw.event.ID, purchase.Line{TicketTypeID: tw.pit.ID, Quantity: 1})
			before := h.rotation(t, tickets[0].ID, tw.alice.Token)
			moved := decodeAs[ticketJSON](t, h.do(t, "POST", "/v1/tickets/"+tickets[0].ID+"/transfer", tw.alice.Token,
				map[string]any{"to": tw.bob.Email}), http.StatusCreated)
			res := h.do(t, "GET", path(tickets[0].ID), tw.alice.Token, nil).want(t, http.StatusGone)
			if e := res.apiErr(t); e.Code != "ticket_transferred" {
				t.Errorf("error %+v, want ticket_transferred", e)
			}
			after := h.rotation(t, moved.ID, tw.bob.Token)
			if after.Secret == before.Secret || after.TicketID != moved.ID {
				t.Errorf("recipient's rotation %+v: want ticket %s with a secret other than the old one", after, moved.ID)
			}
			h.do(t, "GET", path(moved.ID), tw.alice.Token, nil).want(t, http.StatusNotFound)
		})
	})
}
