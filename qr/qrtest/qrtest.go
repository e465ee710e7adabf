// Package qrtest makes synthetic gate-camera frames of ticket QR codes, for
// tests and benchmarks of package qr and of the scanner.
//
// A frame is a luminance plane (what a gate decodes: JPEG's Y plane or a
// YUV420 camera's Y plane) showing a ticket token as a QR code on a phone
// screen or a printed ticket held in front of the camera: at a random
// rotation, tilted in perspective, at a random distance, blurred, with sensor
// noise, sometimes with low contrast and a glare spot. Everything is
// deterministic from the seed, so a failing frame can be reproduced and
// written out with WritePNGs.
//
// # Caveats
//
// The frames are a model, not photographs: optics, rolling shutter, motion
// blur, JPEG artefacts and moiré on screens are not simulated. Decode rates
// on them rank strategies; they do not predict a rate at a real gate. The
// real photographs in /work/shared/testdata/qr-blackbox keep us honest.
//
// The generator's output for a given seed may change when the generator is
// tuned; nothing should pin pixel values.
package qrtest

import (
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/admitone/admitone/qr"
)

// Frame is one synthetic camera frame.
type Frame struct {
	// Gray is the luminance plane.
	Gray *image.Gray
	// Text is the text encoded in the code shown.
	Text string
	// Corners are the symbol's outer corners (quiet zone excluded) in
	// frame coordinates, in symbol order: top-left, top-right,
	// bottom-right, bottom-left. Nil when the frame shows no code.
	Corners []qr.Point
	// Distortion describes how the frame was made, e.g.
	// "screen rot=123 tilt=21 size=212px blur=0.9 noise=4.1 glare".
	Distortion string
}

// Config tunes Generate. The zero value of each field but Width and Height
// means the default.
type Config struct {
	// Width and Height are the frame size in pixels, e.g. 1280x720 or
	// 640x480.
	Width, Height int
	// MinSize and MaxSize bound the width of the symbol (without quiet
	// zone) in pixels before tilt. Defaults: 150 and 400 scaled by
	// Height/720.
	MinSize, MaxSize float64
	// DarkModeRate is the fraction of frames showing a light-on-dark
	// (inverted) code, as a phone in dark mode may. Default 0.
	DarkModeRate float64
	// NoCode makes frames that show a scene with no code at all (Text is
	// empty), for measuring what an idle camera lane costs.
	NoCode bool
	// Texts, if not empty, are the texts the codes show instead of
	// random tokens: frame i shows Texts[i%len(Texts)], for a
	// Sequence Texts[0]. The rest of the frame is as without Texts.
	// Generate panics if a text does not fit a QR code at level M.
	Texts []string
}

// Frames returns n frames of width x height made from seed with the default
// Config: the standard synthetic set the qr package's tests and benchmarks
// use.
func Frames(seed uint64, n, width, height int) []Frame {
	return Generate(seed, n, Config{Width: width, Height: height})
}

// Generate returns n frames made from seed with cfg. Frame i depends only on
// seed, i and cfg, not on n.
func Generate(seed uint64, n int, cfg Config) []Frame {
	frames := make([]Frame, n)
	for i := range frames {
		frames[i] = generate(seed, uint64(i), cfg)
	}
	return frames
}

// base45 is the RFC 9285 alphabet, all of it in QR alphanumeric mode.
const base45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// Token returns a random ticket-token-like text: "AT1:", 144 Base45
// characters and, half of the time, 6 digits of a rotating code (148 or 154
// characters, QR version 6 at level M).
func Token(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString("AT1:")
	for range 144 {
		b.WriteByte(base45[r.IntN(len(base45))])
	}
	if r.IntN(2) == 0 {
		fmt.Fprintf(&b, "%06d", r.IntN(1000000))
	}
	return b.String()
}

