package source

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestScanLines(t *testing.T) {
	long := strings.Repeat("x", MaxLine+1)
	max := strings.Repeat("m", MaxLine)
	tests := []struct {
		name     string
		in       string
		want     []string
		overlong []int
	}{
		{"lf", "A1\nB2\n", []string{"A1", "B2"}, nil},
		{"crlf", "A1\r\nB2\r\n", []string{"A1", "B2"}, nil},
		{"cr", "A1\rB2\r", []string{"A1", "B2"}, nil},
		{"mixed", "A1\rB2\nC3\r\nD4", []string{"A1", "B2", "C3", "D4"}, nil},
		{"empty lines", "\n\r\n\r\rA1\n\n \t \nB2\n\n", []string{"A1", "B2"}, nil},
		{"lf cr is two ends", "A1\n\rB2", []string{"A1", "B2"}, nil},
		{"trimmed", "  A1 \t\n\tB 2  \r\n", []string{"A1", "B 2"}, nil},
		{"no final end", "A1\nB2", []string{"A1", "B2"}, nil},
		{"empty", "", nil, nil},
		{"at the limit", max + "\n", []string{max}, nil},
		{"overlong", "A1\n" + long + "\nB2\n", []string{"A1", "B2"}, []int{MaxLine + 1}},
		{"overlong cr", long + "\r\nB2", []string{"B2"}, []int{MaxLine + 1}},
		{"overlong at eof", "A1\n" + long + long, []string{"A1"}, []int{2*MaxLine + 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			var overlong []int
			err := scanLines(strings.NewReader(tt.in), MaxLine,
				func(s string) error { got = append(got, s); return nil },
				func(n int) { overlong = append(overlong, n) })
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(overlong, tt.overlong) {
				t.Errorf("lines %q overlong %v, want %q %v", got, overlong, tt.want, tt.overlong)
			}
		})
	}
	t.Run("emit error stops", func(t *testing.T) {
		stop := errors.New("stop")
		calls := 0
		err := scanLines(strings.NewReader("A\nB\nC\n"), 10, func(string) error { calls++; return stop }, func(int) {})
		if err != stop || calls != 1 {
			t.Errorf("err %v after %d calls", err, calls)
		}
	})
}

// TestLinesInteractive checks a code ending in "\r" is sent at once, before any further
// byte arrives, as a wedge scanner on a tty types it.
func TestLinesInteractive(t *testing.T) {
	r, w := testPipe(t)
	var logBuf bytes.Buffer
	cfg := Config{Stdin: r, Logger: slog.New(slog.NewTextHandler(&logBuf, nil))}
	src := testParse(t, cfg, "wedge=lines:-")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan Input)
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx, out) }()

	recv := func(want string, seq uint64) {
		t.Helper()
		select {
		case in := <-out:
			if in.Text != want || in.Source != "wedge" || in.Seq != seq || in.Frame != nil {
				t.Fatalf("got %+v, want %q seq %d", in, want, seq)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no input for %q", want)
		}
	}
	w.Write([]byte("NO1:ABC\r"))
	recv("NO1:ABC", 1)
	w.Write([]byte("\nNO1:DEF\r\n"))
	recv("NO1:DEF", 2)
	w.Write([]byte(strings.Repeat("z", 5000) + "\n\nNO1:GHI\n"))
	recv("NO1:GHI", 3)
	// Sent is counted just after the consumer takes the input: wait for it.
	deadline := time.Now().Add(5 * time.Second)
	for StatsOf(src).Sent < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if st := StatsOf(src); st.Rejected != 1 || st.Sent != 3 {
		t.Errorf("stats %+v, want Rejected 1 Sent 3", st)
	}
	if !strings.Contains(logBuf.String(), "overlong") || !strings.Contains(logBuf.String(), "bytes=5000") {
		t.Errorf("no warning logged for the overlong line: %q", logBuf.String())
	}

	cancel() // the reader is blocked on the open pipe
	select {
	case err := <-errc:
		if err != context.Canceled {
			t.Fatalf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// TestLinesNeverDrops checks a slow consumer still gets every code.
func TestLinesNeverDrops(t *testing.T) {
	var in strings.Builder
	const n = 500
	for i := range n {
		in.WriteString("CODE" + strings.Repeat("x", i%7) + "\r\n")
	}
	src := testParse(t, Config{Stdin: strings.NewReader(in.String())}, "lines:-")
	out := make(chan Input)
	errc := make(chan error, 1)
	go func() { errc <- src.Run(context.Background(), out) }()
	time.Sleep(20 * time.Millisecond) // let the reader run ahead of us
	count := 0
	for {
		select {
		case <-out:
			count++
			continue
		case err := <-errc:
			if err != nil || count != n {
				t.Fatalf("Run = %v after %d codes, want nil after %d", err, count, n)
			}
		}
		break
	}
}

// TestLinesUninterruptibleStdin checks Run returns on cancel even when stdin cannot be
// interrupted, and that its reader then exits at the next input without sending.
func TestLinesUninterruptibleStdin(t *testing.T) {
	pr, pw := io.Pipe()
	src := testParse(t, Config{Stdin: pr}, "lines:-")
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Input)
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx, out) }()
	go pw.Write([]byte("first\n"))
	if in := <-out; in.Text != "first" {
		t.Fatalf("got %+v", in)
	}
	cancel() // the reader is now blocked in pr.Read, which nothing can interrupt
	select {
	case err := <-errc:
		if err != context.Canceled {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	// The next input unblocks the abandoned reader, which must exit without delivering it.
	wrote := make(chan error, 1)
	go func() { _, err := pw.Write([]byte("late\n")); wrote <- err }()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		pw.Close()
		t.Fatal("abandoned reader did not read the next input")
	}
	pw.Close()
	select {
	case in := <-out:
		t.Fatalf("input %+v sent after Run returned", in)
	case <-time.After(20 * time.Millisecond):
	}
}

func TestLinesFile(t *testing.T) {
	path := t.TempDir() + "/codes"
	if err := writeSourceTestFile(path, "A\r\nB\n"); err != nil {
		t.Fatal(err)
	}
	got, err := testRun(t, context.Background(), testParse(t, Config{}, "lines:"+path))
	if err != nil || len(got) != 2 || got[0].Text != "A" || got[1].Text != "B" {
		t.Fatalf("got %+v, %v", got, err)
	}
	_, err = testRun(t, context.Background(), testParse(t, Config{}, "lines:"+path+".missing"))
	if err == nil || !strings.Contains(err.Error(), "source lines:"+path+".missing") {
		t.Errorf("missing file: %v", err)
	}
}
