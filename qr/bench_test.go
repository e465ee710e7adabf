package qr_test

import (
	"bytes"
	"image"
	"testing"

	"github.com/admitone/admitone/qr"
	"github.com/admitone/admitone/qr/qrtest"
)

// benchDecode decodes frames round robin, each as a new code (Reset), and
// reports the fraction decoded alongside the time. PNG decoding is not
// timed: frames are luminance planes, as a gate's camera delivers them.
func benchDecode(b *testing.B, frames []*image.Gray, texts []string, opts qr.Options) {
	d := qr.NewDecoder(opts)
	ok, n := 0, 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(frames)
		d.Reset()
		r, err := d.Decode(frames[k])
		n++
		if err == nil && texts != nil && r.Text == texts[k] {
			ok++
		}
	}
	b.StopTimer()
	if texts != nil {
		b.ReportMetric(float64(ok)/float64(n), "decoded/frame")
	}
}

func frameSet(fs []qrtest.Frame) ([]*image.Gray, []string) {
	gs := make([]*image.Gray, len(fs))
	ts := make([]string, len(fs))
	for i, f := range fs {
		gs[i], ts[i] = f.Gray, f.Text
	}
	return gs, ts
}

func BenchmarkDecodeSynthetic720(b *testing.B) {
	gs, ts := frameSet(synthetic(50, 1280, 720))
	benchDecode(b, gs, ts, qr.Options{})
}

func BenchmarkDecodeSynthetic480(b *testing.B) {
	gs, ts := frameSet(synthetic(50, 640, 480))
	benchDecode(b, gs, ts, qr.Options{})
}

func BenchmarkDecodeBlackbox(b *testing.B) {
	photos := loadBlackbox(b)
	gs := make([]*image.Gray, len(photos))
	ts := make([]string, len(photos))
	for i, p := range photos {
		gs[i], ts[i] = p.Gray, p.Text
	}
	benchDecode(b, gs, ts, qr.Options{Still: true})
}

// BenchmarkDecodeNoCode720 is an idle camera lane: no code in sight, every
// pass runs.
func BenchmarkDecodeNoCode720(b *testing.B) {
	benchDecode(b, nocode(20, 1280, 720), nil, qr.Options{})
}

func BenchmarkDecodeNoCode480(b *testing.B) {
	benchDecode(b, nocode(20, 640, 480), nil, qr.Options{})
}

// BenchmarkDecodeNoCodeLinear720 is an idle lane in listed mode, with all
// linear formats enabled.
func BenchmarkDecodeNoCodeLinear720(b *testing.B) {
	benchDecode(b, nocode(20, 1280, 720), nil, qr.Options{Formats: []qr.Format{qr.FormatQR, qr.FormatCode128, qr.FormatEAN13, qr.FormatEAN8, qr.FormatITF}})
}

// BenchmarkDecodeHeld720 is a code held up to a 720p camera: successive
// frames of one code, decoded with the region of interest the decoder
// keeps between frames.
func BenchmarkDecodeHeld720(b *testing.B) {
	fs := qrtest.Sequence(5, 30, qrtest.Config{Width: 1280, Height: 720})
	d := qr.NewDecoder(qr.Options{})
	ok := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f := fs[i%len(fs)]
		if r, err := d.Decode(f.Gray); err == nil && r.Text == f.Text {
			ok++
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(ok)/float64(b.N), "decoded/frame")
}

func BenchmarkEncode(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := qr.Encode(token154, qr.ECLevelM); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPNG(b *testing.B) {
	var buf bytes.Buffer
	for i := 0; i < b.N; i++ {
		buf.Reset()
		if err := qr.PNG(token154, 8, &buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes")
}
