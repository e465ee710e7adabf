package postgres

import (
	"context"
	gosync "sync"
	"time"
)

// batcher is a group commit queue (see doc.go): one goroutine, started
// on first use, takes the first queued request, gathers more for up to
// delay after it or until their weights reach max, and hands the group
// to run, which must answer every request of it. close stops it after
// every queued request has been handed over, and waits for wait.
type batcher[R request] struct {
	delay time.Duration
	max   int
	run   func(group []R)
	// wait, if set, is waited for by close, after the last group: work
	// run left running.
	wait func()

	start  gosync.Once
	mu     gosync.RWMutex // guards closed against sends on a closed queue
	closed bool
	queue  chan R
	exited chan struct{}
}

// request is what a batcher queues: its weight counts against max, and
// done closes once it is answered.
type request interface {
	weight() int
	answered() <-chan struct{}
}

// do queues r and waits for its answer. If ctx ends first it returns
// ctx's error, and r may or may not be carried out.
func (b *batcher[R]) do(ctx context.Context, r R) error {
	b.start.Do(func() {
		b.queue = make(chan R, 4096)
		b.exited = make(chan struct{})
		go b.loop()
	})
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return errClosed
	}
	select {
	case b.queue <- r:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case <-r.answered():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *batcher[R]) loop() {
	defer close(b.exited)
	timer := time.NewTimer(0)
	<-timer.C
	for first := range b.queue {
		group, n := []R{first}, first.weight()
		timer.Reset(b.delay)
	gather:
		for n < b.max {
			select {
			case r, ok := <-b.queue:
				if !ok {
					break gather
				}
				group, n = append(group, r), n+r.weight()
			case <-timer.C:
				break gather
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		b.run(group)
	}
	if b.wait != nil {
		b.wait()
	}
}

func (b *batcher[R]) close() {
	b.mu.Lock()
	wasClosed := b.closed
	b.closed = true
	b.mu.Unlock()
	b.start.Do(func() {})
	if wasClosed || b.queue == nil {
		return
	}
	close(b.queue)
	<-b.exited
}
