package qrtest_test

import (
	"bytes"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/admitone/admitone/qr"
	"github.com/admitone/admitone/qr/qrtest"
)

func TestFramesDeterministic(t *testing.T) {
	a := qrtest.Frames(42, 3, 640, 480)
	b := qrtest.Frames(42, 3, 640, 480)
	c := qrtest.Frames(43, 3, 640, 480)
	for i := range a {
		if !bytes.Equal(a[i].Gray.Pix, b[i].Gray.Pix) || a[i].Text != b[i].Text || a[i].Distortion != b[i].Distortion {
			t.Errorf("frame %d differs between two runs with the same seed", i)
		}
		if bytes.Equal(a[i].Gray.Pix, c[i].Gray.Pix) || a[i].Text == c[i].Text {
			t.Errorf("frame %d is the same for seeds 42 and 43", i)
		}
	}
	// Frame i does not depend on how many frames were asked for.
	one := qrtest.Frames(42, 1, 640, 480)
	if !bytes.Equal(one[0].Gray.Pix, a[0].Gray.Pix) {
		t.Error("frame 0 depends on n")
	}
}

func TestFrameContents(t *testing.T) {
	for _, f := range qrtest.Frames(7, 10, 1280, 720) {
		if got := f.Gray.Bounds(); got != image.Rect(0, 0, 1280, 720) {
			t.Fatalf("bounds %v", got)
		}
		if !strings.HasPrefix(f.Text, "AT1:") || (len(f.Text) != 148 && len(f.Text) != 154) {
			t.Errorf("text %q is not token-like", f.Text)
		}
		c, err := qr.Encode(f.Text, qr.ECLevelM)
		if err != nil || c.Version != 6 || c.Mode != "ALPHANUMERIC" {
			t.Errorf("text encodes as %+v, %v", c, err)
		}
		if len(f.Corners) != 4 {
			t.Fatalf("%d corners", len(f.Corners))
		}
		side := 0.0
		for i, p := range f.Corners {
			if p.X < 0 || p.Y < 0 || p.X > 1280 || p.Y > 720 {
				t.Errorf("corner %v outside the frame", p)
			}
			q := f.Corners[(i+1)%4]
			side = max(side, (p.X-q.X)*(p.X-q.X)+(p.Y-q.Y)*(p.Y-q.Y))
		}
		// The code is 150-400 px wide at 720p, less when tilted.
		if side < 90*90 || side > 450*450 {
			t.Errorf("%s: longest side %.0f px", f.Distortion, side)
		}
		// The frame is not flat: there is a code with contrast in it.
		lo, hi := 255, 0
		for _, v := range f.Gray.Pix {
			lo, hi = min(lo, int(v)), max(hi, int(v))
		}
		if hi-lo < 50 {
			t.Errorf("%s: levels span only %d", f.Distortion, hi-lo)
		}
	}
}

func TestNoCodeAndDarkMode(t *testing.T) {
	for _, f := range qrtest.Generate(3, 3, qrtest.Config{Width: 320, Height: 240, NoCode: true}) {
		if f.Text != "" || f.Corners != nil || !strings.Contains(f.Distortion, "nocode") {
			t.Errorf("no-code frame has text %q, corners %v, distortion %q", f.Text, f.Corners, f.Distortion)
		}
	}
	for _, f := range qrtest.Generate(3, 3, qrtest.Config{Width: 640, Height: 480, DarkModeRate: 1}) {
		if !strings.Contains(f.Distortion, "darkmode") {
			t.Errorf("distortion %q lacks darkmode", f.Distortion)
		}
	}
}

func TestSequenceMovesLittle(t *testing.T) {
	fs := qrtest.Sequence(9, 6, qrtest.Config{Width: 640, Height: 480})
	for i := 1; i < len(fs); i++ {
		if fs[i].Text != fs[0].Text {
			t.Fatalf("frame %d shows another code", i)
		}
		for k := range fs[i].Corners {
			a, b := fs[i].Corners[k], fs[i-1].Corners[k]
			if d := (a.X-b.X)*(a.X-b.X) + (a.Y-b.Y)*(a.Y-b.Y); d > 30*30 {
				t.Errorf("frame %d: corner %d jumped %.0f px", i, k, d)
			}
		}
		if bytes.Equal(fs[i].Gray.Pix, fs[i-1].Gray.Pix) {
			t.Errorf("frame %d is identical to the one before", i)
		}
	}
}

func TestWritePNGs(t *testing.T) {
	fs := qrtest.Frames(1, 2, 320, 240)
	dir := filepath.Join(t.TempDir(), "frames")
	paths, err := qrtest.WritePNGs(dir, fs)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		g, ok := img.(*image.Gray)
		if !ok || !bytes.Equal(g.Pix, fs[i].Gray.Pix) {
			t.Errorf("%s does not hold frame %d's pixels", p, i)
		}
		text, err := os.ReadFile(strings.TrimSuffix(p, ".png") + ".txt")
		if err != nil || string(text) != fs[i].Text {
			t.Errorf("%s.txt: %q, %v", p, text, err)
		}
	}
}

func TestToken(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		tok := qrtest.Token(r)
		for _, c := range tok[4:] {
			if !strings.ContainsRune("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", c) {
				t.Fatalf("token %q has %q outside Base45", tok, c)
			}
		}
	}
}

func TestTexts(t *testing.T) {
	texts := []string{"AT1:FIRST", "AT1:SECOND"}
	plain := qrtest.Generate(5, 3, qrtest.Config{Width: 320, Height: 240})
	fs := qrtest.Generate(5, 3, qrtest.Config{Width: 320, Height: 240, Texts: texts})
	for i, f := range fs {
		if f.Text != texts[i%2] {
			t.Errorf("frame %d shows %q, want %q", i, f.Text, texts[i%2])
		}
		// Same scene, another code (blur scales with the module size,
		// which depends on the text).
		noBlur := regexp.MustCompile(` blur=[0-9.]+`)
		if noBlur.ReplaceAllString(f.Distortion, "") != noBlur.ReplaceAllString(plain[i].Distortion, "") {
			t.Errorf("frame %d: %q, without Texts %q", i, f.Distortion, plain[i].Distortion)
		}
	}
	if s := qrtest.Sequence(5, 2, qrtest.Config{Width: 320, Height: 240, Texts: texts}); s[1].Text != texts[0] {
		t.Errorf("Sequence shows %q", s[1].Text)
	}
}
