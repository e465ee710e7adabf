package qr_test

import (
	"math"

	"github.com/admitone/admitone/qr"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/admitone/admitone/qr/qrtest"
)

// blackboxDir holds the ZXing QR photo sets qrcode-1 .. qrcode-6: the
// project's shared test data, which sits beside the repository
// (../shared from its root; tests run in qr/), or where
// ADMITONE_BLACKBOX_DIR points.
var blackboxDir = func() string {
	if d := os.Getenv("ADMITONE_BLACKBOX_DIR"); d != "" {
		return d
	}
	for _, d := range []string{"../../shared/testdata/qr-blackbox", "/work/shared/testdata/qr-blackbox"} {
		if _, err := os.Stat(d); err == nil {
			return d
		}
	}
	return "../../shared/testdata/qr-blackbox"
}()

// labelled is a picture with the text its code must decode to.
type labelled struct {
	Name string
	Path string
	Gray *image.Gray
	Text string
}

var (
	blackboxOnce sync.Once
	blackbox     []labelled
	blackboxErr  error
)

// loadBlackbox returns the blackbox photos as luminance planes, converted
// once per test binary. It fails the test if the set is missing: the
// photos are part of the repository's shared test data.
func loadBlackbox(tb testing.TB) []labelled {
	tb.Helper()
	blackboxOnce.Do(func() {
		for set := 1; set <= 6; set++ {
			dir := filepath.Join(blackboxDir, "qrcode-"+strconv.Itoa(set))
			entries, err := os.ReadDir(dir)
			if err != nil {
				blackboxErr = err
				return
			}
			for _, e := range entries {
				name := e.Name()
				if !strings.HasSuffix(name, ".png") {
					continue
				}
				base := strings.TrimSuffix(name, ".png")
				text, err := os.ReadFile(filepath.Join(dir, base+".txt"))
				if err != nil {
					blackboxErr = err
					return
				}
				g, err := readGray(filepath.Join(dir, name))
				if err != nil {
					blackboxErr = err
					return
				}
				blackbox = append(blackbox, labelled{
					Name: "qrcode-" + strconv.Itoa(set) + "/" + base,
					Path: filepath.Join(dir, name),
					Gray: g,
					Text: string(text),
				})
			}
		}
	})
	if blackboxErr != nil {
		tb.Fatalf("load blackbox photos: %v", blackboxErr)
	}
	if len(blackbox) == 0 {
		tb.Fatalf("no blackbox photos under %s", blackboxDir)
	}
	return blackbox
}

// readGray decodes a PNG into a luminance plane. Tests convert once up
// front, as a gate gets luminance from its camera, so decode timings
// exclude PNG decoding.
func readGray(path string) (*image.Gray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, err
	}
	if g, ok := img.(*image.Gray); ok {
		return g, nil
	}
	// Composite over white, as qr.DecodeImage does, then take luma.
	b := img.Bounds()
	rgba := image.NewRGBA(b)
	draw.Draw(rgba, b, image.White, image.Point{}, draw.Src)
	draw.Draw(rgba, b, img, b.Min, draw.Over)
	g := image.NewGray(b)
	draw.Draw(g, b, rgba, b.Min, draw.Src)
	return g, nil
}

var (
	framesMu      sync.Mutex
	syntheticSets = map[[3]int][]qrtest.Frame{}
)

// syntheticSeed fixes the standard synthetic sets.
const syntheticSeed = 20240601

// synthetic returns the standard synthetic set of n frames of w x h,
// generated once per test binary.
func synthetic(n, w, h int) []qrtest.Frame {
	framesMu.Lock()
	defer framesMu.Unlock()
	k := [3]int{n, w, h}
	if f, ok := syntheticSets[k]; ok {
		return f
	}
	f := qrtest.Frames(syntheticSeed, n, w, h)
	syntheticSets[k] = f
	return f
}

// nocode returns n frames showing scenes without a code.
func nocode(n, w, h int) []*image.Gray {
	fs := qrtest.Generate(syntheticSeed, n, qrtest.Config{Width: w, Height: h, NoCode: true})
	gs := make([]*image.Gray, n)
	for i, f := range fs {
		gs[i] = f.Gray
	}
	return gs
}

func dist(a, b qr.Point) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }
