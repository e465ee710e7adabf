package qr

import (
	"math"
	"sort"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	"github.com/makiuchi-d/gozxing/common/util"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// This file drives gozxing's QR finder, alignment, sampling and decoding
// steps itself instead of calling qrcode.QRCodeReader, which commits to its
// first guess at every step. Camera frames of tilted, blurred codes defeat
// those guesses often enough to matter (BENCHMARKS.md):
//
//   - the version is estimated from the distance between finder patterns
//     divided by a module size, and perspective skews that ratio: 41
//     modules come out as 39, and 39 is not a QR size;
//   - a false finder pattern (text, a bezel corner, noise) can win the
//     selection of three, and the real code is never tried;
//   - a row scan misses finder patterns that a column scan finds;
//   - the alignment pattern is missed on the binarized image, and the
//     grid is then sampled as a parallelogram, wrong under perspective;
//   - sampling the binarized image inherits its thresholding errors.
//
// So we also try the neighbouring sizes, the next-best finder triples,
// triples from a column scan, an alignment pattern found by template
// matching on the luminance plane (grayAlignment), and a grid sampled from
// the luminance plane (sampleGray). Reed-Solomon decoding rejects wrong
// guesses. To keep frames without a code cheap, a size is tried only if the
// timing patterns show at it (timingRuns), and a pass samples at most
// maxAttempts grids.

// qrHit is a decoded symbol located in pass-image coordinates.
type qrHit struct {
	text       string
	dim        int
	bl, tl, tr gozxing.ResultPoint
	align      gozxing.ResultPoint // nil without an alignment pattern
}

// maxTriples bounds the finder-pattern triples tried per pass.
const maxTriples = 4

// maxAttempts bounds the grids sampled and decoded per pass. Junk finder
// patterns in a busy scene can otherwise cost tens of milliseconds; no
// code in BENCHMARKS.md's sets needed more than 9.
const maxAttempts = 16

var errBudget = gozxing.NewNotFoundException("attempt budget spent")

// detectQR finds and decodes a QR symbol in a binarized pass image: first
// from the finder patterns a row scan finds, then, if columns is set, from
// those a column scan (a row scan of the transpose) adds.
func (d *Decoder) detectQR(src plane, bm *gozxing.BitMatrix, columns bool) (*qrHit, error) {
	d.attempts = 0
	finder := detector.NewFinderPatternFinder(bm, nil)
	info, findErr := finder.Find(nil)
	var tried [][3]*detector.FinderPattern
	if findErr == nil {
		tried = append(tried, [3]*detector.FinderPattern{info.GetBottomLeft(), info.GetTopLeft(), info.GetTopRight()})
	}
	cands := finder.GetPossibleCenters()
	triples := append(tried, otherTriples(cands, tried, maxTriples-len(tried))...)
	var lastErr error = findErr
	if hit, err := d.tryTriples(src, bm, triples); err == nil {
		return hit, nil
	} else if len(triples) > 0 {
		lastErr = err
	}
	if !columns || len(cands) == 0 {
		// With not a single finder-like pattern across the rows there
		// is no code to find down the columns either: a code's finder
		// patterns show in both directions, if not all three.
		return nil, lastErr
	}
	tfinder := detector.NewFinderPatternFinder(d.bits.transpose(bm), nil)
	tinfo, terr := tfinder.Find(nil)
	var more [][3]*detector.FinderPattern
	if terr == nil {
		a, b, c := untranspose(tinfo.GetBottomLeft()), untranspose(tinfo.GetTopLeft()), untranspose(tinfo.GetTopRight())
		pbl, ptl, ptr := gozxing.ResultPoint_OrderBestPatterns(a, b, c)
		more = append(more, [3]*detector.FinderPattern{pbl.(*detector.FinderPattern), ptl.(*detector.FinderPattern), ptr.(*detector.FinderPattern)})
	}
	for _, c := range tfinder.GetPossibleCenters() {
		cands = append(cands, untranspose(c))
	}
	more = append(more, otherTriples(cands, append(triples, more...), maxTriples-len(more))...)
	if hit, err := d.tryTriples(src, bm, more); err == nil {
		return hit, nil
	} else if len(more) > 0 {
		lastErr = err
	}
	if lastErr == nil {
		lastErr = gozxing.NewNotFoundException("no finder patterns")
	}
	return nil, lastErr
}

// untranspose maps a finder pattern found in the transpose back.
func untranspose(p *detector.FinderPattern) *detector.FinderPattern {
	return detector.NewFinderPattern(p.GetY(), p.GetX(), p.GetEstimatedModuleSize(), p.GetCount())
}

func (d *Decoder) tryTriples(src plane, bm *gozxing.BitMatrix, triples [][3]*detector.FinderPattern) (*qrHit, error) {
	var lastErr error = gozxing.NewNotFoundException("no finder pattern triple")
	for _, t := range triples {
		if d.attempts >= maxAttempts {
			return nil, errBudget
		}
		hit, err := d.decodeTriple(src, bm, t[0], t[1], t[2])
		if err == nil {
			return hit, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// otherTriples ranks the triples of candidate finder patterns by how close
// they come to an isosceles right triangle of similar-sized patterns, as
// gozxing's selection does but tolerant of perspective, and returns up to
// limit of them that are not in seen.
func otherTriples(cands []*detector.FinderPattern, seen [][3]*detector.FinderPattern, limit int) [][3]*detector.FinderPattern {
	if limit <= 0 || len(cands) < 3 {
		return nil
	}
	// The most often confirmed candidates are the likeliest; bound the
	// cubic search.
	if len(cands) > 10 {
		cands = append([]*detector.FinderPattern(nil), cands...)
		sort.SliceStable(cands, func(i, j int) bool { return cands[i].GetCount() > cands[j].GetCount() })
		cands = cands[:10]
	}
	type scored struct {
		t     [3]*detector.FinderPattern
		score float64
	}
	var all []scored
	for i := 0; i < len(cands); i++ {
		for j := i + 1; j < len(cands); j++ {
			for k := j + 1; k < len(cands); k++ {
				a, b, c := cands[i], cands[j], cands[k]
				lo := math.Min(a.GetEstimatedModuleSize(), math.Min(b.GetEstimatedModuleSize(), c.GetEstimatedModuleSize()))
				hi := math.Max(a.GetEstimatedModuleSize(), math.Max(b.GetEstimatedModuleSize(), c.GetEstimatedModuleSize()))
				if hi > lo*1.6 {
					continue
				}
				pbl, ptl, ptr := gozxing.ResultPoint_OrderBestPatterns(a, b, c)
				bl, tl, tr := pbl.(*detector.FinderPattern), ptl.(*detector.FinderPattern), ptr.(*detector.FinderPattern)
				dA := gozxing.ResultPoint_Distance(tl, bl)
				dB := gozxing.ResultPoint_Distance(tl, tr)
				dC := gozxing.ResultPoint_Distance(tr, bl)
				ms := (a.GetEstimatedModuleSize() + b.GetEstimatedModuleSize() + c.GetEstimatedModuleSize()) / 3
				// Centres of a real code are 14 to 170 modules apart.
				if n := (dA + dB) / 2 / ms; n < 10 || n > 180 {
					continue
				}
				// Perspective stretches the legs unequally and bends
				// the right angle; allow for both.
				legs := math.Abs(dA-dB) / math.Min(dA, dB)
				hyp := math.Abs(dC-math.Hypot(dA, dB)) / dC
				if legs > 0.5 || hyp > 0.25 {
					continue
				}
				t := [3]*detector.FinderPattern{bl, tl, tr}
				if containsTriple(seen, t) {
					continue
				}
				all = append(all, scored{t, legs + 2*hyp + (hi/lo - 1)})
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].score < all[j].score })
	var out [][3]*detector.FinderPattern
	for _, s := range all {
		if len(out) == limit {
			break
		}
		out = append(out, s.t)
	}
	return out
}

// containsTriple reports whether ts holds a triple at the same places as t
// (within a module: the row and column scans estimate the same centre a
// little differently).
func containsTriple(ts [][3]*detector.FinderPattern, t [3]*detector.FinderPattern) bool {
	near := func(a, b *detector.FinderPattern) bool {
		return math.Abs(a.GetX()-b.GetX()) <= a.GetEstimatedModuleSize() &&
			math.Abs(a.GetY()-b.GetY()) <= a.GetEstimatedModuleSize()
	}
	for _, u := range ts {
		if near(u[0], t[0]) && near(u[1], t[1]) && near(u[2], t[2]) {
			return true
		}
	}
	return false
}

// decodeTriple tries the symbol sizes near the one the finder patterns
// suggest, each with gozxing's alignment pattern, with ours, and with none.
// Sizes whose timing patterns do not show (see timingRuns) are skipped:
// most triples on a frame without a code are false finder patterns, and
// this is where the time would go.
func (d *Decoder) decodeTriple(src plane, bm *gozxing.BitMatrix, bl, tl, tr *detector.FinderPattern) (*qrHit, error) {
	ms := moduleSize(bm, tl, tr, bl)
	if !(ms >= 1) {
		return nil, gozxing.NewNotFoundException("module size %v", ms)
	}
	var lastErr error = gozxing.NewNotFoundException("no timing pattern")
	for _, dim := range candidateDims(tl, tr, bl, ms) {
		affine := detector.Detector_createTransform(tl, tr, bl, nil, dim)
		var align *detector.AlignmentPattern
		if dim > 21 {
			align = findAlignment(bm, tl, tr, bl, ms, dim)
		}
		t := affine
		if align != nil {
			t = detector.Detector_createTransform(tl, tr, bl, align, dim)
		}
		if !timingRuns(src, t, dim) && (align == nil || !timingRuns(src, affine, dim)) {
			continue
		}
		hit, err := d.sampleDecode(src, bm, bl, tl, tr, align, dim, t)
		if err == nil {
			return hit, nil
		}
		lastErr = err
		if d.attempts >= maxAttempts {
			break
		}
		if dim > 21 {
			if x, y, ok := grayAlignment(src, tl, tr, bl, dim); ok {
				if align == nil || math.Hypot(x-align.GetX(), y-align.GetY()) > ms/2 {
					ga := detector.NewAlignmentPattern(x, y, ms)
					gt := detector.Detector_createTransform(tl, tr, bl, ga, dim)
					if hit, err := d.sampleDecode(src, bm, bl, tl, tr, ga, dim, gt); err == nil {
						return hit, nil
					}
				}
			}
		}
		if align != nil {
			if hit, err := d.sampleDecode(src, bm, bl, tl, tr, nil, dim, affine); err == nil {
				return hit, nil
			}
		}
	}
	return nil, lastErr
}

// sampleDecode samples the grid transform t defines, from the binarized
// image as gozxing does and, failing that, from the luminance plane, and
// decodes it.
func (d *Decoder) sampleDecode(src plane, bm *gozxing.BitMatrix, bl, tl, tr gozxing.ResultPoint, align *detector.AlignmentPattern, dim int, t *common.PerspectiveTransform) (*qrHit, error) {
	if d.attempts >= maxAttempts {
		return nil, errBudget
	}
	d.attempts++
	bits, err := detector.Detector_sampleGrid(bm, t, dim)
	if err != nil {
		return nil, err
	}
	dr, err := d.qrDecoder.Decode(bits, nil)
	if err != nil {
		gbits, vals, gerr := sampleGray(src, t, dim, d.vals)
		d.vals = vals
		if gerr != nil {
			return nil, err
		}
		var err2 error
		if dr, err2 = d.qrDecoder.Decode(gbits, nil); err2 != nil {
			return nil, err
		}
	}
	hit := &qrHit{text: dr.GetText(), dim: dim, bl: bl, tl: tl, tr: tr}
	if align != nil {
		hit.align = align
	}
	if md, ok := dr.GetOther().(*decoder.QRCodeDecoderMetaData); ok && md.IsMirrored() {
		hit.bl, hit.tr = hit.tr, hit.bl
	}
	return hit, nil
}

// candidateDims returns the QR sizes (17+4v) to try, nearest to the
// estimate first: the estimate's own size and the next one each way.
func candidateDims(tl, tr, bl gozxing.ResultPoint, ms float64) []int {
	a := gozxing.ResultPoint_Distance(tl, tr) / ms
	b := gozxing.ResultPoint_Distance(tl, bl) / ms
	est := (a+b)/2 + 7
	v := int(math.Round((est - 17) / 4))
	order := []int{v}
	if est-17-4*float64(v) >= 0 {
		order = append(order, v+1, v-1)
	} else {
		order = append(order, v-1, v+1)
	}
	var dims []int
	for _, v := range order {
		if v >= 1 && v <= 40 {
			dims = append(dims, 17+4*v)
		}
	}
	return dims
}

// findAlignment looks for the bottom-right alignment pattern where the
// finder patterns put it, widening the search as gozxing's detector does.
func findAlignment(bm *gozxing.BitMatrix, tl, tr, bl gozxing.ResultPoint, ms float64, dim int) *detector.AlignmentPattern {
	between := float64(dim - 7)
	brX := tr.GetX() - tl.GetX() + bl.GetX()
	brY := tr.GetY() - tl.GetY() + bl.GetY()
	k := 1 - 3/between
	ex := int(tl.GetX() + k*(brX-tl.GetX()))
	ey := int(tl.GetY() + k*(brY-tl.GetY()))
	for f := 4.0; f <= 16; f *= 2 {
		allow := int(f * ms)
		x0, x1 := max(ex-allow, 0), min(ex+allow, bm.GetWidth()-1)
		y0, y1 := max(ey-allow, 0), min(ey+allow, bm.GetHeight()-1)
		if float64(x1-x0) < 3*ms || float64(y1-y0) < 3*ms {
			return nil
		}
		ap, err := detector.NewAlignmentPatternFinder(bm, x0, y0, x1-x0, y1-y0, ms, nil).Find()
		if err == nil {
			return ap
		}
	}
	return nil
}

// moduleSize estimates the module size along the lines joining the finder
// pattern centres, as gozxing's detector does: the black-white-black run
// across each finder pattern spans 7 modules.
func moduleSize(bm *gozxing.BitMatrix, tl, tr, bl gozxing.ResultPoint) float64 {
	return (moduleSizeOneWay(bm, tl, tr) + moduleSizeOneWay(bm, tl, bl)) / 2
}

func moduleSizeOneWay(bm *gozxing.BitMatrix, p, q gozxing.ResultPoint) float64 {
	e1 := runBothWays(bm, int(p.GetX()), int(p.GetY()), int(q.GetX()), int(q.GetY()))
	e2 := runBothWays(bm, int(q.GetX()), int(q.GetY()), int(p.GetX()), int(p.GetY()))
	switch {
	case math.IsNaN(e1):
		return e2 / 7
	case math.IsNaN(e2):
		return e1 / 7
	}
	return (e1 + e2) / 14
}

// runBothWays measures the black-white-black run from (fromX, fromY)
// towards (toX, toY) and away from it, clipped to the image.
func runBothWays(bm *gozxing.BitMatrix, fromX, fromY, toX, toY int) float64 {
	result := bwbRun(bm, fromX, fromY, toX, toY)
	w, h := bm.GetWidth(), bm.GetHeight()
	scale := 1.0
	otherX := fromX - (toX - fromX)
	if otherX < 0 {
		scale = float64(fromX) / float64(fromX-otherX)
		otherX = 0
	} else if otherX >= w {
		scale = float64(w-1-fromX) / float64(otherX-fromX)
		otherX = w - 1
	}
	otherY := int(float64(fromY) - float64(toY-fromY)*scale)
	scale = 1
	if otherY < 0 {
		scale = float64(fromY) / float64(fromY-otherY)
		otherY = 0
	} else if otherY >= h {
		scale = float64(h-1-fromY) / float64(otherY-fromY)
		otherY = h - 1
	}
	otherX = int(float64(fromX) + float64(otherX-fromX)*scale)
	result += bwbRun(bm, fromX, fromY, otherX, otherY)
	return result - 1 // the start pixel was counted twice
}

// bwbRun walks a Bresenham line from a black pixel and returns the
// distance to the end of the black-white-black run, or NaN.
func bwbRun(bm *gozxing.BitMatrix, fromX, fromY, toX, toY int) float64 {
	steep := abs(toY-fromY) > abs(toX-fromX)
	if steep {
		fromX, fromY = fromY, fromX
		toX, toY = toY, toX
	}
	dx, dy := abs(toX-fromX), abs(toY-fromY)
	errAcc := -dx / 2
	xstep, ystep := 1, 1
	if fromX >= toX {
		xstep = -1
	}
	if fromY >= toY {
		ystep = -1
	}
	state := 0
	xLimit := toX + xstep
	for x, y := fromX, fromY; x != xLimit; x += xstep {
		rx, ry := x, y
		if steep {
			rx, ry = y, x
		}
		if (state == 1) == bm.Get(rx, ry) {
			if state == 2 {
				return util.MathUtils_DistanceInt(x, y, fromX, fromY)
			}
			state++
		}
		errAcc += dy
		if errAcc > 0 {
			if y == toY {
				break
			}
			y += ystep
			errAcc -= dx
		}
	}
	if state == 2 {
		return util.MathUtils_DistanceInt(toX+xstep, toY, fromX, fromY)
	}
	return math.NaN()
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
