package source

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/admitone/admitone/internal/logging"
)

// Input is one thing a source saw: a camera frame (luminance plane) or a code read as text.
//
// Frame belongs to the receiver: a source never writes to a frame's pixels after sending it, so a
// consumer may keep a frame as long as it likes.
type Input struct {
	Source string      // source name, e.g. "cam0", "wedge", "file:/path/x.jpg"
	Frame  *image.Gray // luminance (Y) plane, or nil
	Text   string      // a code already read as text (keyboard wedge, token file), or ""
	At     time.Time   // when the source finished reading the frame or line
	Seq    uint64      // per-source sequence number, from 1; a camera source counts dropped frames too
}

// Source produces Inputs until ctx is done or the input ends.
type Source interface {
	Name() string
	Run(ctx context.Context, out chan<- Input) error // returns nil at clean end of input (EOF), ctx.Err() on cancel
}

// Stats counts what a source did. Every Source returned by Parse reports them; read
// them with StatsOf.
type Stats struct {
	Sent         uint64 // Inputs sent on out
	Dropped      uint64 // camera frames skipped because the consumer was still busy with an older one
	Rejected     uint64 // frames, files or lines that could not be used (undecodable, too large, overlong)
	SkippedBytes uint64 // MJPEG bytes discarded while resynchronising on garbage
}

// StatsOf returns s's counters, or zero stats if s does not keep any.
func StatsOf(s Source) Stats {
	if st, ok := s.(interface{ Stats() Stats }); ok {
		return st.Stats()
	}
	return Stats{}
}

// Limits shared by the sources.
const (
	// MaxLine is the longest code, in bytes, a line source accepts.
	MaxLine = 4096
	// MaxJPEG is the largest MJPEG frame, in bytes, the splitter keeps.
	MaxJPEG = 8 << 20
	// MaxPixels bounds the width*height of any frame or image, so a crafted header cannot make
	// the gate allocate gigabytes.
	MaxPixels = 1 << 25
	// MaxSide bounds each dimension of a frame or image.
	MaxSide = 16384

	defaultPoll = 500 * time.Millisecond
	minPoll     = 10 * time.Millisecond
	maxPoll     = time.Minute
)

// Config holds what Parse leaves at defaults. The zero value is usable.
type Config struct {
	// Stdin is read by specs that name "-". Nil means such specs are rejected.
	Stdin io.Reader
	// Logger receives warnings about dropped lines and unreadable files. Nil discards them.
	Logger *slog.Logger
	// Now is the clock stamped on Inputs; nil means time.Now.
	Now func() time.Time
	// PollInterval is how often a dirwatch: source lists its folder; zero means 500ms. It is
	// clamped to [10ms, 1m].
	PollInterval time.Duration
	// Lossless makes camera sources (mjpeg, yuv, cmd) block instead of dropping frames when the
	// consumer is slow. Use it to replay a recorded stream frame by frame; never on a live camera,
	// whose pipe would fill and whose frames would go stale.
	Lossless bool
}

