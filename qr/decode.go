package qr

import (
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// Format is a barcode symbology. Its value is the name used in logs and
// metric labels.
type Format string

// The symbologies Decoder reads. QR carries AdmitOne's signed tokens; the
// linear ones carry tickets imported from other ticketing systems (listed
// mode).
const (
	FormatQR      Format = "qr_code"
	FormatCode128 Format = "code_128"
	FormatEAN13   Format = "ean_13"
	FormatEAN8    Format = "ean_8"
	FormatITF     Format = "itf"
)

// Sentinel errors of Decode. Test with errors.Is.
var (
	// ErrNotFound means no code was found in the frame: the normal
	// outcome for most camera frames.
	ErrNotFound = errors.New("qr: no code found")
	// ErrBadFrame means the frame itself is unusable: nil, empty, or its
	// Stride or Pix inconsistent with its bounds.
	ErrBadFrame = errors.New("qr: bad frame")
	// ErrDecoderPanic means gozxing panicked on the frame (it has on odd
	// inputs); the panic was recovered and no pass found a code.
	ErrDecoderPanic = errors.New("qr: decoder panicked")
)

// Point is a position in frame pixel coordinates: X to the right, Y down,
// the frame's Bounds().Min at its origin corner, pixel (x, y) covering
// [x, x+1) x [y, y+1).
type Point struct {
	X, Y float64
}

// Result is a decoded code.
type Result struct {
	// Text is the decoded content. For tickets it is the token.
	Text string
	// Format is the symbology.
	Format Format
	// Version is the QR version (1 to 40), 0 for linear formats.
	Version int
	// Corners locates the code in the frame. For QR, the four outer
	// corners of the symbol (quiet zone excluded) in symbol order:
	// top-left, top-right, bottom-right, bottom-left, however the code is
	// rotated in the frame. For linear formats, the two ends of the scan
	// line that read it.
	Corners []Point
	// Pass names the decode pass that found the code, e.g. "half-hybrid"
	// or "roi"; a short, fixed set of names fit for a metric label.
	Pass string
}

// Options configures a Decoder. The zero value reads QR codes from camera
// frames.
type Options struct {
	// Formats lists the symbologies to read. Nil or empty means QR only.
	// QR, when listed, is always tried first; linear formats are tried
	// only after every QR pass failed, so enabling them costs nothing on
	// frames showing a QR code and some milliseconds on all others.
	Formats []Format
	// Thorough adds passes with other thresholds after the usual ones.
	// They read a few more hard frames (up to 2 more of 50 in
	// BENCHMARKS.md's synthetic sets) and more than double the cost of
	// a frame without a code; for lanes with CPU to spare.
	Thorough bool
	// Still says frames are single pictures, not a camera stream: the
	// decoder keeps no region of interest between calls, runs the
	// Thorough passes, then tries the picture turned a quarter, and
	// scans linear barcodes harder (every few rows, both ways).
	// DecodeImage sets it.
	Still bool
	// NoInverted skips the pass that looks for light-on-dark codes (phones
	// in dark mode), saving its cost on frames without a code.
	NoInverted bool
}

// Validate reports an unknown format.
func (o Options) Validate() error {
	for _, f := range o.Formats {
		switch f {
		case FormatQR, FormatCode128, FormatEAN13, FormatEAN8, FormatITF:
		default:
			return fmt.Errorf("qr: unknown format %q", string(f))
		}
	}
	return nil
}

// roiLifetime is how many frames the region of interest around the last hit
// is tried after that hit: about half a second of a 30 fps camera, long
// enough to follow a code being held up, short enough to cost nothing once
// it is gone.
const roiLifetime = 15

// Decoder reads codes from successive frames of one camera lane. It keeps
// state between frames (the region where the last code was seen, scratch
// buffers), so use one Decoder per camera.
//
// A Decoder is not safe for concurrent use.
type Decoder struct {
	opts      Options
	qrOn      bool
	qrDecoder *decoder.Decoder
	linear    []linearReader

	// Region of interest: the bounding box of the last hit, in frame
	// coordinates, and how many frames ago it was seen.
	roi       image.Rectangle
	roiPitch  float64 // module size of the last hit, pixels
	roiAge    int
	roiActive bool

	// Scratch reused from frame to frame.
	half, rot []byte
	vals      []float64
	bits      bitScratch
	attempts  int // grids sampled in the current pass
}

// NewDecoder returns a Decoder for opts. It panics if opts is invalid (see
// Options.Validate): options are program configuration, not user input.
func NewDecoder(opts Options) *Decoder {
	if err := opts.Validate(); err != nil {
		panic(err)
	}
	d := &Decoder{opts: opts, qrDecoder: decoder.NewDecoder()}
	d.qrOn = len(opts.Formats) == 0
	for _, f := range opts.Formats {
		if f == FormatQR {
			d.qrOn = true
		}
	}
	d.linear = newLinearReaders(opts.Formats)
	return d
}

// Reset forgets the region of interest, e.g. when the camera was moved.
func (d *Decoder) Reset() {
	d.roiActive = false
}

// Decode looks for a code in frame, a luminance plane, and returns the first
// it finds. It returns an error wrapping ErrNotFound if there is none,
// ErrBadFrame if the frame is unusable, and ErrDecoderPanic if gozxing
// panicked and no pass found a code. Decode never panics on any frame.
//
// The frame is read in place, never copied or retained after Decode
// returns; it may be a JPEG's Y plane with a Stride wider than its width.
func (d *Decoder) Decode(frame *image.Gray) (*Result, error) {
	if frame == nil {
		return nil, fmt.Errorf("%w: nil frame", ErrBadFrame)
	}
	p, err := planeOf(frame.Pix, frame.Stride, frame.Rect)
	if err != nil {
		return nil, err
	}
	res, err := d.decodePlane(p)
	if res != nil {
		offset(res.Corners, frame.Rect.Min)
	}
	return res, err
}

// planeOf checks a Pix/Stride/Rect triple and returns it as a plane.
func planeOf(pix []byte, stride int, r image.Rectangle) (plane, error) {
	w, h := r.Dx(), r.Dy()
	if w <= 0 || h <= 0 {
		return plane{}, fmt.Errorf("%w: empty bounds %v", ErrBadFrame, r)
	}
	if stride < w {
		return plane{}, fmt.Errorf("%w: stride %d less than width %d", ErrBadFrame, stride, w)
	}
	if need := (h-1)*stride + w; len(pix) < need || need < 0 {
		return plane{}, fmt.Errorf("%w: %d bytes of pixels for %dx%d at stride %d", ErrBadFrame, len(pix), w, h, stride)
	}
	return plane{pix: pix, stride: stride, width: w, height: h}, nil
}

func offset(pts []Point, min image.Point) {
	for i := range pts {
		pts[i].X += float64(min.X)
		pts[i].Y += float64(min.Y)
	}
}

func (d *Decoder) decodePlane(p plane) (*Result, error) {
	d.bits.forget()
	var panicked error
	try := func(name string, pass func() (*Result, error)) *Result {
		res, err := safely(name, pass)
		if errors.Is(err, ErrDecoderPanic) && panicked == nil {
			panicked = err
		}
		return res
	}
	if d.qrOn {
		if d.roiActive && !d.opts.Still {
			d.roiAge++
			if d.roiAge > roiLifetime {
				d.roiActive = false
			} else if res := try(passROI, func() (*Result, error) { return d.runROI(p) }); res != nil {
				return res, nil
			}
		}
		for _, ps := range plan(p.width, p.height, d.opts) {
			if res := try(ps.name, func() (*Result, error) { return d.run(p, ps) }); res != nil {
				return res, nil
			}
		}
	}
	if len(d.linear) > 0 {
		if res := try(passLinear, func() (*Result, error) { return d.runLinear(p) }); res != nil {
			return res, nil
		}
	}
	if panicked != nil {
		return nil, panicked
	}
	return nil, ErrNotFound
}

// safely runs one pass, turning a panic inside it (gozxing panics on some
// inputs) into an error wrapping ErrDecoderPanic.
func safely(name string, pass func() (*Result, error)) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("%w: pass %s: %v", ErrDecoderPanic, name, r)
		}
	}()
	return pass()
}

