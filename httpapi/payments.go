package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/purchase"
)

// Paying an order: POST /v1/orders/{id}/pay creates (or finds again, by
// the order's idempotency key at the provider) a payment intent for the
// order's total and hands its client secret to the buyer, whose client
// confirms it with the provider (Stripe.js); card data never reaches this
// server. The provider's payment_intent.succeeded event, not the client,
// fulfils the order: HandlePaymentEvent marks it paid, which issues its
// tickets. With the built-in test provider the request may name a test
// card instead, and the server confirms the intent on the client's
// behalf, so the whole purchase works with no outside service.

// testConfirmer is what the test provider adds to payment.Provider.
type testConfirmer interface {
	Confirm(ctx context.Context, intentID, card string) (payment.Intent, error)
	CompleteAction(ctx context.Context, intentID string) (payment.Intent, error)
}

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
	Provider     string         `json:"provider"`
	IntentID     string         `json:"intent_id"`
	Status       payment.Status `json:"status"`
	ClientSecret string         `json:"client_secret,omitempty"`
}

// orderView is an order with its tickets and, while it is being paid, its
// payment.
type orderView struct {
	Order   purchase.Order `json:"order"`
	Tickets []ticketJSON   `json:"tickets"`
	Payment *paymentView   `json:"payment,omitempty"`
}

// freeIntentPrefix marks orders of total zero, paid without a provider.
const freeIntentPrefix = "free_"

// errNoPayments answers what would take money on a server without a
// payment provider.
var errNoPayments = &apiError{status: http.StatusServiceUnavailable, code: "payments_unavailable",
	msg: "this server takes no payments; priced tickets cannot be sold (free tickets can)"}

func (s *Server) payments() (payment.Provider, error) {
	if s.Payments == nil {
		return nil, errNoPayments
	}
	return s.Payments, nil
}