// Parse turns a --source spec into a Source, with default settings and stdin as the
// input for "-" (see Config.Parse for other settings). It only parses: files, devices and commands are opened
// by Run, which names the spec in any error.
//
// A spec may start with NAME= (NAME is a letter followed by up to 31 letters, digits, '-' or '_',
// e.g. "cam0=cmd:rpicam-vid ...") to set the source's name; otherwise the name is the spec itself.
// The specs are:
//
//	dir:PATH, file:PATH, or a plain PATH
//	    Image files (.jpg, .jpeg, .png) and code lists (.txt, one code per line) in folder PATH,
//	    in byte order of their names, or the single file PATH. Dot files, sub-folders and other
//	    extensions in a folder are skipped; an unreadable file in a folder is logged and skipped.
//	    Inputs from files carry Source "file:" + the file's path. Never drops an input.
//	dirwatch:PATH
//	    Polls folder PATH and delivers each image or code list that appears after Run starts,
//	    once its size and modification time have held still for one poll (so half-written files
//	    are not read). A file rewritten later is delivered again. Files present at start are not
//	    delivered (use dir: for them), so restarting the gate does not rescan old pictures.
//	mjpeg:STREAM, or cmd:COMMAND (short for mjpeg:cmd:COMMAND)
//	    Concatenated JPEG frames (an MJPEG byte stream), e.g.
//	    "cmd:rpicam-vid -t 0 -n --codec mjpeg -o -". Garbage between frames is skipped.
//	yuv:WIDTHxHEIGHT:STREAM, or yuv:WIDTHxHEIGHT/STRIDE:STREAM
//	    Raw I420 frames: the Y plane, then the U and V planes at half resolution (rounded up).
//	    STRIDE, if given, is the byte length of a Y row (>= WIDTH; chroma rows are STRIDE/2
//	    rounded up), for cameras that pad rows, e.g. "yuv:1280x720:cmd:rpicam-vid -t 0 -n
//	    --codec yuv420 --width 1280 --height 720 -o -".
//	lines:STREAM
//	    One code per line, as keyboard-wedge scanners type them: lines end at "\n", "\r" or
//	    "\r\n", surrounding white space is trimmed and empty lines are skipped. A line longer than
//	    MaxLine bytes is dropped with a warning and counted in Stats.Rejected. Never
//	    drops a code otherwise.
//
// STREAM is "-" (standard input), cmd:COMMAND ARGS... (a program started without a shell; its
// arguments are split on spaces, with '...' and "..." quoting and backslash escapes) or a PATH
// (a file, FIFO or tty). When Run ends, a command still running gets an interrupt and, 2s later,
// a kill; on Unix these go to its whole process group, and what is left of the group is killed
// after the command exits. A command that fails is reported with its exit status and the tail of
// its standard error; one that closes its output but keeps running is stopped and reported.
//
// Run returns nil at a clean end of input and exactly ctx.Err() when ctx ends; other errors name
// the source. A stream that ends inside a frame is an error wrapping io.ErrUnexpectedEOF. Frames
// belong to the consumer once sent (see Input). Run must not be called concurrently on one
// Source.
//
// Camera sources (mjpeg, yuv) always read the stream at full speed and keep only the newest frame
// the consumer has not yet taken: older ones are dropped and counted in Stats.Dropped, so a
// slow decoder sees fresh frames and never stalls the camera (see Config.Lossless). Pass an
// unbuffered or one-slot channel to Run: frames waiting in a bigger buffer go stale.
func Parse(spec string, stdin io.Reader) (Source, error) {
	return Config{Stdin: stdin}.Parse(spec)
}

// Parse is Parse with the settings in c; c.Stdin is the input for "-". Errors name the
// spec.
func (c Config) Parse(spec string) (Source, error) {
	s, err := c.parse(spec)
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", spec, err)
	}
	return s, nil
}

func (c Config) parse(spec string) (Source, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("empty source spec")
	}
	name, rest := splitName(spec)
	base := baseArgs{name: name, cfg: c.withDefaults()}
	kind, arg, hasKind := splitKind(rest)
	if !hasKind {
		if rest == "-" {
			return nil, errors.New(`"-" is ambiguous: use mjpeg:-, yuv:WIDTHxHEIGHT:- or lines:-`)
		}
		return newFiles(base, rest, false)
	}
	switch kind {
	case "dir", "file":
		return newFiles(base, arg, false)
	case "dirwatch":
		return newFiles(base, arg, true)
	case "mjpeg":
		st, err := c.parseStream(arg)
		if err != nil {
			return nil, err
		}
		return newMJPEG(base, st), nil
	case "cmd":
		st, err := c.parseStream(rest)
		if err != nil {
			return nil, err
		}
		return newMJPEG(base, st), nil
	case "yuv":
		geom, streamSpec, ok := strings.Cut(arg, ":")
		if !ok {
			return nil, errors.New("yuv wants yuv:WIDTHxHEIGHT:STREAM")
		}
		g, err := parseYUVGeometry(geom)
		if err != nil {
			return nil, err
		}
		st, err := c.parseStream(streamSpec)
		if err != nil {
			return nil, err
		}
		return newYUV(base, g, st), nil
	case "lines":
		st, err := c.parseStream(arg)
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(st.path, "/dev/input/") {
			return nil, errors.New("input event devices deliver key codes, not text: switch the scanner to " +
				"USB serial (CDC) mode and use lines:/dev/ttyACM0, or let it type into the console and use lines:-")
		}
		return newLines(base, st), nil
	}
	return nil, fmt.Errorf("unknown source kind %q (want dir, file, dirwatch, mjpeg, cmd, yuv or lines)", kind)
}

// parseStream parses the STREAM part of a spec: "-", cmd:COMMAND or a path.
func (c Config) parseStream(s string) (stream, error) {
	switch {
	case s == "":
		return stream{}, errors.New("missing stream: want -, cmd:COMMAND or a path")
	case s == "-":
		if c.Stdin == nil {
			return stream{}, errors.New("reads standard input, but none is available")
		}
		return stream{stdin: c.Stdin}, nil
	case strings.HasPrefix(s, "cmd:"):
		argv, err := SplitArgs(strings.TrimPrefix(s, "cmd:"))
		if err != nil {
			return stream{}, err
		}
		return stream{argv: argv}, nil
	}
	return stream{path: s}, nil
}

