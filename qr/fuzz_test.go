package qr_test

import (
	"bytes"
	"errors"
	"image"
	"testing"

	"github.com/admitone/admitone/qr"
)

// FuzzDecode feeds arbitrary bytes to Decode as a luminance frame of
// arbitrary shape. Decode must never panic, and must say why it failed.
func FuzzDecode(f *testing.F) {
	var png bytes.Buffer
	if err := qr.PNG("AT1:FUZZ", 1, &png); err != nil {
		f.Fatal(err)
	}
	c, _ := qr.Encode("AT1:FUZZ SEED", qr.ECLevelM)
	img, _ := c.Image(2)
	f.Add(uint16(img.Rect.Dx()), uint16(img.Stride), img.Pix)
	f.Add(uint16(7), uint16(7), png.Bytes())
	f.Add(uint16(40), uint16(41), bytes.Repeat([]byte{0, 255, 0, 0, 0, 255, 0}, 300))
	f.Add(uint16(0), uint16(0), []byte{})
	d := qr.NewDecoder(qr.Options{Formats: []qr.Format{qr.FormatQR, qr.FormatCode128, qr.FormatEAN13, qr.FormatEAN8, qr.FormatITF}})
	f.Fuzz(func(t *testing.T, width, stride uint16, pix []byte) {
		// Bound the frame so that each run, and the minimization of
		// what it finds, stays fast.
		if len(pix) > 1<<15 {
			pix = pix[:1<<15]
		}
		w, s := int(width)%512, int(stride)%600
		h := 0
		if s > 0 {
			h = len(pix) / s
		}
		g := &image.Gray{Pix: pix, Stride: s, Rect: image.Rect(0, 0, w, h)}
		r, err := d.Decode(g)
		if err == nil {
			if r.Text == "" && r.Format == qr.FormatQR {
				t.Errorf("decoded an empty QR code from %dx%d", w, h)
			}
			return
		}
		if !errors.Is(err, qr.ErrNotFound) && !errors.Is(err, qr.ErrBadFrame) && !errors.Is(err, qr.ErrDecoderPanic) {
			t.Errorf("error %v is none of the sentinels", err)
		}
	})
}
