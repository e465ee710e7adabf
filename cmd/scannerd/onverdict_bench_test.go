package main

import (
	"slices"
	"testing"
	"time"

	"github.com/admitone/admitone/scanner"
	"github.com/admitone/admitone/scanner/hook"
	"github.com/admitone/admitone/scanner/source"
)

// BenchmarkOnVerdictScanToVerdict measures a lane from a scanned code in
// to a durable verdict out (token verification, the gate's rules and an
// fsynced check-in), wired as scannerd run wires it, with no
// --on-verdict, with a quick one (true: a process started per verdict,
// competing for the CPU) and with a slow one (sleep 1, which cannot keep
// up: its verdicts are dropped, reported as dropped/op). Every code is a
// different valid ticket, so every scan is an accepted check-in. p50-µs
// and p99-µs are the lane's own scan-to-verdict latencies.
func BenchmarkOnVerdictScanToVerdict(b *testing.B) {
	for _, bc := range []struct{ name, command string }{
		{"no-hook", ""},
		{"quick-hook", "true"},
		{"slow-hook", "sleep 1"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			g := newTestGate(b, b.N)
			s, err := (&globalOptions{dataDir: g.dir}).openStore(1)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			engine := &scanner.Engine{Store: s, Feed: &scanner.Feed{}}
			var h *hook.Hook
			if bc.command != "" {
				if h, err = hook.New(hook.Config{Command: bc.command, Timeout: 2 * time.Second}); err != nil {
					b.Fatal(err)
				}
				h.Start(engine.Feed)
				defer h.Close()
			}
			lane := &scanner.Lane{Engine: engine, Decoder: scanner.NewQRDecoder(scanner.QRDecoderOptions{})}
			lat := make([]time.Duration, b.N)
			b.ResetTimer()
			for i := range b.N {
				res, err := lane.Handle(source.Input{Source: "bench", Text: g.tokens[i].Text(), At: time.Now()})
				if err != nil || res.Verdict != scanner.Accepted {
					b.Fatalf("scan %d: %v %v", i, res.Verdict, err)
				}
				lat[i] = res.Latency
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[b.N/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[b.N*99/100].Microseconds()), "p99-µs")
			if h != nil {
				b.ReportMetric(float64(h.Dropped())/float64(b.N), "dropped/op")
			}
		})
	}
}