func (c Config) withDefaults() Config {
	c.Logger = logging.OrDiscard(c.Logger)
	if c.Now == nil {
		c.Now = time.Now
	}
	switch {
	case c.PollInterval == 0:
		c.PollInterval = defaultPoll
	case c.PollInterval < minPoll:
		c.PollInterval = minPoll
	case c.PollInterval > maxPoll:
		c.PollInterval = maxPoll
	}
	return c
}

// splitName splits an optional "NAME=" prefix off a spec.
func splitName(spec string) (name, rest string) {
	n, r, ok := strings.Cut(spec, "=")
	if !ok || len(n) == 0 || len(n) > 32 || !isLetter(n[0]) {
		return spec, spec
	}
	for i := 1; i < len(n); i++ {
		b := n[i]
		if !isLetter(b) && !(b >= '0' && b <= '9') && b != '-' && b != '_' {
			return spec, spec
		}
	}
	return n, r
}

// splitKind splits "kind:arg". A single letter before the colon is a Windows drive, not a
// kind, and a prefix that is not a lower-case word is part of a path.
func splitKind(s string) (kind, arg string, ok bool) {
	k, a, found := strings.Cut(s, ":")
	if !found || len(k) < 2 {
		return "", s, false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 'a' || k[i] > 'z' {
			return "", s, false
		}
	}
	return k, a, true
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// SplitArgs splits a command line on white space, as cmd: specs and scannerd's --on-verdict
// are split. Single quotes keep everything literally, double quotes keep white space and honour
// \" and \\, and a backslash outside quotes escapes the next byte. There is no shell: no
// globbing, variables or pipes (write sh -c '...' to get one).
func SplitArgs(s string) ([]string, error) {
	var (
		args  []string
		cur   strings.Builder
		inArg bool
	)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		case ch == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("command has an unterminated ' quote")
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += 1 + end
			inArg = true
		case ch == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New(`command has an unterminated " quote`)
			}
			inArg = true
		case ch == '\\':
			if i+1 >= len(s) {
				return nil, errors.New("command ends with a lone backslash")
			}
			i++
			cur.WriteByte(s[i])
			inArg = true
		default:
			cur.WriteByte(ch)
			inArg = true
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	if len(args) == 0 {
		return nil, errors.New("empty command")
	}
	return args, nil
}

// baseArgs is what a source constructor needs to build its base.
type baseArgs struct {
	name string
	cfg  Config
}

// base holds what every source has: a name, settings and counters.
type base struct {
	name     string
	cfg      Config
	sent     atomic.Uint64
	dropped  atomic.Uint64
	rejected atomic.Uint64
	skipped  atomic.Uint64
}

// Name returns the source's name: the NAME= prefix of its spec, or the whole spec.
func (b *base) Name() string { return b.name }

// Stats returns the source's counters so far. It is safe to call while Run is running.
func (b *base) Stats() Stats {
	return Stats{
		Sent:         b.sent.Load(),
		Dropped:      b.dropped.Load(),
		Rejected:     b.rejected.Load(),
		SkippedBytes: b.skipped.Load(),
	}
}

