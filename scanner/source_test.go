package scanner

import (
	"context"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sourceTestTimeout bounds every source test so a bug shows as a failure, not a hang.
const sourceTestTimeout = 20 * time.Second

// sourceTestRun runs src to its end and returns what it sent and Run's error.
func sourceTestRun(t *testing.T, ctx context.Context, src Source) ([]Input, error) {
	t.Helper()
	out := make(chan Input)
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx, out) }()
	var got []Input
	timeout := time.After(sourceTestTimeout)
	for {
		select {
		case in := <-out:
			got = append(got, in)
		case err := <-errc:
			return got, err
		case <-timeout:
			t.Fatalf("%s: Run did not return within %v", src.Name(), sourceTestTimeout)
		}
	}
}

// sourceTestPipe returns an os.Pipe; both ends are closed at cleanup.
func sourceTestPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// sourceTestWrite writes data to w on a goroutine and closes w; the returned channel yields the
// write error.
func sourceTestWrite(w *os.File, data ...[]byte) <-chan error {
	done := make(chan error, 1)
	go func() {
		var err error
		for _, d := range data {
			if _, err = w.Write(d); err != nil {
				break
			}
		}
		w.Close()
		done <- err
	}()
	return done
}

func sourceTestParse(t *testing.T, cfg SourceConfig, spec string) Source {
	t.Helper()
	src, err := cfg.Parse(spec)
	if err != nil {
		t.Fatalf("Parse(%q): %v", spec, err)
	}
	return src
}

func TestSourceParse(t *testing.T) {
	stdin := strings.NewReader("")
	tests := []struct {
		spec     string
		wantType any
		wantName string
	}{
		{"photos", &sourceFiles{}, "photos"},
		{"dir:/srv/photos", &sourceFiles{}, "dir:/srv/photos"},
		{"file:C:/x.jpg", &sourceFiles{}, "file:C:/x.jpg"},
		{"C:/gate/x.jpg", &sourceFiles{}, "C:/gate/x.jpg"},
		{"dirwatch:/srv/in", &sourceFiles{}, "dirwatch:/srv/in"},
		{"mjpeg:-", &sourceMJPEG{}, "mjpeg:-"},
		{"mjpeg:/tmp/stream.mjpeg", &sourceMJPEG{}, "mjpeg:/tmp/stream.mjpeg"},
		{"cam0=cmd:rpicam-vid -t 0 -n --codec mjpeg -o -", &sourceMJPEG{}, "cam0"},
		{"mjpeg:cmd:cat x", &sourceMJPEG{}, "mjpeg:cmd:cat x"},
		{"yuv:1280x720:-", &sourceYUV{}, "yuv:1280x720:-"},
		{"yuv:5x3/8:cmd:cat f", &sourceYUV{}, "yuv:5x3/8:cmd:cat f"},
		{"wedge=lines:-", &sourceLines{}, "wedge"},
		{"lines:/dev/ttyACM0", &sourceLines{}, "lines:/dev/ttyACM0"},
		{"a=b.jpg", &sourceFiles{}, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			src, err := ParseSource(tt.spec, stdin)
			if err != nil {
				t.Fatalf("ParseSource: %v", err)
			}
			if reflect.TypeOf(src) != reflect.TypeOf(tt.wantType) {
				t.Errorf("type = %T, want %T", src, tt.wantType)
			}
			if got := src.Name(); got != tt.wantName {
				t.Errorf("Name() = %q, want %q", got, tt.wantName)
			}
		})
	}

	t.Run("details", func(t *testing.T) {
		src, _ := ParseSource("cam0=cmd:rpicam-vid -t 0 --post-process-file '/etc/my file.json' -o -", nil)
		got := src.(*sourceMJPEG).stream.argv
		want := []string{"rpicam-vid", "-t", "0", "--post-process-file", "/etc/my file.json", "-o", "-"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("argv = %q, want %q", got, want)
		}
		y, _ := ParseSource("yuv:5x3/8:-", stdin)
		if g := y.(*sourceYUV).geom; g != (sourceYUVGeometry{w: 5, h: 3, stride: 8}) {
			t.Errorf("geometry = %+v", g)
		}
		f, _ := ParseSource("dirwatch:/srv/in", nil)
		if fs := f.(*sourceFiles); !fs.watch || fs.path != "/srv/in" || fs.cfg.PollInterval != sourceDefaultPoll {
			t.Errorf("dirwatch = %+v", fs)
		}
	})
}

