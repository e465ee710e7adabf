package source

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
	"time"
)

// imageStyle is how testImage draws: noise rather than a gradient (whose entropy-coded data is
// dense enough to contain stuffed FF 00 pairs), and *image.Gray rather than RGBA.
type imageStyle struct{ noisy, gray bool }

// testImage draws a w x h test picture in style st.
func testImage(w, h int, seed uint64, st imageStyle) image.Image {
	rng := rand.New(rand.NewPCG(seed, 7))
	lum := func(x, y int) uint8 {
		if st.noisy {
			return uint8(rng.IntN(256))
		}
		return uint8((x*255/max(w-1, 1) + y*255/max(h-1, 1)) / 2)
	}
	if st.gray {
		m := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				m.SetGray(x, y, color.Gray{Y: lum(x, y)})
			}
		}
		return m
	}
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := lum(x, y)
			m.SetRGBA(x, y, color.RGBA{R: v, G: v, B: v, A: 255})
		}
	}
	return m
}

func testJPEG(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testMeanDiff is the mean absolute difference between g and img's luminance.
func testMeanDiff(g *image.Gray, img image.Image) float64 {
	b := img.Bounds()
	var sum float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			want := color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
			d := float64(g.GrayAt(x, y).Y) - float64(want)
			if d < 0 {
				d = -d
			}
			sum += d
		}
	}
	return sum / float64(b.Dx()*b.Dy())
}

// testHasStuffing reports whether a JPEG's entropy-coded data contains FF 00.
func testHasStuffing(data []byte) bool {
	sos := bytes.Index(data, []byte{0xFF, markSOS})
	return sos >= 0 && bytes.Contains(data[sos:], []byte{0xFF, 0x00})
}

type testFrame struct {
	img  image.Image
	data []byte
}

func testFrames(t testing.TB) []testFrame {
	imgs := []image.Image{
		testImage(64, 48, 1, imageStyle{}),            // 4:2:0 YCbCr
		testImage(33, 17, 2, imageStyle{noisy: true}), // odd size, noise: FF 00 stuffing
		testImage(40, 40, 3, imageStyle{gray: true}),  // grayscale JPEG
		testImage(160, 120, 4, imageStyle{noisy: true}),
	}
	frames := make([]testFrame, len(imgs))
	for i, img := range imgs {
		frames[i] = testFrame{img: img, data: testJPEG(t, img, 95)}
	}
	if !testHasStuffing(frames[1].data) {
		t.Fatal("test frame 1 has no FF 00 in its entropy-coded data; the test would not cover stuffing")
	}
	return frames
}

// testCheckFrames compares received frames with the frames sent, in order.
func testCheckFrames(t *testing.T, got []Input, want []testFrame, name string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d frames, want %d", len(got), len(want))
	}
	for i, in := range got {
		w := want[i].img.Bounds()
		if in.Frame == nil || in.Frame.Bounds() != w {
			t.Fatalf("frame %d: bounds %v, want %v", i, in.Frame.Bounds(), w)
		}
		if d := testMeanDiff(in.Frame, want[i].img); d > 3 {
			t.Errorf("frame %d: mean luminance error %.2f, want <= 3", i, d)
		}
		if in.Source != name || in.Seq != uint64(i+1) || in.Text != "" || in.At.IsZero() {
			t.Errorf("frame %d: Source %q Seq %d Text %q At %v", i, in.Source, in.Seq, in.Text, in.At)
		}
	}
}

func TestMJPEGPipe(t *testing.T) {
	frames := testFrames(t)
	r, w := testPipe(t)
	var parts [][]byte
	var wantSkipped uint64
	garbage := [][]byte{
		[]byte("log line from the camera\n"),
		{0xFF, 0x00, 0xFF, 0xFF, 0x12},            // FF but no SOI
		{0xFF, 0xD8, 0xFF, 0x00, 0x01},            // SOI then an impossible marker
		{0xFF, 0xD8, 0xFF, 0xD9},                  // SOI, EOI: no image data
		append([]byte{}, frames[0].data[:300]...), // a frame cut short by the next SOI
	}
	for i, f := range frames {
		g := garbage[i%len(garbage)]
		parts = append(parts, g, f.data)
		wantSkipped += uint64(len(g))
	}
	done := testWrite(w, parts...)

	src := testParse(t, Config{Stdin: r, Lossless: true}, "cam0=mjpeg:-")
	got, err := testRun(t, context.Background(), src)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	testCheckFrames(t, got, frames, "cam0")
	st := StatsOf(src)
	if st.Sent != uint64(len(frames)) || st.Dropped != 0 || st.Rejected != 0 || st.SkippedBytes != wantSkipped {
		t.Errorf("stats = %+v, want Sent %d, SkippedBytes %d", st, len(frames), wantSkipped)
	}
}

