package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/purchase"
)

// MaxIdempotencyKey bounds an Idempotency-Key header.
const MaxIdempotencyKey = 255

// handlerFunc is a route handler as the route table holds it.
type handlerFunc = func(*Server, http.ResponseWriter, *http.Request, *account.Principal) error

// storedResponse is what an idempotent request answered.
type storedResponse struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body,omitempty"`
}

// idempotent makes a mutating purchase route honour an Idempotency-Key
// header: the first successful answer is stored under (caller, key) with
// a hash of the request; a repeat with the same key and the same request
// gets that answer again without doing anything, and the same key with a
// different request is refused with 422. Failed requests are not stored
// (they changed nothing), so a retry after an error runs again.
//
// The routes that create a hold or an order (purchase.Service.CreateHold
// and Checkout) have the store keep the answer in the same transaction as
// what they create (purchase.WithIdempotency), so a retry after a crash at
// any point gets the answer of the request that committed, and of
// concurrent requests with one key only one creates anything. Their
// answer is 201 with the created hold or order, as createHold and
// checkout write it. The other routes store their answer after it is
// done; each is safe to run again (see purchase/doc.go, "Idempotency").
func idempotent(h handlerFunc) handlerFunc {
	return func(s *Server, w http.ResponseWriter, r *http.Request, p *account.Principal) error {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			return h(s, w, r, p)
		}
		if len(key) > MaxIdempotencyKey || !printableASCII(key) {
			return fieldError("Idempotency-Key", fmt.Sprintf("Idempotency-Key must be 1 to %d printable ASCII characters", MaxIdempotencyKey))
		}
		svc, err := s.purchases()
		if err != nil {
			return err
		}
		body, err := readBody(w, r, MaxBody)
		if err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256([]byte(r.Method + " " + r.URL.Path + "\n" + string(body)))
		hash := hex.EncodeToString(sum[:])
		// Keys are per caller. Neither a user id nor a key has a space
		// (the key is printable ASCII without one), so the two cannot
		// run into each other, and PostgreSQL's text takes it (it
		// refuses NUL).
		scoped := p.User.ID + " " + key

		storedHash, resp, err := svc.Idempotent(r.Context(), scoped)
		switch {
		case err == nil:
			return answerStored(w, hash, storedHash, resp)
		case !errors.Is(err, purchase.ErrNotFound):
			return err
		}

		req := &purchase.IdempotentRequest{Key: scoped, RequestHash: hash, Respond: func(created any) ([]byte, error) {
			body, err := json.Marshal(created)
			if err != nil {
				return nil, err
			}
			return json.Marshal(storedResponse{Status: http.StatusCreated, Body: body})
		}}
		rec := &recorder{header: http.Header{}}
		if err := h(s, rec, r.WithContext(purchase.WithIdempotency(r.Context(), req)), p); err != nil {
			var replayed *purchase.Replayed
			if errors.As(err, &replayed) {
				return answerStored(w, hash, replayed.Stored.RequestHash, replayed.Stored.Response)
			}
			// A concurrent request with this key may have committed
			// first and made this one fail (the hold it orders is
			// ordered now): its answer is this request's too.
			if storedHash, resp, lerr := svc.Idempotent(r.Context(), scoped); lerr == nil {
				return answerStored(w, hash, storedHash, resp)
			}
			return err
		}
		if rec.status >= 300 || req.Recorded() {
			return replayRecorded(w, rec)
		}
		stored, err := json.Marshal(storedResponse{Status: rec.status, Body: bytes.TrimSpace(rec.body.Bytes())})
		if err != nil {
			return err
		}
		if _, conflict, err := svc.PutIdempotent(r.Context(), scoped, hash, stored); err != nil {
			return err
		} else if conflict {
			// A concurrent request with this key and another body stored
			// its answer first; ours was done too, and is answered.
			s.log().Warn("idempotency key reused concurrently with different requests", "route", r.Method+" "+r.URL.Path)
		}
		return replayRecorded(w, rec)
	}
}

// answerStored answers with a stored idempotency record: its response if
// it was stored for this request (hash), else 422.
func answerStored(w http.ResponseWriter, hash, storedHash string, resp []byte) error {
	if storedHash != hash {
		return idempotencyConflict()
	}
	return replay(w, resp)
}

func idempotencyConflict() error {
	return &apiError{status: http.StatusUnprocessableEntity, code: "idempotency_conflict",
		msg: "this Idempotency-Key was used with a different request; use a new key"}
}

func replay(w http.ResponseWriter, raw []byte) error {
	var sr storedResponse
	if err := json.Unmarshal(raw, &sr); err != nil {
		return fmt.Errorf("stored idempotent response: %w", err)
	}
	w.Header().Set("Idempotent-Replayed", "true")
	if len(sr.Body) == 0 {
		w.WriteHeader(sr.Status)
		return nil
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(sr.Status)
	w.Write(append(sr.Body, '\n'))
	return nil
}

func replayRecorded(w http.ResponseWriter, rec *recorder) error {
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	w.Write(rec.body.Bytes())
	return nil
}

// recorder buffers a handler's answer so it can be stored before it is
// sent.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
