package source

import (
	"bytes"
	"context"
	"errors"
	"image"
	"io"
	"strconv"
	"testing"
)

// testI420 builds one I420 frame whose Y bytes encode the frame number and position, with
// chroma planes of a recognisable value so a misplaced read shows up in the luma.
func testI420(g yuvGeometry, n int) []byte {
	f := make([]byte, 0, g.luma()+g.chroma())
	for y := range g.h {
		for x := range g.stride {
			v := byte(n*50 + y*g.w + x)
			if x >= g.w {
				v = 0xEE // row padding
			}
			f = append(f, v)
		}
	}
	return append(f, bytes.Repeat([]byte{0xCC}, g.chroma())...)
}

func TestYUVGeometry(t *testing.T) {
	tests := []struct {
		spec         string
		luma, chroma int
	}{
		{"4x2", 8, 4},   // 2x1 U and V
		{"5x3", 15, 12}, // odd: 3x2 U and V
		{"1x1", 1, 2},   // 1x1 U and V
		{"1280x720", 921600, 460800},
		{"5x3/8", 24, 16}, // padded rows: 4x2 U and V
	}
	for _, tt := range tests {
		g, err := parseYUVGeometry(tt.spec)
		if err != nil {
			t.Fatalf("%s: %v", tt.spec, err)
		}
		if g.luma() != tt.luma || g.chroma() != tt.chroma {
			t.Errorf("%s: luma %d chroma %d, want %d %d", tt.spec, g.luma(), g.chroma(), tt.luma, tt.chroma)
		}
	}
}

func TestYUVPipe(t *testing.T) {
	for _, spec := range []string{"5x3", "5x3/8", "4x4"} {
		t.Run(spec, func(t *testing.T) {
			g, err := parseYUVGeometry(spec)
			if err != nil {
				t.Fatal(err)
			}
			r, w := testPipe(t)
			const n = 3
			var frames [][]byte
			for i := range n {
				frames = append(frames, testI420(g, i))
			}
			done := testWrite(w, frames...)
			src := testParse(t, Config{Stdin: r, Lossless: true}, "yuv:"+spec+":-")
			got, err := testRun(t, context.Background(), src)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			<-done
			if len(got) != n {
				t.Fatalf("got %d frames, want %d", len(got), n)
			}
			for i, in := range got {
				if in.Frame.Bounds() != image.Rect(0, 0, g.w, g.h) || in.Frame.Stride != g.stride || in.Seq != uint64(i+1) {
					t.Fatalf("frame %d: bounds %v stride %d seq %d", i, in.Frame.Bounds(), in.Frame.Stride, in.Seq)
				}
				for y := range g.h {
					for x := range g.w {
						if got, want := in.Frame.GrayAt(x, y).Y, byte(i*50+y*g.w+x); got != want {
							t.Fatalf("frame %d (%d,%d) = %d, want %d", i, x, y, got, want)
						}
					}
				}
			}
			// Frames handed out are the consumer's: distinct planes, not one reused buffer.
			if &got[0].Frame.Pix[0] == &got[1].Frame.Pix[0] {
				t.Error("two delivered frames share a buffer")
			}
		})
	}
}

func TestYUVShortFinalFrame(t *testing.T) {
	g := yuvGeometry{w: 5, h: 3, stride: 5}
	for _, cut := range []int{1, 14, 15, 26} { // inside Y, at the Y/chroma edge, inside chroma
		frame := testI420(g, 1)
		data := append(testI420(g, 0), frame[:cut]...)
		src := testParse(t, Config{Stdin: bytes.NewReader(data), Lossless: true}, "yuv:5x3:-")
		got, err := testRun(t, context.Background(), src)
		if len(got) != 1 {
			t.Errorf("cut %d: got %d frames, want 1", cut, len(got))
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) || !errors.Is(err, errTruncated) {
			t.Fatalf("cut %d: Run = %v, want a truncation error", cut, err)
		}
		want := "source yuv:5x3:-: input ended inside a frame: frame 2 of 5x3 has " + strconv.Itoa(cut) + " of 27 bytes"
		if !bytes.HasPrefix([]byte(err.Error()), []byte(want)) {
			t.Errorf("error %q\nwant prefix %q", err, want)
		}
	}
}

// BenchmarkYUVFrame720p measures reading one 1280x720 I420 frame from a stream, allocating a
// fresh Y plane per frame as the source does for every frame it delivers.
func BenchmarkYUVFrame720p(b *testing.B) {
	g := yuvGeometry{w: 1280, h: 720, stride: 1280}
	rd := yuvReader{r: &testLoopReader{data: testI420(g, 0)}, geom: g}
	b.Run("alloc", func(b *testing.B) {
		b.SetBytes(int64(g.luma() + g.chroma()))
		b.ReportAllocs()
		for b.Loop() {
			if err := rd.next(make([]byte, g.luma())); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reuse", func(b *testing.B) {
		y := make([]byte, g.luma())
		b.SetBytes(int64(g.luma() + g.chroma()))
		b.ReportAllocs()
		for b.Loop() {
			if err := rd.next(y); err != nil {
				b.Fatal(err)
			}
		}
	})
}
