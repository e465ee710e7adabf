package qr_test

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/admitone/admitone/qr"
)

// token154 is the longest AdmitOne token: "AT1:", 144 Base45 characters
// and a 6-digit rotating code, all QR alphanumeric.
var token154 = "AT1:" + strings.Repeat("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", 4)[:144] + "123456"

func TestEncodeTokenFitsVersion6AtM(t *testing.T) {
	if len(token154) != 154 {
		t.Fatalf("test token has %d characters, want 154", len(token154))
	}
	c, err := qr.Encode(token154, qr.ECLevelM)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version > 6 {
		t.Errorf("Version = %d, want <= 6", c.Version)
	}
	if c.Mode != "ALPHANUMERIC" {
		t.Errorf("Mode = %q, want ALPHANUMERIC", c.Mode)
	}
	if got, want := c.Size(), 17+4*c.Version; got != want {
		t.Errorf("Size() = %d, want %d", got, want)
	}
	// One more character no longer fits version 6 at M.
	c7, err := qr.Encode(token154+"0", qr.ECLevelM)
	if err != nil {
		t.Fatal(err)
	}
	if c7.Version != 7 {
		t.Errorf("155 characters: Version = %d, want 7", c7.Version)
	}
}

func TestEncodeLevelsAndModes(t *testing.T) {
	tests := []struct {
		text    string
		level   qr.ECLevel
		version int
		mode    string
	}{
		{"01234567", qr.ECLevelH, 1, "NUMERIC"},
		{"HELLO WORLD", qr.ECLevelQ, 1, "ALPHANUMERIC"},
		{"hello world", qr.ECLevelL, 1, "BYTE"},
		{token154, qr.ECLevelL, 5, "ALPHANUMERIC"},  // 5-L holds exactly 154
		{token154, qr.ECLevelH, 10, "ALPHANUMERIC"}, // 9-H holds 131, 10-H 174
	}
	for _, tc := range tests {
		t.Run(tc.level.String()+"/"+tc.text[:5], func(t *testing.T) {
			c, err := qr.Encode(tc.text, tc.level)
			if err != nil {
				t.Fatal(err)
			}
			if c.Version != tc.version || c.Mode != tc.mode || c.Level != tc.level {
				t.Errorf("got version %d mode %s level %v, want %d %s %v", c.Version, c.Mode, c.Level, tc.version, tc.mode, tc.level)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	if _, err := qr.Encode("", qr.ECLevelM); !errors.Is(err, qr.ErrEmptyText) {
		t.Errorf("empty text: err = %v, want ErrEmptyText", err)
	}
	if _, err := qr.Encode("X", qr.ECLevel(9)); err == nil {
		t.Error("unknown level: no error")
	}
	if _, err := qr.Encode(strings.Repeat("x", 3000), qr.ECLevelH); err == nil {
		t.Error("3000 bytes at level H: no error, but it exceeds version 40")
	}
	c, _ := qr.Encode("X", qr.ECLevelM)
	for _, ppm := range []int{0, -1, qr.MaxPixelsPerModule + 1} {
		if _, err := c.Image(ppm); err == nil {
			t.Errorf("Image(%d): no error", ppm)
		}
		if err := qr.PNG("X", ppm, new(bytes.Buffer)); err == nil {
			t.Errorf("PNG(%d): no error", ppm)
		}
	}
}

func TestImageHasQuietZoneAndModules(t *testing.T) {
	c, err := qr.Encode(token154, qr.ECLevelM)
	if err != nil {
		t.Fatal(err)
	}
	const ppm = 3
	img, err := c.Image(ppm)
	if err != nil {
		t.Fatal(err)
	}
	side := (c.Size() + 2*qr.QuietZone) * ppm
	if img.Bounds() != image.Rect(0, 0, side, side) {
		t.Fatalf("bounds %v, want %dx%d", img.Bounds(), side, side)
	}
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			mx, my := x/ppm-qr.QuietZone, y/ppm-qr.QuietZone
			want := uint8(255)
			if c.Dark(mx, my) {
				want = 0
			}
			if got := img.GrayAt(x, y).Y; got != want {
				t.Fatalf("pixel (%d,%d) = %d, want %d (module %d,%d)", x, y, got, want, mx, my)
			}
		}
	}
	// The top-left finder pattern's corner module is dark.
	if !c.Dark(0, 0) || c.Dark(-1, 0) || c.Dark(c.Size(), 0) {
		t.Error("Dark: finder corner or outside modules wrong")
	}
}

func TestPNGIsCompactBilevel(t *testing.T) {
	var buf bytes.Buffer
	if err := qr.PNG(token154, 8, &buf); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 2048 {
		t.Errorf("PNG is %d bytes, want a compact 1-bit image under 2 KB", buf.Len())
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if want := (41 + 2*qr.QuietZone) * 8; cfg.Width != want || cfg.Height != want {
		t.Errorf("PNG is %dx%d, want %dx%d", cfg.Width, cfg.Height, want, want)
	}
	img, err := png.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	pal, ok := img.(*image.Paletted)
	if !ok || len(pal.Palette) != 2 {
		t.Fatalf("PNG decodes to %T, want a two-colour paletted image", img)
	}
}

// TestRoundTrip renders tokens at several module sizes, writes and reads
// them back as PNG, and decodes them.
func TestRoundTrip(t *testing.T) {
	texts := []string{token154, token154[:148], "AT1:SHORT", "https://example.com/t/abc?x=1", "Grüße, 東京"}
	for _, text := range texts {
		for _, ppm := range []int{2, 4, 10} {
			var buf bytes.Buffer
			if err := qr.PNG(text, ppm, &buf); err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			res, err := qr.DecodeImage(img)
			if err != nil {
				t.Fatalf("%q at %d px/module: %v", text, ppm, err)
			}
			if res.Text != text || res.Format != qr.FormatQR {
				t.Fatalf("%q at %d px/module: got %q (%s)", text, ppm, res.Text, res.Format)
			}
			c, _ := qr.Encode(text, qr.ECLevelM)
			if res.Version != c.Version {
				t.Errorf("%q: decoded version %d, encoded %d", text, res.Version, c.Version)
			}
			// The symbol's corners lie QuietZone modules in from the
			// image's, give or take a module.
			lo := float64(qr.QuietZone * ppm)
			hi := float64((qr.QuietZone + c.Size()) * ppm)
			want := []qr.Point{{X: lo, Y: lo}, {X: hi, Y: lo}, {X: hi, Y: hi}, {X: lo, Y: hi}}
			if len(res.Corners) != 4 {
				t.Fatalf("%q: %d corners", text, len(res.Corners))
			}
			for i, p := range res.Corners {
				if dist(p, want[i]) > float64(ppm)+1 {
					t.Errorf("%q at %d px/module: corner %d = %v, want %v", text, ppm, i, p, want[i])
				}
			}
		}
	}
}
