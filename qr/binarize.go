package qr

import (
	"encoding/binary"

	"github.com/makiuchi-d/gozxing"
)

// The binarizers here compute what gozxing's HybridBinarizer and
// GlobalHistogramBinarizer compute, with the same thresholds, but read the
// plane in place through its stride and write the bit matrix 32 pixels at a
// time into a matrix the Decoder reuses. gozxing's versions copy the plane
// when its stride is not its width, allocate per call, and set one bit per
// call; on a 1280x720 frame that was most of the binarization time.

// bitScratch reuses bit matrices between frames: a pass's matrix does not
// outlive the pass.
type bitScratch struct {
	mats   map[[3]int]*gozxing.BitMatrix
	row    *gozxing.BitArray
	points []int
	words  []uint32
	tw     []uint32
	stats  []blockStat
	key    statsKey
}

// matrix returns a w x h matrix for use (0: a binarization, 1: a
// transpose), the same one for the same arguments.
func (s *bitScratch) matrix(w, h, use int) *gozxing.BitMatrix {
	k := [3]int{w, h, use}
	if m, ok := s.mats[k]; ok {
		return m
	}
	if s.mats == nil || len(s.mats) > 8 {
		s.mats = map[[3]int]*gozxing.BitMatrix{}
	}
	m, _ := gozxing.NewBitMatrix(w, h) // w, h >= 1: cannot fail
	s.mats[k] = m
	return m
}

// setRow writes the words of row y of m.
func (s *bitScratch) setRow(m *gozxing.BitMatrix, y int, words []uint32) {
	if s.row == nil || s.row.GetSize() != m.GetWidth() {
		s.row = gozxing.NewBitArray(m.GetWidth())
	}
	for i, w := range words {
		s.row.SetBulk(i*32, w)
	}
	m.SetRow(y, s.row)
}

const (
	blockPower      = 3
	blockSize       = 1 << blockPower
	minDimension    = blockSize * 5
	minDynamicRange = 24
)

// noiseRange is how many times the frame's noise level a block's range of
// values must exceed for the block to count as detail rather than flat: the
// range of 64 samples of Gaussian noise rarely exceeds 7 deviations.
const noiseRange = 7

