package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"time"
)

// JPEG markers the splitter cares about (ITU T.81 table B.1).
const (
	markSOI = 0xD8
	markEOI = 0xD9
	markSOS = 0xDA
	markTEM = 0x01
	markRST = 0xD0 // RST0..RST7 are 0xD0..0xD7
)

const readChunk = 64 << 10

// mjpegSplitter cuts a byte stream of concatenated JPEGs into frames, each running from SOI
// (FF D8) to EOI (FF D9). It follows the marker segments by their lengths up to SOS, then scans
// the entropy-coded data, where FF is followed only by 00 (a stuffed byte), RSTn or fill FFs; any
// other marker there ends the scan (EOI ends the frame, anything else starts the next marker
// segment, as between the scans of a progressive JPEG). Bytes that do not fit, a frame larger
// than max, and a frame cut short by a new SOI are skipped; the splitter resynchronises on the next
// SOI. Every input byte ends up either in exactly one frame or in skipped.
type mjpegSplitter struct {
	r       io.Reader
	max     int
	buf     []byte
	n       int   // buf[:n] holds unread bytes; while in a frame, the frame starts at buf[0]
	pending int   // bytes of the frame returned last, dropped on the next call
	skipped int64 // bytes discarded
	err     error // sticky read error (io.EOF at end)
}

func newMJPEGSplitter(r io.Reader, max int) *mjpegSplitter {
	return &mjpegSplitter{r: r, max: max, buf: make([]byte, readChunk)}
}

// errTruncated reports input that ended inside a frame or an I420 frame.
var errTruncated = errors.New("input ended inside a frame")

// next returns the next frame; it stays valid until the following call. At the end of input it
// returns io.EOF, or an error wrapping io.ErrUnexpectedEOF if the input ended inside a frame.
func (s *mjpegSplitter) next() ([]byte, error) {
	if s.pending > 0 {
		s.discard(s.pending, false)
		s.pending = 0
	}
	for {
		if !s.syncSOI() {
			return nil, s.endErr(false)
		}
		switch end, st := s.scanFrame(); st {
		case scanFrame:
			s.pending = end
			return s.buf[:end], nil
		case scanEnded:
			return nil, s.endErr(true)
		}
		// scanResync: look for the next SOI.
	}
}

// Outcomes of scanFrame.
const (
	scanFrame  = iota // a whole frame is at the start of buf
	scanResync        // what was at the start of buf is not a frame and has been skipped
	scanEnded         // input ended (or failed) inside the frame
)

// endErr reports the end of input; inFrame says the input stopped inside a frame.
func (s *mjpegSplitter) endErr(inFrame bool) error {
	n := s.n
	s.discard(s.n, true)
	if s.err != io.EOF {
		return s.err
	}
	if inFrame {
		return fmt.Errorf("%w after %d bytes of a JPEG frame: %w", errTruncated, n, io.ErrUnexpectedEOF)
	}
	return io.EOF
}

// discard drops the first k buffered bytes, counting them as skipped unless they were a frame.
func (s *mjpegSplitter) discard(k int, garbage bool) {
	if garbage {
		s.skipped += int64(k)
	}
	copy(s.buf, s.buf[k:s.n])
	s.n -= k
}

// fill reads more input; it returns false at the end of input or on a read error.
func (s *mjpegSplitter) fill() bool {
	if s.err != nil {
		return false
	}
	if len(s.buf)-s.n < readChunk/2 {
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.n])
		s.buf = nb
	}
	for range 100 {
		k, err := s.r.Read(s.buf[s.n:])
		s.n += k
		if err != nil {
			s.err = err
			return k > 0
		}
		if k > 0 {
			return true
		}
	}
	s.err = io.ErrNoProgress
	return false
}

// need makes sure buf holds at least k bytes.
func (s *mjpegSplitter) need(k int) bool {
	for s.n < k {
		if !s.fill() {
			return false
		}
	}
	return true
}

// syncSOI skips to the next FF D8 and leaves it at buf[0]. It returns false at the end of input.
func (s *mjpegSplitter) syncSOI() bool {
	for {
		if i := bytes.Index(s.buf[:s.n], []byte{0xFF, markSOI}); i >= 0 {
			s.discard(i, true)
			return true
		}
		keep := 0
		if s.n > 0 && s.buf[s.n-1] == 0xFF {
			keep = 1 // may be the first half of an SOI
		}
		s.discard(s.n-keep, true)
		if !s.fill() {
			return false
		}
	}
}

