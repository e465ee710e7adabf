package source

import (
	"context"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testTimeout bounds every source test so a bug shows as a failure, not a hang.
const testTimeout = 20 * time.Second

// testRun runs src to its end and returns what it sent and Run's error.
func testRun(t *testing.T, ctx context.Context, src Source) ([]Input, error) {
	t.Helper()
	out := make(chan Input)
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx, out) }()
	var got []Input
	timeout := time.After(testTimeout)
	for {
		select {
		case in := <-out:
			got = append(got, in)
		case err := <-errc:
			return got, err
		case <-timeout:
			t.Fatalf("%s: Run did not return within %v", src.Name(), testTimeout)
		}
	}
}

// testPipe returns an os.Pipe; both ends are closed at cleanup.
func testPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// testWrite writes data to w on a goroutine and closes w; the returned channel yields the
// write error.
func testWrite(w *os.File, data ...[]byte) <-chan error {
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

func testParse(t *testing.T, cfg Config, spec string) Source {
	t.Helper()
	src, err := cfg.Parse(spec)
	if err != nil {
		t.Fatalf("Parse(%q): %v", spec, err)
	}
	return src
}

func TestParse(t *testing.T) {
	stdin := strings.NewReader("")
	tests := []struct {
		spec     string
		wantType any
		wantName string
	}{
		{"photos", &files{}, "photos"},
		{"dir:/srv/photos", &files{}, "dir:/srv/photos"},
		{"file:C:/x.jpg", &files{}, "file:C:/x.jpg"},
		{"C:/gate/x.jpg", &files{}, "C:/gate/x.jpg"},
		{"dirwatch:/srv/in", &files{}, "dirwatch:/srv/in"},
		{"mjpeg:-", &mjpeg{}, "mjpeg:-"},
		{"mjpeg:/tmp/stream.mjpeg", &mjpeg{}, "mjpeg:/tmp/stream.mjpeg"},
		{"cam0=cmd:rpicam-vid -t 0 -n --codec mjpeg -o -", &mjpeg{}, "cam0"},
		{"mjpeg:cmd:cat x", &mjpeg{}, "mjpeg:cmd:cat x"},
		{"yuv:1280x720:-", &yuv{}, "yuv:1280x720:-"},
		{"yuv:5x3/8:cmd:cat f", &yuv{}, "yuv:5x3/8:cmd:cat f"},
		{"wedge=lines:-", &lines{}, "wedge"},
		{"lines:/dev/ttyACM0", &lines{}, "lines:/dev/ttyACM0"},
		{"a=b.jpg", &files{}, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			src, err := Parse(tt.spec, stdin)
			if err != nil {
				t.Fatalf("Parse: %v", err)
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
		src, _ := Parse("cam0=cmd:rpicam-vid -t 0 --post-process-file '/etc/my file.json' -o -", nil)
		got := src.(*mjpeg).stream.argv
		want := []string{"rpicam-vid", "-t", "0", "--post-process-file", "/etc/my file.json", "-o", "-"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("argv = %q, want %q", got, want)
		}
		y, _ := Parse("yuv:5x3/8:-", stdin)
		if g := y.(*yuv).geom; g != (yuvGeometry{w: 5, h: 3, stride: 8}) {
			t.Errorf("geometry = %+v", g)
		}
		f, _ := Parse("dirwatch:/srv/in", nil)
		if fs := f.(*files); !fs.watch || fs.path != "/srv/in" || fs.cfg.PollInterval != defaultPoll {
			t.Errorf("dirwatch = %+v", fs)
		}
	})
}

func TestParseErrors(t *testing.T) {
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
			src, err := Parse(tt.spec, nil)
			if err == nil {
				t.Fatalf("Parse(%q) = %T, want an error", tt.spec, src)
			}
			msg := err.Error()
			if !strings.Contains(msg, strconv.Quote(tt.spec)) || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q should name the spec %q and say %q", msg, tt.spec, tt.want)
			}
		})
	}
}

func TestSplitArgs(t *testing.T) {
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
		got, err := SplitArgs(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestPollIntervalClamped(t *testing.T) {
	for _, tt := range []struct{ in, want time.Duration }{
		{0, defaultPoll}, {time.Nanosecond, minPoll}, {time.Hour, maxPoll}, {time.Second, time.Second},
	} {
		if got := (Config{PollInterval: tt.in}).withDefaults().PollInterval; got != tt.want {
			t.Errorf("PollInterval %v -> %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestStatsOf(t *testing.T) {
	src := testParse(t, Config{Stdin: strings.NewReader("A\nB\n")}, "lines:-")
	if _, err := testRun(t, context.Background(), src); err != nil {
		t.Fatal(err)
	}
	if got := StatsOf(src); got != (Stats{Sent: 2}) {
		t.Errorf("stats = %+v, want Sent 2", got)
	}
	if got := StatsOf(testNoStats{}); got != (Stats{}) {
		t.Errorf("stats of a source without counters = %+v", got)
	}
}

type testNoStats struct{}

func (testNoStats) Name() string                            { return "none" }
func (testNoStats) Run(context.Context, chan<- Input) error { return nil }

// TestRunCancelledBeforeStart checks Run gives ctx.Err() itself, unwrapped.
func TestRunCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	for _, spec := range []string{"mjpeg:-", "yuv:4x4:-", "lines:-", "dirwatch:" + dir} {
		src := testParse(t, Config{Stdin: strings.NewReader("x\n")}, spec)
		if err := src.Run(ctx, make(chan Input)); err != context.Canceled {
			t.Errorf("%s: Run = %v, want context.Canceled", spec, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"dir:/x", "dirwatch:x", "photos", "-", "mjpeg:-", "cmd:rpicam-vid -t 0 -n --codec mjpeg -o -",
		"yuv:1280x720:-", "yuv:5x3/8:cmd:cat 'a b'", "lines:-", "cam0=lines:/dev/tty", `cmd:a "b\"c" d\ e`,
		"yuv:99999999999999999999x1:-", "x=", "=x", "a:b:c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		src, err := Parse(spec, strings.NewReader(""))
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(spec)) {
				t.Errorf("error %q does not name the spec %q", err, spec)
			}
			return
		}
		if src == nil || src.Name() == "" {
			t.Fatalf("Parse(%q) = %v with no error", spec, src)
		}
		if y, ok := src.(*yuv); ok {
			g := y.geom
			if g.w <= 0 || g.h <= 0 || g.stride < g.w || g.stride*g.h > MaxPixels {
				t.Errorf("Parse(%q) accepted geometry %+v", spec, g)
			}
		}
	})
}