// requirePayments refuses lines of an event that cost money when the
// server has no payment provider, so nothing is held or ordered that
// could never be paid. With a provider it does nothing.
func (s *Server) requirePayments(ctx context.Context, eventID string, lines []purchase.Line) error {
	if s.Payments != nil {
		return nil
	}
	page, err := s.Catalog.EventPage(ctx, eventID)
	if err != nil {
		return nil // the purchase service reports an unknown event
	}
	for _, l := range lines {
		for _, t := range page.TicketTypes {
			if t.ID == l.TicketTypeID && t.Price.Amount != 0 {
				return errNoPayments
			}
		}
	}
	return nil
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
	ctx := r.Context()
	o, err := svc.Order(ctx, r.PathValue("id"), p.User.ID)
	if err != nil {
		return err
	}
	switch o.Status {
	case purchase.StatusPaid:
		return s.writeOrder(w, r, p.User.ID, http.StatusOK, o, nil)
	case purchase.StatusPendingPayment:
	default:
		return &apiError{status: http.StatusConflict, code: "wrong_state", msg: fmt.Sprintf("order %s is %s and cannot be paid", o.ID, o.Status)}
	}
	if o.Free() {
		paid, err := svc.MarkPaid(ctx, o.ID, freeIntentPrefix+o.ID)
		if err != nil {
			return err
		}
		return s.writeOrder(w, r, p.User.ID, http.StatusOK, paid, nil)
	}
	prov, err := s.payments()
	if err != nil {
		return err
	}
	in, err := prov.CreateIntent(ctx, o.ID, o.Total.Amount, o.Total.Currency, "order-"+o.ID)
	if err != nil {
		return err
	}
	if req.TestCard != "" || req.CompleteAction {
		tc, ok := prov.(testConfirmer)
		if !ok {
			return fieldError("test_card", "test_card and complete_action work with the test payment provider only; confirm the intent with its client_secret")
		}
		if req.CompleteAction {
			in, err = tc.CompleteAction(ctx, in.ID)
		} else {
			in, err = tc.Confirm(ctx, in.ID, req.TestCard)
		}
		if err != nil {
			return err
		}
	}
	// The test provider delivers its events synchronously, so a
	// succeeded intent has paid the order by now; Stripe's webhook comes
	// later.
	if o, err = svc.Order(ctx, o.ID, p.User.ID); err != nil {
		return err
	}
	view := &paymentView{Provider: prov.Name(), IntentID: in.ID, Status: in.Status, ClientSecret: in.ClientSecret}
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
// or an organizer of the event's org (any time). The money goes back
// through the provider first, by the order's refund idempotency key, so
// a retry after a failure neither refunds twice nor leaves tickets valid
// for money returned.
func (s *Server) refundOrder(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.purchases()
	if err != nil {
		return err
	}
	ctx := r.Context()
	o, err := svc.Store.Order(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	by := purchase.RefundByBuyer
	if orgID, err := s.Catalog.EventOrg(ctx, o.EventID); err == nil && s.requireOrg(ctx, p, orgID) == nil {
		by = purchase.RefundByOrganizer
	} else if o.BuyerID != p.User.ID {
		return fmt.Errorf("order %s: %w", o.ID, purchase.ErrNotFound)
	}
	if err := svc.CheckRefund(ctx, o, p.User.ID, by); err != nil {
		return err
	}
	if o.Status != purchase.StatusPaid && o.Status != purchase.StatusRefunded {
		return &apiError{status: http.StatusConflict, code: "wrong_state", msg: fmt.Sprintf("order %s is %s; only a paid order is refunded (cancel an unpaid one)", o.ID, o.Status)}
	}
	if o.Status == purchase.StatusPaid {
		if err := s.refundPayment(ctx, o); err != nil {
			return err
		}
	}
	refunded, err := svc.Refund(ctx, o.ID)
	if err != nil {
		return err
	}
	s.Log.Info("order refunded", "order", o.ID, "event", o.EventID, "by", p.User.ID, "organizer", by == purchase.RefundByOrganizer)
	return s.writeOrder(w, r, p.User.ID, http.StatusOK, refunded, nil)
}

// refundPayment returns a paid order's money through the provider, by
// the order's refund idempotency key, so a retry never refunds twice. A
// free order has nothing to return.
func (s *Server) refundPayment(ctx context.Context, o purchase.Order) error {
	if o.Free() || isFree(o.PaymentIntentID) {
		return nil
	}
	prov, err := s.payments()
	if err != nil {
		return err
	}
	_, err = prov.Refund(ctx, o.PaymentIntentID, 0, "refund-"+o.ID)
	return err
}

func isFree(intentID string) bool {
	return len(intentID) >= len(freeIntentPrefix) && intentID[:len(freeIntentPrefix)] == freeIntentPrefix
}

// HandlePaymentEvent applies a payment provider's event to its order. A
// succeeded payment for the order's exact total pays it (issuing its
// tickets); one that arrives after the order was cancelled (its payment
// deadline passed and its tickets went back on sale) is refunded in full,
// so no money is kept for nothing. A full refund made at the provider
// (the dashboard) refunds the order and revokes its tickets. The test
// provider calls it directly; Stripe's events come through the webhook.
// It is idempotent: providers deliver events at least once.
func (s *Server) HandlePaymentEvent(ctx context.Context, ev payment.Event) error {
	if s.Purchase == nil {
		return errors.New("payment event: purchasing is not available on this server")
	}
	if ev.OrderID == "" {
		s.Log.Warn("payment event without an order id ignored", "event", ev.ID, "type", ev.Type, "intent", ev.IntentID)
		return nil
	}
	o, err := s.Purchase.Store.Order(ctx, ev.OrderID)
	if errors.Is(err, purchase.ErrNotFound) {
		s.Log.Warn("payment event for an unknown order ignored", "event", ev.ID, "order", ev.OrderID)
		return nil
	}
	if err != nil {
		return err
	}
	switch ev.Type {
	case payment.EventPaymentSucceeded:
		if ev.Amount != o.Total.Amount || ev.Currency != o.Total.Currency {
			s.Log.Error("payment does not match the order's total; not fulfilled", "event", ev.ID, "order", o.ID,
				"paid", ev.Amount, "currency", ev.Currency, "total", o.Total.Amount, "total_currency", o.Total.Currency)
			return nil
		}
		_, err := s.Purchase.MarkPaid(ctx, o.ID, ev.IntentID)
		if errors.Is(err, purchase.ErrState) || errors.Is(err, purchase.ErrConflict) {
			// Cancelled meanwhile, or paid twice by two intents: give this
			// payment back.
			s.Log.Warn("payment for an order that cannot take it; refunding", "order", o.ID, "intent", ev.IntentID, "err", err)
			if s.Payments == nil {
				return fmt.Errorf("refund intent %s of order %s: no payment provider", ev.IntentID, o.ID)
			}
			_, rerr := s.Payments.Refund(ctx, ev.IntentID, 0, "unfulfilled-"+ev.IntentID)
			return rerr
		}
		return err
	case payment.EventChargeRefunded:
		if o.Status != purchase.StatusPaid || ev.IntentID != o.PaymentIntentID || ev.Amount < o.Total.Amount {
			return nil // partial refunds leave the tickets valid
		}
		_, err := s.Purchase.Refund(ctx, o.ID)
		return err
	case payment.EventPaymentFailed:
		s.Log.Info("payment declined", "order", o.ID, "intent", ev.IntentID)
	}
	return nil
}

// webhookForgetter is a verifier that can forget an event id so that
// the provider's retry of an event we failed to process is accepted.
type webhookForgetter interface {
	ForgetWebhook(eventID string) error
}

// stripeWebhook receives Stripe's events. Only a request whose signature
// verifies under the webhook secret, signed within the tolerance and not
// seen before, is processed; a duplicate delivery is acknowledged without
// processing it again.
func (s *Server) stripeWebhook(w http.ResponseWriter, r *http.Request, _ *account.Principal) error {
	if s.Webhooks == nil {
		return &apiError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "Stripe webhooks are not configured on this server"}
	}
	body, err := readBody(w, r, payment.DefaultMaxWebhookBytes)
	if err != nil {
		return err
	}
	ev, err := s.Webhooks.ParseWebhook(body, r.Header, s.now())
	switch {
	case errors.Is(err, payment.ErrReplayedWebhook):
		writeJSON(w, http.StatusOK, map[string]any{"received": true, "duplicate": true})
		return nil
	case errors.Is(err, payment.ErrIgnoredEvent):
		writeJSON(w, http.StatusOK, map[string]any{"received": true, "ignored": true})
		return nil
	case err != nil:
		return err
	}
	if err := s.HandlePaymentEvent(r.Context(), ev); err != nil {
		if f, ok := s.Webhooks.(webhookForgetter); ok {
			if ferr := f.ForgetWebhook(ev.ID); ferr != nil {
				s.Log.Error("forget webhook event", "event", ev.ID, "err", ferr)
			}
		}
		return fmt.Errorf("webhook event %s: %w", ev.ID, err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"received": true})
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
		return &apiError{status: http.StatusUnprocessableEntity, code: "invalid", field: "to", msg: "to: no account has this email; the recipient must sign up first"}
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
	res, err := svc.CancelEventOrders(ctx, eventID, s.refundPayment)
	if err != nil {
		return err
	}
	s.Log.Info("event cancelled", "event", eventID, "by", p.User.ID, "refunded", res.Refunded, "cancelled", res.Cancelled)
	writeJSON(w, http.StatusOK, eventCancelled{Event: ev, EventCancellation: res})
	return nil
}
