package sync_test

import (
	"slices"
	"testing"

	ticketsync "github.com/admitone/admitone/sync"
)

func TestWatchSeesPokes(t *testing.T) {
	h := &ticketsync.Hub{}
	var got []string
	stop := h.Watch(func(eventID string) { got = append(got, eventID) })
	h.Poke("ev_1")
	h.Poke("")
	stop()
	h.Poke("ev_2")
	if want := []string{"ev_1", ""}; !slices.Equal(got, want) {
		t.Errorf("watcher saw %q, want %q (nothing after stop)", got, want)
	}
	if h.GateOnline("gat_nobody") {
		t.Error("a gate that never connected is online")
	}
}
