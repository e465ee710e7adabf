package qr

import (
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
)

// linearReader is one of gozxing's 1D readers and the hints it needs.
// gozxing v0.1.1 has no multi-format reader, so the Decoder runs each.
type linearReader struct {
	reader gozxing.Reader
	hints  map[gozxing.DecodeHintType]interface{}
}

func newLinearReaders(formats []Format) []linearReader {
	var rs []linearReader
	var upcean []gozxing.BarcodeFormat
	for _, f := range formats {
		switch f {
		case FormatCode128:
			rs = append(rs, linearReader{reader: oned.NewCode128Reader()})
		case FormatITF:
			rs = append(rs, linearReader{reader: oned.NewITFReader()})
		case FormatEAN13:
			upcean = append(upcean, gozxing.BarcodeFormat_EAN_13)
		case FormatEAN8:
			upcean = append(upcean, gozxing.BarcodeFormat_EAN_8)
		}
	}
	if len(upcean) > 0 {
		// One reader finds the EAN guard pattern once for both lengths.
		hints := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_POSSIBLE_FORMATS: upcean}
		rs = append(rs, linearReader{reader: oned.NewMultiFormatUPCEANReader(hints), hints: hints})
	}
	return rs
}

func formatOf(f gozxing.BarcodeFormat) Format {
	switch f {
	case gozxing.BarcodeFormat_QR_CODE:
		return FormatQR
	case gozxing.BarcodeFormat_CODE_128:
		return FormatCode128
	case gozxing.BarcodeFormat_EAN_13:
		return FormatEAN13
	case gozxing.BarcodeFormat_EAN_8:
		return FormatEAN8
	case gozxing.BarcodeFormat_ITF:
		return FormatITF
	}
	return Format(f.String())
}

// runLinear scans rows of the full-resolution frame with each enabled 1D
// reader, then does the same on the frame turned a quarter, so bars running
// across or along the frame both read. Stills also get gozxing's try-harder
// row scan (every few rows instead of 15 rows around the middle).
func (d *Decoder) runLinear(p plane) (*Result, error) {
	var firstErr error
	turns := []int{0, 1}
	if d.opts.Still {
		turns = turns[:1] // try-harder turns the picture itself
	}
	for _, q := range turns {
		src, name := p, passLinear
		if d.opts.Still {
			name = passLinearHarder
		}
		if q == 1 {
			src = rotate(p, 1, d.rot)
			d.rot = src.pix
			d.bits.forget()
			name = passLinearRot90
		}
		m := frameMap{rotate: q, scale: 1, w: float64(src.width), h: float64(src.height)}
		for _, lr := range d.linear {
			res, err := d.decodeLinear(src, lr, name, m)
			if res != nil {
				return res, nil
			}
			if firstErr == nil && err != ErrNotFound {
				firstErr = err
			}
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, ErrNotFound
}

func (d *Decoder) decodeLinear(src plane, lr linearReader, name string, m frameMap) (*Result, error) {
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewGlobalHistgramBinarizer(newGraySource(src)))
	if err != nil {
		return nil, err
	}
	hints := lr.hints
	if d.opts.Still {
		hints = map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}
		for k, v := range lr.hints {
			hints[k] = v
		}
	}
	zr, err := lr.reader.Decode(bmp, hints)
	if err != nil {
		return nil, ErrNotFound
	}
	res := &Result{Text: zr.GetText(), Format: formatOf(zr.GetBarcodeFormat()), Pass: name}
	for _, pt := range zr.GetResultPoints() {
		res.Corners = append(res.Corners, m.apply(pt.GetX(), pt.GetY()))
	}
	return res, nil
}