// biasedBinarize is gozxing's HybridBinarizer.GetBlackMatrix: each 8x8
// block gets a black point (its mean, or for flat blocks a guess from its
// neighbours), and each pixel is thresholded at the mean black point of the
// 5x5 blocks around its block. Planes under 40 pixels a side fall back to
// the global histogram, as gozxing does. It departs from gozxing twice, both
// measured in BENCHMARKS.md. First, gozxing calls a block flat when its
// values span at most 24 levels; in a noisy frame most flat blocks span
// more, their noise is thresholded at their mean into salt and pepper, and
// the finder pattern search wades through it (30 ms on some 720p frames
// without a code). We call a block flat up to max(24, k times the noise
// level). Second, bias shifts every threshold, which thickens (bias > 0)
// or thins dark features: blur thins the 1-module rings of small finder
// patterns, noise thickens speckle.
func biasedBinarize(p plane, s *bitScratch, bias, k int) (*gozxing.BitMatrix, error) {
	minRange := max(minDynamicRange, k*noiseLevel(p))
	w, h := p.width, p.height
	if w < minDimension || h < minDimension {
		return globalBinarize(p, s)
	}
	subW := (w + blockSize - 1) >> blockPower
	subH := (h + blockSize - 1) >> blockPower
	if cap(s.points) < subW*subH {
		s.points = make([]int, subW*subH)
	}
	bp := s.points[:subW*subH]
	st := s.blockStats(p, minRange, subW, subH)
	for by := 0; by < subH; by++ {
		for bx := 0; bx < subW; bx++ {
			b := st[by*subW+bx]
			sum, lo, hi := int(b.sum), int(b.lo), int(b.hi)
			if p.neg {
				// The inverse's statistics, exactly: the range is
				// the same, so is the row where tracking stopped.
				sum, lo, hi = 255<<(2*blockPower)-sum, 255-hi, 255-lo
			}
			avg := sum >> (blockPower * 2)
			if hi-lo <= minRange {
				avg = lo / 2
				if by > 0 && bx > 0 {
					nb := (bp[(by-1)*subW+bx] + 2*bp[by*subW+bx-1] + bp[(by-1)*subW+bx-1]) / 4
					if lo < nb {
						avg = nb
					}
				}
			}
			bp[by*subW+bx] = avg
		}
	}

	m := s.matrix(w, h, 0)
	nw := (w + 31) / 32
	if cap(s.words) < nw+subW*2 {
		s.words = make([]uint32, nw+subW*2)
	}
	words := s.words[:nw]
	// thr holds, for the current band of 8 rows, each block's threshold.
	thr := make([]int, subW)
	for by := 0; by < subH; by++ {
		top := clampInt(by, 2, subH-3)
		for bx := 0; bx < subW; bx++ {
			left := clampInt(bx, 2, subW-3)
			sum := 0
			for z := -2; z <= 2; z++ {
				r := bp[(top+z)*subW:]
				sum += r[left-2] + r[left-1] + r[left] + r[left+1] + r[left+2]
			}
			thr[bx] = sum/25 + bias
		}
		y0 := min(by<<blockPower, h-blockSize)
		full := w >> blockPower // blocks wholly inside the row
		for y := y0; y < y0+blockSize; y++ {
			if by < subH-1 && y >= (by+1)<<blockPower {
				break
			}
			row := p.row(y)
			for i := range words {
				words[i] = 0
			}
			// Eight pixels of a block make one byte of the word. A
			// pixel is black at v <= t, or for a negative plane at
			// 255-v <= t, that is v > 254-t.
			for bx := 0; bx < full; bx++ {
				seg := row[bx<<blockPower : bx<<blockPower+blockSize : bx<<blockPower+blockSize]
				var b uint32
				if p.neg {
					b = byteBitsAbove(seg, 254-thr[bx])
				} else {
					b = byteBits(seg, thr[bx]+1)
				}
				words[bx>>2] |= b << (uint(bx&3) * 8)
			}
			for x := full << blockPower; x < w; x++ {
				v := int(row[x])
				if p.neg {
					v = 255 - v
				}
				if v <= thr[subW-1] {
					words[x>>5] |= 1 << uint(x&31)
				}
			}
			s.setRow(m, y, words)
		}
	}
	return m, nil
}

// noiseLevel estimates the standard deviation of sensor noise in p, in
// grey levels: the median absolute difference between horizontal
// neighbours over a sample of rows. Most of a frame is smooth, so the
// median sees noise, not edges; for Gaussian noise of deviation s the
// median difference is 0.95 s.
func noiseLevel(p plane) int {
	var hist [256]int
	n := 0
	step := max(1, p.height/32)
	for y := step / 2; y < p.height; y += step {
		r := p.row(y)
		for x := 1; x < len(r); x += 2 {
			d := int(r[x]) - int(r[x-1])
			if d < 0 {
				d = -d
			}
			hist[d]++
			n++
		}
	}
	acc := 0
	for d, c := range hist {
		acc += c
		if 2*acc >= n {
			return d
		}
	}
	return 0
}

// sum8 adds 8 bytes in a word: pairs, then quads, then all.
func sum8(r []byte) int {
	x := binary.LittleEndian.Uint64(r)
	x = x&0x00ff00ff00ff00ff + x>>8&0x00ff00ff00ff00ff
	x = x&0x0000ffff0000ffff + x>>16&0x0000ffff0000ffff
	return int(x&0xffffffff + x>>32)
}

// byteBits returns bit i set for each of the 8 pixels seg[i] below t,
// without branches: pixel values are noise to a branch predictor.
func byteBits(seg []byte, t int) uint32 {
	_ = seg[7]
	t32 := int32(t)
	return uint32((int32(seg[0])-t32)>>31&1) |
		uint32((int32(seg[1])-t32)>>31&1)<<1 |
		uint32((int32(seg[2])-t32)>>31&1)<<2 |
		uint32((int32(seg[3])-t32)>>31&1)<<3 |
		uint32((int32(seg[4])-t32)>>31&1)<<4 |
		uint32((int32(seg[5])-t32)>>31&1)<<5 |
		uint32((int32(seg[6])-t32)>>31&1)<<6 |
		uint32((int32(seg[7])-t32)>>31&1)<<7
}