// scanFrame parses the frame starting at buf[0] and returns its length and scanFrame, or
// scanResync after discarding what cannot be a frame, or scanEnded.
func (s *mjpegSplitter) scanFrame() (int, int) {
	i := 2 // just after SOI
	inScan := false
	for {
		if i > s.max {
			s.discard(2, true) // too big: skip this SOI and look for the next
			return 0, scanResync
		}
		if inScan {
			j := bytes.IndexByte(s.buf[i:s.n], 0xFF)
			if j < 0 {
				i = s.n
				if i > s.max {
					continue // too big whatever follows, however much has been read
				}
				if !s.fill() {
					return 0, scanEnded
				}
				continue
			}
			i += j
			if i > s.max {
				continue
			}
		}
		if !s.need(i + 2) {
			return 0, scanEnded
		}
		if s.buf[i] != 0xFF {
			s.discard(2, true) // not a marker where one must be
			return 0, scanResync
		}
		m := s.buf[i+1]
		switch {
		case m == 0xFF: // fill byte before a marker
			i++
		case m == 0x00:
			if !inScan {
				s.discard(2, true)
				return 0, scanResync
			}
			i += 2 // stuffed FF in entropy-coded data
		case m >= markRST && m <= markRST+7 || m == markTEM:
			i += 2
		case m == markEOI:
			if !inScan {
				s.discard(i+2, true) // a JPEG with no image data is of no use
				return 0, scanResync
			}
			return i + 2, scanFrame
		case m == markSOI:
			s.discard(i, true) // the frame was cut short; a new one starts here
			i, inScan = 2, false
		default: // a marker segment with a length
			inScan = false
			if !s.need(i + 4) {
				return 0, scanEnded
			}
			l := int(s.buf[i+2])<<8 | int(s.buf[i+3])
			if l < 2 {
				s.discard(2, true)
				return 0, scanResync
			}
			i += 2 + l
			if i > s.max {
				continue
			}
			if !s.need(i) {
				return 0, scanEnded
			}
			inScan = m == markSOS
		}
	}
}

// DecodeJPEG decodes a JPEG frame to its luminance plane. For the usual YCbCr JPEG the
// result shares the decoder's Y plane (no copy, no colour conversion); a grayscale JPEG decodes
// to *image.Gray directly; anything else (CMYK) is converted. A frame larger than MaxSide or
// MaxPixels is refused before it is decoded.
func DecodeJPEG(data []byte) (*image.Gray, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return LumaOf(img), nil
}

// LumaOf returns img's luminance plane, sharing memory where the image
// already has one (*image.YCbCr from JPEG, *image.Gray) and converting
// anything else once.
func LumaOf(img image.Image) *image.Gray {
	switch m := img.(type) {
	case *image.Gray:
		return m
	case *image.YCbCr:
		return &image.Gray{Pix: m.Y, Stride: m.YStride, Rect: m.Rect}
	}
	b := img.Bounds()
	g := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := g.Pix[(y-b.Min.Y)*g.Stride:]
		for x := b.Min.X; x < b.Max.X; x++ {
			r, gg, bb, _ := img.At(x, y).RGBA()
			// BT.601 luma, as color.GrayModel and JPEG's Y use.
			row[x-b.Min.X] = uint8((19595*r + 38470*gg + 7471*bb + 1<<15) >> 24)
		}
	}
	return g
}

// jpegFrame is a JPEG frame waiting for decoding.
type jpegFrame struct {
	data []byte
	seq  uint64
	at   time.Time
}

// mjpeg is a camera source of concatenated JPEG frames.
type mjpeg struct {
	base
	stream stream
}

func newMJPEG(b baseArgs, st stream) *mjpeg {
	return &mjpeg{base: base{name: b.name, cfg: b.cfg}, stream: st}
}

// Run reads the stream at full speed on a goroutine that keeps only the newest undecoded frame,
// and decodes frames on the calling goroutine as fast as the consumer takes them, so frames the
// consumer would never see are not decoded. A frame that does not decode is counted in Rejected.
func (s *mjpeg) Run(ctx context.Context, out chan<- Input) error {
	latest := newLatest[jpegFrame](s.cfg.Lossless)
	// Spare buffers cycle between the two goroutines, so steady state allocates nothing.
	spare := make(chan []byte, 3)

	read := func(r io.Reader, quit <-chan struct{}) error {
		defer latest.close()
		sp := newMJPEGSplitter(r, MaxJPEG)
		var seq uint64
		var lastSkipped int64
		for {
			data, err := sp.next()
			s.skipped.Add(uint64(sp.skipped - lastSkipped))
			lastSkipped = sp.skipped
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			seq++
			var buf []byte
			select {
			case buf = <-spare:
			default:
			}
			f := jpegFrame{data: append(buf[:0], data...), seq: seq, at: s.cfg.Now()}
			old, replaced, ok := latest.put(quit, f)
			if !ok {
				return nil
			}
			if replaced {
				s.dropped.Add(1)
				select {
				case spare <- old.data:
				default:
				}
			}
		}
	}

	consume := func() error {
		for {
			f, ok, err := latest.take(ctx)
			if err != nil || !ok {
				return err
			}
			g, err := DecodeJPEG(f.data)
			select {
			case spare <- f.data:
			default:
			}
			if err != nil {
				s.rejected.Add(1)
				s.cfg.Logger.Debug("undecodable MJPEG frame", "source", s.name, "seq", f.seq, "err", err)
				continue
			}
			if err := s.send(ctx, out, Input{Source: s.name, Frame: g, At: f.at, Seq: f.seq}); err != nil {
				return err
			}
		}
	}

	err := runStream(ctx, s.stream, read, consume)
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("source %s: %w", s.name, err)
	}
	return err
}
