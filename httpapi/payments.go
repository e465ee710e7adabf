package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/purchase"
)

// Paying an order: POST /v1/orders/{id}/pay hands the buyer a payment
// intent's client secret (purchase.Service.Pay), whose client confirms
// it with the provider (Stripe.js); card data never reaches this server.
// The provider's payment_intent.succeeded event, not the client, fulfils
// the order (purchase.Service.HandlePaymentEvent). With the built-in test
// provider the request may name a test card instead, and the server
// confirms the intent on the client's behalf, so the whole purchase works
// with no outside service.

type payRequest struct {
	// TestCard confirms the intent with a test card (test provider only).
	TestCard string `json:"test_card"`
	// CompleteAction passes the authentication a test card asked for
	// (test provider only).
	CompleteAction bool `json:"complete_action"`
}

// paymentView is the payment part of a pay answer. ClientSecret goes to
// the paying buyer only.
type paymentView struct {
	Provider     string                 `json:"provider"`
	IntentID     string                 `json:"intent_id"`
	Status       purchase.PaymentStatus `json:"status"`
	ClientSecret string                 `json:"client_secret,omitempty"`
}

// orderView is an order with its tickets and, while it is being paid, its
// payment.
type orderView struct {
	Order   purchase.Order `json:"order"`
	Tickets []ticketJSON   `json:"tickets"`
	Payment *paymentView   `json:"payment,omitempty"`
}

func (s *Server) payOrder(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.purchases()
	if err != nil {
		return err
	}
	var req payRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	o, pay, err := svc.Pay(r.Context(), r.PathValue("id"), p.User.ID, purchase.TestCard{Card: req.TestCard, CompleteAction: req.CompleteAction})
	if err != nil {
		return err
	}
	if pay == nil {
		return s.writeOrder(w, r, p.User.ID, http.StatusOK, o, nil)
	}
	view := &paymentView{Provider: pay.Provider, IntentID: pay.IntentID, Status: pay.Status, ClientSecret: pay.ClientSecret}
	if o.Status == purchase.StatusPaid {
		return s.writeOrder(w, r, p.User.ID, http.StatusOK, o, view)
	}
	return s.writeOrder(w, r, p.User.ID, http.StatusAccepted, o, view)
}

// writeOrder answers with an order, its tickets (tokens only of those
// the viewer holds) and its payment.
func (s *Server) writeOrder(w http.ResponseWriter, r *http.Request, viewer string, status int, o purchase.Order, pay *paymentView) error {
	tickets, err := s.Purchase.OrderTickets(r.Context(), o.ID, viewer)
	if err != nil {
		return err
	}
	view := orderView{Order: o, Tickets: make([]ticketJSON, len(tickets)), Payment: pay}
	if len(tickets) > 0 {
		page, err := s.ticketPage(r.Context(), tickets[0])
		if err != nil {
			return err
		}
		for i, t := range tickets {
			view.Tickets[i] = ticketView(t, page)
		}
	}
	writeJSON(w, status, view)
	return nil
}

// refundOrder refunds a paid order: its buyer (until the refund cutoff)
// or an organizer of the event's org (any time); see
// purchase.Service.RefundOrder.
func (s *Server) refundOrder(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.purchases()
	if err != nil {
		return err
	}
	organizer := func(ctx context.Context, eventID string) bool {
		orgID, err := s.Catalog.EventOrg(ctx, eventID)
		return err == nil && s.requireOrg(ctx, p, orgID) == nil
	}
	refunded, err := svc.RefundOrder(r.Context(), r.PathValue("id"), p.User.ID, organizer)
	if err != nil {
		return err
	}
	return s.writeOrder(w, r, p.User.ID, http.StatusOK, refunded, nil)
}

// stripeWebhook receives Stripe's events. Only a request whose signature
// verifies under the webhook secret, signed within the tolerance and not
// seen before, is processed; a duplicate delivery is acknowledged without
// processing it again.
func (s *Server) stripeWebhook(w http.ResponseWriter, r *http.Request, _ *account.Principal) error {
	if s.Webhooks == nil {
		return &apiError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "Stripe webhooks are not configured on this server"}
	}
	svc, err := s.purchases()
	if err != nil {
		return err
	}
	body, err := readBody(w, r, purchase.MaxWebhookBytes)
	if err != nil {
		return err
	}
	got, err := svc.ReceiveWebhook(r.Context(), s.Webhooks, body, r.Header, s.now())
	switch {
	case err != nil:
		s.alertPaymentWebhook(r.Context(), err)
		return err
	case got.Duplicate:
		writeJSON(w, http.StatusOK, map[string]any{"received": true, "duplicate": true})
	case got.Ignored:
		writeJSON(w, http.StatusOK, map[string]any{"received": true, "ignored": true})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"received": true})
	}
	return nil
}

type transferRequest struct {
	// To is the recipient's account email.
	To string `json:"to"`
}

// transferTicket gives one of the caller's tickets to another account:
// the recipient gets a newly signed ticket and the caller's is revoked.
func (s *Server) transferTicket(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.purchases()
	if err != nil {
		return err
	}
	var req transferRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.To == "" {
		return fieldError("to", "to (the recipient's email) is required")
	}
	to, err := s.Accounts.UserByEmail(r.Context(), req.To)
	if errors.Is(err, account.ErrNotFound) {
		msg := "to: no account has this email; the recipient must sign up first"
		if invited, err := s.inviteTicketRecipient(r, p, req.To); err != nil { // mail.go
			return err
		} else if invited {
			msg += " (an invitation to sign up was mailed to them; send the ticket again once they have)"
		}
		return &apiError{status: http.StatusUnprocessableEntity, code: "invalid", field: "to", msg: msg}
	}
	if err != nil {
		return err
	}
	next, err := svc.Transfer(r.Context(), r.PathValue("id"), p.User.ID, to.ID)
	if err != nil {
		return err
	}
	page, err := s.ticketPage(r.Context(), next)
	if err != nil {
		return err
	}
	view := ticketView(next, page) // without its token: Transfer keeps the recipient's credential from the sender
	writeJSON(w, http.StatusCreated, view)
	return nil
}

type eventCancelled struct {
	Event catalog.Event `json:"event"`
	purchase.EventCancellation
}

// cancelEvent cancels an event (organizers): it leaves sale and search,
// every paid order is refunded through the payment provider and its
// tickets are revoked (gates learn of it through the change log), and
// every order awaiting payment is cancelled. Calling it again finishes
// what a failure interrupted.
func (s *Server) cancelEvent(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.purchases()
	if err != nil {
		return err
	}
	eventID, err := s.requireEventOrg(r, p)
	if err != nil {
		return err
	}
	ctx := r.Context()
	ev, err := s.Catalog.Event(ctx, eventID)
	if err != nil {
		return err
	}
	if ev.Status != catalog.StatusCancelled {
		if ev, err = s.Catalog.Cancel(ctx, eventID); err != nil {
			return err
		}
	}
	res, err := svc.CancelEvent(ctx, eventID)
	if err != nil {
		return err
	}
	s.Log.Info("event cancelled", "event", eventID, "by", p.User.ID, "refunded", res.Refunded, "cancelled", res.Cancelled)
	writeJSON(w, http.StatusOK, eventCancelled{Event: ev, EventCancellation: res})
	return nil
}
