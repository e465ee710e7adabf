package source

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// scanLines reads codes from r, one per line, and calls emit for each. Lines end at "\n",
// "\r" or "\r\n" — a line is emitted as soon as its terminator arrives, without waiting to see
// whether "\n" follows "\r", since a wedge scanner types nothing more until the next scan.
// Surrounding white space is trimmed and empty lines are skipped. A line longer than max bytes
// is not emitted: overlong(n) is called with its length instead, and the line is skipped up to
// its terminator. An unterminated last line is emitted at EOF. scanLines returns nil at
// EOF, or the first error from r or emit.
func scanLines(r io.Reader, max int, emit func(string) error, overlong func(n int)) error {
	br := bufio.NewReaderSize(r, 4096)
	line := make([]byte, 0, 256)
	long := 0 // bytes seen in the current line, counted past max
	afterCR := false
	flush := func() error {
		defer func() { line, long = line[:0], 0 }()
		if long > max {
			overlong(long)
			return nil
		}
		code := strings.TrimSpace(string(line))
		if code == "" {
			return nil
		}
		return emit(code)
	}
	for {
		b, err := br.ReadByte()
		if err != nil {
			if err == io.EOF {
				if len(line) > 0 || long > 0 {
					return flush()
				}
				return nil
			}
			return err
		}
		if b == '\n' && afterCR {
			afterCR = false
			continue // the second half of "\r\n"
		}
		afterCR = b == '\r'
		if b == '\n' || b == '\r' {
			if err := flush(); err != nil {
				return err
			}
			continue
		}
		long++
		if long <= max {
			line = append(line, b)
		}
	}
}

// lines is a keyboard-wedge source: one code per line.
type lines struct {
	base
	stream stream
}

func newLines(b baseArgs, st stream) *lines {
	return &lines{base: base{name: b.name, cfg: b.cfg}, stream: st}
}

// line is a code read by the line reader.
type line struct {
	text string
	at   time.Time
}

// Run sends every code it reads; it never drops one because the consumer is slow.
func (s *lines) Run(ctx context.Context, out chan<- Input) error {
	lines := make(chan line)
	read := func(r io.Reader, quit <-chan struct{}) error {
		defer close(lines)
		return scanLines(r, MaxLine, func(code string) error {
			select {
			case lines <- line{text: code, at: s.cfg.Now()}:
				return nil
			case <-quit:
				return context.Canceled
			}
		}, func(n int) {
			s.rejected.Add(1)
			s.cfg.Logger.Warn("dropped an overlong line", "source", s.name, "bytes", n, "max", MaxLine)
		})
	}
	consume := func() error {
		var seq uint64
		for {
			var l line
			var ok bool
			select {
			case l, ok = <-lines:
			case <-ctx.Done():
				return ctx.Err()
			}
			if !ok {
				return nil
			}
			seq++
			if err := s.send(ctx, out, Input{Source: s.name, Text: l.text, At: l.at, Seq: seq}); err != nil {
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