// binarizer selects the thresholding.
type binarizer int

const (
	// hybrid thresholds 8x8 blocks against their 5x5 neighbourhood: robust
	// to uneven light and glare, but blotchy on blur and noise.
	hybrid binarizer = iota
	// global thresholds the whole image at one level found from a
	// histogram of four rows: cheap, good on even light.
	global
)

// passSpec is one attempt at the frame.
type passSpec struct {
	name    string
	scale   int // 1: full resolution; 2: 2x2 box-downscaled
	bin     binarizer
	bias    int  // hybrid: added to every threshold
	flatK   int  // hybrid: flat blocks span up to flatK noise levels; 0 means noiseRange
	columns bool // also scan columns for finder patterns
	invert  bool
	rotate  int // quarter turns counter-clockwise, 0..3
}

// darkBias raises the full-resolution threshold by a few grey levels. Blur
// spreads light into the 1-module dark rings of small finder patterns, and
// at gozxing's threshold they break up; in BENCHMARKS.md's sets a bias
// of 3 to 9 levels reads 1 to 2 more of 50 synthetic frames and 2 more
// blackbox photos than none, 12 starts to lose frames.
const darkBias = 6

// halfMinSide is the smallest frame side for which the strategy starts
// with a 2x-downscaled pass. At 720p a ticket code held up to the camera
// has modules of 3.5 to 10 pixels, still 2 to 5 after halving; at 480p
// they are 2.5 to 6.5 and halving loses most of them (43 of 50 synthetic
// frames read at half resolution at 720p, 21 of 50 at 480p).
const halfMinSide = 600

