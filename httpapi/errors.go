package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/admitone/admitone/internal/errkind"
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

// kindStatus maps each kind of domain error to its status. An error
// that wraps sentinels of several kinds is answered for the first kind
// listed here. unexpected: the error is logged as an error (the detail
// stays in the log, like a 500's).
var kindStatus = []struct {
	kind       errkind.Kind
	status     int
	unexpected bool
}{
	{errkind.RateLimited, http.StatusTooManyRequests, false},
	{errkind.Unavailable, http.StatusServiceUnavailable, true},
	{errkind.Invalid, http.StatusUnprocessableEntity, false},
	{errkind.Declined, http.StatusPaymentRequired, false},
	{errkind.Unverified, http.StatusBadRequest, false},
	{errkind.NotFound, http.StatusNotFound, false},
	{errkind.Upstream, http.StatusBadGateway, false},
	{errkind.Unauthorized, http.StatusUnauthorized, false},
	{errkind.Forbidden, http.StatusForbidden, false},
	{errkind.Busy, http.StatusServiceUnavailable, false},
	{errkind.NotConfigured, http.StatusServiceUnavailable, false},
	{errkind.Exists, http.StatusConflict, false},
	{errkind.Conflict, http.StatusConflict, false},
	{errkind.Expired, http.StatusGone, false},
}

// toAPIError maps domain errors to statuses by their errkind.Kind; the
// wire code, the field at fault and the wait come from the error.
// Unexpected errors become a 500 whose message says nothing about
// internals; the caller logs them, and the errors whose text is hidden
// from the client (hidden: a payment provider's, which carries dial
// errors, provider ids and its own words). The domain packages' errors
// are written for people and passed on.
func toAPIError(err error) (*apiError, bool) {
	ae, known := kindError(err)
	// An error that knows its wait (a rate limit, a busy hasher, an
	// unavailable database) says it in Retry-After, rounded up to whole
	// seconds.
	if d := errkind.RetryAfter(err); d > 0 && ae.retryAfter == 0 {
		withWait := *ae
		withWait.retryAfter = int((d + time.Second - 1) / time.Second)
		ae = &withWait
	}
	return ae, known
}

// kindError is toAPIError without the wait: a handler's own apiError,
// else the first kind of kindStatus that err wraps, else a 500.
func kindError(err error) (*apiError, bool) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae, true
	}
	for _, k := range kindStatus {
		e, ok := errkind.Of(err, k.kind)
		if !ok {
			continue
		}
		ae := &apiError{status: k.status, code: e.Code(), msg: err.Error(), field: errkind.Field(err)}
		if public := e.Public(); public != "" {
			// An unexpected error is logged as one anyway.
			ae.msg, ae.field, ae.hidden = public, "", !k.unexpected
		}
		return ae, !k.unexpected
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
