//go:build unix

package source

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func testNeed(t *testing.T, prog string) {
	t.Helper()
	if _, err := exec.LookPath(prog); err != nil {
		t.Skipf("%s not found: %v", prog, err)
	}
}

func TestCommandMJPEG(t *testing.T) {
	testNeed(t, "cat")
	frames := testFrames(t)
	var stream []byte
	for _, f := range frames {
		stream = append(stream, f.data...)
	}
	path := filepath.Join(t.TempDir(), "camera stream.mjpeg") // a space, to exercise quoting
	if err := os.WriteFile(path, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	src := testParse(t, Config{Lossless: true}, "cam0=cmd:cat '"+path+"'")
	got, err := testRun(t, context.Background(), src)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	testCheckFrames(t, got, frames, "cam0")
}

func TestCommandYUV(t *testing.T) {
	testNeed(t, "cat")
	g := yuvGeometry{w: 7, h: 5, stride: 7}
	path := filepath.Join(t.TempDir(), "frames.yuv")
	if err := os.WriteFile(path, append(testI420(g, 0), testI420(g, 1)...), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := testRun(t, context.Background(), testParse(t, Config{Lossless: true}, "yuv:7x5:cmd:cat "+path))
	if err != nil || len(got) != 2 || got[1].Frame.GrayAt(6, 4).Y != byte(50+4*7+6) {
		t.Fatalf("got %d frames, %v", len(got), err)
	}
}

func TestCommandFails(t *testing.T) {
	testNeed(t, "cat")
	missing := filepath.Join(t.TempDir(), "no-such-file")
	_, err := testRun(t, context.Background(), testParse(t, Config{}, "cmd:cat "+missing))
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("Run = %v, want the command's exit error", err)
	}
	msg := err.Error()
	for _, want := range []string{"source cmd:cat " + missing, "cat failed: exit status 1", "stderr: cat: " + missing, "No such file"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}

	_, err = testRun(t, context.Background(), testParse(t, Config{}, "cmd:admitone-no-such-program -x"))
	if !errors.Is(err, exec.ErrNotFound) || !strings.Contains(err.Error(), "source cmd:admitone-no-such-program -x: start admitone-no-such-program") {
		t.Errorf("missing program: Run = %v", err)
	}
}

// TestCommandCancel checks cancelling Run stops a command that would run for long, promptly,
// and leaves no process behind.
func TestCommandCancel(t *testing.T) {
	testNeed(t, "sleep")
	for _, spec := range []string{"cmd:sleep 30", "yuv:4x4:cmd:sleep 30", "lines:cmd:sleep 30"} {
		t.Run(spec, func(t *testing.T) {
			src := testParse(t, Config{}, spec)
			pids := make(chan int, 1)
			onStart := func(pid int) { pids <- pid }
			switch s := src.(type) {
			case *mjpeg:
				s.stream.onStart = onStart
			case *yuv:
				s.stream.onStart = onStart
			case *lines:
				s.stream.onStart = onStart
			}
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() { errc <- src.Run(ctx, make(chan Input)) }()
			pid := <-pids
			if !testAlive(pid) {
				t.Fatalf("child %d is not running", pid)
			}
			start := time.Now()
			cancel()
			select {
			case err := <-errc:
				if err != context.Canceled {
					t.Fatalf("Run = %v, want context.Canceled", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
			if d := time.Since(start); d > cmdGrace {
				t.Errorf("Run took %v to return; sleep should have stopped on the interrupt", d)
			}
			if testAlive(pid) {
				t.Errorf("child %d still exists after Run returned", pid)
			}
		})
	}
}

// testAlive reports whether pid exists and is not a zombie.
func testAlive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !os.IsNotExist(err) // no /proc here: trust kill
	}
	i := bytes.LastIndexByte(stat, ')') // the state follows "pid (comm)"
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

// TestCommandKeepsRunning checks a command that closes its output but keeps running is
// stopped, not waited for forever, and that its own children go with it.
func TestCommandKeepsRunning(t *testing.T) {
	testNeed(t, "sh")
	pidFile := filepath.Join(t.TempDir(), "pid")
	// sh is started directly (no shell parses our spec); it closes stdout, then waits on a child.
	src := testParse(t, Config{}, `lines:cmd:sh -c "exec >&-; sleep 30 & echo $! > '`+pidFile+`'; wait"`).(*lines)
	src.stream.grace = 100 * time.Millisecond
	start := time.Now()
	_, err := testRun(t, context.Background(), src)
	if err == nil || !strings.Contains(err.Error(), "sh kept running after closing its output") {
		t.Fatalf("Run = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	// SIGKILL is delivered asynchronously: give the grandchild a moment to die.
	for i := 0; testAlive(pid) && i < 200; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	if testAlive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("grandchild %d survived", pid)
	}
}

func TestTail(t *testing.T) {
	tail := &tail{max: 16}
	tail.Write([]byte("line one\n"))
	if got := tail.String(); got != "line one" {
		t.Errorf("short tail = %q", got)
	}
	tail.Write([]byte("line two\nline three\n"))
	if got := tail.String(); got != "...line three" {
		t.Errorf("cut tail = %q", got)
	}
	tail.Write([]byte(strings.Repeat("x", 40)))
	if got := tail.String(); got != "..."+strings.Repeat("x", 16) {
		t.Errorf("long write = %q", got)
	}
}
