package scanner

import (
	"image"

	"github.com/admitone/admitone/qr"
)

// QRDecoder adapts a qr.Decoder to a lane's FrameDecoder.
type QRDecoder struct{ D *qr.Decoder }

// QRDecoderOptions tune a QRDecoder.
type QRDecoderOptions struct {
	// Listed enables the linear barcodes that listed-mode gates accept
	// (Code 128, EAN, ITF).
	Listed bool
	// Still tunes the decoder for single pictures instead of a camera
	// stream.
	Still bool
}

// NewQRDecoder makes a decoder for one camera lane.
func NewQRDecoder(opt QRDecoderOptions) QRDecoder {
	opts := qr.Options{Still: opt.Still}
	if opt.Listed {
		opts.Formats = []qr.Format{qr.FormatQR, qr.FormatCode128, qr.FormatEAN13, qr.FormatEAN8, qr.FormatITF}
	}
	return QRDecoder{D: qr.NewDecoder(opts)}
}

// DecodeText implements FrameDecoder.
func (q QRDecoder) DecodeText(frame *image.Gray) (string, bool) {
	res, err := q.D.Decode(frame)
	if err != nil || res == nil {
		return "", false
	}
	return res.Text, true
}
