package qr

import (
	"math"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
)

// sampleGray reads a dim x dim module grid from the luminance plane rather
// than from a binarized image: each module is the bilinear luminance at its
// centre, thresholded against the mean of the modules around it. Compared
// with sampling a binarizer's output this keeps the blurred, noisy and
// unevenly lit modules that a pixel threshold gets wrong: the decision is
// made once per module, at the point that matters, against neighbours that
// share its lighting.
func sampleGray(p plane, t *common.PerspectiveTransform, dim int, vals []float64) (*gozxing.BitMatrix, []float64, error) {
	n := dim * dim
	if cap(vals) < n {
		vals = make([]float64, n)
	}
	vals = vals[:n]
	pts := make([]float64, 2*dim)
	w, h := float64(p.width), float64(p.height)
	for y := 0; y < dim; y++ {
		for x := 0; x < dim; x++ {
			pts[2*x] = float64(x) + 0.5
			pts[2*x+1] = float64(y) + 0.5
		}
		t.TransformPoints(pts)
		for x := 0; x < dim; x++ {
			px, py := pts[2*x], pts[2*x+1]
			// Half a pixel of slack at the border, like gozxing's nudge.
			if !(px >= -0.5 && py >= -0.5 && px <= w+0.5 && py <= h+0.5) {
				return nil, vals, gozxing.NewNotFoundException("module outside image")
			}
			vals[y*dim+x] = bilinear(p, px-0.5, py-0.5)
		}
	}
	// Threshold each module at the mean of a 7x7-module window, from a
	// summed-area table of the samples.
	sat := make([]float64, (dim+1)*(dim+1))
	for y := 0; y < dim; y++ {
		row := 0.0
		for x := 0; x < dim; x++ {
			row += vals[y*dim+x]
			sat[(y+1)*(dim+1)+x+1] = sat[y*(dim+1)+x+1] + row
		}
	}
	const r = 3
	bits, err := gozxing.NewBitMatrix(dim, dim)
	if err != nil {
		return nil, vals, err
	}
	for y := 0; y < dim; y++ {
		y0, y1 := max(y-r, 0), min(y+r+1, dim)
		for x := 0; x < dim; x++ {
			x0, x1 := max(x-r, 0), min(x+r+1, dim)
			sum := sat[y1*(dim+1)+x1] - sat[y0*(dim+1)+x1] - sat[y1*(dim+1)+x0] + sat[y0*(dim+1)+x0]
			mean := sum / float64((y1-y0)*(x1-x0))
			if vals[y*dim+x] < mean {
				bits.Set(x, y)
			}
		}
	}
	return bits, vals, nil
}

// bilinear interpolates p at (x, y) in pixel-index coordinates, clamping at
// the borders.
func bilinear(p plane, x, y float64) float64 {
	x = math.Max(0, math.Min(x, float64(p.width-1)))
	y = math.Max(0, math.Min(y, float64(p.height-1)))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, p.width-1), min(y0+1, p.height-1)
	fx, fy := x-float64(x0), y-float64(y0)
	r0, r1 := p.row(y0), p.row(y1)
	top := float64(r0[x0])*(1-fx) + float64(r0[x1])*fx
	bot := float64(r1[x0])*(1-fx) + float64(r1[x1])*fx
	if v := top*(1-fy) + bot*fy; !p.neg {
		return v
	} else {
		return 255 - v
	}
}

