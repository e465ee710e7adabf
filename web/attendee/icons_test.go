package attendee

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

var updateIcons = flag.Bool("update-icons", false, "draw static/icon-*.png again")

// drawIcon is the app's icon: a white ticket with a punched notch on the
// app's blue, inside the maskable safe zone (the middle 80%).
func drawIcon(size int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	blue := color.RGBA{0x0b, 0x5c, 0xad, 0xff}
	white := color.RGBA{0xff, 0xff, 0xff, 0xff}
	s := float64(size)
	for y := range size {
		for x := range size {
			fx, fy := float64(x)/s, float64(y)/s
			c := blue
			if fx >= 0.22 && fx < 0.78 && fy >= 0.32 && fy < 0.68 {
				c = white
				// The notches on both long sides, and a dashed tear line.
				dx, dy := fx-0.5, fy-0.32
				if dx*dx+dy*dy < 0.05*0.05 {
					c = blue
				}
				dy = fy - 0.68
				if dx*dx+dy*dy < 0.05*0.05 {
					c = blue
				}
				if fx >= 0.6 && fx < 0.615 && int(fy*40)%2 == 0 {
					c = blue
				}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

// TestIcons checks the manifest's icons are PNGs of their sizes; with
// -update-icons it draws them first.
func TestIcons(t *testing.T) {
	for _, size := range []int{192, 512} {
		name := fmt.Sprintf("icon-%d.png", size)
		if *updateIcons {
			var b bytes.Buffer
			if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, drawIcon(size)); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("static", name), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		b, err := fs.ReadFile(Files(), name)
		if *updateIcons {
			b, err = os.ReadFile(filepath.Join("static", name)) // embedded before it was drawn
		}
		if err != nil {
			t.Fatalf("%s: %v (go test ./web/attendee -run TestIcons -update-icons draws it)", name, err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cfg.Width != size || cfg.Height != size {
			t.Errorf("%s is %dx%d, want %dx%d", name, cfg.Width, cfg.Height, size, size)
		}
	}
}
