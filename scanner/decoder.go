package scanner

import (
	"image"

	"github.com/admitone/admitone/qr"
)

// QRDecoder adapts a qr.Decoder to a lane's FrameDecoder.
type QRDecoder struct{ D *qr.Decoder }

// NewQRDecoder makes a decoder for one camera lane. listed enables the
// linear barcodes that listed-mode gates accept (Code 128, EAN, ITF);
// still tunes it for single pictures instead of a camera stream.
func NewQRDecoder(listed, still bool) QRDecoder {
	opts := qr.Options{Still: still}
	if listed {
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
