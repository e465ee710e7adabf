package qr_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"testing"

	"github.com/admitone/admitone/qr"
	"github.com/admitone/admitone/qr/qrtest"
)

// decodeSet decodes every frame with a fresh region of interest (the frames
// are unrelated) and returns how many gave the right text, and the
// results by frame (nil where it failed).
func decodeSet(t *testing.T, d *qr.Decoder, frames []qrtest.Frame) (int, []*qr.Result) {
	t.Helper()
	ok := 0
	res := make([]*qr.Result, len(frames))
	for i, f := range frames {
		d.Reset()
		r, err := d.Decode(f.Gray)
		switch {
		case err != nil:
			if !errors.Is(err, qr.ErrNotFound) {
				t.Errorf("frame %d: unexpected error %v", i, err)
			}
		case r.Text != f.Text:
			t.Errorf("frame %d (%s): decoded %q, want %q", i, f.Distortion, r.Text, f.Text)
		default:
			ok++
			res[i] = r
		}
	}
	return ok, res
}

// TestSyntheticDecodeRate decodes the standard synthetic gate frames. The
// floor is 90%; the decoder reads 47 of 50 at both sizes, 49 with the
// Thorough passes, zxing-cpp 1.4 reads 49 and 47 (BENCHMARKS.md).
func TestSyntheticDecodeRate(t *testing.T) {
	for _, size := range [][2]int{{1280, 720}, {640, 480}} {
		w, h := size[0], size[1]
		t.Run(image.Rect(0, 0, w, h).String(), func(t *testing.T) {
			frames := synthetic(50, w, h)
			ok, res := decodeSet(t, qr.NewDecoder(qr.Options{}), frames)
			thorough, _ := decodeSet(t, qr.NewDecoder(qr.Options{Thorough: true}), frames)
			t.Logf("%dx%d: decoded %d of %d, %d with Thorough", w, h, ok, len(frames), thorough)
			if ok < 45 {
				t.Errorf("decoded %d of %d frames, want at least 45", ok, len(frames))
			}
			if thorough < ok {
				t.Errorf("Thorough decoded %d frames, fewer than the default's %d", thorough, ok)
			}
			// Where it decoded, it located the code: every corner
			// within two modules of the truth.
			for i, r := range res {
				if r == nil {
					continue
				}
				pitch := dist(frames[i].Corners[0], frames[i].Corners[1]) / 41
				for k, p := range r.Corners {
					if d := dist(p, frames[i].Corners[k]); d > 2*pitch+2 {
						t.Errorf("frame %d: corner %d at %v, %.1f px from the true %v", i, k, p, d, frames[i].Corners[k])
					}
				}
				if r.Version != 6 || r.Format != qr.FormatQR || r.Pass == "" {
					t.Errorf("frame %d: version %d format %s pass %q", i, r.Version, r.Format, r.Pass)
				}
			}
		})
	}
}

// TestDarkMode decodes light-on-dark codes through the inverted pass, and
// not at all without it.
func TestDarkMode(t *testing.T) {
	frames := qrtest.Generate(7, 12, qrtest.Config{Width: 1280, Height: 720, DarkModeRate: 1})
	ok, res := decodeSet(t, qr.NewDecoder(qr.Options{}), frames)
	t.Logf("decoded %d of %d dark-mode frames", ok, len(frames))
	if ok < 10 {
		t.Errorf("decoded %d of %d dark-mode frames, want at least 10", ok, len(frames))
	}
	for i, r := range res {
		if r != nil && r.Pass != "inverted" {
			t.Errorf("frame %d decoded by pass %q, want inverted", i, r.Pass)
		}
	}
	if ok, _ := decodeSet(t, qr.NewDecoder(qr.Options{NoInverted: true}), frames); ok != 0 {
		t.Errorf("NoInverted: decoded %d dark-mode frames, want 0", ok)
	}
}

// TestRegionOfInterest shows a code held up for a few frames: after the
// first hit, the following frames decode from the region around it.
func TestRegionOfInterest(t *testing.T) {
	for _, size := range [][2]int{{1280, 720}, {640, 480}} {
		frames := qrtest.Sequence(11, 8, qrtest.Config{Width: size[0], Height: size[1]})
		d := qr.NewDecoder(qr.Options{})
		roi := 0
		for i, f := range frames {
			r, err := d.Decode(f.Gray)
			if err != nil {
				t.Fatalf("%v frame %d (%s): %v", size, i, f.Distortion, err)
			}
			if r.Text != f.Text {
				t.Fatalf("%v frame %d: %q", size, i, r.Text)
			}
			if i == 0 && r.Pass == "roi" {
				t.Errorf("%v: first frame decoded from a region of interest", size)
			}
			if r.Pass == "roi" {
				roi++
			}
		}
		if roi < len(frames)-2 {
			t.Errorf("%v: %d of %d frames after the first came from the region of interest", size, roi, len(frames)-1)
		}
		// Reset forgets the region.
		d.Reset()
		if r, err := d.Decode(frames[0].Gray); err != nil || r.Pass == "roi" {
			t.Errorf("%v after Reset: pass %v, err %v", size, r, err)
		}
	}
}

