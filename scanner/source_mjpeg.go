package scanner

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
	sourceMarkSOI = 0xD8
	sourceMarkEOI = 0xD9
	sourceMarkSOS = 0xDA
	sourceMarkTEM = 0x01
	sourceMarkRST = 0xD0 // RST0..RST7 are 0xD0..0xD7
)

const sourceReadChunk = 64 << 10

// sourceMJPEGSplitter cuts a byte stream of concatenated JPEGs into frames, each running from SOI
// (FF D8) to EOI (FF D9). It follows the marker segments by their lengths up to SOS, then scans
// the entropy-coded data, where FF is followed only by 00 (a stuffed byte), RSTn or fill FFs; any
// other marker there ends the scan (EOI ends the frame, anything else starts the next marker
// segment, as between the scans of a progressive JPEG). Bytes that do not fit, a frame larger
// than max, and a frame cut short by a new SOI are skipped; the splitter resynchronises on the next
// SOI. Every input byte ends up either in exactly one frame or in skipped.
type sourceMJPEGSplitter struct {
	r       io.Reader
	max     int
	buf     []byte
	n       int   // buf[:n] holds unread bytes; while in a frame, the frame starts at buf[0]
	pending int   // bytes of the frame returned last, dropped on the next call
	skipped int64 // bytes discarded
	err     error // sticky read error (io.EOF at end)
}

func newSourceMJPEGSplitter(r io.Reader, max int) *sourceMJPEGSplitter {
	return &sourceMJPEGSplitter{r: r, max: max, buf: make([]byte, sourceReadChunk)}
}

// errSourceTruncated reports input that ended inside a frame or an I420 frame.
var errSourceTruncated = errors.New("input ended inside a frame")

// next returns the next frame; it stays valid until the following call. At the end of input it
// returns io.EOF, or an error wrapping io.ErrUnexpectedEOF if the input ended inside a frame.
func (s *sourceMJPEGSplitter) next() ([]byte, error) {
	if s.pending > 0 {
		s.discard(s.pending, false)
		s.pending = 0
	}
	for {
		if !s.syncSOI() {
			return nil, s.endErr(false)
		}
		switch end, st := s.scanFrame(); st {
		case sourceScanFrame:
			s.pending = end
			return s.buf[:end], nil
		case sourceScanEnded:
			return nil, s.endErr(true)
		}
		// sourceScanResync: look for the next SOI.
	}
}

// Outcomes of scanFrame.
const (
	sourceScanFrame  = iota // a whole frame is at the start of buf
	sourceScanResync        // what was at the start of buf is not a frame and has been skipped
	sourceScanEnded         // input ended (or failed) inside the frame
)

// endErr reports the end of input; inFrame says the input stopped inside a frame.
func (s *sourceMJPEGSplitter) endErr(inFrame bool) error {
	n := s.n
	s.discard(s.n, true)
	if s.err != io.EOF {
		return s.err
	}
	if inFrame {
		return fmt.Errorf("%w after %d bytes of a JPEG frame: %w", errSourceTruncated, n, io.ErrUnexpectedEOF)
	}
	return io.EOF
}

// discard drops the first k buffered bytes, counting them as skipped unless they were a frame.
func (s *sourceMJPEGSplitter) discard(k int, garbage bool) {
	if garbage {
		s.skipped += int64(k)
	}
	copy(s.buf, s.buf[k:s.n])
	s.n -= k
}