// WritePNGs writes each frame to dir as a grayscale PNG named
// frame-NNN.png, and its text to frame-NNN.txt (the layout of the ZXing
// blackbox sets, which peer tools and the qr tests read). It returns the PNG
// paths in frame order.
func WritePNGs(dir string, frames []Frame) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	paths := make([]string, len(frames))
	for i, f := range frames {
		base := filepath.Join(dir, fmt.Sprintf("frame-%03d", i))
		if err := writePNG(base+".png", f.Gray); err != nil {
			return nil, err
		}
		if err := os.WriteFile(base+".txt", []byte(f.Text), 0o644); err != nil {
			return nil, err
		}
		paths[i] = base + ".png"
	}
	return paths, nil
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// scene is everything that decides one frame, drawn from the random source
// before any pixel is rendered.
type scene struct {
	w, h int
	code *qr.Code

	// Object space is in modules, the symbol spanning [0,n]x[0,n].
	n                        float64
	carrier                  string // "screen" or "paper"
	cx0, cy0, cx1, cy1       float64
	bezel                    float64
	dark, light, bezelLevel  float64
	marks                    [][4]float64 // dark "text" blocks on the carrier
	inverted                 bool
	lowContrast              bool
	objToImg, imgToObj       [9]float64
	illumA, illumGX, illumGY float64
	blur, noise              float64
	glare                    bool
	glareX, glareY, glareR   float64
	glareAmp                 float64
	bg                       background
	desc                     []string
}

type background struct {
	base, gx, gy float64
	rects        []bgRect
}

type bgRect struct {
	x0, y0, x1, y1, level float64
}

func generate(seed, index uint64, cfg Config) Frame {
	r := rand.New(rand.NewPCG(seed, index*0x9e3779b97f4a7c15+1))
	s := newScene(r, cfg, int(index))
	return s.frame(r)
}

func (s *scene) frame(r *rand.Rand) Frame {
	gray := s.render(r)
	f := Frame{Gray: gray, Distortion: strings.Join(s.desc, " ")}
	if s.code != nil {
		f.Text = s.code.Text
		for _, c := range [][2]float64{{0, 0}, {s.n, 0}, {s.n, s.n}, {0, s.n}} {
			x, y := apply(s.objToImg, c[0], c[1])
			f.Corners = append(f.Corners, qr.Point{X: x, Y: y})
		}
	}
	return f
}

// Sequence returns n successive frames of one code held in front of the
// camera: the scene of Generate's first frame, the code drifting by a few
// pixels and a degree or so from frame to frame, new sensor noise each
// time. It is what a camera lane sees while a ticket is shown.
func Sequence(seed uint64, n int, cfg Config) []Frame {
	cfg.NoCode = false
	r := rand.New(rand.NewPCG(seed, 1))
	s := newScene(r, cfg, 0)
	frames := make([]Frame, n)
	for i := range frames {
		if i > 0 {
			// Turn about the code's centre and shift a little, staying
			// inside the frame.
			cx, cy := apply(s.objToImg, s.n/2, s.n/2)
			a := uniform(r, -1.5, 1.5) * math.Pi / 180
			dx, dy := uniform(r, -6, 6), uniform(r, -6, 6)
			c, sn := math.Cos(a), math.Sin(a)
			rot := [9]float64{c, -sn, cx - c*cx + sn*cy, sn, c, cy - sn*cx - c*cy, 0, 0, 1}
			next := mul(translation(dx, dy), mul(rot, s.objToImg))
			if s.fits(next) {
				s.objToImg = next
				s.imgToObj = invert(next)
			}
		}
		frames[i] = s.frame(r)
	}
	return frames
}

// fits reports whether the code and its quiet zone lie inside the frame
// under m.
func (s *scene) fits(m [9]float64) bool {
	qz := qr.QuietZone + 0.5
	for _, p := range [][2]float64{{-qz, -qz}, {s.n + qz, -qz}, {s.n + qz, s.n + qz}, {-qz, s.n + qz}} {
		x, y := apply(m, p[0], p[1])
		if x < 2 || y < 2 || x > float64(s.w)-2 || y > float64(s.h)-2 {
			return false
		}
	}
	return true
}

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

