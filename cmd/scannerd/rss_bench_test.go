package main

import (
	"bytes"
	"image/jpeg"
	"io"

	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/qr/qrtest"
)

// BenchmarkScannerdPeakRSS runs the real `scannerd run` on a gate holding
// 100,000 tickets and feeds it 1280x720 MJPEG camera frames at 30 frames
// per second for 10 seconds through a pipe, then reports the process's
// peak resident memory (ru_maxrss) and how many frames it decoded. One
// iteration is one such run.
func BenchmarkScannerdPeakRSS(b *testing.B) {
	bin := testenv.Program(b, "scannerd")
	key, _ := ticketcrypto.GeneratePrivateKey()
	ev := ticketcrypto.NewEventID()
	p := &bundle.Payload{Format: bundle.Format, CreatedAt: time.Now(), Event: ev,
		Keyring:  []ticketcrypto.KeyringEntry{{Event: ev, KeyID: key.ID(), PublicKey: key.Public()}},
		Profiles: []bundle.GateProfile{{GateID: "north", Event: ev, Mode: bundle.ModeSigned, Direction: bundle.Entry}}}
	var texts []string
	for i := range 100_000 {
		st, err := ticketcrypto.Sign(key, ticketcrypto.Token{Event: ev, Ticket: ticketcrypto.NewTicketID(), TypeNumber: 1})
		if err != nil {
			b.Fatal(err)
		}
		p.Tickets = append(p.Tickets, bundle.Ticket{ID: st.Ticket, TypeNumber: 1})
		if i < 30 {
			texts = append(texts, st.Text())
		}
	}
	var file bytes.Buffer
	if err := bundle.Write(&file, p, key, nil, ticketcrypto.KDFParams{}); err != nil {
		b.Fatal(err)
	}
	bundlePath := filepath.Join(b.TempDir(), "bundle.json")
	os.WriteFile(bundlePath, file.Bytes(), 0o600)
	// 30 distinct frames, each shown for 10 frames (a third of a second).
	var frames [][]byte
	for _, f := range qrtest.Generate(11, len(texts), qrtest.Config{Width: 1280, Height: 720, Texts: texts}) {
		var jb bytes.Buffer
		if err := jpeg.Encode(&jb, f.Gray, &jpeg.Options{Quality: 85}); err != nil {
			b.Fatal(err)
		}
		frames = append(frames, jb.Bytes())
	}
	var rss, decoded float64
	for b.Loop() {
		dir := filepath.Join(b.TempDir(), "gate")
		for _, args := range [][]string{{"init", "--trust", key.Public().String()}, {"import", bundlePath}} {
			if out, err := exec.Command(bin, append(args, "--data-dir", dir)...).CombinedOutput(); err != nil {
				b.Fatalf("scannerd %v: %v\n%s", args, err, out)
			}
		}
		cmd := exec.Command(bin, "run", "--data-dir", dir, "--source", "mjpeg:-", "--listen", "", "--exit-when-done")
		stdin, _ := cmd.StdinPipe()
		var out bytes.Buffer
		cmd.Stdout = &out
		cmd.Stderr = io.Discard
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		tick := time.NewTicker(time.Second / 30)
		for i := range 300 {
			<-tick.C
			if _, err := stdin.Write(frames[i/10%len(frames)]); err != nil {
				b.Fatal(err)
			}
		}
		tick.Stop()
		// VmHWM is the peak RSS of this program's address space. (The
		// rusage ru_maxrss of a child is useless here: Linux carries the
		// forked test process's RSS across exec into it.)
		hwm, err := vmHWM(cmd.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		rss = max(rss, float64(hwm)/1024)
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			b.Fatal(err)
		}
		decoded = float64(bytes.Count(out.Bytes(), []byte(`"verdict":"accepted"`)))
	}
	b.ReportMetric(rss, "peak-RSS-MiB")
	b.ReportMetric(decoded, "accepted-of-30")
}

// vmHWM reads a process's peak resident set size in KiB from /proc.
func vmHWM(pid int) (int64, error) { return procStatusKB(pid, "VmHWM:") }