func TestMJPEGTruncatedEnd(t *testing.T) {
	frames := testFrames(t)
	r, w := testPipe(t)
	cut := frames[3].data[:len(frames[3].data)/2]
	done := testWrite(w, frames[0].data, frames[1].data, cut)

	src := testParse(t, Config{Stdin: r, Lossless: true}, "mjpeg:-")
	got, err := testRun(t, context.Background(), src)
	<-done
	if !errors.Is(err, io.ErrUnexpectedEOF) || !errors.Is(err, errTruncated) {
		t.Fatalf("Run = %v, want a truncation error", err)
	}
	if want := `source mjpeg:-: input ended inside a frame`; len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Errorf("error %q should start with %q", err, want)
	}
	testCheckFrames(t, got, frames[:2], "mjpeg:-")
	if st := StatsOf(src); st.SkippedBytes != uint64(len(cut)) {
		t.Errorf("SkippedBytes = %d, want %d", st.SkippedBytes, len(cut))
	}
}

// TestMJPEGUndecodable checks a frame that splits but does not decode is counted, not fatal.
func TestMJPEGUndecodable(t *testing.T) {
	frames := testFrames(t)
	// A well-formed marker structure whose SOF claims a 50000x50000 picture.
	bomb := append([]byte{}, frames[0].data...)
	sof := bytes.Index(bomb, []byte{0xFF, 0xC0})
	if sof < 0 {
		t.Fatal("no SOF0 in test frame")
	}
	bomb[sof+5], bomb[sof+6], bomb[sof+7], bomb[sof+8] = 0xC3, 0x50, 0xC3, 0x50
	src := testParse(t, Config{Stdin: bytes.NewReader(testJoin(bomb, frames[2].data)), Lossless: true}, "mjpeg:-")
	got, err := testRun(t, context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Seq != 2 {
		t.Fatalf("got %d frames, want only frame 2", len(got))
	}
	if st := StatsOf(src); st.Rejected != 1 {
		t.Errorf("Rejected = %d, want 1", st.Rejected)
	}
}

func testJoin(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestMJPEGDropsWhenSlow checks a slow consumer gets the newest frame and the rest are
// counted as dropped, while the stream is read to its end.
func TestMJPEGDropsWhenSlow(t *testing.T) {
	frame := testJPEG(t, testImage(32, 32, 9, imageStyle{}), 80)
	const n = 12
	r, w := testPipe(t)
	done := testWrite(w, bytes.Repeat(frame, n))

	src := testParse(t, Config{Stdin: r}, "mjpeg:-")
	out := make(chan Input)
	errc := make(chan error, 1)
	go func() { errc <- src.Run(context.Background(), out) }()
	// Do not receive until the reader has got through the stream: at most two frames survive,
	// the one being delivered and the newest.
	deadline := time.Now().Add(testTimeout)
	for StatsOf(src).Dropped < n-2 {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v: the reader did not keep reading while the consumer was busy", StatsOf(src))
		}
		time.Sleep(time.Millisecond)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var got []Input
	for {
		select {
		case in := <-out:
			got = append(got, in)
			continue
		case err := <-errc:
			if err != nil {
				t.Fatal(err)
			}
		}
		break
	}
	st := StatsOf(src)
	if len(got) == 0 || got[len(got)-1].Seq != n {
		t.Fatalf("last frame delivered is not the newest (seq %d): %d frames", n, len(got))
	}
	if st.Sent != uint64(len(got)) || st.Sent+st.Dropped != n {
		t.Errorf("stats %+v with %d frames received; want Sent+Dropped = %d", st, len(got), n)
	}
}

func TestMJPEGCancel(t *testing.T) {
	r, w := testPipe(t)
	frame := testJPEG(t, testImage(16, 16, 1, imageStyle{}), 80)
	if _, err := w.Write(frame); err != nil {
		t.Fatal(err)
	}
	src := testParse(t, Config{Stdin: r}, "mjpeg:-")
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Input)
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx, out) }()
	if in := <-out; in.Seq != 1 {
		t.Fatalf("first frame seq %d", in.Seq)
	}
	cancel() // the reader is now blocked reading the open pipe
	select {
	case err := <-errc:
		if err != context.Canceled {
			t.Fatalf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	// Stdin is borrowed: it must still work after Run, with its deadline cleared.
	if _, err := w.Write([]byte("ok")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := io.ReadFull(r, buf); err != nil || string(buf) != "ok" {
		t.Fatalf("stdin after Run: %q, %v", buf, err)
	}
}

func TestDecodeJPEGSharesYPlane(t *testing.T) {
	img := testImage(48, 32, 5, imageStyle{})
	data := testJPEG(t, img, 90)
	g, err := DecodeJPEG(data)
	if err != nil {
		t.Fatal(err)
	}
	ycc, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	y := ycc.(*image.YCbCr)
	if g.Stride != y.YStride || len(g.Pix) != len(y.Y) || !bytes.Equal(g.Pix, y.Y) {
		t.Errorf("Gray (stride %d, %d bytes) is not the Y plane (stride %d, %d bytes)", g.Stride, len(g.Pix), y.YStride, len(y.Y))
	}
	// Whatever the image type, luma agrees with the standard library's gray model.
	for _, m := range []image.Image{y, testImage(7, 5, 3, imageStyle{noisy: true}), image.NewCMYK(image.Rect(0, 0, 3, 3))} {
		l := LumaOf(m)
		if d := testMeanDiff(l, m); d > 0.5 {
			t.Errorf("%T: luma differs from color.GrayModel by %.2f", m, d)
		}
	}
}

// testSplitAll splits data with the given read pattern and checks the splitter's
// invariants: each frame runs FF D8 ... FF D9, frames appear in order without overlap, and every
// byte is in a frame or counted as skipped.
func testSplitAll(t *testing.T, r io.Reader, data []byte, maxFrame int) (frames [][]byte, err error) {
	t.Helper()
	sp := newMJPEGSplitter(r, maxFrame)
	pos, inFrames := 0, 0
	for {
		f, err := sp.next()
		if err != nil {
			if sum := int64(inFrames) + sp.skipped; sum != int64(len(data)) {
				t.Fatalf("frames (%d bytes) + skipped (%d) = %d, want input length %d", inFrames, sp.skipped, sum, len(data))
			}
			return frames, err
		}
		if len(f) < 4 || f[0] != 0xFF || f[1] != 0xD8 || f[len(f)-2] != 0xFF || f[len(f)-1] != 0xD9 {
			t.Fatalf("frame % x ... does not run from FF D8 to FF D9", f[:min(len(f), 8)])
		}
		if len(f) > maxFrame+2 {
			t.Fatalf("frame of %d bytes exceeds the %d cap", len(f), maxFrame)
		}
		i := bytes.Index(data[pos:], f)
		if i < 0 {
			t.Fatal("frame is not a piece of the input after the previous frame")
		}
		pos += i + len(f)
		inFrames += len(f)
		frames = append(frames, bytes.Clone(f))
		if len(frames) > len(data) {
			t.Fatal("more frames than input bytes")
		}
	}
}

// TestMJPEGSplitStructure feeds hand-made marker sequences to the splitter.
func TestMJPEGSplitStructure(t *testing.T) {
	var (
		soi  = []byte{0xFF, 0xD8}
		eoi  = []byte{0xFF, 0xD9}
		sos  = []byte{0xFF, 0xDA, 0x00, 0x03, 0x01}
		dht  = []byte{0xFF, 0xC4, 0x00, 0x04, 0xFF, 0xD9} // its payload looks like EOI
		data = []byte{0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, 0xFF, 0xD4, 0x78}
		// An EXIF segment holding a whole thumbnail JPEG must not end or start a frame.
		app1 = testJoin([]byte{0xFF, 0xE1, 0x00, 0x0E}, soi, sos, []byte{0x00, 0xFF, 0x00}, eoi)
	)
	progressive := testJoin(soi, app1, dht, sos, data, dht, sos, data, eoi)
	tests := []struct {
		name    string
		in      []byte
		want    [][]byte
		skipped int64
	}{
		{"progressive with thumbnail", progressive, [][]byte{progressive}, 0},
		{"fill bytes before markers", testJoin(soi, []byte{0xFF, 0xFF}, sos, data, []byte{0xFF}, eoi),
			[][]byte{testJoin(soi, []byte{0xFF, 0xFF}, sos, data, []byte{0xFF}, eoi)}, 0},
		{"bad segment length", testJoin(soi, []byte{0xFF, 0xE0, 0x00, 0x01}, progressive), [][]byte{progressive}, 6},
		{"no scan", testJoin(soi, dht, eoi, progressive), [][]byte{progressive}, 10},
		{"cut inside the scan", testJoin(soi, sos, data[:5], progressive), [][]byte{progressive}, 12},
		{"header runs off the end", testJoin(progressive, soi, []byte{0xFF, 0xC4, 0x10, 0x00, 1, 2}), [][]byte{progressive}, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := newMJPEGSplitter(bytes.NewReader(tt.in), 1<<10)
			var got [][]byte
			var err error
			for {
				var f []byte
				if f, err = sp.next(); err != nil {
					break
				}
				got = append(got, bytes.Clone(f))
			}
			if err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("end: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d frames, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if !bytes.Equal(got[i], tt.want[i]) {
					t.Errorf("frame %d = % x\nwant      % x", i, got[i], tt.want[i])
				}
			}
			if sp.skipped != tt.skipped {
				t.Errorf("skipped %d bytes, want %d", sp.skipped, tt.skipped)
			}
		})
	}
}

