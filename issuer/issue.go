package issuer

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	ticketcrypto "github.com/admitone/admitone/crypto"
)

// MaxCount bounds the tickets of one Issue call: a million signed tokens
// take about 200 MB of memory.
const MaxCount = 1_000_000

// IssueOptions are the optional properties of issued tickets.
type IssueOptions struct {
	// ValidFrom and ValidUntil bound when the tickets admit; zero is
	// unbounded. They are stored with minute precision (see crypto.Token).
	ValidFrom  time.Time
	ValidUntil time.Time
	// Rotating makes the tickets require a rotating code, computed from
	// the event's rotation key (see crypto.RotationKey).
	Rotating bool
}

// Issue signs count tickets of one type for an event with random ticket
// ids. It signs on all CPUs; a hundred thousand tickets take seconds.
func Issue(key ticketcrypto.PrivateKey, ev ticketcrypto.EventID, typ uint16, count int, opts IssueOptions) ([]ticketcrypto.SignedToken, error) {
	if count < 1 || count > MaxCount {
		return nil, fmt.Errorf("issue: count %d outside 1..%d", count, MaxCount)
	}
	if ev.IsZero() {
		return nil, errors.New("issue: event id is missing")
	}
	tmpl := ticketcrypto.Token{Event: ev, TypeNumber: typ, ValidFrom: opts.ValidFrom, ValidUntil: opts.ValidUntil}
	if opts.Rotating {
		tmpl.Flags |= ticketcrypto.FlagRotating
	}
	out := make([]ticketcrypto.SignedToken, count)
	// The first signature checks the template (key, validity window); the
	// others differ from it only in the random ticket id.
	sign := func(i int) error {
		t := tmpl
		t.Ticket = ticketcrypto.NewTicketID()
		st, err := ticketcrypto.Sign(key, t)
		if err != nil {
			return fmt.Errorf("issue: %w", err)
		}
		out[i] = st
		return nil
	}
	if err := sign(0); err != nil {
		return nil, err
	}
	workers := min(runtime.GOMAXPROCS(0), count-1)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			// Worker w signs tickets 1+w, 1+w+workers, ...
			for i := 1 + w; i < count; i += workers {
				if err := sign(i); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
