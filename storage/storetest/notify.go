package storetest

import (
	"bytes"
	"fmt"
	gosync "sync"
	"testing"
	"time"

	"github.com/admitone/admitone/notify"
)

// RunNotify runs the notify.Store conformance subtests: push
// subscriptions and the outbox. open returns a new, empty store for each
// subtest.
func RunNotify(t *testing.T, open func(t *testing.T) notify.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s notify.Store)
	}{
		{"Subscriptions", testSubscriptions},
		{"Subscriptions/SameEndpoint", testSubscriptionSameEndpoint},
		{"Outbox/EnqueueOnce", testOutboxEnqueueOnce},
		{"Outbox/ClaimLease", testOutboxClaimLease},
		{"Outbox/Finish", testOutboxFinish},
		{"Outbox/Invalid", testOutboxInvalid},
		{"Concurrent/Claim", testConcurrentClaim},
		{"Unsubscribed", testUnsubscribed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

func pushSub(id, user, endpoint string, days int) notify.Subscription {
	return notify.Subscription{ID: id, UserID: user, Endpoint: endpoint,
		P256dh: append([]byte{4}, bytes.Repeat([]byte{byte(len(id))}, 64)...), Auth: bytes.Repeat([]byte{7}, 16), CreatedAt: when(days)}
}

func storedSub(s notify.Subscription) notify.Subscription {
	s.CreatedAt = stored(s.CreatedAt)
	return s
}

func testSubscriptions(t *testing.T, s notify.Store) {
	ctx := t.Context()
	a := pushSub("ps_a", "usr_1", "https://push.example/a", 1)
	b := pushSub("ps_b", "usr_1", "https://push.example/b", 0)
	c := pushSub("ps_c", "usr_2", "https://push.example/c", 0)
	for _, sub := range []notify.Subscription{a, b, c} {
		got, err := s.PutSubscription(ctx, sub)
		must(t, "PutSubscription", err)
		equal(t, "PutSubscription", got, storedSub(sub))
	}
	got, err := s.Subscriptions(ctx, "usr_1")
	must(t, "Subscriptions", err)
	equal(t, "Subscriptions, oldest first", got, []notify.Subscription{storedSub(b), storedSub(a)})
	one, err := s.Subscription(ctx, "ps_c")
	must(t, "Subscription", err)
	equal(t, "Subscription", one, storedSub(c))
	none, err := s.Subscriptions(ctx, "usr_none")
	must(t, "Subscriptions of nobody", err)
	equal(t, "Subscriptions of nobody", none, []notify.Subscription(nil))

	must(t, "DeleteSubscription", s.DeleteSubscription(ctx, "ps_a"))
	is(t, "DeleteSubscription again", s.DeleteSubscription(ctx, "ps_a"), notify.ErrNotFound)
	_, err = s.Subscription(ctx, "ps_a")
	is(t, "Subscription deleted", err, notify.ErrNotFound)
	got, err = s.Subscriptions(ctx, "usr_1")
	must(t, "Subscriptions", err)
	equal(t, "Subscriptions after delete", got, []notify.Subscription{storedSub(b)})
	// The endpoint is free again.
	a2 := pushSub("ps_a2", "usr_1", "https://push.example/a", 2)
	got2, err := s.PutSubscription(ctx, a2)
	must(t, "PutSubscription of a deleted endpoint", err)
	equal(t, "PutSubscription of a deleted endpoint", got2, storedSub(a2))

	bad := pushSub("ps_x", "usr_1", "https://push.example/x", 0)
	bad.Auth = nil
	_, err = s.PutSubscription(ctx, bad)
	is(t, "PutSubscription without auth", err, notify.ErrInvalid)
}

func testSubscriptionSameEndpoint(t *testing.T, s notify.Store) {
	ctx := t.Context()
	first := pushSub("ps_1", "usr_1", "https://push.example/device", 0)
	_, err := s.PutSubscription(ctx, first)
	must(t, "PutSubscription", err)
	again := pushSub("ps_2", "usr_2", "https://push.example/device", 3)
	again.Auth = bytes.Repeat([]byte{9}, 16)
	got, err := s.PutSubscription(ctx, again)
	must(t, "PutSubscription of a known endpoint", err)
	want := storedSub(first)
	want.UserID, want.Auth = "usr_2", again.Auth
	equal(t, "the endpoint's subscription, moved to the new user and keys", got, want)
	old, err := s.Subscriptions(ctx, "usr_1")
	must(t, "Subscriptions", err)
	equal(t, "the old user's subscriptions", old, []notify.Subscription(nil))
	now, err := s.Subscriptions(ctx, "usr_2")
	must(t, "Subscriptions", err)
	equal(t, "the new user's subscriptions", now, []notify.Subscription{want})
}

func outMsg(id string, days int) notify.Message {
	return notify.Message{ID: id, Channel: notify.ChannelWebPush, UserID: "usr_1", Target: "ps_1",
		Payload: []byte(`{"id":"` + id + `"}`), Status: notify.StatusPending, NextAt: when(days), CreatedAt: when(days)}
}

func testOutboxEnqueueOnce(t *testing.T, s notify.Store) {
	ctx := t.Context()
	n, err := s.Enqueue(ctx, []notify.Message{outMsg("m1", 0), outMsg("m2", 0)})
	must(t, "Enqueue", err)
	equal(t, "new messages", n, 2)
	m, err := s.Claim(ctx, when(0), time.Minute, 1)
	must(t, "Claim", err)
	must(t, "Finish", s.Finish(ctx, m[0].ID, notify.StatusSent, when(0), time.Time{}, ""))
	n, err = s.Enqueue(ctx, []notify.Message{outMsg("m1", 0), outMsg("m2", 0), outMsg("m3", 0)})
	must(t, "Enqueue again", err)
	equal(t, "new messages of a second Enqueue", n, 1)
	got, err := s.Message(ctx, m[0].ID)
	must(t, "Message", err)
	equal(t, "a sent message enqueued again", got.Status, notify.StatusSent)
	_, err = s.Message(ctx, "m_none")
	is(t, "Message missing", err, notify.ErrNotFound)
}

func testOutboxClaimLease(t *testing.T, s notify.Store) {
	ctx := t.Context()
	_, err := s.Enqueue(ctx, []notify.Message{outMsg("late", 2), outMsg("b", 0), outMsg("a", 0), outMsg("first", -1)})
	must(t, "Enqueue", err)
	now := when(1)
	got, err := s.Claim(ctx, now, time.Minute, 2)
	must(t, "Claim", err)
	want := outMsg("first", -1)
	want.NextAt, want.CreatedAt = stored(want.NextAt), stored(want.CreatedAt)
	want.Attempts, want.LeaseUntil = 1, stored(now.Add(time.Minute))
	if len(got) != 2 {
		t.Fatalf("Claim returned %d messages, want 2", len(got))
	}
	equal(t, "first claimed", got[0], want)
	equal(t, "second claimed (due at the same time as a; by id)", got[1].ID, "a")
	more, err := s.Claim(ctx, now.Add(30*time.Second), time.Minute, 10)
	must(t, "Claim", err)
	equal(t, "claimed while leased", ids(more), []string{"b"})
	none, err := s.Claim(ctx, now.Add(59*time.Second), time.Minute, 10)
	must(t, "Claim", err)
	equal(t, "claimed before the leases run out", ids(none), []string(nil))
	again, err := s.Claim(ctx, now.Add(time.Minute), time.Minute, 10)
	must(t, "Claim", err)
	equal(t, "claimed after the leases ran out", ids(again), []string{"first", "a"})
	equal(t, "attempts after the second claim", again[0].Attempts, 2)
	late, err := s.Claim(ctx, when(2), time.Minute, 10)
	must(t, "Claim", err)
	equal(t, "claimed once due, with every lease run out", ids(late), []string{"first", "a", "b", "late"})
}

func ids(ms []notify.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func testOutboxFinish(t *testing.T, s notify.Store) {
	ctx := t.Context()
	_, err := s.Enqueue(ctx, []notify.Message{outMsg("retry", 0), outMsg("fail", 0)})
	must(t, "Enqueue", err)
	pending, err := s.Pending(ctx)
	must(t, "Pending", err)
	equal(t, "pending after two enqueued", pending, 2)
	_, err = s.Claim(ctx, when(0), time.Minute, 10)
	must(t, "Claim", err)
	must(t, "Finish pending", s.Finish(ctx, "retry", notify.StatusPending, when(0), when(1), "503 ü"))
	must(t, "Finish failed", s.Finish(ctx, "fail", notify.StatusFailed, when(0), time.Time{}, "410"))
	got, err := s.Message(ctx, "retry")
	must(t, "Message", err)
	equal(t, "retried: status", got.Status, notify.StatusPending)
	equal(t, "retried: next", got.NextAt, stored(when(1)))
	equal(t, "retried: lease", got.LeaseUntil, time.Time{})
	equal(t, "retried: error", got.LastError, "503 ü")
	failed, err := s.Message(ctx, "fail")
	must(t, "Message", err)
	equal(t, "failed: status and time", []any{failed.Status, failed.DoneAt, failed.Attempts}, []any{notify.StatusFailed, stored(when(0)), 1})
	early, err := s.Claim(ctx, when(1).Add(-time.Second), time.Minute, 10)
	must(t, "Claim", err)
	equal(t, "claimed before the retry is due", ids(early), []string(nil))
	due, err := s.Claim(ctx, when(1), time.Minute, 10)
	must(t, "Claim", err)
	equal(t, "claimed when the retry is due", ids(due), []string{"retry"})
	pending, err = s.Pending(ctx)
	must(t, "Pending", err)
	equal(t, "pending after one retried and one failed", pending, 1)
	must(t, "Finish sent", s.Finish(ctx, "retry", notify.StatusSent, when(1), time.Time{}, ""))
	pending, err = s.Pending(ctx)
	must(t, "Pending", err)
	equal(t, "pending after both finished", pending, 0)
	is(t, "Finish of a missing message", s.Finish(ctx, "none", notify.StatusSent, when(0), time.Time{}, ""), notify.ErrNotFound)
	is(t, "Finish with a bad status", s.Finish(ctx, "retry", "lost", when(0), time.Time{}, ""), notify.ErrInvalid)
}

func testOutboxInvalid(t *testing.T, s notify.Store) {
	ctx := t.Context()
	big := outMsg("big", 0)
	big.Payload = make([]byte, notify.MaxPayload+1)
	_, err := s.Enqueue(ctx, []notify.Message{outMsg("ok", 0), big})
	is(t, "Enqueue of a big payload", err, notify.ErrInvalid)
	_, err = s.Message(ctx, "ok")
	is(t, "a message of a refused batch", err, notify.ErrNotFound)
	_, err = s.Claim(ctx, when(0), time.Minute, 0)
	is(t, "Claim of 0", err, notify.ErrInvalid)
	_, err = s.Claim(ctx, when(0), time.Millisecond, 1)
	is(t, "Claim with a short lease", err, notify.ErrInvalid)
}

func testConcurrentClaim(t *testing.T, s notify.Store) {
	ctx := t.Context()
	var msgs []notify.Message
	for i := range 60 {
		msgs = append(msgs, outMsg(fmt.Sprintf("m%02d", i), 0))
	}
	_, err := s.Enqueue(ctx, msgs)
	must(t, "Enqueue", err)
	var mu gosync.Mutex
	seen := map[string]int{}
	var wg gosync.WaitGroup
	for range 20 {
		wg.Go(func() {
			got, err := s.Claim(ctx, when(0), time.Minute, 5)
			if err != nil {
				t.Errorf("Claim: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, m := range got {
				seen[m.ID]++
			}
		})
	}
	wg.Wait()
	equal(t, "messages claimed", len(seen), 60)
	for id, n := range seen {
		if n != 1 {
			t.Errorf("message %s claimed %d times", id, n)
		}
	}
}

func testUnsubscribed(t *testing.T, s notify.Store) {
	ctx := t.Context()
	off, err := s.Unsubscribed(ctx, "usr_1")
	must(t, "Unsubscribed before", err)
	equal(t, "Unsubscribed before", off, false)
	must(t, "SetUnsubscribed", s.SetUnsubscribed(ctx, "usr_1", when(0)))
	must(t, "SetUnsubscribed again", s.SetUnsubscribed(ctx, "usr_1", when(1)))
	off, err = s.Unsubscribed(ctx, "usr_1")
	must(t, "Unsubscribed after", err)
	equal(t, "Unsubscribed after", off, true)
	off, err = s.Unsubscribed(ctx, "usr_2")
	must(t, "Unsubscribed of another", err)
	equal(t, "Unsubscribed of another", off, false)
	if err := s.SetUnsubscribed(ctx, "", when(0)); err == nil {
		t.Fatal("SetUnsubscribed with no user id: no error")
	}
}
