package purchase

import (
	"context"
	"fmt"
)

// MaxIdempotencyResponse bounds the answer an idempotency record keeps.
const MaxIdempotencyResponse = 64 << 10

// Idempotency is an idempotency record: the answer a request got, kept
// under the caller's key with a hash of the request, so that a retry with
// the key gets that answer again.
type Idempotency struct {
	Key         string
	RequestHash string
	Response    []byte
}

// check refuses a record a store must not keep.
func (r *Idempotency) check() error {
	switch {
	case r.Key == "" || r.RequestHash == "":
		return fmt.Errorf("idempotency record: the key and the request hash are required: %w", ErrInvalid)
	case len(r.Response) > MaxIdempotencyResponse:
		return fmt.Errorf("idempotency record: the response is %d bytes, over %d: %w", len(r.Response), MaxIdempotencyResponse, ErrInvalid)
	}
	return nil
}

// CheckIdempotency checks the record a hold or order carries (nil: none),
// for stores to call before they write it.
func CheckIdempotency(r *Idempotency) error {
	if r == nil {
		return nil
	}
	return r.check()
}

// Replayed is the error of Reserve and CreateOrder for a hold or order
// whose Idempotency key is stored already: nothing was stored, and Stored
// is the key's record. Its RequestHash may differ from the one given (the
// key was used for another request). It wraps ErrConflict.
type Replayed struct {
	Stored Idempotency
}

func (e *Replayed) Error() string { return "the idempotency key has a stored answer" }

func (e *Replayed) Unwrap() error { return ErrConflict }

// IdempotentRequest asks the Service calls that create a hold or an order
// (CreateHold, Checkout) to have the store keep the request's answer in
// the same transaction as what it creates, so a retry after a crash at any
// point gets the answer of the call that committed. Pass it with
// WithIdempotency.
type IdempotentRequest struct {
	// Key is the caller-scoped idempotency key, RequestHash a hash of
	// the request.
	Key, RequestHash string
	// Respond renders the answer from the Hold or Order created.
	Respond func(created any) ([]byte, error)

	recorded bool
}

// Recorded reports whether a call stored the record with what it created;
// when it did not, the caller stores the answer itself (PutIdempotent).
func (r *IdempotentRequest) Recorded() bool { return r.recorded }

type idempotencyKey struct{}

// WithIdempotency returns ctx carrying r for the Service calls made with
// it.
func WithIdempotency(ctx context.Context, r *IdempotentRequest) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, r)
}

// record renders the record of created for the request ctx carries: nil
// without one.
func record(ctx context.Context, created any) (*Idempotency, *IdempotentRequest, error) {
	r, _ := ctx.Value(idempotencyKey{}).(*IdempotentRequest)
	if r == nil || r.Respond == nil {
		return nil, nil, nil
	}
	resp, err := r.Respond(created)
	if err != nil {
		return nil, nil, fmt.Errorf("idempotency record: %w", err)
	}
	rec := &Idempotency{Key: r.Key, RequestHash: r.RequestHash, Response: resp}
	if err := rec.check(); err != nil {
		return nil, nil, err
	}
	return rec, r, nil
}

// Idempotent returns the answer stored under an Idempotency-Key (see
// Store.Idempotent), or ErrNotFound.
func (s *Service) Idempotent(ctx context.Context, key string) (requestHash string, response []byte, err error) {
	return s.Store.Idempotent(ctx, key)
}

// PutIdempotent stores the answer of a call that does not store it
// itself (release, pay, refund, transfer) under its Idempotency-Key; the
// first writer wins (see Store.PutIdempotent).
func (s *Service) PutIdempotent(ctx context.Context, key, requestHash string, response []byte) (existing []byte, conflict bool, err error) {
	return s.Store.PutIdempotent(ctx, key, requestHash, response)
}
