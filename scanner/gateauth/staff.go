package gateauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// ErrWrongPIN is returned for a PIN that is not the staff PIN.
var ErrWrongPIN = errors.New("wrong PIN")

// RetryError refuses a sign-in until Wait has passed: too many wrong PINs
// from the client's address or from everywhere.
type RetryError struct{ Wait time.Duration }

func (e *RetryError) Error() string {
	return fmt.Sprintf("too many wrong PINs; try again in %v", e.Wait)
}

// Staff signs staff in with the gate's PIN. Create it with NewStaff.
type Staff struct {
	// Dir is the data directory holding PINFile, read at each sign-in.
	Dir      string
	Sessions Sessions
	Limiter  Limiter
	Log      *slog.Logger
	Now      func() time.Time

	hashing chan struct{} // one PIN check at a time: a Pi's memory
}

// NewStaff returns the staff sign-in of the gate whose data directory is
// dir.
func NewStaff(dir string, log *slog.Logger) *Staff {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Staff{Dir: dir, Log: log, Now: time.Now, hashing: make(chan struct{}, 1)}
}

// SignIn checks pin for a client at remote (the request's remote
// address) and opens a session. It returns ErrWrongPIN, a *RetryError
// while the client must wait, ErrPINNotSet, or ctx's error if ctx ends
// while another PIN is being checked. Failures are logged with the
// client's address, never the PIN.
func (st *Staff) SignIn(ctx context.Context, remote, pin string) (string, Session, error) {
	select {
	case st.hashing <- struct{}{}:
	case <-ctx.Done():
		return "", Session{}, ctx.Err()
	}
	defer func() { <-st.hashing }()
	addr := AddrKey(remote)
	if wait := st.Limiter.Wait(addr, st.Now()); wait > 0 {
		wait = (wait + time.Second - 1).Truncate(time.Second)
		st.Log.Warn("staff sign-in refused: too many wrong PINs", "remote", addr, "retry_after", wait)
		return "", Session{}, &RetryError{Wait: wait}
	}
	h, err := ReadPIN(st.Dir)
	if err != nil {
		st.Log.Error("staff sign-in impossible", "err", err)
		return "", Session{}, err
	}
	if len(pin) > MaxPINLen || !h.Verify(pin) {
		st.Limiter.Fail(addr, st.Now())
		st.Log.Warn("staff sign-in failed: wrong PIN", "remote", addr)
		return "", Session{}, ErrWrongPIN
	}
	st.Limiter.Forgive(addr)
	id, sess := st.Sessions.New(st.Now())
	st.Log.Info("staff signed in", "remote", addr, "expires", sess.Expires.UTC().Format(time.RFC3339))
	return id, sess, nil
}
