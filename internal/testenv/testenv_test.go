package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

func TestLockedBuffer(t *testing.T) {
	var b LockedBuffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 100 {
				fmt.Fprintf(&b, "w%d\n", i)
				_ = b.String()
				_ = b.Len()
			}
		})
	}
	wg.Wait()
	if got, want := strings.Count(b.String(), "\n"), 800; got != want {
		t.Errorf("%d lines, want %d", got, want)
	}
	if got, want := b.Len(), len(b.String()); got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
}

func TestPoll(t *testing.T) {
	t.Run("holds at once", func(t *testing.T) {
		calls := 0
		took, ok := Poll(time.Second, time.Hour, func() bool { calls++; return true })
		if !ok || calls != 1 || took > 100*time.Millisecond {
			t.Errorf("Poll = %v, %v after %d calls; want true after one call", took, ok, calls)
		}
	})
	t.Run("holds later", func(t *testing.T) {
		var calls atomic.Int32
		_, ok := Poll(5*time.Second, time.Millisecond, func() bool { return calls.Add(1) >= 5 })
		if !ok || calls.Load() != 5 {
			t.Errorf("Poll = %v after %d calls; want true after 5", ok, calls.Load())
		}
	})
	t.Run("never holds", func(t *testing.T) {
		calls := 0
		took, ok := Poll(50*time.Millisecond, 20*time.Millisecond, func() bool { calls++; return false })
		if ok || took < 50*time.Millisecond || took > 5*time.Second {
			t.Errorf("Poll = %v, %v; want false after the 50 ms timeout", took, ok)
		}
		if calls < 3 {
			t.Errorf("cond called %d times, want at least 3 (at 0, 20 and 40 ms, and after the deadline)", calls)
		}
	})
	t.Run("checked after the deadline", func(t *testing.T) {
		start := time.Now()
		_, ok := Poll(30*time.Millisecond, time.Hour, func() bool { return time.Since(start) > 30*time.Millisecond })
		if !ok {
			t.Error("a condition that became true during the last sleep was not seen")
		}
	})
}

// TestMissing runs the test binary again as a child per case, since
// Missing ends the test that calls it.
func TestMissing(t *testing.T) {
	if name := os.Getenv("TESTENV_MISSING_CHILD"); name != "" {
		switch name {
		case "getenv":
			Getenv(t, "TESTENV_SURELY_UNSET", "set it")
		case "lookpath":
			LookPath(t, "admitone-no-such-program", "no-such-package")
		}
		t.Fatal("Missing returned")
	}
	for _, c := range []struct {
		name, ci, want string
	}{
		{"getenv", "true", "--- FAIL"},
		{"getenv", "", "--- SKIP"},
		{"lookpath", "true", "--- FAIL"},
		{"lookpath", "false", "--- SKIP"},
	} {
		t.Run(c.name+"/CI="+c.ci, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMissing$", "-test.v")
			cmd.Env = append(os.Environ(), "TESTENV_MISSING_CHILD="+c.name, "CI="+c.ci, "TESTENV_SURELY_UNSET=")
			out, _ := cmd.CombinedOutput()
			if !strings.Contains(string(out), c.want) {
				t.Errorf("want %s:\n%s", c.want, out)
			}
			if strings.Contains(string(out), "Missing returned") {
				t.Errorf("the test went on after Missing:\n%s", out)
			}
		})
	}
	t.Run("found", func(t *testing.T) {
		t.Setenv("TESTENV_SET", "value")
		if got := Getenv(t, "TESTENV_SET", "set it"); got != "value" {
			t.Errorf("Getenv = %q, want value", got)
		}
		if got := LookPath(t, "go", "golang-go"); got == "" {
			t.Error("LookPath(go) is empty")
		}
	})
}

func TestProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds syncserver; skipped with -short")
	}
	var paths [2]string
	var wg sync.WaitGroup
	for i := range paths {
		wg.Go(func() { paths[i] = Program(t, "syncserver") })
	}
	wg.Wait()
	if paths[0] == "" || paths[0] != paths[1] {
		t.Fatalf("Program gave %q and %q, want one path built once", paths[0], paths[1])
	}
	fi, err := os.Stat(paths[0])
	if err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("%s is not an executable: %v", paths[0], err)
	}
	out, err := exec.Command(paths[0], "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "serve") {
		t.Errorf("syncserver --help: %v\n%s", err, out)
	}
}