// TestStrideAndOffset decodes a frame that is a window of a larger buffer,
// as a JPEG Y plane with row padding is, and reports corners in the
// window's own coordinates.
func TestStrideAndOffset(t *testing.T) {
	f := synthetic(50, 640, 480)[0]
	want, err := qr.NewDecoder(qr.Options{}).Decode(f.Gray)
	if err != nil {
		t.Fatal(err)
	}
	big := image.NewGray(image.Rect(0, 0, 640+77, 480+30))
	off := image.Pt(50, 20)
	draw.Draw(big, f.Gray.Bounds().Add(off), f.Gray, image.Point{}, draw.Src)
	sub := big.SubImage(f.Gray.Bounds().Add(off)).(*image.Gray)
	got, err := qr.NewDecoder(qr.Options{}).Decode(sub)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != want.Text {
		t.Fatalf("text %q, want %q", got.Text, want.Text)
	}
	for i := range want.Corners {
		w := qr.Point{X: want.Corners[i].X + float64(off.X), Y: want.Corners[i].Y + float64(off.Y)}
		if dist(got.Corners[i], w) > 0.01 {
			t.Errorf("corner %d = %v, want %v", i, got.Corners[i], w)
		}
	}
}

func TestDecodeBadFrames(t *testing.T) {
	d := qr.NewDecoder(qr.Options{})
	tests := map[string]*image.Gray{
		"nil":          nil,
		"empty":        image.NewGray(image.Rect(0, 0, 0, 0)),
		"short stride": {Pix: make([]byte, 100), Stride: 5, Rect: image.Rect(0, 0, 10, 10)},
		"short pix":    {Pix: make([]byte, 99), Stride: 10, Rect: image.Rect(0, 0, 10, 10)},
		"negative":     {Pix: make([]byte, 100), Stride: -10, Rect: image.Rect(0, 0, 10, 10)},
	}
	for name, g := range tests {
		if _, err := d.Decode(g); !errors.Is(err, qr.ErrBadFrame) {
			t.Errorf("%s: err = %v, want ErrBadFrame", name, err)
		}
	}
	for _, g := range []*image.Gray{image.NewGray(image.Rect(0, 0, 1, 1)), image.NewGray(image.Rect(0, 0, 1280, 720))} {
		if _, err := d.Decode(g); !errors.Is(err, qr.ErrNotFound) {
			t.Errorf("blank %v: err = %v, want ErrNotFound", g.Bounds(), err)
		}
	}
	if _, err := d.DecodeImage(nil); !errors.Is(err, qr.ErrBadFrame) {
		t.Errorf("DecodeImage(nil): err = %v, want ErrBadFrame", err)
	}
}

func TestNoCodeFrames(t *testing.T) {
	d := qr.NewDecoder(qr.Options{})
	for i, g := range nocode(5, 1280, 720) {
		if r, err := d.Decode(g); !errors.Is(err, qr.ErrNotFound) {
			t.Errorf("frame %d without code: %v, %v", i, r, err)
		}
	}
}

// TestDecodeImageTypes decodes the same code from the image types stills
// arrive as: JPEG's YCbCr (read through its Y plane), RGBA, and a code drawn
// on a transparent background.
func TestDecodeImageTypes(t *testing.T) {
	c, err := qr.Encode(token154, qr.ECLevelM)
	if err != nil {
		t.Fatal(err)
	}
	gray, _ := c.Image(5)
	b := gray.Bounds()

	var jbuf bytes.Buffer
	if err := jpeg.Encode(&jbuf, gray, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	rgba := image.NewRGBA(b)
	draw.Draw(rgba, b, gray, image.Point{}, draw.Src)
	jrgb, err := jpeg.Decode(bytes.NewReader(encodeJPEG(t, rgba)))
	if err != nil {
		t.Fatal(err)
	}
	transparent := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if gray.GrayAt(x, y).Y == 0 {
				transparent.SetNRGBA(x, y, color.NRGBA{0, 0, 60, 255})
			}
		}
	}
	paletted := image.NewPaletted(b, color.Palette{color.White, color.Black})
	draw.Draw(paletted, b, gray, image.Point{}, draw.Src)

	ycc, ok := jrgb.(*image.YCbCr)
	if !ok {
		t.Fatalf("jpeg decoded to %T", jrgb)
	}
	for name, img := range map[string]image.Image{
		"gray": gray, "ycbcr": ycc, "rgba": rgba, "transparent nrgba": transparent, "paletted": paletted,
	} {
		r, err := qr.DecodeImage(img)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if r.Text != token154 {
			t.Errorf("%s: %q", name, r.Text)
		}
	}
}

func encodeJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestOptionsValidate(t *testing.T) {
	if err := (qr.Options{Formats: []qr.Format{qr.FormatQR, qr.FormatITF}}).Validate(); err != nil {
		t.Error(err)
	}
	if err := (qr.Options{Formats: []qr.Format{"pdf417"}}).Validate(); err == nil {
		t.Error("unknown format accepted")
	}
	defer func() {
		if recover() == nil {
			t.Error("NewDecoder accepted an unknown format")
		}
	}()
	qr.NewDecoder(qr.Options{Formats: []qr.Format{"pdf417"}})
}
