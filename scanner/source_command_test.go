//go:build unix

package scanner

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

func sourceTestNeed(t *testing.T, prog string) {
	t.Helper()
	if _, err := exec.LookPath(prog); err != nil {
		t.Skipf("%s not found: %v", prog, err)
	}
}

func TestSourceCommandMJPEG(t *testing.T) {
	sourceTestNeed(t, "cat")
	frames := sourceTestFrames(t)
	var stream []byte
	for _, f := range frames {
		stream = append(stream, f.data...)
	}
	path := filepath.Join(t.TempDir(), "camera stream.mjpeg") // a space, to exercise quoting
	if err := os.WriteFile(path, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	src := sourceTestParse(t, SourceConfig{Lossless: true}, "cam0=cmd:cat '"+path+"'")
	got, err := sourceTestRun(t, context.Background(), src)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	sourceTestCheckFrames(t, got, frames, "cam0")
}

func TestSourceCommandYUV(t *testing.T) {
	sourceTestNeed(t, "cat")
	g := sourceYUVGeometry{w: 7, h: 5, stride: 7}
	path := filepath.Join(t.TempDir(), "frames.yuv")
	if err := os.WriteFile(path, append(sourceTestI420(g, 0), sourceTestI420(g, 1)...), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := sourceTestRun(t, context.Background(), sourceTestParse(t, SourceConfig{Lossless: true}, "yuv:7x5:cmd:cat "+path))
	if err != nil || len(got) != 2 || got[1].Frame.GrayAt(6, 4).Y != byte(50+4*7+6) {
		t.Fatalf("got %d frames, %v", len(got), err)
	}
}

func TestSourceCommandFails(t *testing.T) {
	sourceTestNeed(t, "cat")
	missing := filepath.Join(t.TempDir(), "no-such-file")
	_, err := sourceTestRun(t, context.Background(), sourceTestParse(t, SourceConfig{}, "cmd:cat "+missing))
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

	_, err = sourceTestRun(t, context.Background(), sourceTestParse(t, SourceConfig{}, "cmd:admitone-no-such-program -x"))
	if !errors.Is(err, exec.ErrNotFound) || !strings.Contains(err.Error(), "source cmd:admitone-no-such-program -x: start admitone-no-such-program") {
		t.Errorf("missing program: Run = %v", err)
	}
}

// TestSourceCommandCancel checks cancelling Run stops a command that would run for long, promptly,
// and leaves no process behind.
func TestSourceCommandCancel(t *testing.T) {
	sourceTestNeed(t, "sleep")
	for _, spec := range []string{"cmd:sleep 30", "yuv:4x4:cmd:sleep 30", "lines:cmd:sleep 30"} {
		t.Run(spec, func(t *testing.T) {
			src := sourceTestParse(t, SourceConfig{}, spec)
			pids := make(chan int, 1)
			onStart := func(pid int) { pids <- pid }
			switch s := src.(type) {
			case *sourceMJPEG:
				s.stream.onStart = onStart
			case *sourceYUV:
				s.stream.onStart = onStart
			case *sourceLines:
				s.stream.onStart = onStart
			}
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() { errc <- src.Run(ctx, make(chan Input)) }()
			pid := <-pids
			if !sourceTestAlive(pid) {
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
			if d := time.Since(start); d > sourceCmdGrace {
				t.Errorf("Run took %v to return; sleep should have stopped on the interrupt", d)
			}
			if sourceTestAlive(pid) {
				t.Errorf("child %d still exists after Run returned", pid)
			}
		})
	}
}

// sourceTestAlive reports whether pid exists and is not a zombie.
func sourceTestAlive(pid int) bool {
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

// TestSourceCommandKeepsRunning checks a command that closes its output but keeps running is
// stopped, not waited for forever, and that its own children go with it.
func TestSourceCommandKeepsRunning(t *testing.T) {
	sourceTestNeed(t, "sh")
	pidFile := filepath.Join(t.TempDir(), "pid")
	// sh is started directly (no shell parses our spec); it closes stdout, then waits on a child.
	src := sourceTestParse(t, SourceConfig{}, `lines:cmd:sh -c "exec >&-; sleep 30 & echo $! > '`+pidFile+`'; wait"`).(*sourceLines)
	src.stream.grace = 100 * time.Millisecond
	start := time.Now()
	_, err := sourceTestRun(t, context.Background(), src)
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
	for i := 0; sourceTestAlive(pid) && i < 200; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	if sourceTestAlive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("grandchild %d survived", pid)
	}
}

func TestSourceTail(t *testing.T) {
	tail := &sourceTail{max: 16}
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