// blockStat is the sum of an 8x8 block's pixels and, tracked until the
// range exceeds minRange (gozxing's early exit), their minimum and maximum.
type blockStat struct {
	sum    int32
	lo, hi uint8
}

// statsKey identifies the plane and flatness test block statistics were
// computed for, so that the passes over one frame share them.
type statsKey struct {
	pix                   *byte
	stride, width, height int
	minRange              int
}

// forget drops what bitScratch remembers of the last frame's pixels; the
// Decoder calls it for each new frame, since a caller may reuse a buffer.
func (s *bitScratch) forget() { s.key = statsKey{} }

// blockStats returns the statistics of p's 8x8 blocks (the last row and
// column of blocks aligned to p's far edges, as gozxing does), computed
// once per plane and flatness test. They are of p's raw pixels, neg or not.
func (s *bitScratch) blockStats(p plane, minRange, subW, subH int) []blockStat {
	key := statsKey{&p.pix[0], p.stride, p.width, p.height, minRange}
	if key == s.key && len(s.stats) == subW*subH {
		return s.stats
	}
	if cap(s.stats) < subW*subH {
		s.stats = make([]blockStat, subW*subH)
	}
	st := s.stats[:subW*subH]
	maxYOff, maxXOff := p.height-blockSize, p.width-blockSize
	for by := 0; by < subH; by++ {
		yoff := min(by<<blockPower, maxYOff)
		for bx := 0; bx < subW; bx++ {
			xoff := min(bx<<blockPower, maxXOff)
			// Sum eight pixels at a time; track the range only until
			// it exceeds minRange.
			sum, lo, hi := 0, 255, 0
			ranged := false
			for yy := 0; yy < blockSize; yy++ {
				r := p.row(yoff + yy)[xoff : xoff+blockSize : xoff+blockSize]
				sum += sum8(r)
				if !ranged {
					for _, v := range r {
						lo = min(lo, int(v))
						hi = max(hi, int(v))
					}
					ranged = hi-lo > minRange
				}
			}
			st[by*subW+bx] = blockStat{int32(sum), uint8(lo), uint8(hi)}
		}
	}
	s.stats, s.key = st, key
	return st
}

