package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/qr"
	"github.com/admitone/admitone/scanner/source"
)

// cameraJPEG renders text as a QR code on a 640x480 grey frame, as a
// camera would see a phone held up, and encodes it as JPEG.
func cameraJPEG(t *testing.T, text string) []byte {
	t.Helper()
	frame := image.NewGray(image.Rect(0, 0, 640, 480))
	draw.Draw(frame, frame.Bounds(), image.NewUniform(color.Gray{Y: 0x70}), image.Point{}, draw.Src)
	if text != "" {
		code, err := qr.Encode(text, qr.ECLevelM)
		if err != nil {
			t.Fatal(err)
		}
		img, err := code.Image(5)
		if err != nil {
			t.Fatal(err)
		}
		off := image.Pt(180, 100)
		draw.Draw(frame, img.Bounds().Add(off), img, image.Point{}, draw.Src)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, frame, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// startDaemon runs `scannerd run` in-process and returns its output and a
// stop function that waits for it; with cancel false, stop waits for the
// daemon to end by itself (--exit-when-done).
func startDaemon(t *testing.T, g *testGate, stdin io.Reader, o *runOptions) (*daemon, *testenv.LockedBuffer, func(cancel bool)) {
	t.Helper()
	out := &testenv.LockedBuffer{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d, err := newDaemon(&globalOptions{dataDir: g.dir}, o, stdin, out, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case <-d.started:
	case err := <-done:
		t.Fatalf("daemon ended early: %v", err)
	}
	stop := func(cancelFirst bool) {
		if cancelFirst {
			cancel()
		}
		defer cancel()
		if err := <-done; err != nil {
			t.Errorf("daemon: %v", err)
		}
		d.Close()
	}
	return d, out, stop
}

func TestRunSources(t *testing.T) {
	g := newTestGate(t, 6)
	// Camera: an MJPEG stream through a pipe at a camera's pace (a camera
	// source keeps only the newest frame, so a burst would be mostly
	// dropped by design). Ticket 0 is held up for 30 frames, then an empty
	// frame, then ticket 1 for 3 frames.
	pr, pw := io.Pipe()
	go func() {
		defer pw.Close()
		a, b, empty := cameraJPEG(t, g.tokens[0].Text()), cameraJPEG(t, g.tokens[1].Text()), cameraJPEG(t, "")
		frames := [][]byte{}
		for range 30 {
			frames = append(frames, a)
		}
		frames = append(frames, empty, b, b, b)
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for _, f := range frames {
			<-tick.C
			if _, err := pw.Write(f); err != nil {
				return
			}
		}
	}()
	// A folder with a picture of ticket 2 and a code list with ticket 3.
	folder := t.TempDir()
	var pic bytes.Buffer
	qr.PNG(g.tokens[2].Text(), 4, &pic)
	os.WriteFile(filepath.Join(folder, "t2.png"), pic.Bytes(), 0o600)
	os.WriteFile(filepath.Join(folder, "t3.txt"), []byte(g.tokens[3].Text()+"\n"), 0o600)
	// A keyboard wedge: ticket 4, then ticket 0 again (used at the camera).
	wedge := filepath.Join(t.TempDir(), "wedge")
	os.WriteFile(wedge, []byte(g.tokens[4].Text()+"\r\n"), 0o600)

	o := &runOptions{sources: []string{"mjpeg:-", "dir:" + folder, "lines:" + wedge}, exitWhenDone: true, repeat: 3 * time.Second}
	d, out, stop := startDaemon(t, g, pr, o)
	stop(false)
	// 34 frames: 29 + 2 repeats, 1 empty, 2 first sightings, unless the
	// source dropped some because decoding lagged (counted separately).
	repeats := testutil.ToFloat64(d.metrics.Frames.WithLabelValues("mjpeg:-", "repeat"))
	dropped := source.StatsOf(d.sources[0]).Dropped
	if repeats+float64(dropped) < 31 || repeats < 20 {
		t.Errorf("camera lane saw %v repeated frames (%d dropped), want 31 in all", repeats, dropped)
	}
	rs := decodeResults(t, out.String())
	byTicket := map[string][]string{}
	for _, r := range rs {
		byTicket[r.TicketID] = append(byTicket[r.TicketID], string(r.Verdict))
	}
	for i, want := range []string{"accepted", "accepted", "accepted", "accepted", "accepted"} {
		got := strings.Join(byTicket[g.tokens[i].Ticket.String()], ",")
		if got != want {
			t.Errorf("ticket %d: verdicts %q, want %q (a code held up for many frames is one scan)", i, got, want)
		}
	}
	if len(rs) != 5 {
		t.Fatalf("%d verdicts, want 5:\n%s", len(rs), out.String())
	}
}

func TestRunHTTPAPI(t *testing.T) {
	g := newTestGate(t, 4)
	o := &runOptions{listen: "127.0.0.1:0", apiToken: "s3cret-token", repeat: 3 * time.Second}
	d, _, stop := startDaemon(t, g, strings.NewReader(""), o)
	defer stop(true)
	base := "http://" + d.Addr.String()

	call := func(method, path, ctype string, body []byte, token string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	scan := func(code string) []byte { b, _ := json.Marshal(map[string]string{"code": code}); return b }

	if code, m := call("POST", "/v1/scan", "application/json", scan(g.tokens[0].Text()), ""); code != 401 {
		t.Fatalf("no token: %d %v", code, m)
	}
	if code, _ := call("POST", "/v1/scan", "application/json", scan(g.tokens[0].Text()), "wrong"); code != 401 {
		t.Fatalf("wrong token: %d", code)
	}
	tok := o.apiToken
	code, m := call("POST", "/v1/scan", "application/json", scan(g.tokens[0].Text()), tok)
	if code != 200 || m["verdict"] != "accepted" || m["ticket_id"] != g.tokens[0].Ticket.String() {
		t.Fatalf("scan: %d %v", code, m)
	}
	if _, m = call("POST", "/v1/scan", "application/json", scan(g.tokens[0].Text()), tok); m["verdict"] != "already_used" {
		t.Fatalf("second scan: %v", m)
	}
	for _, bad := range []struct {
		body []byte
		want int
		code string
	}{
		{[]byte(`{"code":`), 400, "bad_json"},
		{[]byte(`{"code":"x","extra":1}`), 400, "bad_json"},
		{[]byte(`{}`), 400, "missing_field"},
		{bytes.Repeat([]byte("x"), 9000), 413, "too_large"},
	} {
		code, m := call("POST", "/v1/scan", "application/json", bad.body, tok)
		e, _ := m["error"].(map[string]any)
		if code != bad.want || e["code"] != bad.code || e["message"] == "" {
			t.Errorf("bad body %.20q: %d %v, want %d %s", bad.body, code, m, bad.want, bad.code)
		}
	}

	// Frames from a tablet camera: the same code in 30 frames is one scan.
	frame := cameraJPEG(t, g.tokens[1].Text())
	accepted, repeats := 0, 0
	for range 30 {
		code, m := call("POST", "/v1/frames?camera=tablet1", "image/jpeg", frame, tok)
		switch {
		case code == 200 && m["verdict"] == "accepted":
			accepted++
		case code == 409:
			repeats++
		default:
			t.Fatalf("frame: %d %v", code, m)
		}
	}
	if accepted != 1 || repeats != 29 {
		t.Fatalf("30 frames of one code: %d accepted, %d repeats; want 1 and 29", accepted, repeats)
	}
	if code, m := call("POST", "/v1/frames", "image/jpeg", cameraJPEG(t, ""), tok); code != 422 {
		t.Fatalf("empty frame: %d %v", code, m)
	}
	if code, _ := call("POST", "/v1/frames", "image/jpeg", []byte("not a jpeg"), tok); code != 400 {
		t.Fatalf("garbage frame: %d", code)
	}
	if code, m := call("GET", "/v1/status", "", nil, tok); code != 200 || m["checkins"] != float64(2) {
		t.Fatalf("status: %d %v", code, m)
	}
	for _, p := range []string{"/livez", "/readyz"} {
		resp, err := http.Get(base + p)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, resp, err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`scannerd_scans_total{verdict="accepted"} 2`, `scannerd_scans_total{verdict="already_used"} 1`,
		`scannerd_frames_total{outcome="repeat",source="http:tablet1"} 29`, "scannerd_outbox_pending 2"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