func newScene(r *rand.Rand, cfg Config, index int) *scene {
	w, h := cfg.Width, cfg.Height
	s := &scene{w: w, h: h}
	scale := float64(h) / 720
	minSize, maxSize := cfg.MinSize, cfg.MaxSize
	if minSize == 0 {
		minSize = 150 * scale
	}
	if maxSize == 0 {
		maxSize = 400 * scale
	}

	s.bg = background{base: uniform(r, 40, 190), gx: uniform(r, -60, 60) / float64(w), gy: uniform(r, -60, 60) / float64(h)}
	for range 3 + r.IntN(6) {
		x0, y0 := uniform(r, -0.2, 1)*float64(w), uniform(r, -0.2, 1)*float64(h)
		s.bg.rects = append(s.bg.rects, bgRect{x0, y0, x0 + uniform(r, 0.05, 0.5)*float64(w), y0 + uniform(r, 0.05, 0.5)*float64(h), uniform(r, 10, 245)})
	}
	if cfg.NoCode {
		s.desc = append(s.desc, "nocode")
		s.photometry(r, float64(h)/4, 4)
		return s
	}

	// Draw a token even when Texts replaces it, so that the rest of the
	// scene is the same either way.
	text := Token(r)
	if len(cfg.Texts) > 0 {
		text = cfg.Texts[index%len(cfg.Texts)]
	}
	code, err := qr.Encode(text, qr.ECLevelM)
	if err != nil {
		panic(fmt.Sprintf("qrtest: encode %q: %v", text, err))
	}
	s.code = code
	n := float64(code.Size())
	s.n = n

	// The carrier: a phone screen with a bezel, or a paper ticket.
	margin := qr.QuietZone + uniform(r, 0, 3)
	if r.IntN(2) == 0 {
		s.carrier = "screen"
		s.cx0, s.cx1 = -margin, n+margin
		s.cy0, s.cy1 = -margin-uniform(r, 4, 14), n+margin+uniform(r, 4, 14)
		s.bezel = uniform(r, 1.5, 3.5)
		s.light, s.dark = uniform(r, 200, 250), uniform(r, 10, 40)
		s.bezelLevel = uniform(r, 5, 30)
	} else {
		s.carrier = "paper"
		s.cx0, s.cx1 = -margin-uniform(r, 0, 20), n+margin+uniform(r, 0, 30)
		s.cy0, s.cy1 = -margin-uniform(r, 0, 15), n+margin+uniform(r, 0, 25)
		s.light, s.dark = uniform(r, 170, 240), uniform(r, 25, 70)
	}
	// Text-like marks on the carrier, outside the quiet zone.
	for range 4 + r.IntN(10) {
		x := uniform(r, s.cx0+0.5, s.cx1-2)
		y := uniform(r, s.cy0+0.5, s.cy1-1.5)
		m := [4]float64{x, y, math.Min(x+uniform(r, 2, 15), s.cx1-0.5), math.Min(y+uniform(r, 1, 2.5), s.cy1-0.5)}
		const qz = qr.QuietZone
		if m[2] > -qz && m[0] < n+qz && m[3] > -qz && m[1] < n+qz {
			continue
		}
		s.marks = append(s.marks, m)
	}
	if cfg.DarkModeRate > 0 && r.Float64() < cfg.DarkModeRate {
		s.inverted = true
		s.light, s.dark = s.dark+10, s.light-20
		s.desc = append(s.desc, "darkmode")
	}
	s.desc = append([]string{s.carrier}, s.desc...)

	// Low contrast: squeeze the levels around their middle.
	if r.Float64() < 0.25 {
		mid := (s.light+s.dark)/2 + uniform(r, -20, 20)
		c := uniform(r, 60, 100)
		s.lowContrast = true
		if s.inverted {
			c = -c
		}
		s.light, s.dark = mid+c/2, mid-c/2
		s.desc = append(s.desc, fmt.Sprintf("lowcontrast=%.0f", math.Abs(c)))
	}

	// Geometry: rotate the carrier about its own plane, tilt it, project
	// through a pinhole camera, then place it in the frame.
	size := uniform(r, minSize, maxSize)
	theta := uniform(r, 0, 2*math.Pi)
	tilt := 0.0
	if r.Float64() < 0.75 {
		tilt = uniform(r, 0, 40) * math.Pi / 180
	}
	axis := uniform(r, 0, math.Pi)
	f := float64(w) * uniform(r, 0.8, 1.3)
	for attempt := 0; ; attempt++ {
		k := size / n // pixels per module before tilt
		m := homography(n, k, theta, tilt, axis, f)
		// Place the code with its quiet zone fully inside the frame.
		qz := qr.QuietZone + 0.5
		minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, p := range [][2]float64{{-qz, -qz}, {n + qz, -qz}, {n + qz, n + qz}, {-qz, n + qz}} {
			x, y := apply(m, p[0], p[1])
			minX, maxX = math.Min(minX, x), math.Max(maxX, x)
			minY, maxY = math.Min(minY, y), math.Max(maxY, y)
		}
		if maxX-minX < float64(w)-4 && maxY-minY < float64(h)-4 {
			dx := uniform(r, 2-minX, float64(w)-2-maxX)
			dy := uniform(r, 2-minY, float64(h)-2-maxY)
			s.objToImg = mul(translation(dx, dy), m)
			break
		}
		size *= 0.9
		if attempt > 20 {
			panic("qrtest: cannot fit code in frame")
		}
	}
	s.imgToObj = invert(s.objToImg)
	s.desc = append(s.desc, fmt.Sprintf("rot=%.0f tilt=%.0f size=%.0fpx", theta*180/math.Pi, tilt*180/math.Pi, size))
	s.photometry(r, size, size/n*math.Cos(tilt))
	return s
}

