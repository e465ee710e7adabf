package qr

import (
	"bytes"
	"testing"
)

// TestGraySource checks the gozxing LuminanceSource over a strided plane:
// rows, the matrix (shared when contiguous), crops and rotation.
func TestGraySource(t *testing.T) {
	const w, h, stride = 5, 4, 8
	pix := make([]byte, stride*h)
	for y := 0; y < h; y++ {
		for x := 0; x < stride; x++ {
			pix[y*stride+x] = byte(10*y + x) // x >= w is padding
		}
	}
	s := newGraySource(plane{pix: pix, stride: stride, width: w, height: h})
	row, err := s.GetRow(2, nil)
	if err != nil || !bytes.Equal(row, []byte{20, 21, 22, 23, 24}) {
		t.Fatalf("GetRow(2) = %v, %v", row, err)
	}
	if _, err := s.GetRow(h, nil); err == nil {
		t.Error("GetRow past the last row: no error")
	}
	m := s.GetMatrix()
	if len(m) != w*h || m[w] != 10 || m[w*h-1] != 34 {
		t.Fatalf("GetMatrix packed wrong: %v", m)
	}
	c, err := s.Crop(1, 1, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.GetMatrix(); !bytes.Equal(got, []byte{11, 12, 13, 21, 22, 23}) {
		t.Errorf("Crop matrix = %v", got)
	}
	if _, err := s.Crop(3, 0, 3, 1); err == nil {
		t.Error("crop beyond the right edge: no error")
	}
	// A contiguous plane's matrix is the pixels themselves.
	full := newGraySource(plane{pix: pix[:stride*h], stride: stride, width: stride, height: h})
	if m := full.GetMatrix(); &m[0] != &pix[0] {
		t.Error("contiguous plane: GetMatrix copied")
	}
	r, err := s.RotateCounterClockwise()
	if err != nil {
		t.Fatal(err)
	}
	// Turning counter-clockwise puts the top-right pixel at the top left.
	if r.GetWidth() != h || r.GetHeight() != w || r.GetMatrix()[0] != 4 {
		t.Errorf("rotated %dx%d, first pixel %d", r.GetWidth(), r.GetHeight(), r.GetMatrix()[0])
	}
	inv, _ := s.Invert().GetRow(0, nil)
	if inv[0] != 255 || inv[4] != 251 {
		t.Errorf("inverted row 0 = %v", inv)
	}
	// Inverting must not have written into the frame.
	if pix[0] != 0 {
		t.Error("Invert modified the frame")
	}
}
