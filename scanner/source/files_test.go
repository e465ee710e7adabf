package source

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeSourceTestFile(path, content string) error {
	return os.WriteFile(path, []byte(content), 0o644)
}

func testPNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testFolder fills dir with files of every kind and returns the images by name.
func testFolder(t *testing.T, dir string) map[string]image.Image {
	t.Helper()
	imgs := map[string]image.Image{
		"10.jpg":  testImage(20, 10, 1, imageStyle{}),
		"9.JPG":   testImage(12, 12, 2, imageStyle{gray: true}),
		"a.jpeg":  testImage(8, 30, 3, imageStyle{}),
		"b.png":   testImage(9, 7, 4, imageStyle{noisy: true}),             // RGBA
		"b2.png":  testImage(5, 5, 5, imageStyle{noisy: true, gray: true}), // Gray
		"x.jpg/":  nil,                                                     // a folder named like an image
		"._a.jpg": nil,                                                     // macOS resource fork
	}
	files := map[string][]byte{
		"c.txt":      []byte("CODE-1\r\n\r\nCODE-2"),
		"d.gif":      []byte("GIF89a"),
		"notes.md":   []byte("# hi"),
		"broken.jpg": []byte("not a jpeg"),
		"._a.jpg":    []byte{0, 5, 22, 7},
	}
	for name, img := range imgs {
		switch {
		case strings.HasSuffix(name, "/"):
			if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
				t.Fatal(err)
			}
		case strings.HasSuffix(name, ".png"):
			files[name] = testPNG(t, img)
		case img != nil:
			files[name] = testJPEG(t, img, 95)
		}
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return imgs
}

func TestFilesFolder(t *testing.T) {
	dir := t.TempDir()
	imgs := testFolder(t, dir)
	var logBuf bytes.Buffer
	cfg := Config{Logger: slog.New(slog.NewTextHandler(&logBuf, nil))}
	for _, spec := range []string{dir, "dir:" + dir, "photos=file:" + dir} {
		t.Run(spec, func(t *testing.T) {
			src := testParse(t, cfg, spec)
			got, err := testRun(t, context.Background(), src)
			if err != nil {
				t.Fatal(err)
			}
			// Byte order of names: digits before upper case before lower case.
			wantOrder := []string{"10.jpg", "9.JPG", "a.jpeg", "b.png", "b2.png", "c.txt", "c.txt"}
			if len(got) != len(wantOrder) {
				t.Fatalf("got %d inputs, want %d: %+v", len(got), len(wantOrder), got)
			}
			for i, in := range got {
				name := wantOrder[i]
				if want := "file:" + filepath.Join(dir, name); in.Source != want || in.Seq != uint64(i+1) {
					t.Errorf("input %d: Source %q Seq %d, want %q %d", i, in.Source, in.Seq, want, i+1)
				}
				if img := imgs[name]; img != nil {
					if in.Frame == nil || in.Frame.Bounds() != img.Bounds() {
						t.Fatalf("%s: frame %v, want bounds %v", name, in.Frame, img.Bounds())
					}
					limit := 3.0
					if strings.HasSuffix(name, ".png") {
						limit = 0 // lossless
					}
					if d := testMeanDiff(in.Frame, img); d > limit {
						t.Errorf("%s: mean luminance error %.2f", name, d)
					}
				}
			}
			if got[5].Text != "CODE-1" || got[6].Text != "CODE-2" || got[5].Frame != nil {
				t.Errorf("text inputs = %+v %+v", got[5], got[6])
			}
			if st := StatsOf(src); st.Rejected != 1 || st.Sent != 7 {
				t.Errorf("stats %+v, want Rejected 1 (broken.jpg), Sent 7", st)
			}
			if !strings.Contains(logBuf.String(), "broken.jpg") {
				t.Errorf("no warning names broken.jpg: %q", logBuf.String())
			}
		})
	}
}

