package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
)

// TestUVCCameraThroughFFmpeg runs scannerd on recordings of a USB (UVC)
// camera through the ffmpeg command lines docs/raspberry-pi.md gives for a
// live camera, with the camera's device input (-f v4l2 ... -i
// /dev/video0) swapped for a recording played at its frame rate (-re -i
// FILE): an MJPEG recording passed through as the camera's MJPEG is, a raw
// YUYV recording re-encoded to MJPEG, and the same raw recording as YUV
// frames. Each recording shows a different valid ticket, which must be
// accepted.
func TestUVCCameraThroughFFmpeg(t *testing.T) {
	ffmpeg := testenv.LookPath(t, "ffmpeg", "ffmpeg")
	g := newTestGate(t, 3)
	dir := t.TempDir()

	// record makes a 25 fps recording of ticket i held up for 40 frames,
	// after 5 empty ones, encoded with the given ffmpeg output options.
	record := func(i int, name string, codec ...string) string {
		t.Helper()
		var frames bytes.Buffer
		empty, ticket := cameraJPEG(t, ""), cameraJPEG(t, g.tokens[i].Text())
		for n := range 45 {
			frames.Write(map[bool][]byte{true: empty, false: ticket}[n < 5])
		}
		out := filepath.Join(dir, name)
		args := append([]string{"-hide_banner", "-loglevel", "error", "-f", "mjpeg", "-framerate", "25", "-i", "-"}, codec...)
		cmd := exec.Command(ffmpeg, append(args, out)...)
		cmd.Stdin = &frames
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %s: %v\n%s", strings.Join(cmd.Args, " "), err, b)
		}
		return out
	}
	mjpegRec := record(0, "uvc-mjpeg.avi", "-c:v", "copy")
	rawRec := record(1, "uvc-yuyv.avi", "-c:v", "rawvideo", "-pix_fmt", "yuyv422")
	rawRec2 := record(2, "uvc-yuyv2.avi", "-c:v", "rawvideo", "-pix_fmt", "yuyv422")

	const quiet = "ffmpeg -hide_banner -loglevel error -nostdin -re -i "
	o := &runOptions{exitWhenDone: true, repeat: 3 * time.Second, sources: []string{
		// MJPEG camera: -c:v copy -f mjpeg - passes the camera's JPEGs on.
		"mjpeg=cmd:" + quiet + "'" + mjpegRec + "' -c:v copy -f mjpeg -",
		// YUYV camera, re-encoded: -c:v mjpeg -q:v 3 -f mjpeg -.
		"yuyv=cmd:" + quiet + "'" + rawRec + "' -c:v mjpeg -q:v 3 -f mjpeg -",
		// YUYV camera as raw frames, no JPEG step: yuv:WxH: with -pix_fmt yuv420p -f rawvideo -.
		"yuv=yuv:640x480:cmd:" + quiet + "'" + rawRec2 + "' -pix_fmt yuv420p -f rawvideo -",
	}}
	_, out, stop := startDaemon(t, g, strings.NewReader(""), o)
	stop(false)

	got := map[string]string{}
	for _, r := range decodeResults(t, out.String()) {
		got[r.Source] += string(r.Verdict) + ":" + r.TicketID + " "
	}
	for i, src := range []string{"mjpeg", "yuyv", "yuv"} {
		if want := "accepted:" + g.tokens[i].Ticket.String() + " "; got[src] != want {
			t.Errorf("source %s: verdicts %q, want %q\n%s", src, got[src], want, out)
		}
	}
}