func TestMJPEGSplitOversize(t *testing.T) {
	small := testJPEG(t, testImage(16, 16, 1, imageStyle{}), 80)
	big := testJPEG(t, testImage(200, 200, 2, imageStyle{noisy: true}), 95)
	data := testJoin(big, small, big, small)
	frames, err := testSplitAll(t, bytes.NewReader(data), data, len(small)+100)
	if err != io.EOF {
		t.Fatalf("err = %v, want io.EOF", err)
	}
	if len(frames) != 2 || !bytes.Equal(frames[0], small) || !bytes.Equal(frames[1], small) {
		t.Errorf("got %d frames, want the 2 small ones", len(frames))
	}
}

func FuzzMJPEGSplit(f *testing.F) {
	a := testJPEG(f, testImage(16, 8, 1, imageStyle{}), 75)
	b := testJPEG(f, testImage(9, 9, 2, imageStyle{noisy: true}), 100)
	f.Add(testJoin(a, b))
	f.Add(testJoin([]byte("junk\xff"), a, []byte{0xFF, 0xD8, 0xFF}, b[:40], a))
	f.Add(a[:len(a)-1])
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0x00, 0xFF, 0xD0, 0xFF, 0xFF, 0xD9})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxFrame = 1 << 12
		whole, errWhole := testSplitAll(t, bytes.NewReader(data), data, maxFrame)
		bytewise, errBytes := testSplitAll(t, iotest.OneByteReader(bytes.NewReader(data)), data, maxFrame)
		if len(whole) != len(bytewise) || (errWhole == io.EOF) != (errBytes == io.EOF) {
			t.Fatalf("read size changed the result: %d frames (%v) vs %d one byte at a time (%v)", len(whole), errWhole, len(bytewise), errBytes)
		}
		for i := range whole {
			if !bytes.Equal(whole[i], bytewise[i]) {
				t.Fatalf("frame %d differs when read one byte at a time", i)
			}
		}
		if errWhole != io.EOF && !errors.Is(errWhole, io.ErrUnexpectedEOF) {
			t.Fatalf("end error %v", errWhole)
		}
	})
}

