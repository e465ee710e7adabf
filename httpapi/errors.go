package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/payment"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/storage/storeerr"
	ticketsync "github.com/admitone/admitone/sync"
)

// apiError is an error with its HTTP status and wire code.
type apiError struct {
	status int
	code   string
	msg    string
	field  string
	// hidden: msg replaces the error's own text, which came from
	// outside (a payment provider) or names internals; the server logs
	// it.
	hidden bool
	// retryAfter, in seconds, is sent as Retry-After when positive.
	retryAfter int
}

func (e *apiError) Error() string { return e.msg }

// errorBody is the wire form of every error: {"error":{"code","message"}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// toAPIError maps domain errors to statuses. Unexpected errors become a
// 500 whose message says nothing about internals; the caller logs them,
// and the errors whose text is hidden from the client (hidden: a payment
// provider's, which carries dial errors, provider ids and its own words).
// The domain packages' errors are written for people and passed on.
func toAPIError(err error) (*apiError, bool) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae, true
	}
	var rl *purchase.RateLimitError
	if errors.As(err, &rl) {
		return &apiError{status: http.StatusTooManyRequests, code: "rate_limited", msg: err.Error()}, true
	}
	if errors.Is(err, storeerr.ErrUnavailable) {
		// Not known: the detail is logged, the client is told to retry.
		return &apiError{status: http.StatusServiceUnavailable, code: "unavailable",
			msg: "the database is not answering; try again in a few seconds", retryAfter: 5}, false
	}
	var fe *catalog.FieldError
	if errors.As(err, &fe) {
		return &apiError{status: http.StatusUnprocessableEntity, code: "invalid", msg: err.Error(), field: fe.Field}, true
	}
	// Payment errors first: an error that wraps one carries the
	// provider's text, so the client gets a message of ours.
	for _, t := range []struct {
		target    error
		status    int
		code, msg string
	}{
		{payment.ErrDeclined, http.StatusPaymentRequired, "card_declined", "the card was declined; try another card"},
		{payment.ErrBadSignature, http.StatusBadRequest, "bad_signature", "the webhook signature does not verify"},
		{payment.ErrStaleWebhook, http.StatusBadRequest, "stale_webhook", "the webhook timestamp is outside the tolerance"},
		{payment.ErrInvalid, http.StatusUnprocessableEntity, "invalid", "the payment provider did not accept this payment; check the card and try again"},
		{payment.ErrNotFound, http.StatusNotFound, "not_found", "the payment provider has no record of this payment"},
		{payment.ErrProvider, http.StatusBadGateway, "payment_provider", "the payment provider could not be reached or failed; try again in a moment (a retry never charges twice)"},
	} {
		if errors.Is(err, t.target) {
			return &apiError{status: t.status, code: t.code, msg: t.msg, hidden: true}, true
		}
	}
	table := []struct {
		target error
		status int
		code   string
	}{
		{account.ErrUnauthorized, http.StatusUnauthorized, "unauthorized"},
		{account.ErrBadLogin, http.StatusUnauthorized, "bad_login"},
		{account.ErrTOTPRequired, http.StatusUnauthorized, "totp_required"},
		{account.ErrBadTOTP, http.StatusUnauthorized, "bad_totp"},
		{account.ErrBadPassword, http.StatusForbidden, "bad_password"},
		{account.ErrForbidden, http.StatusForbidden, "forbidden"},
		{account.ErrRateLimited, http.StatusTooManyRequests, "rate_limited"},
		{account.ErrBusy, http.StatusServiceUnavailable, "busy"},
		{account.ErrExists, http.StatusConflict, "exists"},
		{account.ErrNotFound, http.StatusNotFound, "not_found"},
		{account.ErrInvalid, http.StatusUnprocessableEntity, "invalid"},
		{catalog.ErrNotFound, http.StatusNotFound, "not_found"},
		{catalog.ErrExists, http.StatusConflict, "exists"},
		{catalog.ErrInvalid, http.StatusUnprocessableEntity, "invalid"},
		{catalog.ErrState, http.StatusConflict, "wrong_state"},
		{purchase.ErrSoldOut, http.StatusConflict, "sold_out"},
		{purchase.ErrBuyerLimit, http.StatusConflict, "buyer_limit"},
		{purchase.ErrHoldLimit, http.StatusConflict, "hold_limit"},
		{purchase.ErrNotOnSale, http.StatusConflict, "not_on_sale"},
		{purchase.ErrExpired, http.StatusGone, "expired"},
		{purchase.ErrConflict, http.StatusConflict, "conflict"},
		{purchase.ErrState, http.StatusConflict, "wrong_state"},
		{purchase.ErrNotFound, http.StatusNotFound, "not_found"},
		{purchase.ErrRefundClosed, http.StatusForbidden, "refund_closed"},
		{purchase.ErrTicketUsed, http.StatusConflict, "ticket_used"},
		{purchase.ErrTicketsLocked, http.StatusForbidden, "tickets_locked"},
		{purchase.ErrTransferred, http.StatusConflict, "ticket_transferred"},
		{purchase.ErrNoPayments, http.StatusServiceUnavailable, "payments_unavailable"},
		{ticketsync.ErrNotFound, http.StatusNotFound, "not_found"},
		{ticketsync.ErrExists, http.StatusConflict, "exists"},
		{ticketsync.ErrInvalid, http.StatusUnprocessableEntity, "invalid"},
	}
	for _, t := range table {
		if errors.Is(err, t.target) {
			return &apiError{status: t.status, code: t.code, msg: err.Error()}, true
		}
	}
	return &apiError{status: http.StatusInternalServerError, code: "internal", msg: "internal error; it has been logged"}, false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(emptyLists(v)) // lists are [] even when empty
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="admitone"`)
	}
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	writeJSON(w, e.status, errorBody{Error: errorDetail{Code: e.code, Message: e.msg, Field: e.field}})
}
