package httpapi

import (
	"net/http"
	"testing"
	"time"

	ticketsync "github.com/admitone/admitone/sync"
)

// TestGateHealthRoute: GET /v1/events/{id}/gates shows each gate's
// health as the servers recorded it (online, clock skew, outbox, counts
// and refusals by verdict), and flags a gate that fell silent during
// doors-open as quiet. On both backends.
func TestGateHealthRoute(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		org := h.newUser(t, "organizer")
		o := h.createOrg(t, org, "Health Org", false)
		v := h.createVenue(t, org, o.ID, venueBody("Hall", "Berlin", "DE", 52.5, 13.4))
		starts := h.clock.Now().Add(10 * time.Minute).Truncate(time.Second)
		e := h.createEvent(t, org, o.ID, eventBody(v.ID, "Doors Event", "music", starts))
		h.createTicketType(t, org, e.ID, ticketTypeBody("Standing", 0, "EUR"))
		h.publish(t, org, e.ID)
		var created struct {
			Gate ticketsync.Gate `json:"gate"`
		}
		h.do(t, "POST", "/v1/events/"+e.ID+"/gates", org.Token, map[string]any{"name": "North", "direction": "entry"}).
			want(t, http.StatusCreated).decode(t, &created)

		list := func() ticketsync.GateStatus {
			t.Helper()
			var out struct {
				Gates []ticketsync.GateState `json:"gates"`
			}
			h.do(t, "GET", "/v1/events/"+e.ID+"/gates", org.Token, nil).want(t, http.StatusOK).decode(t, &out)
			if len(out.Gates) != 1 {
				t.Fatalf("%d gates listed, want 1", len(out.Gates))
			}
			return out.Gates[0].Health
		}
		if st := list(); st.Online || st.Quiet || st.ClockSkewMS != nil {
			t.Errorf("a gate never heard from: %+v", st)
		}

		// Half an hour into the doors-open window the gate reports.
		h.clock.Set(starts.Add(30 * time.Minute))
		hs := h.api.Sync.Health
		if hs == nil {
			hs = h.api.Sync.Store.(ticketsync.HealthStore)
		}
		_, err := hs.UpdateGates(t.Context(), []ticketsync.GateUpdate{{GateID: created.Gate.ID,
			GateTouch: ticketsync.GateTouch{At: h.clock.Now(), Skew: 1500 * time.Millisecond, SkewKnown: true},
			Report:    &ticketsync.GateReport{Boot: "b1", Version: "scannerd v9", Outbox: 4, Scans: 5, Admits: 3, Refusals: map[string]int64{"already_used": 2}}}})
		if err != nil {
			t.Fatal(err)
		}
		st := list()
		if !st.Online || st.Quiet || st.ClockSkewMS == nil || *st.ClockSkewMS != 1500 || st.Outbox != 4 || st.Version != "scannerd v9" ||
			st.Scans != 5 || st.Admits != 3 || st.Refusals["already_used"] != 2 || st.ScansPerMinute != 1 {
			t.Errorf("after a report: %+v", st)
		}

		// Eleven minutes of silence: offline, and quiet since the doors
		// are open.
		h.clock.Advance(11 * time.Minute)
		if st := list(); st.Online || !st.Quiet || st.QuietReason != ticketsync.QuietOffline {
			t.Errorf("after eleven silent minutes: %+v", st)
		}
	})
}
