package main

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/browsertest"
	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/qr"
)

// TestGateScreenInBrowser opens the gate's screen in headless Chromium
// whose camera is a video file of a real ticket's QR code, shown for 1.5
// seconds and then away for 1.5 seconds, looping. Unaided, the page must
// show accepted, then already used (naming the first time and gate), and,
// in a second browser whose camera shows a forged code, refused; the
// accepted verdict names the ticket type as the bundle does. At
// 390x844 and 1024x768 each verdict must fit: no horizontal scrolling,
// the whole verdict inside the viewport.
func TestGateScreenInBrowser(t *testing.T) {
	testenv.LookPath(t, "chromium", "chromium") // before building anything
	bin := testenv.Program(t, "scannerd")
	art := artifactsDir(t)
	g := newTestGateWith(t, 2, func(p *bundle.Payload) {
		p.TicketTypes = []bundle.TicketType{{Number: 1, Name: "Standing"}}
	})
	addr, _ := startScannerdProcess(t, bin, g.dir, "--repeat-window", "1s")
	url := "http://" + addr + "/"

	valid := g.tokens[0].Text()
	b := g.tokens[1].Bytes()
	b[20] ^= 0x01 // another ticket id under the old signature
	forged := ticketcrypto.TokenPrefix + ticketcrypto.Base45Encode(b)

	validVideo := writeY4M(t, 640, 480, 10, valid, 15, 15)
	ctx := openScreen(t, validVideo, url, 390, 844)
	first := waitVerdict(t, ctx, "accepted", 390, 844, filepath.Join(art, "accepted-390x844.png"))
	if !strings.Contains(first.Title, "Admit") || !strings.Contains(first.Detail, "Standing") {
		t.Errorf("accepted shows %q / %q, want the word Admit and the type's name Standing", first.Title, first.Detail)
	}
	used := waitVerdict(t, ctx, "already_used", 390, 844, filepath.Join(art, "already-used-390x844.png"))
	if !strings.Contains(used.Title, "Already used") || !strings.Contains(used.Detail, "at gate north") ||
		!regexp.MustCompile(`First used at \d\d:\d\d:\d\d`).MatchString(used.Detail) {
		t.Errorf("already used shows %q / %q, want the words and the first time and gate", used.Title, used.Detail)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1024, 768)); err != nil {
		t.Fatal(err)
	}
	waitVerdict(t, ctx, "already_used", 1024, 768, filepath.Join(art, "already-used-1024x768.png"))

	forgedVideo := writeY4M(t, 640, 480, 10, forged, 15, 15)
	ctx2 := openScreen(t, forgedVideo, url, 1024, 768)
	refused := waitVerdict(t, ctx2, "invalid_signature", 1024, 768, filepath.Join(art, "forged-1024x768.png"))
	if !strings.Contains(refused.Title, "Not genuine") || !strings.Contains(refused.Reason, "forged") {
		t.Errorf("forged code shows %q / %q", refused.Title, refused.Reason)
	}
	if err := chromedp.Do(ctx2, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	waitVerdict(t, ctx2, "invalid_signature", 390, 844, filepath.Join(art, "forged-390x844.png"))
	t.Logf("screenshots in %s", art)
}

// shownVerdict is what the page shows and where, read in the browser at
// the moment the verdict appeared.
type shownVerdict struct {
	Verdict, Kind, Title, Reason, Detail string
	ScrollWidth, InnerWidth              float64
	InnerHeight                          float64
	Top, Left, Bottom, Right             float64
	TimedOut                             bool
}

// waitVerdict waits in the page for the verdict element to show want,
// reads its text and geometry in the same task (before the screen can
// return to ready), asserts the layout, and takes a screenshot.
func waitVerdict(t *testing.T, ctx context.Context, want string, w, h int, shot string) shownVerdict {
	t.Helper()
	js := fmt.Sprintf(`new Promise((resolve) => {
  const deadline = performance.now() + 40000;
  const look = () => {
    const v = document.getElementById("verdict");
    if (v.dataset.verdict === %q || performance.now() > deadline) {
      const r = v.getBoundingClientRect();
      resolve({Verdict: v.dataset.verdict, Kind: v.dataset.kind,
        Title: document.getElementById("v-title").textContent,
        Reason: document.getElementById("v-reason").textContent,
        Detail: document.getElementById("v-detail").textContent,
        ScrollWidth: document.documentElement.scrollWidth, InnerWidth: innerWidth, InnerHeight: innerHeight,
        Top: r.top, Left: r.left, Bottom: r.bottom, Right: r.right,
        TimedOut: v.dataset.verdict !== %q});
      return;
    }
    setTimeout(look, 20);
  };
  look();
})`, want, want)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[shownVerdict](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("waiting for %s: %v", want, err)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot of %s: %v", want, err)
	}
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if got.TimedOut {
		t.Fatalf("the page never showed %s at %dx%d; it shows %q %q %q (screenshot %s)", want, w, h, got.Verdict, got.Title, got.Reason, shot)
	}
	if int(got.InnerWidth) != w || int(got.InnerHeight) != h {
		t.Errorf("viewport %vx%v, want %dx%d", got.InnerWidth, got.InnerHeight, w, h)
	}
	if got.ScrollWidth > got.InnerWidth {
		t.Errorf("%s at %dx%d: the page scrolls horizontally (scrollWidth %v > innerWidth %v)", want, w, h, got.ScrollWidth, got.InnerWidth)
	}
	if got.Top < 0 || got.Left < 0 || got.Bottom > got.InnerHeight || got.Right > got.InnerWidth {
		t.Errorf("%s at %dx%d: the verdict (%v,%v)-(%v,%v) is not wholly inside the viewport", want, w, h, got.Left, got.Top, got.Right, got.Bottom)
	}
	if got.Kind == "" || got.Title == "" || got.Reason == "" {
		t.Errorf("%s: kind %q, title %q, reason %q: want colour, words and a reason", want, got.Kind, got.Title, got.Reason)
	}
	return got
}

