package qr

import (
	"errors"
	"testing"
)

// TestDecodeRecoversPanics feeds the decode passes a plane that claims more
// pixels than it has, bypassing Decode's checks, so that they index out of
// range: the panic must come back as ErrDecoderPanic.
func TestDecodeRecoversPanics(t *testing.T) {
	d := NewDecoder(Options{Formats: []Format{FormatQR, FormatCode128}})
	bad := plane{pix: make([]byte, 100), stride: 640, width: 640, height: 480}
	res, err := d.decodePlane(bad)
	if res != nil || !errors.Is(err, ErrDecoderPanic) {
		t.Fatalf("got %v, %v; want ErrDecoderPanic", res, err)
	}
}