// testLoopReader yields data over and over.
type testLoopReader struct {
	data []byte
	off  int
}

func (r *testLoopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], r.data[r.off:])
		n += k
		r.off = (r.off + k) % len(r.data)
	}
	return n, nil
}

// test720p is a 1280x720 scene a gate camera might see: smooth shading with a sharp-edged
// pattern (a stand-in for a QR code) and mild sensor noise.
func test720p() *image.RGBA {
	const w, h = 1280, 720
	rng := rand.New(rand.NewPCG(1, 2))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := 60 + x*120/w + y*40/h + rng.IntN(9)
			if x >= 480 && x < 800 && y >= 200 && y < 520 && ((x-480)/16+(y-200)/16)%3 == 0 {
				v = 20 + rng.IntN(9)
			}
			m.SetRGBA(x, y, color.RGBA{R: uint8(v), G: uint8(v * 9 / 10), B: uint8(v * 8 / 10), A: 255})
		}
	}
	return m
}

// BenchmarkMJPEGFrame720p measures splitting one 1280x720 JPEG (quality 85) out of a stream
// and decoding it to its luminance plane: the per-frame cost of a camera source.
func BenchmarkMJPEGFrame720p(b *testing.B) {
	frame := testJPEG(b, test720p(), 85)
	b.Run("split", func(b *testing.B) {
		sp := newMJPEGSplitter(&testLoopReader{data: frame}, MaxJPEG)
		b.SetBytes(int64(len(frame)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sp.next(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("split+decode", func(b *testing.B) {
		sp := newMJPEGSplitter(&testLoopReader{data: frame}, MaxJPEG)
		b.SetBytes(int64(len(frame)))
		b.ReportAllocs()
		for b.Loop() {
			f, err := sp.next()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := DecodeJPEG(f); err != nil {
				b.Fatal(err)
			}
		}
	})
}