// grayAlignment looks for the bottom-right alignment pattern by template
// matching on the luminance plane: around where the finder patterns put it,
// it scores each candidate centre by how much lighter the pattern's light
// ring is than its dark ring and centre. gozxing's finder works on the
// binarized image and misses the 1-module rings when blur or a coarse
// threshold merges them, which leaves tilted codes sampled as
// parallelograms; this finds them. Reed-Solomon decoding judges the result.
func grayAlignment(p plane, tl, tr, bl gozxing.ResultPoint, dim int) (x, y float64, ok bool) {
	between := float64(dim - 7)
	// Module vectors of the affine frame the finder centres span.
	exX, exY := (tr.GetX()-tl.GetX())/between, (tr.GetY()-tl.GetY())/between
	eyX, eyY := (bl.GetX()-tl.GetX())/between, (bl.GetY()-tl.GetY())/between
	if math.Hypot(exX, exY) < 1 || math.Hypot(eyX, eyY) < 1 {
		return 0, 0, false // modules under a pixel: nothing to match
	}
	// The alignment centre is 3 modules in from the bottom-right corner:
	// module (dim-6.5, dim-6.5), dim-10 modules from the top-left centre
	// along both axes.
	k := float64(dim - 10)
	cx := tl.GetX() + k*(exX+eyX)
	cy := tl.GetY() + k*(exY+eyY)
	score := func(u, v float64) float64 {
		var dark, light float64
		for j := -2; j <= 2; j++ {
			for i := -2; i <= 2; i++ {
				mu, mv := u+float64(i), v+float64(j)
				px := cx + mu*exX + mv*eyX
				py := cy + mu*exY + mv*eyY
				val := bilinear(p, px-0.5, py-0.5)
				if i == -2 || i == 2 || j == -2 || j == 2 || (i == 0 && j == 0) {
					dark += val
				} else {
					light += val
				}
			}
		}
		return light/8 - dark/17
	}
	// A whole-module grid finds the pattern within half a module, where
	// it still scores well; then refine to a quarter module.
	reach := math.Round(math.Max(3, 0.15*k))
	best, bu, bv := math.Inf(-1), 0.0, 0.0
	for v := -reach; v <= reach; v++ {
		for u := -reach; u <= reach; u++ {
			if s := score(u, v); s > best {
				best, bu, bv = s, u, v
			}
		}
	}
	for _, step := range []float64{0.5, 0.25} {
		u0, v0 := bu, bv
		for v := v0 - step; v <= v0+step; v += step {
			for u := u0 - step; u <= u0+step; u += step {
				if s := score(u, v); s > best {
					best, bu, bv = s, u, v
				}
			}
		}
	}
	if !(best > 8) { // no contrast at all: not a pattern
		return 0, 0, false
	}
	return cx + bu*exX + bv*eyX, cy + bu*exY + bv*eyY, true
}

// timingRuns checks the timing patterns by counting: it samples row 6 and
// column 6 between the finder patterns at a quarter module, thresholds each
// line at its mean, and reports whether either line has the number of dark
// runs a symbol of size dim has, (dim-15)/2, give or take one. Counting
// runs rather than testing module centres tolerates the drift that
// perspective puts between the ends the finder patterns anchor.
func timingRuns(p plane, t *common.PerspectiveTransform, dim int) bool {
	n := dim - 16 // timing modules 8 .. dim-9
	if n < 1 {
		return false
	}
	want := (n + 1) / 2
	const k = 4 // samples per module
	m := (n + 1) * k
	pts := make([]float64, 2*m)
	vals := make([]float64, m)
	w, h := float64(p.width), float64(p.height)
	good := 0
	for line := 0; line < 2; line++ {
		// From the middle of the separator (module 7.5) to the middle of
		// the other separator (module dim-7.5).
		for i := 0; i < m; i++ {
			a := 7.5 + float64(i)/k + 0.5/k
			if line == 0 {
				pts[2*i], pts[2*i+1] = a, 6.5
			} else {
				pts[2*i], pts[2*i+1] = 6.5, a
			}
		}
		t.TransformPoints(pts)
		mean := 0.0
		ok := true
		for i := range vals {
			x, y := pts[2*i], pts[2*i+1]
			if !(x >= 0 && y >= 0 && x < w && y < h) {
				ok = false
				break
			}
			vals[i] = bilinear(p, x-0.5, y-0.5)
			mean += vals[i]
		}
		if !ok {
			continue
		}
		mean /= float64(m)
		runs, dark := 0, false
		for _, v := range vals {
			if d := v < mean; d != dark {
				if d {
					runs++
				}
				dark = d
			}
		}
		if runs >= want-1 && runs <= want+1 {
			good++
		}
	}
	return good > 0
}