// Pass names, fixed for metric labels.
const (
	passROI          = "roi"
	passHalfHybrid   = "half-hybrid"
	passFullHybrid   = "full-hybrid"
	passFullGlobal   = "full-global"
	passInverted     = "inverted"
	passPlain        = "full-hybrid-plain"
	passLax          = "full-hybrid-lax"
	passLight        = "full-hybrid-light"
	passRotated      = "rotated"
	passLinear       = "linear"
	passLinearRot90  = "linear-rot90"
	passLinearHarder = "linear-harder"
)

// plan returns the passes for a frame of w x h, cheapest and likeliest
// first. Each later pass catches codes the earlier ones miss; see
// BENCHMARKS.md for the measurements behind the order.
func plan(w, h int, opts Options) []passSpec {
	large := min(w, h) >= halfMinSide
	var ps []passSpec
	if large {
		// Cheap, and reads most codes: box-averaging halves the noise.
		ps = append(ps, passSpec{name: passHalfHybrid, scale: 2, bin: hybrid})
	}
	ps = append(ps,
		// Small, blurred and tilted codes. Scanning columns as well as
		// rows finds finder patterns a row scan misses; the darker
		// threshold keeps blur from thinning their rings away.
		passSpec{name: passFullHybrid, scale: 1, bin: hybrid, columns: true, bias: darkBias},
		// Evenly lit codes whose modules the local threshold breaks up.
		passSpec{name: passFullGlobal, scale: 1, bin: global},
	)
	if !opts.NoInverted {
		// Phones in dark mode may show light modules on a dark
		// screen. Rare, so last, but at full resolution: the cheap
		// half-resolution pass missed a third of them.
		ps = append(ps, passSpec{name: passInverted, scale: 1, bin: hybrid, invert: true})
	}
	if opts.Thorough || opts.Still {
		// Other thresholds (see biasedBinarize): gozxing's own, a
		// laxer flat-block test for low-contrast codes, and a lighter
		// one against noise-thickened speckle.
		ps = append(ps,
			passSpec{name: passPlain, scale: 1, bin: hybrid, columns: true},
			passSpec{name: passLax, scale: 1, bin: hybrid, columns: true, flatK: 5},
			passSpec{name: passLight, scale: 1, bin: hybrid, columns: true, bias: -darkBias},
		)
	}
	if opts.Still {
		// The picture turned a quarter: gozxing's row-scanning finder
		// sees it differently.
		ps = append(ps, passSpec{name: passRotated, scale: 1, bin: hybrid, bias: darkBias, rotate: 1})
	}
	return ps
}

// frameMap maps pass image coordinates back to frame coordinates: undo the
// rotation (within the pass image of size w x h), scale, then translate.
type frameMap struct {
	rotate     int
	w, h       float64 // pass image size after rotation
	scale      float64
	offX, offY float64
}

func (m frameMap) apply(x, y float64) Point {
	// Undo quarter turns one at a time. A counter-clockwise turn maps
	// (sx, sy) of a W x H image to (sy, W-sx); its inverse maps (x, y)
	// back to (W-y, x), W being the turned image's height.
	w, h := m.w, m.h
	for i := 0; i < m.rotate; i++ {
		x, y = h-y, x
		w, h = h, w
	}
	return Point{X: x*m.scale + m.offX, Y: y*m.scale + m.offY}
}

// run executes one pass over the whole frame.
func (d *Decoder) run(p plane, ps passSpec) (*Result, error) {
	src := p
	m := frameMap{scale: 1}
	if ps.scale == 2 {
		if p.width < 2 || p.height < 2 {
			return nil, ErrNotFound
		}
		src = downscale2(p, d.half)
		d.half = src.pix
		d.bits.forget() // d.half's statistics, if any, are stale
		m.scale = 2
	}
	if ps.invert {
		src.neg = !src.neg
	}
	if ps.rotate != 0 {
		src = rotate(src, ps.rotate, d.rot)
		d.rot = src.pix
		d.bits.forget()
	}
	m.rotate = ps.rotate
	m.w, m.h = float64(src.width), float64(src.height)
	return d.decodeQR(src, ps, m)
}

