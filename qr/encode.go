package qr

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
)

// QuietZone is the width, in modules, of the light margin that Image and PNG
// draw around a code. ISO/IEC 18004 asks for four modules; scanners find the
// finder patterns less reliably with less.
const QuietZone = 4

// MaxPixelsPerModule bounds the module size accepted by Image and PNG, so a
// caller's mistake cannot ask for a gigapixel image.
const MaxPixelsPerModule = 64

// ECLevel is a QR error correction level.
type ECLevel int

// The four QR error correction levels. The zero value is ECLevelM, the level
// AdmitOne tickets use; the constants are not ordered by strength.
const (
	ECLevelM ECLevel = iota // recovers about 15% of codewords
	ECLevelL                // recovers about 7% of codewords
	ECLevelQ                // recovers about 25% of codewords
	ECLevelH                // recovers about 30% of codewords
)

// String returns the level's letter: "L", "M", "Q" or "H".
func (l ECLevel) String() string {
	switch l {
	case ECLevelL:
		return "L"
	case ECLevelM:
		return "M"
	case ECLevelQ:
		return "Q"
	case ECLevelH:
		return "H"
	}
	return fmt.Sprintf("ECLevel(%d)", int(l))
}

func (l ECLevel) zxing() (decoder.ErrorCorrectionLevel, error) {
	switch l {
	case ECLevelL:
		return decoder.ErrorCorrectionLevel_L, nil
	case ECLevelM:
		return decoder.ErrorCorrectionLevel_M, nil
	case ECLevelQ:
		return decoder.ErrorCorrectionLevel_Q, nil
	case ECLevelH:
		return decoder.ErrorCorrectionLevel_H, nil
	}
	return 0, fmt.Errorf("qr: unknown error correction level %d", int(l))
}

// ErrEmptyText is returned by Encode for an empty string: a QR code can hold
// one, but a ticket never is one, so it is almost certainly a caller bug.
var ErrEmptyText = errors.New("qr: empty text")

// Code is an encoded QR symbol: its module matrix and the parameters the
// encoder chose. It holds no quiet zone; Image and PNG add one.
type Code struct {
	// Text is the encoded text.
	Text string
	// Version is the QR version, 1 to 40; the symbol has 17+4*Version
	// modules per side.
	Version int
	// Level is the error correction level.
	Level ECLevel
	// Mode is the encoding mode the encoder chose for the whole text:
	// "NUMERIC", "ALPHANUMERIC", "BYTE" or "KANJI".
	Mode string
	// Mask is the data mask pattern, 0 to 7.
	Mask int

	size    int
	modules []bool // row-major, true is dark
}

// Size returns the number of modules per side, without quiet zone.
func (c *Code) Size() int { return c.size }

// Dark reports whether the module at column x, row y is dark. Coordinates
// outside the symbol (the quiet zone included) are light.
func (c *Code) Dark(x, y int) bool {
	if x < 0 || y < 0 || x >= c.size || y >= c.size {
		return false
	}
	return c.modules[y*c.size+x]
}

// Encode encodes text as a QR code at the given error correction level with
// gozxing's encoder, which picks the smallest version that fits and a single
// mode for the whole text (ALPHANUMERIC for ticket tokens: A-Z, 0-9, space and
// $%*+-./: only; lowercase forces BYTE mode and a larger version). Other text
// is encoded as UTF-8 bytes, with an ECI header saying so if it is not ASCII.
func Encode(text string, level ECLevel) (*Code, error) {
	if text == "" {
		return nil, ErrEmptyText
	}
	zl, err := level.zxing()
	if err != nil {
		return nil, err
	}
	var hints map[gozxing.EncodeHintType]interface{}
	if !isASCII(text) {
		// Without an ECI header readers guess the byte encoding, and
		// zbar, for one, guesses Shift JIS.
		hints = map[gozxing.EncodeHintType]interface{}{gozxing.EncodeHintType_CHARACTER_SET: "UTF-8"}
	}
	enc, werr := encoder.Encoder_encode(text, zl, hints)
	if werr != nil {
		return nil, fmt.Errorf("qr: encode %d characters at level %v: %w", len(text), level, werr)
	}
	m := enc.GetMatrix()
	size := m.GetWidth()
	c := &Code{
		Text:    text,
		Version: enc.GetVersion().GetVersionNumber(),
		Level:   level,
		Mode:    enc.GetMode().String(),
		Mask:    enc.GetMaskPattern(),
		size:    size,
		modules: make([]bool, size*size),
	}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			c.modules[y*size+x] = m.Get(x, y) == 1
		}
	}
	return c, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Image renders the code black on white with a QuietZone-module margin,
// pixelsPerModule pixels per module. The result has values 0 and 255 only.
func (c *Code) Image(pixelsPerModule int) (*image.Gray, error) {
	if pixelsPerModule < 1 || pixelsPerModule > MaxPixelsPerModule {
		return nil, fmt.Errorf("qr: pixels per module %d out of range 1..%d", pixelsPerModule, MaxPixelsPerModule)
	}
	side := (c.size + 2*QuietZone) * pixelsPerModule
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for my := 0; my < c.size; my++ {
		for mx := 0; mx < c.size; mx++ {
			if !c.modules[my*c.size+mx] {
				continue
			}
			x0 := (mx + QuietZone) * pixelsPerModule
			y0 := (my + QuietZone) * pixelsPerModule
			for y := y0; y < y0+pixelsPerModule; y++ {
				row := img.Pix[y*img.Stride+x0 : y*img.Stride+x0+pixelsPerModule]
				for i := range row {
					row[i] = 0
				}
			}
		}
	}
	return img, nil
}

// bilevel is the two-colour palette that makes image/png write a 1-bit PNG.
var bilevel = color.Palette{color.Gray{Y: 0}, color.Gray{Y: 0xff}}

// WritePNG writes the code as a 1-bit black-on-white PNG with a
// QuietZone-module margin, pixelsPerModule pixels per module.
func (c *Code) WritePNG(w io.Writer, pixelsPerModule int) error {
	gray, err := c.Image(pixelsPerModule)
	if err != nil {
		return err
	}
	pal := &image.Paletted{Pix: gray.Pix, Stride: gray.Stride, Rect: gray.Rect, Palette: bilevel}
	for i, v := range pal.Pix {
		if v != 0 {
			pal.Pix[i] = 1
		}
	}
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(w, pal); err != nil {
		return fmt.Errorf("qr: write png: %w", err)
	}
	return nil
}

// PNG encodes text at error correction level M and writes it to w as a 1-bit
// black-on-white PNG with a QuietZone-module margin, pixelsPerModule pixels
// per module. A 154-character ticket token (version 6, 41 modules) at 8
// pixels per module is a 392x392 image of well under 2 KB.
func PNG(text string, pixelsPerModule int, w io.Writer) error {
	c, err := Encode(text, ECLevelM)
	if err != nil {
		return err
	}
	return c.WritePNG(w, pixelsPerModule)
}