// fill reads more input; it returns false at the end of input or on a read error.
func (s *sourceMJPEGSplitter) fill() bool {
	if s.err != nil {
		return false
	}
	if len(s.buf)-s.n < sourceReadChunk/2 {
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
func (s *sourceMJPEGSplitter) need(k int) bool {
	for s.n < k {
		if !s.fill() {
			return false
		}
	}
	return true
}

// syncSOI skips to the next FF D8 and leaves it at buf[0]. It returns false at the end of input.
func (s *sourceMJPEGSplitter) syncSOI() bool {
	for {
		if i := bytes.Index(s.buf[:s.n], []byte{0xFF, sourceMarkSOI}); i >= 0 {
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

// scanFrame parses the frame starting at buf[0] and returns its length and sourceScanFrame, or
// sourceScanResync after discarding what cannot be a frame, or sourceScanEnded.
func (s *sourceMJPEGSplitter) scanFrame() (int, int) {
	i := 2 // just after SOI
	inScan := false
	for {
		if i > s.max {
			s.discard(2, true) // too big: skip this SOI and look for the next
			return 0, sourceScanResync
		}
		if inScan {
			j := bytes.IndexByte(s.buf[i:s.n], 0xFF)
			if j < 0 {
				i = s.n
				if i > s.max {
					continue // too big whatever follows, however much has been read
				}
				if !s.fill() {
					return 0, sourceScanEnded
				}
				continue
			}
			i += j
			if i > s.max {
				continue
			}
		}
		if !s.need(i + 2) {
			return 0, sourceScanEnded
		}
		if s.buf[i] != 0xFF {
			s.discard(2, true) // not a marker where one must be
			return 0, sourceScanResync
		}
		m := s.buf[i+1]
		switch {
		case m == 0xFF: // fill byte before a marker
			i++
		case m == 0x00:
			if !inScan {
				s.discard(2, true)
				return 0, sourceScanResync
			}
			i += 2 // stuffed FF in entropy-coded data
		case m >= sourceMarkRST && m <= sourceMarkRST+7 || m == sourceMarkTEM:
			i += 2
		case m == sourceMarkEOI:
			if !inScan {
				s.discard(i+2, true) // a JPEG with no image data is of no use
				return 0, sourceScanResync
			}
			return i + 2, sourceScanFrame
		case m == sourceMarkSOI:
			s.discard(i, true) // the frame was cut short; a new one starts here
			i, inScan = 2, false
		default: // a marker segment with a length
			inScan = false
			if !s.need(i + 4) {
				return 0, sourceScanEnded
			}
			l := int(s.buf[i+2])<<8 | int(s.buf[i+3])
			if l < 2 {
				s.discard(2, true)
				return 0, sourceScanResync
			}
			i += 2 + l
			if i > s.max {
				continue
			}
			if !s.need(i) {
				return 0, sourceScanEnded
			}
			inScan = m == sourceMarkSOS
		}
	}
}

// sourceDecodeJPEG decodes a JPEG frame to its luminance plane. For the usual YCbCr JPEG the
// result shares the decoder's Y plane (no copy, no colour conversion); a grayscale JPEG decodes
// to *image.Gray directly; anything else (CMYK) is converted.
func sourceDecodeJPEG(data []byte) (*image.Gray, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if err := sourceCheckSize(cfg.Width, cfg.Height); err != nil {
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

// sourceJPEGFrame is a JPEG frame waiting for decoding.
type sourceJPEGFrame struct {
	data []byte
	seq  uint64
	at   time.Time
}

// sourceMJPEG is a camera source of concatenated JPEG frames.
type sourceMJPEG struct {
	sourceBase
	stream sourceStream
}

func newSourceMJPEG(b sourceBaseArgs, st sourceStream) *sourceMJPEG {
	return &sourceMJPEG{sourceBase: sourceBase{name: b.name, cfg: b.cfg}, stream: st}
}

// Run reads the stream at full speed on a goroutine that keeps only the newest undecoded frame,
// and decodes frames on the calling goroutine as fast as the consumer takes them, so frames the
// consumer would never see are not decoded. A frame that does not decode is counted in Rejected.
func (s *sourceMJPEG) Run(ctx context.Context, out chan<- Input) error {
	latest := newSourceLatest[sourceJPEGFrame](s.cfg.Lossless)
	// Spare buffers cycle between the two goroutines, so steady state allocates nothing.
	spare := make(chan []byte, 3)

	read := func(r io.Reader, quit <-chan struct{}) error {
		defer latest.close()
		sp := newSourceMJPEGSplitter(r, SourceMaxJPEG)
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
			f := sourceJPEGFrame{data: append(buf[:0], data...), seq: seq, at: s.cfg.Now()}
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
			g, err := sourceDecodeJPEG(f.data)
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

	err := sourceRunStream(ctx, s.stream, read, consume)
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("source %s: %w", s.name, err)
	}
	return err
}
