package gateapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/admitone/admitone/scanner"
)

// readBody reads a request body of at most limit bytes, answering 413
// only to a body over the limit and 400 to one cut short.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return body, true
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body is larger than %d bytes", limit))
	case errors.Is(err, io.ErrUnexpectedEOF):
		writeError(w, http.StatusBadRequest, "incomplete_body", "request body is incomplete: it ended before the length its Content-Length header declared")
	default:
		writeError(w, http.StatusBadRequest, "incomplete_body", "could not read the request body: the connection failed or timed out while sending it")
	}
	return nil, false
}

func (a *Server) storeFailure(w http.ResponseWriter, err error) {
	if errors.Is(err, scanner.ErrDirection) {
		writeError(w, http.StatusUnprocessableEntity, "direction_not_allowed", err.Error())
		return
	}
	if errors.Is(err, scanner.ErrNotConfigured) {
		writeError(w, http.StatusServiceUnavailable, "not_configured", err.Error())
		return
	}
	if a.Metrics != nil {
		a.Metrics.Errors.WithLabelValues("store").Inc()
	}
	if a.Log != nil {
		a.Log.Error("scan failed", "err", err)
	}
	writeError(w, http.StatusInternalServerError, "store_failed", "the check-in could not be recorded; do not admit")
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