// photometry draws blur, noise, illumination and glare for a code of the
// given size whose narrowest module pitch is pitch pixels.
func (s *scene) photometry(r *rand.Rand, size, pitch float64) {
	// Blur up to 0.3 of the narrowest module, never less than a lens gives.
	s.blur = uniform(r, 0.4, math.Max(0.5, 0.3*pitch))
	if s.blur > 2 {
		s.blur = 2
	}
	s.noise = uniform(r, 1, 6)
	// Heavy noise; a dim, low-contrast scene is left with moderate noise,
	// since together they make codes no decoder reads.
	if r.Float64() < 0.25 && !s.lowContrast {
		s.noise = uniform(r, 6, 12)
	}
	s.illumA = uniform(r, 0.8, 1.1)
	s.illumGX = uniform(r, -0.25, 0.25) / float64(s.w)
	s.illumGY = uniform(r, -0.25, 0.25) / float64(s.h)
	s.desc = append(s.desc, fmt.Sprintf("blur=%.1f noise=%.1f", s.blur, s.noise))
	if r.Float64() < 0.3 {
		s.glare = true
		cx, cy := float64(s.w)/2, float64(s.h)/2
		if s.code != nil {
			cx, cy = apply(s.objToImg, uniform(r, 0, s.n), uniform(r, 0, s.n))
		}
		s.glareX, s.glareY = cx, cy
		s.glareR = uniform(r, 0.05, 0.2) * size
		s.glareAmp = uniform(r, 40, 140)
		s.desc = append(s.desc, fmt.Sprintf("glare=%.0f", s.glareAmp))
	}
}

// object returns the reflectance level of the carrier at object coordinates
// (u, v), and false where the carrier is not (the background shows).
func (s *scene) object(u, v float64) (float64, bool) {
	if u < s.cx0-s.bezel || u >= s.cx1+s.bezel || v < s.cy0-s.bezel || v >= s.cy1+s.bezel {
		return 0, false
	}
	if u < s.cx0 || u >= s.cx1 || v < s.cy0 || v >= s.cy1 {
		return s.bezelLevel, true
	}
	if u >= 0 && v >= 0 && u < s.n && v < s.n {
		if s.code.Dark(int(u), int(v)) {
			return s.dark, true
		}
		return s.light, true
	}
	for _, m := range s.marks {
		if u >= m[0] && u < m[2] && v >= m[1] && v < m[3] {
			return s.dark, true
		}
	}
	return s.light, true
}