func TestFilesSingle(t *testing.T) {
	dir := t.TempDir()
	testFolder(t, dir)
	got, err := testRun(t, context.Background(), testParse(t, Config{}, "file:"+filepath.Join(dir, "b.png")))
	if err != nil || len(got) != 1 || got[0].Frame.Bounds().Dx() != 9 {
		t.Fatalf("single png: %+v, %v", got, err)
	}
	for _, tt := range []struct{ name, want string }{
		{"d.gif", "unsupported file type"},
		{"broken.jpg", "broken.jpg: invalid JPEG"},
		{"missing.jpg", "no such file"},
	} {
		spec := filepath.Join(dir, tt.name)
		_, err := testRun(t, context.Background(), testParse(t, Config{}, spec))
		if err == nil || !strings.Contains(err.Error(), "source "+spec) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Run = %v, want an error naming the source and saying %q", tt.name, err, tt.want)
		}
	}
}

func TestFilesTooLarge(t *testing.T) {
	// A valid PNG header claiming 20000x20000 pixels must be refused before decoding.
	data := testPNG(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	copy(data[16:24], []byte{0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20})
	binary.BigEndian.PutUint32(data[29:33], crc32.ChecksumIEEE(data[12:29])) // IHDR's CRC
	path := filepath.Join(t.TempDir(), "huge.png")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := testRun(t, context.Background(), testParse(t, Config{}, path))
	if err == nil || !strings.Contains(err.Error(), "20000x20000 is out of range") {
		t.Fatalf("Run = %v, want a size error", err)
	}
}

func TestFilesWatch(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "old.txt"), []byte("OLD\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := testParse(t, Config{PollInterval: time.Millisecond}, "dirwatch:"+dir).(*files)
	polled := make(chan struct{}, 1)
	src.onPoll = func() {
		select {
		case polled <- struct{}{}:
		default:
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Input)
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx, out) }()
	<-polled // the first listing is done: old.txt is known

	recv := func(want string) {
		t.Helper()
		select {
		case in := <-out:
			if in.Text != want {
				t.Fatalf("got %q, want %q", in.Text, want)
			}
		case err := <-errc:
			t.Fatalf("Run ended: %v", err)
		case <-time.After(5 * time.Second):
			t.Fatalf("no input %q", want)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "new.txt"), []byte("NEW\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	recv("NEW")
	// Rewritten with a different size: delivered again. Only NEW2 follows, never OLD.
	if err := os.WriteFile(filepath.Join(dir, "new.txt"), []byte("NEW2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	recv("NEW2")
	if err := os.WriteFile(filepath.Join(dir, "img.png"), testPNG(t, image.NewGray(image.Rect(0, 0, 3, 2))), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case in := <-out:
		if in.Frame == nil || in.Frame.Bounds().Dx() != 3 {
			t.Fatalf("got %+v, want img.png", in)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("img.png not delivered")
	}
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}

// TestFilesWatchSettles checks a file still growing is not read until it stops changing.
func TestFilesWatchSettles(t *testing.T) {
	dir := t.TempDir()
	s := &files{path: dir}
	known := map[string]*fileState{}
	if ready, err := s.poll(known, true); err != nil || len(ready) != 0 {
		t.Fatalf("first poll: %v %v", ready, err)
	}
	path := filepath.Join(dir, "a.txt")
	os.WriteFile(path, []byte("PART"), 0o644)
	if ready, _ := s.poll(known, false); len(ready) != 0 {
		t.Fatalf("new file delivered at first sight: %v", ready)
	}
	os.WriteFile(path, []byte("PARTIAL-AND-MORE"), 0o644)
	if ready, _ := s.poll(known, false); len(ready) != 0 {
		t.Fatalf("growing file delivered: %v", ready)
	}
	if ready, _ := s.poll(known, false); len(ready) != 1 || ready[0] != "a.txt" {
		t.Fatalf("settled file not delivered: %v", ready)
	}
	if ready, _ := s.poll(known, false); len(ready) != 0 {
		t.Fatalf("file delivered twice: %v", ready)
	}
	os.Remove(path)
	if _, _ = s.poll(known, false); len(known) != 0 {
		t.Errorf("removed file still tracked: %v", known)
	}
}