// runROI decodes the region around the last hit at a scale fit for the
// module size seen there.
func (d *Decoder) runROI(p plane) (*Result, error) {
	r := d.roi.Intersect(image.Rect(0, 0, p.width, p.height))
	if r.Dx() < 16 || r.Dy() < 16 {
		return nil, ErrNotFound
	}
	src := p.sub(r.Min.X, r.Min.Y, r.Dx(), r.Dy())
	ps := passSpec{name: passROI, scale: 1, bin: hybrid, bias: darkBias}
	m := frameMap{scale: 1, offX: float64(r.Min.X), offY: float64(r.Min.Y)}
	// Downscaled modules must stay at least ~2.5 pixels for the finder
	// pattern search.
	if d.roiPitch >= 5 {
		src = downscale2(src, d.half)
		d.half = src.pix
		d.bits.forget()
		m.scale = 2
	}
	m.w, m.h = float64(src.width), float64(src.height)
	return d.decodeQR(src, ps, m)
}

// decodeQR binarizes src as ps says, finds and decodes a QR symbol, and
// maps its corners to the frame with m.
func (d *Decoder) decodeQR(src plane, ps passSpec, m frameMap) (*Result, error) {
	var err error
	var bm *gozxing.BitMatrix
	if ps.bin == global {
		bm, err = globalBinarize(src, &d.bits)
	} else {
		k := ps.flatK
		if k == 0 {
			k = noiseRange
		}
		bm, err = biasedBinarize(src, &d.bits, ps.bias, k)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNotFound, ps.name, err)
	}
	hit, err := d.detectQR(src, bm, ps.columns)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNotFound, ps.name, err)
	}
	res := &Result{Text: hit.text, Format: FormatQR, Version: (hit.dim - 17) / 4, Pass: ps.name}
	res.Corners = qrCorners(hit, m)
	if !d.opts.Still {
		d.remember(res)
	}
	return res, nil
}

// remember sets the region of interest to the hit's bounding box grown by
// its own size in every direction, room for a code moving between frames.
func (d *Decoder) remember(res *Result) {
	if len(res.Corners) != 4 || res.Version == 0 {
		return
	}
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, c := range res.Corners {
		minX, maxX = math.Min(minX, c.X), math.Max(maxX, c.X)
		minY, maxY = math.Min(minY, c.Y), math.Max(maxY, c.Y)
	}
	side := math.Max(maxX-minX, maxY-minY)
	if math.IsNaN(side) || math.IsInf(side, 0) || side <= 0 || side > 1e6 {
		return
	}
	grow := side
	d.roi = image.Rect(int(minX-grow), int(minY-grow), int(maxX+grow)+1, int(maxY+grow)+1)
	dim := float64(17 + 4*res.Version)
	// The shorter edge gives the pitch that limits downscaling.
	edge := math.Inf(1)
	for i := range res.Corners {
		a, b := res.Corners[i], res.Corners[(i+1)%4]
		edge = math.Min(edge, math.Hypot(a.X-b.X, a.Y-b.Y))
	}
	d.roiPitch = edge / dim
	d.roiAge = 0
	d.roiActive = true
}

// qrCorners maps the symbol's outer corners to the frame, from the finder
// (and alignment) pattern centres that located it.
func qrCorners(hit *qrHit, m frameMap) []Point {
	dim := float64(hit.dim)
	bl, tl, tr := hit.bl, hit.tl, hit.tr
	// Module-space positions of the pattern centres, as gozxing's detector
	// assumes them; without an alignment pattern the fourth point
	// completes the parallelogram.
	brX, brY := tr.GetX()-tl.GetX()+bl.GetX(), tr.GetY()-tl.GetY()+bl.GetY()
	srcBR := dim - 3.5
	if hit.align != nil {
		brX, brY = hit.align.GetX(), hit.align.GetY()
		srcBR = dim - 6.5
	}
	t := common.PerspectiveTransform_QuadrilateralToQuadrilateral(
		3.5, 3.5, dim-3.5, 3.5, srcBR, srcBR, 3.5, dim-3.5,
		tl.GetX(), tl.GetY(), tr.GetX(), tr.GetY(), brX, brY, bl.GetX(), bl.GetY())
	c := []float64{0, 0, dim, 0, dim, dim, 0, dim}
	t.TransformPoints(c)
	corners := make([]Point, 4)
	for i := range corners {
		x, y := c[2*i], c[2*i+1]
		if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
			return nil
		}
		corners[i] = m.apply(x, y)
	}
	return corners
}