func (s *scene) background(x, y float64) float64 {
	l := s.bg.base + s.bg.gx*x + s.bg.gy*y
	for _, b := range s.bg.rects {
		if x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1 {
			l = b.level
		}
	}
	return l
}

func (s *scene) render(r *rand.Rand) *image.Gray {
	w, h := s.w, s.h
	buf := make([]float64, w*h)
	// Bounding box of the carrier in the image; outside it only background.
	bx0, by0, bx1, by1 := w, h, 0, 0
	if s.code != nil {
		for _, p := range [][2]float64{
			{s.cx0 - s.bezel, s.cy0 - s.bezel}, {s.cx1 + s.bezel, s.cy0 - s.bezel},
			{s.cx1 + s.bezel, s.cy1 + s.bezel}, {s.cx0 - s.bezel, s.cy1 + s.bezel},
		} {
			x, y := apply(s.objToImg, p[0], p[1])
			bx0, bx1 = min(bx0, int(math.Floor(x))-1), max(bx1, int(math.Ceil(x))+1)
			by0, by1 = min(by0, int(math.Floor(y))-1), max(by1, int(math.Ceil(y))+1)
		}
		bx0, by0 = max(bx0, 0), max(by0, 0)
		bx1, by1 = min(bx1, w), min(by1, h)
	}
	// Pixels wholly inside one region (its four corners and centre
	// agree) take its level; the others, on module and carrier edges, are
	// 3x3 supersampled, anti-aliasing as a sensor's pixel area does. No
	// feature is thin enough (modules are over 1.5 pixels) to slip
	// between the corners.
	const ss = 3
	type sample struct {
		l  float64
		ok bool
	}
	at := func(px, py float64) sample {
		u, v := apply(s.imgToObj, px, py)
		l, ok := s.object(u, v)
		return sample{l, ok}
	}
	top := make([]sample, w+1)
	bot := make([]sample, w+1)
	for y := 0; y < h; y++ {
		inY := y >= by0 && y < by1
		if inY {
			for x := bx0; x <= bx1; x++ {
				if y == by0 {
					top[x] = at(float64(x), float64(y))
				}
				bot[x] = at(float64(x), float64(y+1))
			}
		}
		for x := 0; x < w; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			if !inY || x < bx0 || x >= bx1 {
				buf[y*w+x] = s.background(fx, fy)
				continue
			}
			c := at(fx, fy)
			if c == top[x] && c == top[x+1] && c == bot[x] && c == bot[x+1] {
				if c.ok {
					buf[y*w+x] = c.l
				} else {
					buf[y*w+x] = s.background(fx, fy)
				}
				continue
			}
			sum := 0.0
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					px := float64(x) + (float64(sx)+0.5)/ss
					py := float64(y) + (float64(sy)+0.5)/ss
					if smp := at(px, py); smp.ok {
						sum += smp.l
					} else {
						sum += s.background(px, py)
					}
				}
			}
			buf[y*w+x] = sum / (ss * ss)
		}
		if inY {
			top, bot = bot, top
		}
	}
	// Illumination falls off across the frame; glare adds light.
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			l := buf[y*w+x] * (s.illumA + s.illumGX*(float64(x)-float64(w)/2) + s.illumGY*(float64(y)-float64(h)/2))
			if s.glare {
				dx, dy := float64(x)-s.glareX, float64(y)-s.glareY
				l += s.glareAmp * math.Exp(-(dx*dx+dy*dy)/(2*s.glareR*s.glareR))
			}
			buf[y*w+x] = l
		}
	}
	gaussianBlur(buf, w, h, s.blur)
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i, l := range buf {
		l += r.NormFloat64() * s.noise
		img.Pix[i] = uint8(math.Max(0, math.Min(255, math.Round(l))))
	}
	return img
}

