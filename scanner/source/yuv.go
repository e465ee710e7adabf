package source

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"strings"
	"time"
)

// yuvGeometry is the layout of one I420 frame.
type yuvGeometry struct {
	w, h   int
	stride int // bytes per Y row, >= w
}

// luma is the size of the Y plane, chroma of the U and V planes together.
func (g yuvGeometry) luma() int { return g.stride * g.h }
func (g yuvGeometry) chroma() int {
	return 2 * ((g.stride + 1) / 2) * ((g.h + 1) / 2)
}

// parseYUVGeometry parses "WIDTHxHEIGHT" or "WIDTHxHEIGHT/STRIDE".
func parseYUVGeometry(s string) (yuvGeometry, error) {
	dims, strideStr, hasStride := strings.Cut(s, "/")
	ws, hs, ok := strings.Cut(dims, "x")
	if !ok {
		return yuvGeometry{}, fmt.Errorf("bad yuv frame size %q: want WIDTHxHEIGHT", s)
	}
	w, err := parseInt(ws, "yuv width")
	if err != nil {
		return yuvGeometry{}, err
	}
	h, err := parseInt(hs, "yuv height")
	if err != nil {
		return yuvGeometry{}, err
	}
	g := yuvGeometry{w: w, h: h, stride: w}
	if hasStride {
		if g.stride, err = parseInt(strideStr, "yuv stride"); err != nil {
			return yuvGeometry{}, err
		}
		if g.stride < w {
			return yuvGeometry{}, fmt.Errorf("yuv stride %d is less than the width %d", g.stride, w)
		}
	}
	if err := checkSize(g.stride, h); err != nil {
		return yuvGeometry{}, err
	}
	return g, nil
}

// yuvFrame is a Y plane read from the stream.
type yuvFrame struct {
	y   []byte
	seq uint64
	at  time.Time
}

// yuv is a camera source of raw I420 frames.
//
// Buffer ownership: the Y plane of a frame sent on out belongs to the consumer and is never
// touched again; the source allocates a fresh plane for the next frame. Only planes of dropped
// frames are reused, and the chroma planes are read into one scratch buffer and thrown away. So a
// consumer never has to hand a frame back or finish with it in time, and the source allocates one
// Y plane per frame delivered, not per frame read.
type yuv struct {
	base
	geom   yuvGeometry
	stream stream
}

func newYUV(b baseArgs, g yuvGeometry, st stream) *yuv {
	return &yuv{base: base{name: b.name, cfg: b.cfg}, geom: g, stream: st}
}

// Run reads frames at full speed on a goroutine that keeps only the newest one the consumer has
// not taken. A stream that ends inside a frame is an error wrapping io.ErrUnexpectedEOF.
func (s *yuv) Run(ctx context.Context, out chan<- Input) error {
	latest := newLatest[yuvFrame](s.cfg.Lossless)
	g := s.geom

	read := func(r io.Reader, quit <-chan struct{}) error {
		defer latest.close()
		rd := yuvReader{r: r, geom: g}
		var spare []byte
		for {
			y := spare
			spare = nil
			if y == nil {
				y = make([]byte, g.luma())
			}
			if err := rd.next(y); err != nil {
				if err == io.EOF {
					return nil
				}
				return err
			}
			old, replaced, ok := latest.put(quit, yuvFrame{y: y, seq: rd.seq, at: s.cfg.Now()})
			if !ok {
				return nil
			}
			if replaced {
				s.dropped.Add(1)
				spare = old.y
			}
		}
	}

	consume := func() error {
		for {
			f, ok, err := latest.take(ctx)
			if err != nil || !ok {
				return err
			}
			img := &image.Gray{Pix: f.y, Stride: g.stride, Rect: image.Rect(0, 0, g.w, g.h)}
			if err := s.send(ctx, out, Input{Source: s.name, Frame: img, At: f.at, Seq: f.seq}); err != nil {
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

// yuvReader reads I420 frames from r, keeping the Y plane and discarding chroma.
type yuvReader struct {
	r      io.Reader
	geom   yuvGeometry
	chroma []byte // scratch for the U and V planes
	seq    uint64
}

// next reads one frame's Y plane into y (len geom.luma()). It returns io.EOF at a clean end and
// an error wrapping io.ErrUnexpectedEOF if the input ends inside a frame.
func (r *yuvReader) next(y []byte) error {
	n, err := io.ReadFull(r.r, y)
	if err == nil {
		if r.chroma == nil {
			r.chroma = make([]byte, r.geom.chroma())
		}
		var m int
		m, err = io.ReadFull(r.r, r.chroma)
		n += m
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
	}
	switch {
	case err == nil:
		r.seq++
		return nil
	case err == io.EOF:
		return io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		total := r.geom.luma() + r.geom.chroma()
		return fmt.Errorf("%w: frame %d of %dx%d has %d of %d bytes: %w",
			errTruncated, r.seq+1, r.geom.w, r.geom.h, n, total, io.ErrUnexpectedEOF)
	}
	return err
}
