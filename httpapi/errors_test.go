package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/storage/storeerr"
	ticketsync "github.com/admitone/admitone/sync"
)

// TestToAPIError: every domain sentinel, wrapped with context as the
// services wrap it, gets the status, wire code, message, field,
// hidden-ness and Retry-After it got when httpapi named each sentinel
// in its own table (before the errkind vocabulary). The rows are that
// table's, in its order.
func TestToAPIError(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("reserve hld_0123: %w", err) }
	// A driver error marked unavailable, as storage/postgres marks it.
	dbDown := multiError{errors.New("dial tcp 127.0.0.1:5432: connection refused"), storeerr.ErrUnavailable}
	const internal = "internal error; it has been logged"
	tests := []struct {
		name   string
		err    error
		status int
		code   string
		msg    string // "" for the error's own text
		field  string
		hidden bool
		retry  int
		known  bool
	}{
		{"purchase.RateLimitError", wrap(&purchase.RateLimitError{PerMinute: 10, Wait: 1500 * time.Millisecond}), http.StatusTooManyRequests, "rate_limited", "", "", false, 2, true},
		{"storeerr.ErrUnavailable", fmt.Errorf("get event: %w", dbDown), http.StatusServiceUnavailable, "unavailable", "the database is not answering; try again in a few seconds", "", false, 5, false},
		{"catalog.FieldError", wrap(&catalog.FieldError{Field: "capacity", Message: "capacity must be positive"}), http.StatusUnprocessableEntity, "invalid", "", "capacity", false, 0, true},

		{"payment.ErrDeclined", wrap(payment.ErrDeclined), http.StatusPaymentRequired, "card_declined", "the card was declined; try another card", "", true, 0, true},
		{"payment.ErrBadSignature", wrap(payment.ErrBadSignature), http.StatusBadRequest, "bad_signature", "the webhook signature does not verify", "", true, 0, true},
		{"payment.ErrStaleWebhook", wrap(payment.ErrStaleWebhook), http.StatusBadRequest, "stale_webhook", "the webhook timestamp is outside the tolerance", "", true, 0, true},
		{"payment.ErrInvalid", wrap(payment.ErrInvalid), http.StatusUnprocessableEntity, "invalid", "the payment provider did not accept this payment; check the card and try again", "", true, 0, true},
		{"payment.ErrNotFound", wrap(payment.ErrNotFound), http.StatusNotFound, "not_found", "the payment provider has no record of this payment", "", true, 0, true},
		{"payment.ErrProvider", fmt.Errorf("stripe confirm: %w: %w", payment.ErrProvider, errors.New("dial tcp: refused")), http.StatusBadGateway, "payment_provider", "the payment provider could not be reached or failed; try again in a moment (a retry never charges twice)", "", true, 0, true},

		{"account.ErrUnauthorized", wrap(account.ErrUnauthorized), http.StatusUnauthorized, "unauthorized", "", "", false, 0, true},
		{"account.ErrBadLogin", wrap(account.ErrBadLogin), http.StatusUnauthorized, "bad_login", "", "", false, 0, true},
		{"account.ErrTOTPRequired", wrap(account.ErrTOTPRequired), http.StatusUnauthorized, "totp_required", "", "", false, 0, true},
		{"account.ErrBadTOTP", wrap(account.ErrBadTOTP), http.StatusUnauthorized, "bad_totp", "", "", false, 0, true},
		{"account.ErrBadPassword", wrap(account.ErrBadPassword), http.StatusForbidden, "bad_password", "", "", false, 0, true},
		{"account.ErrForbidden", wrap(account.ErrForbidden), http.StatusForbidden, "forbidden", "", "", false, 0, true},
		{"account.ErrRateLimited", &account.RetryError{Err: account.ErrRateLimited, What: "too many sign-ins", Wait: 3 * time.Second}, http.StatusTooManyRequests, "rate_limited", "", "", false, 3, true},
		{"account.ErrBusy", &account.RetryError{Err: account.ErrBusy, What: "no free hashing slot", Wait: time.Second}, http.StatusServiceUnavailable, "busy", "", "", false, 1, true},
		{"account.ErrExists", wrap(account.ErrExists), http.StatusConflict, "exists", "", "", false, 0, true},
		{"account.ErrNotFound", wrap(account.ErrNotFound), http.StatusNotFound, "not_found", "", "", false, 0, true},
		{"account.ErrInvalid", wrap(account.ErrInvalid), http.StatusUnprocessableEntity, "invalid", "", "", false, 0, true},
		{"catalog.ErrNotFound", wrap(catalog.ErrNotFound), http.StatusNotFound, "not_found", "", "", false, 0, true},
		{"catalog.ErrExists", wrap(catalog.ErrExists), http.StatusConflict, "exists", "", "", false, 0, true},
		{"catalog.ErrInvalid", wrap(catalog.ErrInvalid), http.StatusUnprocessableEntity, "invalid", "", "", false, 0, true},
		{"catalog.ErrState", wrap(catalog.ErrState), http.StatusConflict, "wrong_state", "", "", false, 0, true},
		{"purchase.ErrSoldOut", wrap(purchase.ErrSoldOut), http.StatusConflict, "sold_out", "", "", false, 0, true},
		{"purchase.ErrBuyerLimit", wrap(purchase.ErrBuyerLimit), http.StatusConflict, "buyer_limit", "", "", false, 0, true},
		{"purchase.ErrHoldLimit", wrap(purchase.ErrHoldLimit), http.StatusConflict, "hold_limit", "", "", false, 0, true},
		{"purchase.ErrNotOnSale", wrap(purchase.ErrNotOnSale), http.StatusConflict, "not_on_sale", "", "", false, 0, true},
		{"purchase.ErrExpired", wrap(purchase.ErrExpired), http.StatusGone, "expired", "", "", false, 0, true},
		{"purchase.ErrConflict", wrap(purchase.ErrConflict), http.StatusConflict, "conflict", "", "", false, 0, true},
		{"purchase.ErrState", wrap(purchase.ErrState), http.StatusConflict, "wrong_state", "", "", false, 0, true},
		{"purchase.ErrNotFound", wrap(purchase.ErrNotFound), http.StatusNotFound, "not_found", "", "", false, 0, true},
		{"purchase.ErrRefundClosed", wrap(purchase.ErrRefundClosed), http.StatusForbidden, "refund_closed", "", "", false, 0, true},
		{"purchase.ErrTicketUsed", wrap(purchase.ErrTicketUsed), http.StatusConflict, "ticket_used", "", "", false, 0, true},
		{"purchase.ErrTicketsLocked", wrap(purchase.ErrTicketsLocked), http.StatusForbidden, "tickets_locked", "", "", false, 0, true},
		{"purchase.ErrTransferred", wrap(purchase.ErrTransferred), http.StatusConflict, "ticket_transferred", "", "", false, 0, true},
		{"purchase.ErrNoPayments", wrap(purchase.ErrNoPayments), http.StatusServiceUnavailable, "payments_unavailable", "", "", false, 0, true},
		{"sync.ErrNotFound", wrap(ticketsync.ErrNotFound), http.StatusNotFound, "not_found", "", "", false, 0, true},
		{"sync.ErrExists", wrap(ticketsync.ErrExists), http.StatusConflict, "exists", "", "", false, 0, true},
		{"sync.ErrInvalid", wrap(ticketsync.ErrInvalid), http.StatusUnprocessableEntity, "invalid", "", "", false, 0, true},

		// Errors the old table did not name, which the handlers answer
		// themselves (gates.go, payments.go), stay unexpected here.
		{"sync.ErrExpired", wrap(ticketsync.ErrExpired), http.StatusInternalServerError, "internal", internal, "", false, 0, false},
		{"sync.ErrRevoked", wrap(ticketsync.ErrRevoked), http.StatusInternalServerError, "internal", internal, "", false, 0, false},
		{"sync.ErrTooManyConnections", wrap(ticketsync.ErrTooManyConnections), http.StatusInternalServerError, "internal", internal, "", false, 0, false},
		{"payment.ErrReplayedWebhook", wrap(payment.ErrReplayedWebhook), http.StatusInternalServerError, "internal", internal, "", false, 0, false},
		{"payment.ErrIgnoredEvent", wrap(payment.ErrIgnoredEvent), http.StatusInternalServerError, "internal", internal, "", false, 0, false},
		{"unknown", errors.New("disk on fire"), http.StatusInternalServerError, "internal", internal, "", false, 0, false},

		// An apiError a handler made passes through as it is.
		{"apiError", fmt.Errorf("pay: %w", &apiError{status: http.StatusConflict, code: "wrong_state", msg: "order is paid"}), http.StatusConflict, "wrong_state", "order is paid", "", false, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ae, known := toAPIError(tt.err)
			want := tt.msg
			if want == "" {
				want = tt.err.Error()
			}
			got := fmt.Sprintf("%d %s %q field=%q hidden=%v retry=%d known=%v", ae.status, ae.code, ae.msg, ae.field, ae.hidden, ae.retryAfter, known)
			wantS := fmt.Sprintf("%d %s %q field=%q hidden=%v retry=%d known=%v", tt.status, tt.code, want, tt.field, tt.hidden, tt.retry, tt.known)
			if got != wantS {
				t.Errorf("toAPIError(%v)\n got %s\nwant %s", tt.err, got, wantS)
			}
		})
	}
}

// multiError wraps several errors, as storage/postgres's unavailable
// error wraps the driver's and storeerr.ErrUnavailable.
type multiError []error

func (m multiError) Error() string   { return m[0].Error() }
func (m multiError) Unwrap() []error { return m }
