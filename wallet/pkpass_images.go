package wallet

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	gosync "sync"
	"sync/atomic"
)

// A pass needs an icon (lock screen, notifications, Mail) and shows a
// logo at its top left. Both are drawn here in the pass's colors, a
// ticket stub on the background, so no binary assets ship with the code.
// Sizes are Apple's: icon 29 pt, logo at most 160x50 pt, at 1x/2x/3x.
// The logo is only as wide as the stub, because the pass's logo text is
// drawn after the image's full width.
var passImages = []struct {
	name string
	w, h int
	logo bool
}{
	{"icon.png", 29, 29, false},
	{"icon@2x.png", 58, 58, false},
	{"icon@3x.png", 87, 87, false},
	{"logo.png", 66, 50, true},
	{"logo@2x.png", 132, 100, true},
	{"logo@3x.png", 198, 150, true},
}

// imageCache holds the encoded images per color set: drawing and PNG
// encoding cost far more than signing. It stops growing at
// maxCachedColorSets (organizers choose colors, so there are few).
var (
	imageCache     gosync.Map // Colors -> map[string][]byte
	imageCacheSize atomic.Int32
)

const maxCachedColorSets = 256

// passImageFiles returns the PNG files of a pass in colors c. The map and
// its slices are shared: callers must not modify them.
func passImageFiles(c Colors) (map[string][]byte, error) {
	if v, ok := imageCache.Load(c); ok {
		return v.(map[string][]byte), nil
	}
	files, err := renderPassImages(c)
	if err != nil {
		return nil, err
	}
	if imageCacheSize.Add(1) <= maxCachedColorSets {
		imageCache.Store(c, files)
	}
	return files, nil
}

// renderPassImages draws and encodes the images of a pass in colors c.
func renderPassImages(c Colors) (map[string][]byte, error) {
	files := make(map[string][]byte, len(passImages))
	for _, pi := range passImages {
		var img *image.NRGBA
		if pi.logo {
			img = drawLogo(pi.w, pi.h, c.Foreground)
		} else {
			img = drawIcon(pi.w, c.Background, c.Foreground)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return nil, err
		}
		files[pi.name] = buf.Bytes()
	}
	return files, nil
}

// drawIcon draws a size x size square of bg with a ticket stub in fg.
func drawIcon(size int, bg, fg color.RGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	s := float64(size)
	stub := stubShape{x0: 0.14 * s, y0: 0.27 * s, x1: 0.86 * s, y1: 0.73 * s}
	paint(img, func(x, y float64) (float64, color.RGBA) {
		if stub.contains(x, y) {
			return 1, fg
		}
		return 1, bg
	})
	return img
}

// drawLogo draws a w x h transparent image with a ticket stub in fg.
func drawLogo(w, h int, fg color.RGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	fh := float64(h)
	stub := stubShape{x0: 0.06 * fh, y0: 0.22 * fh, x1: 1.26 * fh, y1: 0.78 * fh}
	paint(img, func(x, y float64) (float64, color.RGBA) {
		if stub.contains(x, y) {
			return 1, fg
		}
		return 0, color.RGBA{}
	})
	return img
}

// paint fills img from a shape function with 4x4 supersampling, so edges
// are smooth at every size. f returns coverage (0 or 1) and a color.
func paint(img *image.NRGBA, f func(x, y float64) (float64, color.RGBA)) {
	const n = 4
	b := img.Bounds()
	for py := b.Min.Y; py < b.Max.Y; py++ {
		for px := b.Min.X; px < b.Max.X; px++ {
			var r, g, bl, a float64
			for sy := range n {
				for sx := range n {
					cov, c := f(float64(px)+(float64(sx)+0.5)/n, float64(py)+(float64(sy)+0.5)/n)
					r += cov * float64(c.R)
					g += cov * float64(c.G)
					bl += cov * float64(c.B)
					a += cov
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{
				R: uint8(math.Round(r / a)),
				G: uint8(math.Round(g / a)),
				B: uint8(math.Round(bl / a)),
				A: uint8(math.Round(255 * a / (n * n))),
			})
		}
	}
}

// stubShape is a ticket stub: a rectangle with round notches halfway down
// both short sides and a perforation of round holes at two thirds of its
// width.
type stubShape struct{ x0, y0, x1, y1 float64 }

func (t stubShape) contains(x, y float64) bool {
	if x < t.x0 || x >= t.x1 || y < t.y0 || y >= t.y1 {
		return false
	}
	h := t.y1 - t.y0
	notch := 0.2 * h
	my := (t.y0 + t.y1) / 2
	if math.Hypot(x-t.x0, y-my) < notch || math.Hypot(x-t.x1, y-my) < notch {
		return false
	}
	// Perforation: five holes down a line at 2/3 of the width.
	px := t.x0 + (t.x1-t.x0)*2/3
	hole := 0.05 * h
	for i := range 5 {
		hy := t.y0 + h*(float64(i)+0.5)/5
		if math.Hypot(x-px, y-hy) < hole {
			return false
		}
	}
	return true
}