func TestSourceParseErrors(t *testing.T) {
	tests := []struct {
		spec string
		want string // part of the message besides the quoted spec
	}{
		{"", "empty"},
		{"  ", "empty"},
		{"-", "ambiguous"},
		{"mjpeg:", "missing stream"},
		{"mjpeg:-", "standard input"}, // no stdin given
		{"mjepg:-", `unknown source kind "mjepg"`},
		{"cmd:", "empty command"},
		{"cmd:   ", "empty command"},
		{"cmd:rpicam-vid 'oops", "unterminated '"},
		{`cmd:rpicam-vid "oops`, `unterminated "`},
		{`cmd:rpicam-vid oops\`, "lone backslash"},
		{"yuv:-", "WIDTHxHEIGHT"},
		{"yuv:1280:-", "WIDTHxHEIGHT"},
		{"yuv:0x720:-", `bad yuv width "0"`},
		{"yuv:1280x-5:-", `bad yuv height "-5"`},
		{"yuv:1280x720/640:-", "stride 640 is less than the width 1280"},
		{"yuv:30000x30000:-", "out of range"},
		{"yuv:1280x720:", "missing stream"},
		{"lines:", "missing stream"},
		{"lines:/dev/input/event3", "key codes, not text"},
		{"dir:", "missing path"},
		{"dirwatch:", "missing path"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			src, err := ParseSource(tt.spec, nil)
			if err == nil {
				t.Fatalf("ParseSource(%q) = %T, want an error", tt.spec, src)
			}
			msg := err.Error()
			if !strings.Contains(msg, strconv.Quote(tt.spec)) || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q should name the spec %q and say %q", msg, tt.spec, tt.want)
			}
		})
	}
}

func TestSourceSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a b  c", []string{"a", "b", "c"}},
		{"\ta\t", []string{"a"}},
		{`a 'b c' "d e"`, []string{"a", "b c", "d e"}},
		{`a "say \"hi\" \\ \n"`, []string{"a", `say "hi" \ \n`}},
		{`a\ b c`, []string{"a b", "c"}},
		{`x'y'"z"`, []string{"xyz"}},
		{`'' ""`, []string{"", ""}},
		{`it"'"s 'a b'c`, []string{"it's", "a bc"}},
	}
	for _, tt := range tests {
		got, err := sourceSplitArgs(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("sourceSplitArgs(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestSourcePollIntervalClamped(t *testing.T) {
	for _, tt := range []struct{ in, want time.Duration }{
		{0, sourceDefaultPoll}, {time.Nanosecond, sourceMinPoll}, {time.Hour, sourceMaxPoll}, {time.Second, time.Second},
	} {
		if got := (SourceConfig{PollInterval: tt.in}).withDefaults().PollInterval; got != tt.want {
			t.Errorf("PollInterval %v -> %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSourceStatsOf(t *testing.T) {
	src := sourceTestParse(t, SourceConfig{Stdin: strings.NewReader("A\nB\n")}, "lines:-")
	if _, err := sourceTestRun(t, context.Background(), src); err != nil {
		t.Fatal(err)
	}
	if got := SourceStatsOf(src); got != (SourceStats{Sent: 2}) {
		t.Errorf("stats = %+v, want Sent 2", got)
	}
	if got := SourceStatsOf(sourceTestNoStats{}); got != (SourceStats{}) {
		t.Errorf("stats of a source without counters = %+v", got)
	}
}

type sourceTestNoStats struct{}

func (sourceTestNoStats) Name() string                            { return "none" }
func (sourceTestNoStats) Run(context.Context, chan<- Input) error { return nil }

// TestSourceRunCancelledBeforeStart checks Run gives ctx.Err() itself, unwrapped.
func TestSourceRunCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	for _, spec := range []string{"mjpeg:-", "yuv:4x4:-", "lines:-", "dirwatch:" + dir} {
		src := sourceTestParse(t, SourceConfig{Stdin: strings.NewReader("x\n")}, spec)
		if err := src.Run(ctx, make(chan Input)); err != context.Canceled {
			t.Errorf("%s: Run = %v, want context.Canceled", spec, err)
		}
	}
}

func FuzzParseSource(f *testing.F) {
	for _, s := range []string{
		"dir:/x", "dirwatch:x", "photos", "-", "mjpeg:-", "cmd:rpicam-vid -t 0 -n --codec mjpeg -o -",
		"yuv:1280x720:-", "yuv:5x3/8:cmd:cat 'a b'", "lines:-", "cam0=lines:/dev/tty", `cmd:a "b\"c" d\ e`,
		"yuv:99999999999999999999x1:-", "x=", "=x", "a:b:c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		src, err := ParseSource(spec, strings.NewReader(""))
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(spec)) {
				t.Errorf("error %q does not name the spec %q", err, spec)
			}
			return
		}
		if src == nil || src.Name() == "" {
			t.Fatalf("ParseSource(%q) = %v with no error", spec, src)
		}
		if y, ok := src.(*sourceYUV); ok {
			g := y.geom
			if g.w <= 0 || g.h <= 0 || g.stride < g.w || g.stride*g.h > SourceMaxPixels {
				t.Errorf("ParseSource(%q) accepted geometry %+v", spec, g)
			}
		}
	})
}
