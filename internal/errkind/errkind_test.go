package errkind_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/errkind"
)

var (
	errSoldOut = errkind.New(errkind.Conflict, "sold_out", "sold out")
	errGone    = errkind.New(errkind.NotFound, "not_found", "not found")
	errDown    = errkind.Hidden(errkind.Unavailable, "unavailable", "database unavailable", "try again").WithRetryAfter(5 * time.Second)
	errInvalid = errkind.New(errkind.Invalid, "invalid", "invalid")
	errTooMany = errkind.New(errkind.RateLimited, "rate_limited", "too many")
)

// fieldError names a field, as catalog.FieldError does.
type fieldError struct{ field string }

func (e *fieldError) Error() string     { return "invalid: " + e.field }
func (e *fieldError) Unwrap() error     { return errInvalid }
func (e *fieldError) FieldName() string { return e.field }

// waitError knows its wait, as a rate limit does.
type waitError struct{ d time.Duration }

func (e *waitError) Error() string             { return "slow down" }
func (e *waitError) Unwrap() error             { return errTooMany }
func (e *waitError) RetryAfter() time.Duration { return e.d }

// joined wraps several errors, as errors.Join does.
type joined []error

func (j joined) Error() string   { return "joined" }
func (j joined) Unwrap() []error { return j }

func TestSentinel(t *testing.T) {
	err := fmt.Errorf("reserve hld_1: %w", errSoldOut)
	if !errors.Is(err, errSoldOut) || !errors.Is(err, errkind.Conflict) {
		t.Errorf("%v: want it to be errSoldOut and errkind.Conflict", err)
	}
	if errors.Is(err, errkind.NotFound) || errors.Is(err, errGone) {
		t.Errorf("%v: is not found too", err)
	}
	if got, want := err.Error(), "reserve hld_1: sold out"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := errSoldOut.Kind(); got != errkind.Conflict {
		t.Errorf("Kind() = %v", got)
	}
	if got := errSoldOut.Code(); got != "sold_out" {
		t.Errorf("Code() = %q", got)
	}
	if got := errSoldOut.Public(); got != "" {
		t.Errorf("Public() of a shown error = %q", got)
	}
	if got := errDown.Public(); got != "try again" {
		t.Errorf("Public() of a hidden error = %q", got)
	}
	if got := errDown.Error(); got != "database unavailable" {
		t.Errorf("Error() of a hidden error = %q, want its own text", got)
	}
	// Two sentinels of one kind and code are still two errors.
	other := errkind.New(errkind.Conflict, "sold_out", "sold out")
	if errors.Is(other, errSoldOut) {
		t.Error("a sentinel made alike is the same error")
	}
}

func TestWithRetryAfterCopies(t *testing.T) {
	base := errkind.New(errkind.Busy, "busy", "busy")
	waited := base.WithRetryAfter(time.Second)
	if base.RetryAfter() != 0 || waited.RetryAfter() != time.Second {
		t.Errorf("RetryAfter: base %v, copy %v; want 0 and 1s", base.RetryAfter(), waited.RetryAfter())
	}
	if errors.Is(waited, base) || !errors.Is(waited, errkind.Busy) {
		t.Error("the copy is not a new sentinel of the same kind")
	}
}

func TestOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		kind errkind.Kind
		want *errkind.Error // nil: none
	}{
		{"bare", errSoldOut, errkind.Conflict, errSoldOut},
		{"wrapped", fmt.Errorf("a: %w", fmt.Errorf("b: %w", errSoldOut)), errkind.Conflict, errSoldOut},
		{"other kind", fmt.Errorf("a: %w", errSoldOut), errkind.NotFound, nil},
		{"second of a join", joined{errors.New("x"), fmt.Errorf("y: %w", errGone)}, errkind.NotFound, errGone},
		{"each kind of two", fmt.Errorf("%w: %w", errSoldOut, errGone), errkind.NotFound, errGone},
		{"first of one kind", joined{errSoldOut, errkind.New(errkind.Conflict, "conflict", "conflict")}, errkind.Conflict, errSoldOut},
		{"nil", nil, errkind.Conflict, nil},
		{"plain", errors.New("x"), errkind.Conflict, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := errkind.Of(tt.err, tt.kind)
			if got != tt.want || ok != (tt.want != nil) {
				t.Errorf("Of(%v, %v) = %v, %v; want %v", tt.err, tt.kind, got, ok, tt.want)
			}
		})
	}
}

func TestField(t *testing.T) {
	if got := errkind.Field(fmt.Errorf("create: %w", &fieldError{"capacity"})); got != "capacity" {
		t.Errorf("Field = %q, want capacity", got)
	}
	if got := errkind.Field(fmt.Errorf("create: %w", errSoldOut)); got != "" {
		t.Errorf("Field of an error without a field = %q", got)
	}
	if !errors.Is(&fieldError{"x"}, errkind.Invalid) {
		t.Error("field error is not Invalid")
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want time.Duration
	}{
		{"none", fmt.Errorf("a: %w", errSoldOut), 0},
		{"sentinel's", fmt.Errorf("a: %w", errDown), 5 * time.Second},
		{"error's own", fmt.Errorf("a: %w", &waitError{1500 * time.Millisecond}), 1500 * time.Millisecond},
		{"outer first", &waitError{time.Second}, time.Second},
		{"zero skipped", joined{&waitError{0}, errDown}, 5 * time.Second},
		{"nil", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errkind.RetryAfter(tt.err); got != tt.want {
				t.Errorf("RetryAfter(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func ExampleOf() {
	errSoldOut := errkind.New(errkind.Conflict, "sold_out", "sold out")
	err := fmt.Errorf("reserve hld_1: %w", errSoldOut)
	if e, ok := errkind.Of(err, errkind.Conflict); ok {
		fmt.Println(e.Code(), "-", err)
	}
	// Output: sold_out - reserve hld_1: sold out
}