// openScreen starts a headless Chromium whose camera plays video, sized
// w by h, and opens the gate's screen at url.
func openScreen(t *testing.T, video, url string, w, h int) context.Context {
	t.Helper()
	ctx := browsertest.Open(t, url, w, h,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", video),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("verdict"))); err != nil {
		t.Fatalf("open %s in chromium: %v", url, err)
	}
	return ctx
}

// writeY4M writes a looping camera video for Chromium's fake capture
// device: on frames showing text as a QR code (as a phone held up to a
// camera), then off frames of an empty scene.
func writeY4M(t *testing.T, w, h, fps int, text string, on, off int) string {
	t.Helper()
	code, err := qr.Encode(text, qr.ECLevelM)
	if err != nil {
		t.Fatal(err)
	}
	scale := max(2, h/100)
	img, err := code.Image(scale)
	if err != nil {
		t.Fatal(err)
	}
	empty := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(empty, empty.Bounds(), image.NewUniform(color.Gray{Y: 0x70}), image.Point{}, draw.Src)
	shown := image.NewGray(empty.Bounds())
	copy(shown.Pix, empty.Pix)
	b := img.Bounds()
	off0 := image.Pt((w-b.Dx())/2, (h-b.Dy())/2)
	draw.Draw(shown, b.Add(off0), img, b.Min, draw.Src)

	path := filepath.Join(t.TempDir(), fmt.Sprintf("camera-%dx%d.y4m", w, h))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420jpeg\n", w, h, fps)
	chroma := make([]byte, (w/2)*(h/2)*2)
	for i := range chroma {
		chroma[i] = 128 // grey: no colour
	}
	for i := range on + off {
		frame := shown
		if i >= on {
			frame = empty
		}
		bw.WriteString("FRAME\n")
		bw.Write(frame.Pix)
		bw.Write(chroma)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// startScannerdProcess runs the built scannerd on dir with the API on a
// free loopback port and returns its address and process id; the process
// is stopped when the test ends.
func startScannerdProcess(t *testing.T, bin, dir string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"run", "--data-dir", dir, "--listen", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	addrc := make(chan string, 1)
	var log testenv.LockedBuffer
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`http api listening.* addr=(\S+)`)
		for sc.Scan() {
			fmt.Fprintln(&log, sc.Text())
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addrc <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case addr := <-addrc:
		return strings.Trim(addr, `"`), cmd.Process.Pid
	case <-time.After(20 * time.Second):
		t.Fatalf("scannerd did not start listening:\n%s", log.String())
	}
	return "", 0
}

// artifactsDir is where the gate screen's browser tests keep
// screenshots (browsertest.ArtifactsDir).
func artifactsDir(t *testing.T) string { return browsertest.ArtifactsDir(t, "gateui") }

// TestGateScreenLatency measures, in headless Chromium, the time from a
// camera frame drawn by the page to the verdict painted, and the frames
// per second the page sustains, at 640x480 and 1280x720, with the memory
// of scannerd while the screen is open. Repeat suppression is off, so
// every frame is a scan. It asserts nothing about speed; the figures go
// to BENCHMARKS.md. Run with ADMITONE_GATEUI_BENCH=1.
func TestGateScreenLatency(t *testing.T) {
	if os.Getenv("ADMITONE_GATEUI_BENCH") == "" {
		t.Skip("a measurement, not a test: set ADMITONE_GATEUI_BENCH=1 (see BENCHMARKS.md)")
	}
	testenv.LookPath(t, "chromium", "chromium") // before building anything
	bin := testenv.Program(t, "scannerd")
	for _, size := range []struct{ w, h int }{{640, 480}, {1280, 720}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			g := newTestGate(t, 1)
			addr, pid := startScannerdProcess(t, bin, g.dir, "--repeat-window", "-1ns")
			video := writeY4M(t, size.w, size.h, 30, g.tokens[0].Text(), 10, 0)
			ctx := openScreen(t, video, "http://"+addr+"/", 1024, 768)
			const warm, span = 3 * time.Second, 20 * time.Second
			time.Sleep(warm)
			type sample struct {
				Frames    int
				Latencies []float64
			}
			read := func() sample {
				s, err := chromedp.Run(ctx, chromedp.Evaluate[sample](`({Frames: admitoneGate.frames, Latencies: admitoneGate.latencies.slice()})`))
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			before := read()
			time.Sleep(span)
			after := read()
			lat := after.Latencies[min(len(before.Latencies), len(after.Latencies)):]
			if len(lat) == 0 {
				t.Fatal("no verdict painted")
			}
			slices.Sort(lat)
			pct := func(p float64) float64 { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
			rss, _ := procStatusKB(pid, "VmRSS:")
			hwm, _ := procStatusKB(pid, "VmHWM:")
			t.Logf("%dx%d: frame to verdict painted p50 %.1f ms, p99 %.1f ms (%d verdicts); %.1f frames/s sustained; scannerd RSS %.1f MiB (peak %.1f MiB)",
				size.w, size.h, pct(0.5), pct(0.99), len(lat), float64(after.Frames-before.Frames)/span.Seconds(), float64(rss)/1024, float64(hwm)/1024)
		})
	}
}

// procStatusKB reads a kB field (VmRSS:, VmHWM:) of /proc/PID/status.
func procStatusKB(pid int, field string) (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}
