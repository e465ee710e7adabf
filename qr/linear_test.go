package qr_test

import (
	"errors"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"

	"github.com/admitone/admitone/qr"
)

// linearFrame renders a 1D barcode with gozxing's writer onto a 640x480
// camera-like frame: grey background, the code on white paper at moduleW
// pixels per narrow bar, sensor noise, and turned a quarter if vertical.
func linearFrame(t *testing.T, w gozxing.Writer, format gozxing.BarcodeFormat, text string, moduleW int, vertical bool, seed uint64) *image.Gray {
	t.Helper()
	bm, err := w.Encode(text, format, 0, 0, nil)
	if err != nil {
		t.Fatalf("encode %s %q: %v", format, text, err)
	}
	const fw, fh = 640, 480
	g := image.NewGray(image.Rect(0, 0, fw, fh))
	r := rand.New(rand.NewPCG(seed, 1))
	codeW, codeH := bm.GetWidth()*moduleW, 90
	if codeW+40 > fw {
		t.Fatalf("%q: code %d px wide does not fit", text, codeW)
	}
	x0, y0 := 20+r.IntN(fw-codeW-40), 40+r.IntN(fh-codeH-80)
	for y := 0; y < fh; y++ {
		for x := 0; x < fw; x++ {
			v := 110.0 // background
			if x >= x0-15 && x < x0+codeW+15 && y >= y0-15 && y < y0+codeH+15 {
				v = 225 // paper, with a quiet zone
				if x >= x0 && x < x0+codeW && y >= y0 && y < y0+codeH && bm.Get((x-x0)/moduleW, 0) {
					v = 35
				}
			}
			v += r.NormFloat64() * 4
			g.Pix[y*g.Stride+x] = uint8(max(0, min(255, v)))
		}
	}
	if !vertical {
		return g
	}
	v := image.NewGray(image.Rect(0, 0, fh, fw))
	for y := 0; y < fh; y++ {
		for x := 0; x < fw; x++ {
			v.Pix[x*v.Stride+y] = g.Pix[y*g.Stride+x]
		}
	}
	return v
}

func TestLinearFormats(t *testing.T) {
	all := []qr.Format{qr.FormatQR, qr.FormatCode128, qr.FormatEAN13, qr.FormatEAN8, qr.FormatITF}
	tests := []struct {
		name   string
		writer gozxing.Writer
		zf     gozxing.BarcodeFormat
		format qr.Format
		text   string
		module int
	}{
		{"code128", oned.NewCode128Writer(), gozxing.BarcodeFormat_CODE_128, qr.FormatCode128, "TIX-2024-000123", 2},
		{"ean13", oned.NewEAN13Writer(), gozxing.BarcodeFormat_EAN_13, qr.FormatEAN13, "4006381333931", 3},
		{"ean8", oned.NewEAN8Writer(), gozxing.BarcodeFormat_EAN_8, qr.FormatEAN8, "96385074", 3},
		{"itf", oned.NewITFWriter(), gozxing.BarcodeFormat_ITF, qr.FormatITF, "00012345678905", 3},
	}
	for i, tc := range tests {
		for _, vertical := range []bool{false, true} {
			name := tc.name
			if vertical {
				name += "/vertical"
			}
			t.Run(name, func(t *testing.T) {
				g := linearFrame(t, tc.writer, tc.zf, tc.text, tc.module, vertical, uint64(i))
				d := qr.NewDecoder(qr.Options{Formats: all})
				r, err := d.Decode(g)
				if err != nil {
					t.Fatal(err)
				}
				if r.Text != tc.text || r.Format != tc.format {
					t.Fatalf("got %q (%s), want %q (%s)", r.Text, r.Format, tc.text, tc.format)
				}
				if len(r.Corners) != 2 {
					t.Fatalf("%d corners, want the 2 ends of the scan line", len(r.Corners))
				}
				for _, p := range r.Corners {
					if !image.Pt(int(p.X), int(p.Y)).In(g.Bounds()) {
						t.Errorf("end %v outside the frame %v", p, g.Bounds())
					}
				}
				// Only the formats asked for are read.
				only := qr.NewDecoder(qr.Options{Formats: []qr.Format{qr.FormatQR}})
				if _, err := only.Decode(g); !errors.Is(err, qr.ErrNotFound) {
					t.Errorf("QR only: err = %v, want ErrNotFound", err)
				}
				// Stills read them too.
				still := qr.NewDecoder(qr.Options{Formats: all, Still: true})
				if r, err := still.DecodeImage(g); err != nil || r.Text != tc.text {
					t.Errorf("still: %v, %v", r, err)
				}
			})
		}
	}
}

// TestLinearAfterQR checks that with linear formats enabled a QR code is
// still read as QR, and that the linear readers run only after QR fails.
func TestLinearAfterQR(t *testing.T) {
	f := synthetic(50, 640, 480)[1]
	d := qr.NewDecoder(qr.Options{Formats: []qr.Format{qr.FormatCode128, qr.FormatQR}})
	r, err := d.Decode(f.Gray)
	if err != nil || r.Format != qr.FormatQR || r.Text != f.Text {
		t.Fatalf("got %v, %v", r, err)
	}
	// Formats without QR: the QR code is not read.
	d = qr.NewDecoder(qr.Options{Formats: []qr.Format{qr.FormatCode128}})
	if _, err := d.Decode(f.Gray); !errors.Is(err, qr.ErrNotFound) {
		t.Errorf("Code 128 only on a QR frame: err = %v, want ErrNotFound", err)
	}
}
