package scanner

import "testing"

func TestFeed(t *testing.T) {
	var f Feed
	a, b := f.Subscribe(2), f.Subscribe(1)
	if f.Subscribers() != 2 {
		t.Fatalf("subscribers = %d, want 2", f.Subscribers())
	}
	f.Publish(Result{Verdict: Accepted, TicketID: "1"})
	f.Publish(Result{Verdict: AlreadyUsed, TicketID: "1"})
	// a has room for both; b keeps the first and loses the second.
	for _, want := range []Verdict{Accepted, AlreadyUsed} {
		if got := (<-a.C).Verdict; got != want {
			t.Errorf("a got %s, want %s", got, want)
		}
	}
	if got := (<-b.C).Verdict; got != Accepted {
		t.Errorf("b got %s, want accepted", got)
	}
	if a.Dropped() != 0 || b.Dropped() != 1 {
		t.Errorf("dropped a=%d b=%d, want 0 and 1", a.Dropped(), b.Dropped())
	}
	b.Close()
	b.Close()
	if _, open := <-b.C; open {
		t.Error("b.C still open after Close")
	}
	f.Publish(Result{Verdict: Revoked}) // must not panic on the closed subscriber
	if got := (<-a.C).Verdict; got != Revoked {
		t.Errorf("a got %s after b closed, want revoked", got)
	}
	var none *Feed
	none.Publish(Result{}) // a nil feed is a no-op
}
