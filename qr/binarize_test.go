package qr

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/makiuchi-d/gozxing"
)

func TestTransposeMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, size := range [][2]int{{1, 1}, {31, 33}, {64, 64}, {100, 37}, {129, 250}} {
		w, h := size[0], size[1]
		m, _ := gozxing.NewBitMatrix(w, h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if r.IntN(2) == 0 {
					m.Set(x, y)
				}
			}
		}
		var s bitScratch
		tr := s.transpose(m)
		if tr.GetWidth() != h || tr.GetHeight() != w {
			t.Fatalf("%dx%d: transpose is %dx%d", w, h, tr.GetWidth(), tr.GetHeight())
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if m.Get(x, y) != tr.Get(y, x) {
					t.Fatalf("%dx%d: bit (%d,%d) differs from transposed (%d,%d)", w, h, x, y, y, x)
				}
			}
		}
	}
}

// TestBinarizersMatchGozxing pins our binarizers (the hybrid one without its
// noise adaptation) to gozxing's on planes
// whose sides are multiples of the 8-pixel block, where they must agree
// bit for bit (at other sizes they differ only in the last partial block).
func TestBinarizersMatchGozxing(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, size := range [][2]int{{40, 40}, {64, 48}, {320, 240}} {
		w, h := size[0], size[1]
		// A stride wider than the width, as a JPEG Y plane has.
		stride := w + 16
		pix := make([]byte, stride*h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				// Smooth blobs plus noise, so some blocks are flat.
				v := 128 + 100*math.Sin(float64(x)/9)*math.Cos(float64(y)/13) + r.NormFloat64()*6
				pix[y*stride+x] = uint8(max(0, min(255, v)))
			}
		}
		p := plane{pix: pix, stride: stride, width: w, height: h}
		var s bitScratch
		for _, tc := range []struct {
			name string
			ours func() (*gozxing.BitMatrix, error)
			want gozxing.Binarizer
		}{
			{"hybrid", func() (*gozxing.BitMatrix, error) { return biasedBinarize(p, &s, 0, 0) }, gozxing.NewHybridBinarizer(newGraySource(p))},
			{"global", func() (*gozxing.BitMatrix, error) { return globalBinarize(p, &s) }, gozxing.NewGlobalHistgramBinarizer(newGraySource(p))},
		} {
			got, err := tc.ours()
			if err != nil {
				t.Fatalf("%s %dx%d: %v", tc.name, w, h, err)
			}
			want, err := tc.want.GetBlackMatrix()
			if err != nil {
				t.Fatalf("%s %dx%d gozxing: %v", tc.name, w, h, err)
			}
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					if got.Get(x, y) != want.Get(x, y) {
						t.Fatalf("%s %dx%d: pixel (%d,%d) is %v, gozxing says %v", tc.name, w, h, x, y, got.Get(x, y), want.Get(x, y))
					}
				}
			}
		}
	}
}

// TestNegativePlane checks that a negative plane binarizes and samples
// exactly as its inverse written out does.
func TestNegativePlane(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, size := range [][2]int{{30, 20}, {64, 48}, {203, 101}} {
		w, h := size[0], size[1]
		stride := w + 3
		pix := make([]byte, stride*h)
		for i := range pix {
			pix[i] = uint8(128 + 90*math.Sin(float64(i%stride)/5+float64(i/stride)/7) + r.NormFloat64()*5)
		}
		neg := plane{pix: pix, stride: stride, width: w, height: h, neg: true}
		inv := invertInto(plane{pix: pix, stride: stride, width: w, height: h}, nil)
		var s1, s2 bitScratch
		for _, k := range []int{0, noiseRange} {
			for _, bias := range []int{0, darkBias, -darkBias} {
				a, err1 := biasedBinarize(neg, &s1, bias, k)
				b, err2 := biasedBinarize(inv, &s2, bias, k)
				if (err1 == nil) != (err2 == nil) {
					t.Fatalf("%dx%d: errors %v, %v", w, h, err1, err2)
				}
				if err1 == nil && a.String() != b.String() {
					t.Errorf("%dx%d k=%d bias=%d: hybrid of the negative plane differs", w, h, k, bias)
				}
			}
		}
		a, err1 := globalBinarize(neg, &s1)
		b, err2 := globalBinarize(inv, &s2)
		if (err1 == nil) != (err2 == nil) || (err1 == nil && a.String() != b.String()) {
			t.Errorf("%dx%d: global of the negative plane differs (%v, %v)", w, h, err1, err2)
		}
		for range 20 {
			x, y := r.Float64()*float64(w), r.Float64()*float64(h)
			if bn, bi := bilinear(neg, x, y), bilinear(inv, x, y); math.Abs(bn-bi) > 1e-9 {
				t.Errorf("bilinear(%.1f,%.1f): %v vs %v", x, y, bn, bi)
			}
		}
	}
}
