package desk

import (
	"context"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFeedSharesFigures: streams of one event woken together compute the
// figures once; a stream asking after that run started computes again.
func TestFeedSharesFigures(t *testing.T) {
	var f feed
	_, stop := f.subscribe("ev_1")
	defer stop()
	var runs atomic.Int32
	compute := func(context.Context) (Figures, error) {
		n := runs.Add(1)
		time.Sleep(20 * time.Millisecond)
		return Figures{Sold: int(n)}, nil
	}
	since := time.Now()
	var wg gosync.WaitGroup
	got := make([]int, 10)
	for i := range got {
		wg.Go(func() {
			fig, err := f.figures(t.Context(), "ev_1", since, compute)
			if err != nil {
				t.Error(err)
			}
			got[i] = fig.Sold
		})
	}
	wg.Wait()
	if runs.Load() != 1 {
		t.Fatalf("10 streams woken together computed %d times, want once", runs.Load())
	}
	for i, s := range got {
		if s != 1 {
			t.Errorf("stream %d got run %d's figures, want run 1's", i, s)
		}
	}
	fig, _ := f.figures(t.Context(), "ev_1", time.Now(), compute)
	if fig.Sold != 2 || runs.Load() != 2 {
		t.Errorf("a later wake got run %d's figures after %d runs, want a second run", fig.Sold, runs.Load())
	}
}
