package source

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	gosync "sync"
	"time"
)

const (
	// cmdGrace is how long a command gets to exit after its output ends or after an
	// interrupt, before it is killed.
	cmdGrace = 2 * time.Second
	// stderrTail is how much of a command's standard error is kept for error messages.
	stderrTail = 2048
	// stderrDrain bounds the wait for the last of a command's standard error after it exits.
	stderrDrain = 500 * time.Millisecond
)

// startCommand starts argv with its standard output and standard error on os.Pipes. Closing
// our end of an os.Pipe unblocks a pending Read even if some other process still holds the write
// end, and Wait returns as soon as the child exits. On Unix the child leads a process group of its
// own, and whatever is left of that group is killed once the child is gone, so a wrapper script's
// children do not outlive it either. grace is how long the command gets to exit on its own, then
// after an interrupt, before it is killed (0 means cmdGrace). onStart, if not nil, sees the
// child's pid.
func startCommand(argv []string, grace time.Duration, onStart func(pid int)) (*opened, error) {
	if grace <= 0 {
		grace = cmdGrace
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmdSetup(cmd)
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	er, ew, err := os.Pipe()
	if err != nil {
		pr.Close()
		pw.Close()
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = pw, ew
	err = cmd.Start()
	// The child holds its own copies; ours would keep the pipes open forever.
	pw.Close()
	ew.Close()
	if err != nil {
		pr.Close()
		er.Close()
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	if onStart != nil {
		onStart(cmd.Process.Pid)
	}

	tail := &tail{max: stderrTail}
	stderrDone := make(chan struct{})
	go func() {
		defer close(stderrDone)
		_, _ = io.Copy(tail, er)
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var interruptOnce gosync.Once
	interruptChild := func() {
		interruptOnce.Do(func() {
			// An interrupt lets a camera program release the device cleanly.
			if err := cmdSignal(cmd, false); err != nil {
				_ = cmdSignal(cmd, true)
			}
		})
	}
	waitChild := func(d time.Duration) (ok bool, err error) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case err := <-exited:
			return true, err
		case <-t.C:
			return false, nil
		}
	}
	// cleanup runs after the child exited: it kills what is left of its process group and
	// collects the rest of its standard error.
	cleanup := func() {
		_ = cmdSignal(cmd, true)
		t := time.NewTimer(stderrDrain)
		defer t.Stop()
		select {
		case <-stderrDone:
		case <-t.C:
		}
		er.Close()
		<-stderrDone
	}

	return &opened{
		r: pr,
		interrupt: func() {
			interruptChild()
			pr.Close()
		},
		interruptible: true,
		finish: func(cancelled bool) error {
			pr.Close()
			if !cancelled {
				// Output ended: the command normally exits by itself right after.
				if ok, err := waitChild(grace); ok {
					cleanup()
					return commandError(argv[0], err, tail)
				}
			}
			interruptChild()
			how := "stopped"
			if ok, _ := waitChild(grace); !ok {
				_ = cmdSignal(cmd, true)
				<-exited
				how = "killed"
			}
			cleanup()
			if cancelled {
				return nil
			}
			return fmt.Errorf("%s kept running after closing its output; %s it", argv[0], how)
		},
	}, nil
}

// commandError describes a command's exit, or returns nil if it succeeded.
func commandError(name string, err error, stderr *tail) error {
	if err == nil {
		return nil
	}
	msg := stderr.String()
	if msg == "" {
		return fmt.Errorf("%s failed: %w", name, err)
	}
	return fmt.Errorf("%s failed: %w; stderr: %s", name, err, msg)
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu        gosync.Mutex
	max       int
	buf       []byte
	truncated bool
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		t.truncated = true
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.truncated = true
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// String returns the kept tail, trimmed, starting at a line boundary when it was cut.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	if t.truncated {
		if i := bytes.IndexByte(b, '\n'); i >= 0 && i < len(b)-1 {
			b = b[i+1:]
		}
		return "..." + strings.TrimSpace(string(b))
	}
	return strings.TrimSpace(string(b))
}
