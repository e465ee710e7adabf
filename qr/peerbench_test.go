//go:build linux

package qr_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/admitone/admitone/qr"
	"github.com/admitone/admitone/qr/qrtest"
)

// TestPeerBench compares this decoder with zbar (zbarimg) and zxing-cpp
// (ZXingReader) on the same frames, in one run on one machine. It is slow
// (a couple of minutes) and runs only with ADMITONE_PEERBENCH=1:
//
//	ADMITONE_PEERBENCH=1 go test ./qr/ -run PeerBench -v -timeout 30m
//
// How it measures, per frame:
//
//   - ours: the frame's luminance plane is decoded in process by a Decoder
//     with a fresh region of interest, with the default (camera lane)
//     options and with Thorough (Still for the photos); CPU is the process's user+system
//     time (getrusage RUSAGE_SELF, so garbage collection counts) around
//     Decode; PNG decoding is not included, as a gate gets planes from its
//     camera. Each frame is decoded ourRuns times; its figure is the median.
//   - peers: the tool runs once per file, peerRuns times; CPU is the
//     child's user+system time from wait4's rusage, wall is the time
//     to exit. From each we subtract the tool's start-up cost, the median
//     of startRuns runs on an 8x8 blank image of the same format (process
//     start, dynamic linking, library set-up, reading a tiny file). Each
//     peer reads each frame twice over: as the PNG file (synthetic frames
//     as written by qrtest.WritePNGs, blackbox photos as stored), which it
//     must decode, and as a binary PGM of exactly the luminance plane ours
//     decodes, which costs it next to nothing to read. The PGM rows are
//     the like-for-like comparison; the "png" row gives Go's image/png
//     time for the same PNG files, for scale. A batch run of all files in
//     one invocation, minus one start-up, divided by the file count,
//     cross-checks the per-file means (column "batch").
//
// Decoded counts compare the exact expected text. Peers read QR only
// (zbarimg -Sdisable -Sqrcode.enable, ZXingReader -format QRCode), with
// their other settings at their defaults.
func TestPeerBench(t *testing.T) {
	if os.Getenv("ADMITONE_PEERBENCH") != "1" {
		t.Skip("set ADMITONE_PEERBENCH=1 to run the peer comparison")
	}
	zbar := peerTool(t, "zbarimg", "zbar-tools")
	zxing := peerTool(t, "ZXingReader", "zxing-cpp-tools")
	dir := t.TempDir()

	blank := filepath.Join(dir, "blank.png")
	if err := writeGrayPNG(blank, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	peers := []peer{
		{name: "zbar 0.23", args: func(files ...string) []string {
			return append([]string{zbar, "-q", "--raw", "-Sdisable", "-Sqrcode.enable"}, files...)
		}, read: func(out []byte, want string) bool {
			return strings.Contains("\n"+string(out), "\n"+want+"\n")
		}},
		{name: "zxing-cpp 1.4", args: func(files ...string) []string {
			return append([]string{zxing, "-format", "QRCode"}, files...)
		}, read: func(out []byte, want string) bool {
			return zxingText(out) == want
		}},
	}

	var sets []benchSet
	for _, size := range [][2]int{{1280, 720}, {640, 480}} {
		fs := synthetic(50, size[0], size[1])
		paths, err := qrtest.WritePNGs(filepath.Join(dir, fmt.Sprintf("synthetic%d", size[1])), fs)
		if err != nil {
			t.Fatal(err)
		}
		s := benchSet{name: fmt.Sprintf("synthetic %dx%d", size[0], size[1])}
		for i, f := range fs {
			s.items = append(s.items, benchItem{path: paths[i], gray: f.Gray, text: f.Text})
		}
		sets = append(sets, s)
	}
	bb := benchSet{name: "blackbox photos", still: true}
	for _, p := range loadBlackbox(t) {
		bb.items = append(bb.items, benchItem{path: p.Path, gray: p.Gray, text: p.Text})
	}
	sets = append(sets, bb)
	dm := benchSet{name: "dark mode 1280x720"}
	dmFrames := qrtest.Generate(syntheticSeed, 20, qrtest.Config{Width: 1280, Height: 720, DarkModeRate: 1})
	dmPaths, err := qrtest.WritePNGs(filepath.Join(dir, "darkmode"), dmFrames)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range dmFrames {
		dm.items = append(dm.items, benchItem{path: dmPaths[i], gray: f.Gray, text: f.Text})
	}
	sets = append(sets, dm)
	nc := benchSet{name: "no code 1280x720"}
	ncFrames := qrtest.Generate(syntheticSeed, 20, qrtest.Config{Width: 1280, Height: 720, NoCode: true})
	var ncPaths []string
	ncPaths, err = qrtest.WritePNGs(filepath.Join(dir, "nocode"), ncFrames)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range ncFrames {
		nc.items = append(nc.items, benchItem{path: ncPaths[i], gray: f.Gray})
	}
	sets = append(sets, nc)

	for si := range sets {
		for k := range sets[si].items {
			it := &sets[si].items[k]
			it.pgm = filepath.Join(dir, "pgm", fmt.Sprintf("%d-%03d.pgm", si, k))
			if err := writePGM(it.pgm, it.gray); err != nil {
				t.Fatal(err)
			}
		}
	}
	blankPGM := filepath.Join(dir, "blank.pgm")
	if err := writePGM(blankPGM, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	for i := range peers {
		peers[i].startCPU, peers[i].startWall = startupCost(t, peers[i], blank)
		peers[i].startCPUPGM, peers[i].startWallPGM = startupCost(t, peers[i], blankPGM)
		t.Logf("%s start-up: %.2f ms CPU, %.2f ms wall (median of %d runs on a blank 8x8 PNG)",
			peers[i].name, peers[i].startCPU, peers[i].startWall, startRuns)
	}

	var report strings.Builder
	fmt.Fprintf(&report, "\n| set | decoder (input) | decoded | CPU ms/frame median | p95 | mean | wall ms median | p95 | batch CPU mean | CPU mean vs fastest peer (PGM, per-file or batch) |\n")
	fmt.Fprintf(&report, "|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range sets {
		// Ours with the camera-lane defaults, and with the extra passes
		// (Still for the photos, as DecodeImage decodes them).
		extra, label := qr.Options{Thorough: true}, "AdmitOne qr, Thorough"
		if s.still {
			extra, label = qr.Options{Still: true}, "AdmitOne qr, Still"
		}
		ours := []stats{measureOurs(t, s, qr.Options{}, "AdmitOne qr (gozxing)"), measureOurs(t, s, extra, label)}
		var rows []stats
		fastest := math.Inf(1)
		for _, p := range peers {
			png := measurePeer(t, p, s, false)
			pgm := measurePeer(t, p, s, true)
			rows = append(rows, png, pgm)
			// Conservatively, the peer's better figure: per file or
			// batch.
			fastest = math.Min(fastest, math.Min(pgm.cpuMean, pgm.batchMean))
		}
		pngMs := pngDecodeMs(t, s)
		for _, r := range append(ours, rows...) {
			decoded := fmt.Sprintf("%d/%d", r.decoded, len(s.items))
			if s.name == nc.name {
				decoded = "-"
			}
			batch := "-"
			if !math.IsNaN(r.batchMean) {
				batch = fmt.Sprintf("%.2f", r.batchMean)
			}
			fmt.Fprintf(&report, "| %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %.2fx |\n",
				s.name, r.name, decoded, r.cpuMed, r.cpuP95, r.cpuMean, r.wallMed, r.wallP95, batch, r.cpuMean/fastest)
		}
		fmt.Fprintf(&report, "| %s | (Go image/png decode of the files, for scale) | | %.2f | | | | | | |\n", s.name, pngMs)
	}
	t.Log(report.String())
	if out := os.Getenv("ADMITONE_PEERBENCH_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(report.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const (
	ourRuns   = 5
	peerRuns  = 3
	startRuns = 15
)

type benchItem struct {
	path string // PNG
	pgm  string // the same luminance plane as ours, as binary PGM
	gray *image.Gray
	text string // empty: no code in the frame
}

type benchSet struct {
	name  string
	still bool
	items []benchItem
}

type peer struct {
	name                      string
	args                      func(files ...string) []string
	read                      func(out []byte, want string) bool
	startCPU, startWall       float64 // ms, on a PNG
	startCPUPGM, startWallPGM float64 // ms, on a PGM
}

type stats struct {
	name                    string
	decoded                 int
	cpuMed, cpuP95, cpuMean float64
	wallMed, wallP95        float64
	batchMean               float64
}

func summarize(name string, decoded int, cpu, wall []float64) stats {
	s := stats{name: name, decoded: decoded, batchMean: math.NaN()}
	s.cpuMed, s.cpuP95, s.cpuMean = quantiles(cpu)
	s.wallMed, s.wallP95, _ = quantiles(wall)
	return s
}

// quantiles returns the median, the 95th percentile (nearest rank) and
// the mean.
func quantiles(v []float64) (med, p95, mean float64) {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	for _, x := range s {
		mean += x
	}
	mean /= float64(len(s))
	return s[len(s)/2], s[int(math.Ceil(0.95*float64(len(s))))-1], mean
}

func median(v []float64) float64 {
	m, _, _ := quantiles(v)
	return m
}

func cpuNow(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func measureOurs(t *testing.T, s benchSet, opts qr.Options, name string) stats {
	d := qr.NewDecoder(opts)
	var cpu, wall []float64
	decoded := 0
	for _, it := range s.items {
		var c, w []float64
		ok := false
		for range ourRuns {
			d.Reset()
			c0, w0 := cpuNow(t), time.Now()
			r, err := d.Decode(it.gray)
			w = append(w, ms(time.Since(w0)))
			c = append(c, ms(cpuNow(t)-c0))
			ok = err == nil && it.text != "" && r.Text == it.text
		}
		if ok {
			decoded++
		}
		cpu, wall = append(cpu, median(c)), append(wall, median(w))
	}
	return summarize(name, decoded, cpu, wall)
}

// run executes the peer on files and returns its output and its CPU and
// wall milliseconds.
func (p peer) run(t *testing.T, files ...string) ([]byte, float64, float64) {
	args := p.args(files...)
	cmd := exec.Command(args[0], args[1:]...)
	var out bytes.Buffer
	cmd.Stdout = &out
	start := time.Now()
	_ = cmd.Run() // a tool that finds nothing exits non-zero
	wall := ms(time.Since(start))
	if cmd.ProcessState == nil {
		t.Fatalf("%s did not run", p.name)
	}
	cpu := ms(cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime())
	return out.Bytes(), cpu, wall
}

func startupCost(t *testing.T, p peer, blank string) (cpu, wall float64) {
	var c, w []float64
	for range startRuns {
		_, ci, wi := p.run(t, blank)
		c, w = append(c, ci), append(w, wi)
	}
	return median(c), median(w)
}

func measurePeer(t *testing.T, p peer, s benchSet, pgm bool) stats {
	var cpu, wall []float64
	decoded := 0
	var paths []string
	startCPU, startWall, name := p.startCPU, p.startWall, p.name+" (PNG)"
	if pgm {
		startCPU, startWall, name = p.startCPUPGM, p.startWallPGM, p.name+" (PGM)"
	}
	for _, it := range s.items {
		path := it.path
		if pgm {
			path = it.pgm
		}
		var c, w []float64
		ok := false
		for range peerRuns {
			out, ci, wi := p.run(t, path)
			c, w = append(c, ci-startCPU), append(w, wi-startWall)
			ok = it.text != "" && p.read(out, it.text)
		}
		if ok {
			decoded++
		}
		cpu, wall = append(cpu, median(c)), append(wall, median(w))
		paths = append(paths, path)
	}
	st := summarize(name, decoded, cpu, wall)
	_, bc, _ := p.run(t, paths...)
	st.batchMean = (bc - startCPU) / float64(len(paths))
	return st
}

// writePGM writes g as a binary PGM (P5), which both peers read with next
// to no decoding work.
func writePGM(path string, g *image.Gray) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b := g.Bounds()
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "P5\n%d %d\n255\n", b.Dx(), b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		buf.Write(g.Pix[g.PixOffset(b.Min.X, y) : g.PixOffset(b.Min.X, y)+b.Dx()])
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// zxingText extracts the text from ZXingReader's default output, which
// prints it between `Text:       "` and `"` before the Bytes line.
func zxingText(out []byte) string {
	s := string(out)
	const open = "Text:       \""
	i := strings.Index(s, open)
	if i < 0 {
		return ""
	}
	s = s[i+len(open):]
	j := strings.Index(s, "\"\nBytes:")
	if j < 0 {
		return ""
	}
	return s[:j]
}

func pngDecodeMs(t *testing.T, s benchSet) float64 {
	var v []float64
	for _, it := range s.items {
		b, err := os.ReadFile(it.path)
		if err != nil {
			t.Fatal(err)
		}
		c0 := cpuNow(t)
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		v = append(v, ms(cpuNow(t)-c0))
	}
	return median(v)
}

func writeGrayPNG(path string, g *image.Gray) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, g); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