// byteBitsAbove returns bit i set for each of the 8 pixels seg[i] above u.
func byteBitsAbove(seg []byte, u int) uint32 {
	_ = seg[7]
	u32 := int32(u)
	return uint32((u32-int32(seg[0]))>>31&1) |
		uint32((u32-int32(seg[1]))>>31&1)<<1 |
		uint32((u32-int32(seg[2]))>>31&1)<<2 |
		uint32((u32-int32(seg[3]))>>31&1)<<3 |
		uint32((u32-int32(seg[4]))>>31&1)<<4 |
		uint32((u32-int32(seg[5]))>>31&1)<<5 |
		uint32((u32-int32(seg[6]))>>31&1)<<6 |
		uint32((u32-int32(seg[7]))>>31&1)<<7
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

const (
	luminanceBits    = 5
	luminanceShift   = 8 - luminanceBits
	luminanceBuckets = 1 << luminanceBits
)

// globalBinarize is gozxing's GlobalHistogramBinarizer.GetBlackMatrix: one
// threshold for the whole plane, the valley between the two peaks of a
// histogram of four rows' middle three fifths.
func globalBinarize(p plane, s *bitScratch) (*gozxing.BitMatrix, error) {
	w, h := p.width, p.height
	var buckets [luminanceBuckets]int
	for y := 1; y < 5; y++ {
		row := p.row(h * y / 5)
		for _, v := range row[w/5 : (w*4)/5] {
			if p.neg {
				v = 255 - v
			}
			buckets[v>>luminanceShift]++
		}
	}
	black, err := estimateBlackPoint(buckets[:])
	if err != nil {
		return nil, err
	}
	m := s.matrix(w, h, 0)
	nw := (w + 31) / 32
	if cap(s.words) < nw {
		s.words = make([]uint32, nw)
	}
	words := s.words[:nw]
	for y := 0; y < h; y++ {
		for i := range words {
			words[i] = 0
		}
		row := p.row(y)
		full := w >> 3
		for g := 0; g < full; g++ {
			seg := row[g<<3 : g<<3+8 : g<<3+8]
			var b uint32
			if p.neg {
				b = byteBitsAbove(seg, 255-black) // 255-v < black
			} else {
				b = byteBits(seg, black)
			}
			words[g>>2] |= b << (uint(g&3) * 8)
		}
		for x := full << 3; x < w; x++ {
			v := int(row[x])
			if p.neg {
				v = 255 - v
			}
			if v < black {
				words[x>>5] |= 1 << uint(x&31)
			}
		}
		s.setRow(m, y, words)
	}
	return m, nil
}

// estimateBlackPoint is gozxing's GlobalHistogramBinarizer.estimateBlackPoint.
func estimateBlackPoint(buckets []int) (int, error) {
	n := len(buckets)
	maxCount, first, firstSize := 0, 0, 0
	for x := 0; x < n; x++ {
		if buckets[x] > firstSize {
			first, firstSize = x, buckets[x]
		}
		maxCount = max(maxCount, buckets[x])
	}
	second, secondScore := 0, 0
	for x := 0; x < n; x++ {
		d := x - first
		if score := buckets[x] * d * d; score > secondScore {
			second, secondScore = x, score
		}
	}
	if first > second {
		first, second = second, first
	}
	if second-first <= n/16 {
		return 0, gozxing.NewNotFoundException("too little contrast")
	}
	best, bestScore := second-1, -1
	for x := second - 1; x > first; x-- {
		from := x - first
		if score := from * from * (second - x) * (maxCount - buckets[x]); score > bestScore {
			best, bestScore = x, score
		}
	}
	return best << luminanceShift, nil
}

// transpose returns m mirrored about its main diagonal, in a matrix from s:
// gozxing's finder pattern search scans rows only, and scanning the columns
// too (the rows of the transpose) finds patterns the row scan missed.
func (s *bitScratch) transpose(m *gozxing.BitMatrix) *gozxing.BitMatrix {
	w, h := m.GetWidth(), m.GetHeight()
	rs := (w + 31) / 32 // words per source row
	trs := (h + 31) / 32
	need := rs*h + trs*w
	if cap(s.tw) < need {
		s.tw = make([]uint32, need)
	}
	src, dst := s.tw[:rs*h], s.tw[rs*h:need]
	var row *gozxing.BitArray
	for y := 0; y < h; y++ {
		row = m.GetRow(y, row)
		copy(src[y*rs:(y+1)*rs], row.GetBitArray())
	}
	var a [32]uint32
	for rb := 0; rb < trs; rb++ {
		for wc := 0; wc < rs; wc++ {
			for i := range a {
				if y := rb*32 + i; y < h {
					a[i] = src[y*rs+wc]
				} else {
					a[i] = 0
				}
			}
			transpose32(&a)
			for j := range a {
				if x := wc*32 + j; x < w {
					dst[x*trs+rb] = a[j]
				}
			}
		}
	}
	t := s.matrix(h, w, 1)
	for x := 0; x < w; x++ {
		s.setRow(t, x, dst[x*trs:(x+1)*trs])
	}
	return t
}

// transpose32 transposes a 32x32 bit block in place, row i being a[i] and
// column j bit j (Hacker's Delight 7-3, for least significant bit first).
func transpose32(a *[32]uint32) {
	m := uint32(0x0000FFFF)
	for j := 16; j != 0; j, m = j>>1, m^(m<<(j>>1)) {
		for k := 0; k < 32; k = (k + j + 1) &^ j {
			t := ((a[k] >> uint(j)) ^ a[k+j]) & m
			a[k] ^= t << uint(j)
			a[k+j] ^= t
		}
	}
}
