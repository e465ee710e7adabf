package errkind

import (
	"errors"
	"time"
)

// Kind is a class of error that callers tell apart. A Kind is itself an
// error, the one every sentinel of that kind wraps, so that
// errors.Is(err, errkind.NotFound) holds for any domain's not-found.
type Kind string

// The kinds. The comment says when an error is of the kind.
const (
	// NotFound: what was named does not exist (or is not shown to
	// this caller).
	NotFound Kind = "not found"
	// Exists: what was to be created is there already.
	Exists Kind = "already exists"
	// Invalid: input that is not accepted; see Field for the field.
	Invalid Kind = "invalid"
	// Conflict: a request that clashes with what is stored or with its
	// current state: sold out, a limit reached, a transition not allowed.
	Conflict Kind = "conflict"
	// Forbidden: the caller is known but may not do this, or no longer.
	Forbidden Kind = "forbidden"
	// Unauthorized: the caller is not known, or did not prove it is.
	Unauthorized Kind = "unauthorized"
	// Expired: the thing existed and is past its time.
	Expired Kind = "expired"
	// RateLimited: the caller asks too often; see RetryAfter.
	RateLimited Kind = "rate limited"
	// Busy: the service refuses work for a moment to protect itself;
	// an expected refusal, retried after a short wait.
	Busy Kind = "busy"
	// Unavailable: something the service needs (its database) is not
	// answering; unexpected, and the detail belongs in the log.
	Unavailable Kind = "unavailable"
	// NotConfigured: a feature this server was started without (no
	// payment provider); expected, and not retried until it is set up.
	NotConfigured Kind = "not configured"
	// Declined: a payment the card issuer refused.
	Declined Kind = "declined"
	// Unverified: a request whose proof of origin (a signature, a
	// signed timestamp) does not verify.
	Unverified Kind = "unverified"
	// Upstream: a service this one calls failed or could not be reached.
	Upstream Kind = "upstream failure"
)

func (k Kind) Error() string { return string(k) }

// Error is a sentinel error of a domain package: a Kind, a wire code
// and a text. Compare with errors.Is; never build one per call.
type Error struct {
	kind       Kind
	code       string
	text       string
	public     string
	retryAfter time.Duration
}

// New returns a sentinel of kind k whose wire code is code (e.g.
// "sold_out") and whose Error text is text.
func New(k Kind, code, text string) *Error {
	return &Error{kind: k, code: code, text: text}
}

// Hidden returns a sentinel like New's whose text is not for clients:
// they are told public instead, and the error (with whatever wraps it,
// such as a provider's own words) is logged.
func Hidden(k Kind, code, text, public string) *Error {
	return &Error{kind: k, code: code, text: text, public: public}
}

// WithRetryAfter returns a copy of e that tells clients to wait d before
// trying again.
func (e *Error) WithRetryAfter(d time.Duration) *Error {
	c := *e
	c.retryAfter = d
	return &c
}

func (e *Error) Error() string { return e.text }

// Unwrap returns e's Kind.
func (e *Error) Unwrap() error { return e.kind }

// Kind returns e's kind.
func (e *Error) Kind() Kind { return e.kind }

// Code returns e's wire code, e.g. "sold_out".
func (e *Error) Code() string { return e.code }

// Public returns what a client is told in place of the error's text, or
// "" if the text may be shown.
func (e *Error) Public() string { return e.public }

// RetryAfter returns how long a client should wait before trying again,
// or 0.
func (e *Error) RetryAfter() time.Duration { return e.retryAfter }

// Of returns the first sentinel of kind k in err's chain, in the order
// errors.As walks it.
func Of(err error, k Kind) (*Error, bool) {
	var found *Error
	walk(err, func(err error) bool {
		if e, ok := err.(*Error); ok && e.kind == k {
			found = e
			return true
		}
		return false
	})
	return found, found != nil
}

// Field returns the input field that err names: that of the first error
// in its chain with a method FieldName() string (as catalog.FieldError
// has), or "".
func Field(err error) string {
	var f interface{ FieldName() string }
	if errors.As(err, &f) {
		return f.FieldName()
	}
	return ""
}

// RetryAfter returns the first positive wait in err's chain, from any
// error with a method RetryAfter() time.Duration: a rate limit's time
// to the next allowed request, or a sentinel's WithRetryAfter. It
// returns 0 if there is none.
func RetryAfter(err error) time.Duration {
	var d time.Duration
	walk(err, func(err error) bool {
		if r, ok := err.(interface{ RetryAfter() time.Duration }); ok && r.RetryAfter() > 0 {
			d = r.RetryAfter()
			return true
		}
		return false
	})
	return d
}

// walk calls fn on err and the errors it wraps, depth first as errors.As
// does, until fn returns true.
func walk(err error, fn func(error) bool) bool {
	for err != nil {
		if fn(err) {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if walk(e, fn) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}