// send delivers in on out, blocking until the consumer takes it or ctx ends.
func (b *base) send(ctx context.Context, out chan<- Input, in Input) error {
	// Check first: with both cases ready, select would pick at random and could send after cancel.
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case out <- in:
		b.sent.Add(1)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// latest hands items from one producer goroutine to one consumer. Unless lossless, put never
// blocks: it replaces an item the consumer has not taken yet and returns the replaced one, so the
// consumer always gets the newest.
type latest[T any] struct {
	ch       chan T // one slot
	lossless bool
}

func newLatest[T any](lossless bool) *latest[T] {
	return &latest[T]{ch: make(chan T, 1), lossless: lossless}
}

// put offers v. It reports the item v replaced, if any, and ok=false if quit closed first (only
// possible when lossless).
func (m *latest[T]) put(quit <-chan struct{}, v T) (old T, replaced, ok bool) {
	if m.lossless {
		select {
		case m.ch <- v:
			return old, false, true
		case <-quit:
			return old, false, false
		}
	}
	select {
	case m.ch <- v:
		return old, false, true
	default:
	}
	select {
	case old = <-m.ch:
		replaced = true
	default: // the consumer took it meanwhile
	}
	m.ch <- v // cannot block: this is the only producer and the slot is empty
	return old, replaced, true
}

// take waits for the next item. It returns ok=false when the producer closed and nothing is
// pending, and ctx's error when ctx ends first.
func (m *latest[T]) take(ctx context.Context) (v T, ok bool, err error) {
	select {
	case v, ok = <-m.ch:
		return v, ok, nil
	case <-ctx.Done():
		return v, false, ctx.Err()
	}
}

// close tells the consumer no more items follow (after the pending one, if any).
func (m *latest[T]) close() { close(m.ch) }

// stream is where a byte stream comes from: stdin, a file path or a command.
type stream struct {
	stdin   io.Reader
	path    string
	argv    []string
	grace   time.Duration // for commands; 0 means cmdGrace
	onStart func(pid int) // test hook: sees a started command's pid
}

// opened is an open stream. Exactly one goroutine reads r.
type opened struct {
	r io.Reader
	// interrupt makes a blocked Read return soon; it is called at most once, from another
	// goroutine, when the context ends.
	interrupt func()
	// interruptible says interrupt really unblocks Read. When false (stdin that is not a pollable
	// file) Run returns on cancel without waiting for the reading goroutine, which exits at the
	// next input or EOF and sends nothing more.
	interruptible bool
	// finish releases the stream after reading stopped: it closes a file or waits for a command
	// (interrupting and killing it if needed) and returns the command's failure, if any.
	finish func(cancelled bool) error
}

func (s stream) open() (*opened, error) {
	switch {
	case s.argv != nil:
		return startCommand(s.argv, s.grace, s.onStart)
	case s.path != "":
		f, err := os.Open(s.path)
		if err != nil {
			return nil, err
		}
		return &opened{
			r:             f,
			interrupt:     func() { _ = f.SetReadDeadline(time.Now()); _ = f.Close() },
			interruptible: true,
			finish:        func(bool) error { _ = f.Close(); return nil },
		}, nil
	}
	op := &opened{r: s.stdin, interrupt: func() {}, finish: func(bool) error { return nil }}
	// A pipe or tty made non-blocking (os.Pipe, a pollable fd) accepts deadlines; we borrow stdin,
	// so we unblock it with a past deadline and restore it after, rather than closing it.
	if f, ok := s.stdin.(*os.File); ok && f.SetReadDeadline(time.Time{}) == nil {
		op.interruptible = true
		op.interrupt = func() { _ = f.SetReadDeadline(time.Now()) }
		op.finish = func(bool) error { _ = f.SetReadDeadline(time.Time{}); return nil }
	}
	return op, nil
}

// runStream opens st and runs read in a new goroutine, which produces items for consume;
// consume runs on the caller's goroutine and is the only one that sends on the consumer's channel,
// so nothing is sent after Run returns. read must return when quit is closed and it is not blocked
// in Read. The returned error follows the Source.Run contract.
func runStream(ctx context.Context, st stream, read func(r io.Reader, quit <-chan struct{}) error, consume func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	op, err := st.open()
	if err != nil {
		return err
	}
	quit := make(chan struct{})
	readDone := make(chan error, 1)
	go func() { readDone <- read(op.r, quit) }()

	stop := context.AfterFunc(ctx, op.interrupt)
	consumeErr := consume()
	stopped := stop() // true: interrupt never ran
	close(quit)

	cancelled := ctx.Err() != nil
	if cancelled && !op.interruptible {
		_ = op.finish(true)
		return ctx.Err()
	}
	if consumeErr != nil && stopped {
		// The consumer gave up on its own: unblock the reader before waiting for it.
		op.interrupt()
	}
	readErr := <-readDone
	childErr := op.finish(cancelled || consumeErr != nil)
	switch {
	case cancelled:
		return ctx.Err()
	case consumeErr != nil:
		return consumeErr
	}
	return errors.Join(readErr, childErr)
}

// checkSize rejects frame dimensions outside the limits.
func checkSize(w, h int) error {
	if w <= 0 || h <= 0 || w > MaxSide || h > MaxSide || w*h > MaxPixels {
		return fmt.Errorf("frame size %dx%d is out of range (each side 1..%d, at most %d pixels)", w, h, MaxSide, MaxPixels)
	}
	return nil
}

// parseInt parses a positive decimal dimension.
func parseInt(s, what string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > MaxSide*2 || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("bad %s %q", what, s)
	}
	return n, nil
}
