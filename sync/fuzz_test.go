package sync_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	ticketsync "github.com/admitone/admitone/sync"
)

// FuzzParseFrame: any bytes either parse into a frame that survives a
// round trip through JSON and parses again the same, or are refused with
// an error; never a panic, never an accepted frame of an unknown type or
// over the limits.
func FuzzParseFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"hello","version":1,"since":42,"client_time":"2026-11-26T20:00:00Z"}`,
		`{"type":"upload","checkins":[{"id":"ci_00000000000000010000000000000001","ticket_id":"tk_000000000000000000000001","ticket_type":1,"direction":"entry","at":"2026-11-26T20:00:00Z","offline":true}]}`,
		`{"type":"ack","ids":["ci_00000000000000010000000000000001"]}`,
		`{"type":"changes","changes":[{"event_id":"ev_0011223344556677","seq":1,"kind":"issue","ticket_id":"tk_000000000000000000000001","type_number":1,"at":"2026-11-26T20:00:00Z"}]}`,
		`{"type":"welcome","server_time":"2026-11-26T20:00:00Z","head":7}`,
		`{"type":"status","client_time":"2026-11-26T20:00:00Z","status":{"boot":"0a1b2c","version":"scannerd v1","outbox":3,"scans":9,"admits":5,"refusals":{"already_used":2,"invalid_signature":1}}}`,
		`{"type":"status","client_time":"2026-11-26T20:00:00Z","status":{"boot":"b","scans":1,"admits":2}}`,
		`{"type":"status","status":{"boot":"b"}}`,
		`{"type":"status","client_time":"2026-11-26T20:00:00Z","status":{"boot":"b","refusals":{}}}`,
		`{"type":"hello","version":1,"status":{"boot":"b"}}`,
		`{"type":"status","client_time":"2026-11-26T20:00:00Z","status":{"boot":"b","scans":1,"refusals":{"BAD":1}}}`,
		`{"type":"teleport"}`, `{}`, `[]`, `{"type":"hello"}{"type":"hello"}`, `{"type":"upload","checkins":[{"id":"ci_x"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := ticketsync.ParseFrame(b)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		switch fr.Type {
		case ticketsync.TypeHello, ticketsync.TypeWelcome, ticketsync.TypeUpload, ticketsync.TypeAck, ticketsync.TypeChanges:
			if fr.Status != nil {
				t.Fatalf("accepted a %s frame with a status", fr.Type)
			}
		case ticketsync.TypeStatus:
			if fr.Status == nil || fr.ClientTime.IsZero() || fr.Status.Validate() != nil {
				t.Fatalf("accepted status frame %+v", fr)
			}
			var refused int64
			for _, n := range fr.Status.Refusals {
				refused += n
			}
			if fr.Status.Scans < 0 || fr.Status.Admits+refused > fr.Status.Scans || len(fr.Status.Refusals) > ticketsync.MaxReasons {
				t.Fatalf("accepted inconsistent counts %+v", *fr.Status)
			}
		default:
			t.Fatalf("accepted a frame of type %q", fr.Type)
		}
		if len(fr.Checkins) > ticketsync.MaxBatch || len(b) > ticketsync.MaxFrameBytes {
			t.Fatalf("accepted %d check-ins in %d bytes", len(fr.Checkins), len(b))
		}
		for _, c := range fr.Checkins {
			if !strings.HasPrefix(c.ID, "ci_") || ticketsync.ValidateCheckin(c) != nil {
				t.Fatalf("accepted check-in %+v", c)
			}
		}
		again, err := json.Marshal(fr)
		if err != nil {
			t.Fatal(err)
		}
		fr2, err := ticketsync.ParseFrame(again)
		if err != nil {
			t.Fatalf("re-encoded frame refused: %v\n%s", err, again)
		}
		if fr2.Type != fr.Type || len(fr2.Checkins) != len(fr.Checkins) || len(fr2.IDs) != len(fr.IDs) || len(fr2.Changes) != len(fr.Changes) || fr2.Since != fr.Since {
			t.Fatalf("round trip changed the frame: %+v -> %+v", fr, fr2)
		}
		if fr.Status != nil && !reflect.DeepEqual(*fr.Status, *fr2.Status) {
			t.Fatalf("round trip changed the status: %+v -> %+v", *fr.Status, *fr2.Status)
		}
	})
}

// FuzzApplyReport: for any two valid reports, applying them never
// lowers a total, and applying either again adds nothing: a resend, a
// reconnect of the same boot or a late report of the boot before counts
// once.
func FuzzApplyReport(f *testing.F) {
	f.Add([]byte(`{"boot":"a","scans":5,"admits":3,"refusals":{"already_used":2}}`), []byte(`{"boot":"a","scans":7,"admits":3,"refusals":{"already_used":3,"malformed":1}}`))
	f.Add([]byte(`{"boot":"a","scans":5,"admits":5}`), []byte(`{"boot":"b","scans":1,"admits":0,"refusals":{"revoked":1}}`))
	f.Add([]byte(`{"boot":"a","scans":9}`), []byte(`{"boot":"a","scans":2}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var ra, rb ticketsync.GateReport
		if json.Unmarshal(a, &ra) != nil || json.Unmarshal(b, &rb) != nil || ra.Validate() != nil || rb.Validate() != nil {
			return
		}
		at := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
		var h ticketsync.GateHealth
		h, _ = h.ApplyReport(ra, at)
		h1, _ := h.ApplyReport(rb, at.Add(time.Second))
		if h1.Totals.Scans < h.Totals.Scans || h1.Totals.Admits < h.Totals.Admits {
			t.Fatalf("totals went down: %+v -> %+v", h.Totals, h1.Totals)
		}
		for k, n := range h.Totals.Refusals {
			if h1.Totals.Refusals[k] < n {
				t.Fatalf("refusals %s went down: %d -> %d", k, n, h1.Totals.Refusals[k])
			}
		}
		for _, r := range []ticketsync.GateReport{ra, rb} {
			h2, inc := h1.ApplyReport(r, at.Add(2*time.Second))
			if !inc.IsZero() {
				t.Fatalf("a repeated report of boot %q added %+v", r.Boot, inc.GateCounts)
			}
			if !reflect.DeepEqual(h2.Totals, h1.Totals) {
				t.Fatalf("a repeated report changed the totals: %+v -> %+v", h1.Totals, h2.Totals)
			}
		}
	})
}
