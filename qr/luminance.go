package qr

import (
	"errors"
	"fmt"

	"github.com/makiuchi-d/gozxing"
)

// plane is a window onto an 8-bit luminance plane with a row stride: an
// *image.Gray's Pix, a JPEG Y plane or a downscaled copy, never copied.
// A negative plane stands for its inverse, 255-v at every pixel, without
// writing it out: the binarizers and the luminance samplers honour neg,
// which makes the pass for light-on-dark codes as cheap as the others.
type plane struct {
	pix           []byte
	stride        int
	width, height int
	neg           bool
}

// row returns row y of the window, aliasing pix.
func (p plane) row(y int) []byte {
	off := y * p.stride
	return p.pix[off : off+p.width : off+p.width]
}

// sub returns the window (left, top, width, height) of p, sharing pixels.
func (p plane) sub(left, top, width, height int) plane {
	off := top*p.stride + left
	end := off + (height-1)*p.stride + width
	return plane{pix: p.pix[off:end:end], stride: p.stride, width: width, height: height, neg: p.neg}
}

// compact reports whether the rows are contiguous, so the window is one
// width*height slice.
func (p plane) compact() bool { return p.stride == p.width || p.height == 1 }

// graySource is a gozxing.LuminanceSource over a plane. GetRow copies one
// row (callers such as gozxing's InvertedLuminanceSource write into it);
// GetMatrix returns the pixels themselves when the rows are contiguous and
// otherwise packs them once and keeps the packed copy.
type graySource struct {
	p      plane
	packed []byte
}

var _ gozxing.LuminanceSource = (*graySource)(nil)

func newGraySource(p plane) *graySource {
	if p.neg {
		p = invertInto(p, nil)
	}
	return &graySource{p: p}
}

// GetRow implements gozxing.LuminanceSource.
func (s *graySource) GetRow(y int, row []byte) ([]byte, error) {
	if y < 0 || y >= s.p.height {
		return nil, fmt.Errorf("IllegalArgumentException: requested row %d is outside the image", y)
	}
	if len(row) < s.p.width {
		row = make([]byte, s.p.width)
	}
	copy(row, s.p.row(y))
	return row, nil
}

// GetMatrix implements gozxing.LuminanceSource. The result must not be
// modified.
func (s *graySource) GetMatrix() []byte {
	if s.p.compact() {
		return s.p.pix[:s.p.width*s.p.height]
	}
	if s.packed == nil {
		s.packed = make([]byte, s.p.width*s.p.height)
		for y := 0; y < s.p.height; y++ {
			copy(s.packed[y*s.p.width:], s.p.row(y))
		}
	}
	return s.packed
}

// GetWidth implements gozxing.LuminanceSource.
func (s *graySource) GetWidth() int { return s.p.width }

// GetHeight implements gozxing.LuminanceSource.
func (s *graySource) GetHeight() int { return s.p.height }

// IsCropSupported implements gozxing.LuminanceSource.
func (s *graySource) IsCropSupported() bool { return true }

// Crop implements gozxing.LuminanceSource without copying pixels.
func (s *graySource) Crop(left, top, width, height int) (gozxing.LuminanceSource, error) {
	if left < 0 || top < 0 || width < 1 || height < 1 || left+width > s.p.width || top+height > s.p.height {
		return nil, errors.New("IllegalArgumentException: crop rectangle does not fit within image data")
	}
	return newGraySource(s.p.sub(left, top, width, height)), nil
}

// IsRotateSupported implements gozxing.LuminanceSource.
func (s *graySource) IsRotateSupported() bool { return true }

// Invert implements gozxing.LuminanceSource.
func (s *graySource) Invert() gozxing.LuminanceSource {
	return gozxing.NewInvertedLuminanceSource(s)
}

// RotateCounterClockwise implements gozxing.LuminanceSource with a rotated
// copy of the pixels.
func (s *graySource) RotateCounterClockwise() (gozxing.LuminanceSource, error) {
	return newGraySource(rotate(s.p, 1, nil)), nil
}

// RotateCounterClockwise45 implements gozxing.LuminanceSource; it is not
// supported.
func (s *graySource) RotateCounterClockwise45() (gozxing.LuminanceSource, error) {
	return nil, errors.New("UnsupportedOperationException: 45 degree rotation is not supported")
}

// String implements gozxing.LuminanceSource.
func (s *graySource) String() string { return gozxing.LuminanceSourceString(s) }

// rotate returns p turned counter-clockwise by quarter turns (1 to 3), in
// buf if it is large enough. One turn maps pixel (x, y) of the W x H input
// to (y, W-1-x).
func rotate(p plane, quarters int, buf []byte) plane {
	w, h := p.height, p.width
	if quarters%2 == 0 {
		w, h = p.width, p.height
	}
	if cap(buf) < w*h {
		buf = make([]byte, w*h)
	}
	buf = buf[:w*h]
	for sy := 0; sy < p.height; sy++ {
		src := p.row(sy)
		switch quarters % 4 {
		case 1:
			for sx, v := range src {
				buf[(p.width-1-sx)*w+sy] = v
			}
		case 2:
			dst := buf[(p.height-1-sy)*w : (p.height-sy)*w]
			for sx, v := range src {
				dst[p.width-1-sx] = v
			}
		case 3:
			for sx, v := range src {
				buf[sx*w+p.height-1-sy] = v
			}
		default:
			copy(buf[sy*w:], src)
		}
	}
	return plane{pix: buf, stride: w, width: w, height: h, neg: p.neg}
}

// downscale2 halves p in each direction by averaging 2x2 blocks into buf
// (grown as needed). A box filter is the cheapest low-pass: it removes the
// sensor noise and the JPEG ringing that the binarizers otherwise turn into
// speckle, and quarters the work of every later step.
func downscale2(p plane, buf []byte) plane {
	w, h := p.width/2, p.height/2
	if cap(buf) < w*h {
		buf = make([]byte, w*h)
	}
	buf = buf[:w*h]
	for y := 0; y < h; y++ {
		r0 := p.row(2 * y)
		r1 := p.row(2*y + 1)
		out := buf[y*w : y*w+w]
		r0 = r0[:2*w]
		r1 = r1[:2*w]
		for x := range out {
			out[x] = uint8((uint(r0[2*x]) + uint(r0[2*x+1]) + uint(r1[2*x]) + uint(r1[2*x+1]) + 2) >> 2)
		}
	}
	return plane{pix: buf, stride: w, width: w, height: h, neg: p.neg}
}

// invertInto writes the pixels p stands for, inverted, into buf, compact:
// 255-v of each pixel of a plane, the pixels themselves of a negative one.
func invertInto(p plane, buf []byte) plane {
	n := p.width * p.height
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	for y := 0; y < p.height; y++ {
		src := p.row(y)
		dst := buf[y*p.width : y*p.width+p.width]
		if p.neg {
			copy(dst, src)
			continue
		}
		for x, v := range src {
			dst[x] = 255 - v
		}
	}
	return plane{pix: buf, stride: p.width, width: p.width, height: p.height}
}
