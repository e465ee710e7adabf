package qr

import (
	"fmt"
	"image"
)

// DecodeImage decodes a single picture, e.g. a PNG or JPEG file: it runs
// every camera pass and then the slow ones meant for stills (see
// Options.Still), for QR codes only. Use a Decoder with Options.Still for
// other formats.
func DecodeImage(img image.Image) (*Result, error) {
	return NewDecoder(Options{Still: true}).DecodeImage(img)
}

// DecodeImage decodes any image. *image.Gray and *image.YCbCr (what
// image/jpeg returns) are read in place through their luminance plane; other
// types are converted to luminance once, composited over white so that a
// code drawn on a transparent background reads.
func (d *Decoder) DecodeImage(img image.Image) (*Result, error) {
	if img == nil {
		return nil, fmt.Errorf("%w: nil image", ErrBadFrame)
	}
	var p plane
	var err error
	switch m := img.(type) {
	case *image.Gray:
		return d.Decode(m)
	case *image.YCbCr:
		p, err = planeOf(m.Y, m.YStride, m.Rect)
	default:
		p, err = toLuma(img)
	}
	if err != nil {
		return nil, err
	}
	res, err := d.decodePlane(p)
	if res != nil {
		offset(res.Corners, img.Bounds().Min)
	}
	return res, err
}

// maxStillPixels bounds the pictures DecodeImage converts, so a hostile
// file's header cannot make it allocate gigabytes.
const maxStillPixels = 64 << 20

// toLuma converts img to an 8-bit luminance plane with the weights of
// color.GrayModel, over a white background.
func toLuma(img image.Image) (plane, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return plane{}, fmt.Errorf("%w: empty bounds %v", ErrBadFrame, b)
	}
	if w > maxStillPixels/h {
		return plane{}, fmt.Errorf("%w: %dx%d image too large", ErrBadFrame, w, h)
	}
	pix := make([]byte, w*h)
	luma := func(r, g, bl, a uint32) byte {
		// Premultiplied colour over white: add the uncovered part.
		white := 0xffff - a
		r, g, bl = r+white, g+white, bl+white
		return byte((19595*r + 38470*g + 7471*bl + 1<<15) >> 24)
	}
	switch m := img.(type) {
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			out := pix[y*w : y*w+w]
			for x := range out {
				c := row[4*x : 4*x+4 : 4*x+4]
				out[x] = luma(uint32(c[0])*0x101, uint32(c[1])*0x101, uint32(c[2])*0x101, uint32(c[3])*0x101)
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			out := pix[y*w : y*w+w]
			for x := range out {
				c := row[4*x : 4*x+4 : 4*x+4]
				a := uint32(c[3]) * 0x101
				out[x] = luma(uint32(c[0])*a/0xff, uint32(c[1])*a/0xff, uint32(c[2])*a/0xff, a)
			}
		}
	default:
		for y := 0; y < h; y++ {
			out := pix[y*w : y*w+w]
			for x := range out {
				out[x] = luma(img.At(b.Min.X+x, b.Min.Y+y).RGBA())
			}
		}
	}
	return plane{pix: pix, stride: w, width: w, height: h}, nil
}