// gaussianBlur blurs buf in place with a separable Gaussian of the given
// sigma, clamping at the edges.
func gaussianBlur(buf []float64, w, h int, sigma float64) {
	if sigma <= 0 {
		return
	}
	rad := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*rad+1)
	sum := 0.0
	for i := range k {
		d := float64(i - rad)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	tmp := make([]float64, max(w, h))
	blur1 := func(get func(int) float64, n int, put func(int, float64)) {
		for x := 0; x < n; x++ {
			acc := 0.0
			if x >= rad && x < n-rad {
				for i, kv := range k {
					acc += kv * get(x+i-rad)
				}
			} else {
				for i, kv := range k {
					acc += kv * get(min(max(x+i-rad, 0), n-1))
				}
			}
			tmp[x] = acc
		}
		for x := 0; x < n; x++ {
			put(x, tmp[x])
		}
	}
	for y := 0; y < h; y++ {
		row := buf[y*w : (y+1)*w]
		blur1(func(i int) float64 { return row[i] }, w, func(i int, v float64) { row[i] = v })
	}
	col := make([]float64, h)
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			col[y] = buf[y*w+x]
		}
		blur1(func(i int) float64 { return col[i] }, h, func(i int, v float64) { buf[i*w+x] = v })
	}
}

// homography maps object coordinates (modules, symbol at [0,n]^2) to image
// coordinates centred on the origin: the symbol centre is moved to the
// origin and scaled to k pixels per module, rotated by theta in its plane,
// tilted by tilt about an in-plane axis at angle axis, and projected by a
// pinhole camera of focal length f placed so that the centre is at depth f.
func homography(n, k, theta, tilt, axis, f float64) [9]float64 {
	// Rotation: R = Rtilt(axis) * Rz(theta).
	ct, st := math.Cos(theta), math.Sin(theta)
	rz := [9]float64{ct, -st, 0, st, ct, 0, 0, 0, 1}
	ax, ay := math.Cos(axis), math.Sin(axis)
	c, s := math.Cos(tilt), math.Sin(tilt)
	// Rodrigues for the unit axis (ax, ay, 0).
	rt := [9]float64{
		c + ax*ax*(1-c), ax * ay * (1 - c), ay * s,
		ay * ax * (1 - c), c + ay*ay*(1-c), -ax * s,
		-ay * s, ax * s, c,
	}
	rm := mul(rt, rz)
	// Columns r1, r2 of R, scaled by k; translation puts the centre at
	// depth f.
	h := [9]float64{
		k * rm[0], k * rm[1], -k * n / 2 * (rm[0] + rm[1]),
		k * rm[3], k * rm[4], -k * n / 2 * (rm[3] + rm[4]),
		k * rm[6], k * rm[7], f - k*n/2*(rm[6]+rm[7]),
	}
	// Project: x = f*X/Z, y = f*Y/Z.
	proj := [9]float64{f, 0, 0, 0, f, 0, 0, 0, 1}
	return mul(proj, h)
}

func translation(dx, dy float64) [9]float64 {
	return [9]float64{1, 0, dx, 0, 1, dy, 0, 0, 1}
}

func apply(m [9]float64, x, y float64) (float64, float64) {
	w := m[6]*x + m[7]*y + m[8]
	return (m[0]*x + m[1]*y + m[2]) / w, (m[3]*x + m[4]*y + m[5]) / w
}

func mul(a, b [9]float64) [9]float64 {
	var c [9]float64
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				c[i*3+j] += a[i*3+k] * b[k*3+j]
			}
		}
	}
	return c
}

func invert(m [9]float64) [9]float64 {
	a, b, c := m[0], m[1], m[2]
	d, e, f := m[3], m[4], m[5]
	g, h, i := m[6], m[7], m[8]
	det := a*(e*i-f*h) - b*(d*i-f*g) + c*(d*h-e*g)
	return [9]float64{
		(e*i - f*h) / det, (c*h - b*i) / det, (b*f - c*e) / det,
		(f*g - d*i) / det, (a*i - c*g) / det, (c*d - a*f) / det,
		(d*h - e*g) / det, (b*g - a*h) / det, (a*e - b*d) / det,
	}
}
