package notify

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/admitone/admitone/internal/logging"
)

// Worker defaults.
const (
	DefaultLease       = time.Minute
	DefaultMaxAttempts = 8
	DefaultBackoff     = 30 * time.Second
	MaxBackoff         = 6 * time.Hour
	DefaultPoll        = 5 * time.Second
)

// Worker sends the outbox's messages: it claims due messages (a lease,
// so another worker, or this one after a restart, takes a message over
// only once the lease runs out), sends each through its channel's
// Sender, and records the outcome. A failure is retried with
// exponential backoff (Backoff, doubled each attempt, at most
// MaxBackoff) until MaxAttempts claims; then the message is failed and
// logged. ErrGone (the subscription is gone) and ErrPermanent fail at
// once; ErrGone also deletes the subscription.
type Worker struct {
	Store   Store
	Senders map[string]Sender
	// Lease, MaxAttempts, Backoff and Poll: zero means the defaults.
	Lease       time.Duration
	MaxAttempts int
	Backoff     time.Duration
	Poll        time.Duration
	Now         func() time.Time
	Log         *slog.Logger
	// Outcome, if set, is told each send's outcome by channel:
	// OutcomeSent, OutcomeRetry or OutcomeFailed (syncserver counts
	// them for its metrics).
	Outcome func(channel, outcome string)
}

// The outcomes Worker.Outcome is told.
const (
	OutcomeSent   = "sent"
	OutcomeRetry  = "retry"
	OutcomeFailed = "failed"
)

func (w *Worker) tell(channel, outcome string) {
	if w.Outcome != nil {
		w.Outcome(channel, outcome)
	}
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func orDefault[T int | time.Duration](v, d T) T {
	if v <= 0 {
		return d
	}
	return v
}

// Run sends due messages every Poll until ctx is done.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(orDefault(w.Poll, DefaultPoll))
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			logging.OrDiscard(w.Log).Error("outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce claims and sends due messages until none is left, and returns
// how many it finished (sent or failed).
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	done := 0
	for {
		msgs, err := w.Store.Claim(ctx, w.now(), orDefault(w.Lease, DefaultLease), MaxClaim)
		if err != nil || len(msgs) == 0 {
			return done, err
		}
		retried := 0
		for i, m := range msgs {
			if ctx.Err() != nil {
				// Stopping: what is claimed and not sent is due again
				// at once, so a restarted server need not wait out the
				// lease.
				return done, w.release(msgs[i:])
			}
			// A message begun is finished and recorded even when ctx
			// ends meanwhile (the sender's own timeout bounds it):
			// stopped between the send and the record, it would be sent
			// again after the restart.
			finished, err := w.send(context.WithoutCancel(ctx), m)
			if err != nil {
				return done, err
			}
			if finished {
				done++
			} else {
				retried++
			}
		}
		if retried == len(msgs) {
			return done, nil // all due later
		}
	}
}

// send sends one claimed message and records what happened; it reports
// whether the message is finished.
func (w *Worker) send(ctx context.Context, m Message) (bool, error) {
	log := logging.OrDiscard(w.Log)
	s, ok := w.Senders[m.Channel]
	var err error
	if !ok {
		err = errors.New("no sender for channel " + m.Channel)
		err = errors.Join(err, ErrPermanent)
	} else {
		err = s.Send(ctx, m)
	}
	now := w.now()
	switch {
	case err == nil:
		w.tell(m.Channel, OutcomeSent)
		return true, w.Store.Finish(ctx, m.ID, StatusSent, now, time.Time{}, "")
	case errors.Is(err, ErrGone):
		w.tell(m.Channel, OutcomeFailed)
		log.Info("push subscription gone; removed", "subscription", m.Target, "message", m.ID)
		if derr := w.Store.DeleteSubscription(ctx, m.Target); derr != nil && !errors.Is(derr, ErrNotFound) {
			return false, derr
		}
		return true, w.Store.Finish(ctx, m.ID, StatusFailed, now, time.Time{}, cut(err.Error()))
	case errors.Is(err, ErrPermanent) || m.Attempts >= orDefault(w.MaxAttempts, DefaultMaxAttempts):
		w.tell(m.Channel, OutcomeFailed)
		log.Error("outbox message failed", "message", m.ID, "channel", m.Channel, "attempts", m.Attempts, "err", err)
		return true, w.Store.Finish(ctx, m.ID, StatusFailed, now, time.Time{}, cut(err.Error()))
	}
	next := now.Add(Backoff(orDefault(w.Backoff, DefaultBackoff), m.Attempts))
	w.tell(m.Channel, OutcomeRetry)
	log.Warn("outbox message retried", "message", m.ID, "attempts", m.Attempts, "next", next, "err", err)
	return false, w.Store.Finish(ctx, m.ID, StatusPending, now, next, cut(err.Error()))
}

// release makes claimed messages due again now, without waiting for
// their leases.
func (w *Worker) release(msgs []Message) error {
	now := w.now()
	var errs []error
	for _, m := range msgs {
		errs = append(errs, w.Store.Finish(context.Background(), m.ID, StatusPending, now, now, "released when the worker stopped"))
	}
	return errors.Join(errs...)
}

// Backoff is the wait after the attempts-th failed attempt: base,
// doubled for every attempt after the first, at most MaxBackoff.
func Backoff(base time.Duration, attempts int) time.Duration {
	d := base
	for i := 1; i < attempts && d < MaxBackoff; i++ {
		d *= 2
	}
	return min(d, MaxBackoff)
}

func cut(s string) string { return FinishText(s) }
