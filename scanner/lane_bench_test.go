package scanner

import (
	"fmt"
	"slices"
	gosync "sync"
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/qr/qrtest"
	"github.com/admitone/admitone/scanner/source"
)

// BenchmarkScanToVerdict measures a lane from a 1280x720 camera frame in to
// a durable verdict out: QR decode, token verification, the gate's rules
// and an fsynced bbolt commit of the check-in. Every frame shows a
// different valid ticket, so every scan is an accepted, committed
// check-in. With lanes=4, four lanes (each its own decoder) share one
// store, as four cameras on one gate computer would.
func BenchmarkScanToVerdict(b *testing.B) {
	for _, lanes := range []int{1, 4} {
		b.Run(fmt.Sprintf("720p/lanes=%d", lanes), func(b *testing.B) {
			benchScanToVerdict(b, lanes, 1280, 720)
		})
	}
}

func benchScanToVerdict(b *testing.B, lanes, w, h int) {
	const perLane = 64
	key, _ := ticketcrypto.GeneratePrivateKey()
	ev := ticketcrypto.NewEventID()
	texts := make([]string, lanes*perLane)
	tickets := make([]bundle.Ticket, len(texts))
	for i := range texts {
		st, err := ticketcrypto.Sign(key, ticketcrypto.Token{Event: ev, Ticket: ticketcrypto.NewTicketID(), TypeNumber: 1})
		if err != nil {
			b.Fatal(err)
		}
		texts[i], tickets[i] = st.Text(), bundle.Ticket{ID: st.Ticket, TypeNumber: 1}
	}
	frames := qrtest.Generate(7, len(texts), qrtest.Config{Width: w, Height: h, Texts: texts})
	payload := &bundle.Payload{Format: bundle.Format, CreatedAt: time.Now(), Event: ev,
		Keyring:  []ticketcrypto.KeyringEntry{{Event: ev, KeyID: key.ID(), PublicKey: key.Public()}},
		Profiles: []bundle.GateProfile{{GateID: "g", Event: ev, Mode: bundle.ModeSigned, Direction: bundle.Entry}},
		Tickets:  tickets}

	var lat []time.Duration
	var mu gosync.Mutex
	undecoded := 0
	b.ResetTimer()
	for done := 0; done < b.N; {
		// A fresh store for each round, so every frame is a first entry.
		b.StopTimer()
		s, err := OpenStore(b.TempDir(), StoreOptions{Lanes: lanes})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Import(payload, "", key.Public(), time.Now()); err != nil {
			b.Fatal(err)
		}
		engine := &Engine{Store: s}
		round := min(b.N-done, len(frames))
		b.StartTimer()
		var wg gosync.WaitGroup
		for l := range lanes {
			wg.Go(func() {
				lane := &Lane{Engine: engine, Decoder: NewQRDecoder(QRDecoderOptions{})}
				for i := l; i < round; i += lanes {
					in := source.Input{Source: "bench", Frame: frames[i].Gray, At: time.Now()}
					res, err := lane.Handle(in)
					d := time.Since(in.At)
					if err != nil {
						b.Error(err)
						return
					}
					mu.Lock()
					switch {
					case !res.Decoded:
						undecoded++ // no verdict: not a scan-to-verdict latency
					case res.Verdict != Accepted:
						b.Errorf("frame %d: %s %s", i, res.Verdict, res.Reason)
					default:
						lat = append(lat, d)
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		done += round
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.StopTimer()
	if len(lat) == 0 {
		b.Fatal("no frame decoded")
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(100*float64(undecoded)/float64(b.N), "%undecoded")
}
