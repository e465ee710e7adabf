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
// 500 whose message says nothing about internals; the caller logs them.
func toAPIError(err error) (*apiError, bool) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae, true
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
	table := []struct {
		target error
		status int
		code   string
	}{
		{account.ErrUnauthorized, http.StatusUnauthorized, "unauthorized"},
		{account.ErrBadLogin, http.StatusUnauthorized, "bad_login"},
		{account.ErrTOTPRequired, http.StatusUnauthorized, "totp_required"},
		{account.ErrBadTOTP, http.StatusUnauthorized, "bad_totp"},
		{account.ErrForbidden, http.StatusForbidden, "forbidden"},
		{account.ErrRateLimited, http.StatusTooManyRequests, "rate_limited"},
		{account.ErrExists, http.StatusConflict, "exists"},
		{account.ErrNotFound, http.StatusNotFound, "not_found"},
		{account.ErrInvalid, http.StatusUnprocessableEntity, "invalid"},
		{catalog.ErrNotFound, http.StatusNotFound, "not_found"},
		{catalog.ErrExists, http.StatusConflict, "exists"},
		{catalog.ErrInvalid, http.StatusUnprocessableEntity, "invalid"},
		{catalog.ErrState, http.StatusConflict, "wrong_state"},
		{purchase.ErrSoldOut, http.StatusConflict, "sold_out"},
		{purchase.ErrBuyerLimit, http.StatusConflict, "buyer_limit"},
		{purchase.ErrNotOnSale, http.StatusConflict, "not_on_sale"},
		{purchase.ErrExpired, http.StatusGone, "expired"},
		{purchase.ErrConflict, http.StatusConflict, "conflict"},
		{purchase.ErrState, http.StatusConflict, "wrong_state"},
		{purchase.ErrNotFound, http.StatusNotFound, "not_found"},
		{purchase.ErrRefundClosed, http.StatusForbidden, "refund_closed"},
		{payment.ErrDeclined, http.StatusPaymentRequired, "card_declined"},
		{payment.ErrBadSignature, http.StatusBadRequest, "bad_signature"},
		{payment.ErrStaleWebhook, http.StatusBadRequest, "stale_webhook"},
		{payment.ErrInvalid, http.StatusUnprocessableEntity, "invalid"},
		{payment.ErrNotFound, http.StatusNotFound, "not_found"},
		{payment.ErrProvider, http.StatusBadGateway, "payment_provider"},
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
	json.NewEncoder(w).Encode(v)
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
