//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFlashSaleWaitingRoom is issue 15's waiting-room figure: the same
// buyers (ADMITONE_WAITROOM_BUYERS, default 5,000, each at a loopback
// address of its own) race for ADMITONE_WAITROOM_TICKETS (default 1,000)
// tickets, one each, of two events on one server (the embedded store):
// one sold head-on, one behind a waiting room admitting
// ADMITONE_WAITROOM_RATE buyers a minute (default 30,000). Buyers in the
// room join, poll as the attendee app does (half the estimated wait,
// 1-5 s) and buy once admitted. Reported: tickets sold per second until
// sold out, the purchase p50 and p99 of the buyers who got a ticket, the
// queue wait, and the answers that were neither a ticket nor sold_out.
// It runs only when ADMITONE_WAITROOM_BENCH is set; it asserts behaviour
// only (every ticket sold once, no unexpected answer).
func TestFlashSaleWaitingRoom(t *testing.T) {
	if os.Getenv("ADMITONE_WAITROOM_BENCH") == "" {
		t.Skip("a benchmark: set ADMITONE_WAITROOM_BENCH=1 (BENCHMARKS.md)")
	}
	needBinaries(t)
	nbuyers := envInt(t, "ADMITONE_WAITROOM_BUYERS", 5000)
	tickets := envInt(t, "ADMITONE_WAITROOM_TICKETS", 1000)
	rate := envInt(t, "ADMITONE_WAITROOM_RATE", 30000)
	srv := startSaleServer(t, t.TempDir(), "")
	organizer := &flashClient{client: loopbackClient(nil)}
	plainID, plainType := flashEvent(t, organizer, srv.url, tickets)
	roomID, roomType := flashEvent(t, organizer, srv.url, tickets)
	organizer.mustJSON(t, "PUT", srv.url+"/v1/events/"+roomID+"/waiting-room", map[string]any{"enabled": true, "admit_per_minute": rate},
		http.StatusOK, nil)
	begin := time.Now()
	buyers := signUpBuyers(t, srv.url, nbuyers)
	t.Logf("%d buyers signed up and logged in in %v", nbuyers, time.Since(begin).Round(time.Second))

	rows := []string{
		waitroomSale(t, srv.url, buyers, plainID, plainType, tickets, false, "head-on"),
		waitroomSale(t, srv.url, buyers, roomID, roomType, tickets, true, fmt.Sprintf("waiting room, %d a minute", rate)),
	}
	t.Logf("%s buyers for %s tickets, one each, on the embedded store; load average %s at the end:\n| sale | tickets/s until sold out | purchase p50 | p99 (buyers who got one) | queue wait p50 / p99 | other answers |\n|---|---|---|---|---|---|\n%s",
		withCommas(nbuyers), withCommas(tickets), loadAverage(), strings.Join(rows, "\n"))
}

// waitroomSale runs one race and returns its table row.
func waitroomSale(t *testing.T, base string, buyers []*flashClient, eventID, typeID string, tickets int, room bool, name string) string {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	var sold, soldOutAt atomic.Int64
	runs := make([]buyerRun, len(buyers))
	waits := make([]time.Duration, len(buyers))
	var failures atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, b := range buyers {
		b.admission = ""
		wg.Go(func() {
			<-start
			joined := time.Now()
			if room {
				tok, failure := admitted(ctx, b, base, eventID, &sold, int64(tickets))
				if failure != "" {
					failures.Add(1)
					t.Errorf("%s: a buyer's queue: %s", name, failure)
				}
				if tok == "" {
					return // sold out while waiting, or the failure above
				}
				waits[i], b.admission = time.Since(joined), tok
			}
			runs[i] = b.buy(ctx, base, eventID, typeID, 3, 1)
			if runs[i].purchases > 0 && sold.Add(int64(runs[i].purchases)) == int64(tickets) {
				soldOutAt.Store(time.Now().UnixNano())
			}
			if runs[i].failure != "" {
				failures.Add(1)
				t.Errorf("%s: a buyer stopped on %s: %s", name, runs[i].failure, runs[i].detail)
			}
		})
	}
	begin := time.Now()
	close(start)
	wg.Wait()
	wall := time.Since(begin) // until the last buyer is done, if the tickets never ran out
	if at := soldOutAt.Load(); at != 0 {
		wall = time.Unix(0, at).Sub(begin)
	}

	var lat, queue flashLatencies
	purchases := 0
	for i, r := range runs {
		purchases += r.purchases
		lat = append(lat, r.purchase...)
		if r.purchases > 0 && room {
			queue = append(queue, waits[i])
		}
	}
	lat.sort()
	queue.sort()
	if purchases != tickets {
		t.Errorf("%s: %d tickets sold, want %d", name, purchases, tickets)
	}
	q := "none"
	if room {
		q = msText(queue.pct(0.50)) + " / " + msText(queue.pct(0.99))
	}
	row := fmt.Sprintf("| %s | **%.0f** | %s | %s | %s | %d |", name, float64(purchases)/wall.Seconds(),
		msText(lat.pct(0.50)), msText(lat.pct(0.99)), q, failures.Load())
	t.Log(row)
	return row
}

// admitted joins the event's queue and polls it until the buyer is
// admitted (its token), the tickets are gone (sold reached tickets: no
// token, no failure) or an answer is unexpected (failure says it).
func admitted(ctx context.Context, b *flashClient, base, eventID string, sold *atomic.Int64, tickets int64) (token, failure string) {
	path := base + "/v1/events/" + eventID + "/queue"
	method := "POST"
	for ctx.Err() == nil {
		if sold.Load() >= tickets {
			return "", ""
		}
		st, body, err := b.send(ctx, method, path, nil)
		if err != nil || st != http.StatusOK {
			return "", fmt.Sprintf("%s queue: %d %.200s %v", method, st, body, err)
		}
		var q struct {
			Status         string `json:"status"`
			Wait           int64  `json:"estimated_wait_seconds"`
			AdmissionToken string `json:"admission_token"`
		}
		if err := json.Unmarshal(body, &q); err != nil {
			return "", "unreadable queue answer: " + err.Error()
		}
		if q.Status == "admitted" && q.AdmissionToken != "" {
			return q.AdmissionToken, ""
		}
		method = "GET"
		if q.Status == "expired" {
			method = "POST"
		}
		time.Sleep(min(5*time.Second, max(time.Second, time.Duration(q.Wait)*time.Second/2)))
	}
	return "", "" // the sale's time ran out
}
