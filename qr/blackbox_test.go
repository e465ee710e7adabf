package qr_test

import (
	"errors"
	"testing"

	"github.com/admitone/admitone/qr"
)

// blackboxFloor is a little under the 168 of 179 this decoder reads as
// stills (zxing-cpp 1.4 reads 162, zbar 0.23 147; BENCHMARKS.md), so
// that a change that loses photos fails.
const blackboxFloor = 165

// TestBlackboxPhotos decodes ZXing's real QR photographs (printed and on
// screens, at angles, blurred) as stills, comparing with the exact text.
func TestBlackboxPhotos(t *testing.T) {
	photos := loadBlackbox(t)
	d := qr.NewDecoder(qr.Options{Still: true})
	ok := 0
	perSet := map[string][2]int{}
	for _, p := range photos {
		set := p.Name[:len("qrcode-1")]
		c := perSet[set]
		c[1]++
		r, err := d.Decode(p.Gray)
		switch {
		case err == nil && r.Text == p.Text:
			ok++
			c[0]++
		case err == nil:
			t.Logf("%s: wrong text %q", p.Name, r.Text)
		case !errors.Is(err, qr.ErrNotFound):
			t.Errorf("%s: unexpected error %v", p.Name, err)
		}
		perSet[set] = c
	}
	t.Logf("decoded %d of %d photos; by set %v", ok, len(photos), perSet)
	if ok < blackboxFloor {
		t.Errorf("decoded %d of %d photos, want at least %d", ok, len(photos), blackboxFloor)
	}
}
