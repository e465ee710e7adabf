package scanner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// sourceFileKind says what a file holds, by its extension.
type sourceFileKind int

const (
	sourceFileOther sourceFileKind = iota
	sourceFileJPEG
	sourceFilePNG
	sourceFileText
)

func sourceKindOf(name string) sourceFileKind {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpg", ".jpeg":
		return sourceFileJPEG
	case ".png":
		return sourceFilePNG
	case ".txt":
		return sourceFileText
	}
	return sourceFileOther
}

// sourceFiles reads image files and code lists from a folder or a single file, or watches a folder.
type sourceFiles struct {
	sourceBase
	path  string
	watch bool
	seq   uint64
	// onPoll, if set by a test, runs after each dirwatch poll.
	onPoll func()
}

func newSourceFiles(b sourceBaseArgs, path string, watch bool) (*sourceFiles, error) {
	if path == "" {
		return nil, errors.New("missing path")
	}
	return &sourceFiles{sourceBase: sourceBase{name: b.name, cfg: b.cfg}, path: path, watch: watch}, nil
}

// Run sends each file's inputs, blocking until the consumer takes them.
func (s *sourceFiles) Run(ctx context.Context, out chan<- Input) error {
	var err error
	if s.watch {
		err = s.runWatch(ctx, out)
	} else {
		err = s.runOnce(ctx, out)
	}
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("source %s: %w", s.name, err)
	}
	return err
}

func (s *sourceFiles) runOnce(ctx context.Context, out chan<- Input) error {
	fi, err := os.Stat(s.path)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		// A file named on its own must be usable: failing loudly beats a silent empty run.
		if sourceKindOf(s.path) == sourceFileOther {
			return fmt.Errorf("%s: unsupported file type (want .jpg, .jpeg, .png or .txt)", s.path)
		}
		return s.sendFile(ctx, out, s.path)
	}
	names, err := s.list()
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.sendFileLogged(ctx, out, filepath.Join(s.path, name)); err != nil {
			return err
		}
	}
	return nil
}

// list returns the names of the usable files in the folder, in byte order.
func (s *sourceFiles) list() ([]string, error) {
	entries, err := os.ReadDir(s.path) // sorted by name
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		name := e.Name()
		// Dot files include macOS "._x.jpg" resource forks, which are not images.
		if e.IsDir() || strings.HasPrefix(name, ".") || sourceKindOf(name) == sourceFileOther {
			continue
		}
		names = append(names, name)
	}
	return names, nil
}

// sendFileLogged sends a file found in a folder: a file that cannot be read is logged, counted
// and skipped. Only cancellation stops it.
func (s *sourceFiles) sendFileLogged(ctx context.Context, out chan<- Input, path string) error {
	err := s.sendFile(ctx, out, path)
	if err != nil && ctx.Err() == nil {
		s.rejected.Add(1)
		s.cfg.Logger.Warn("skipped a file", "source", s.name, "err", err)
		return nil
	}
	return err
}

// sendFile sends the frame of an image file or the codes of a text file.
func (s *sourceFiles) sendFile(ctx context.Context, out chan<- Input, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	src := "file:" + path
	kind := sourceKindOf(path)
	if kind == sourceFileText {
		err := sourceScanLines(f, SourceMaxLine, func(code string) error {
			s.seq++
			return s.send(ctx, out, Input{Source: src, Text: code, At: s.cfg.Now(), Seq: s.seq})
		}, func(n int) {
			s.rejected.Add(1)
			s.cfg.Logger.Warn("dropped an overlong line", "source", s.name, "file", path, "bytes", n, "max", SourceMaxLine)
		})
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return err
	}
	data, err := io.ReadAll(io.LimitReader(f, sourceMaxImageFile+1))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > sourceMaxImageFile {
		return fmt.Errorf("%s: image file larger than %d MiB", path, sourceMaxImageFile>>20)
	}
	g, err := sourceDecodeImage(data, kind)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	s.seq++
	return s.send(ctx, out, Input{Source: src, Frame: g, At: s.cfg.Now(), Seq: s.seq})
}

// sourceMaxImageFile bounds the size of an image file.
const sourceMaxImageFile = 64 << 20

// sourceDecodeImage decodes a JPEG or PNG to its luminance plane after checking its size.
func sourceDecodeImage(data []byte, kind sourceFileKind) (*image.Gray, error) {
	if kind == sourceFileJPEG {
		return sourceDecodeJPEG(data)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if err := sourceCheckSize(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return LumaOf(img), nil
}

// sourceFileState is what dirwatch knows about a file.
type sourceFileState struct {
	size    int64
	mod     time.Time
	handled bool // this size and time were delivered, or present at start
}

// runWatch polls the folder. Files present at the first poll are remembered, not delivered; a
// file is delivered once its size and modification time match across two polls.
func (s *sourceFiles) runWatch(ctx context.Context, out chan<- Input) error {
	known := make(map[string]*sourceFileState)
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	first := true
	for {
		ready, err := s.poll(known, first)
		if err != nil {
			return err
		}
		first = false
		for _, name := range ready {
			if err := s.sendFileLogged(ctx, out, filepath.Join(s.path, name)); err != nil {
				return err
			}
		}
		if s.onPoll != nil {
			s.onPoll()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// poll lists the folder, updates known and returns the names ready for delivery, in order.
func (s *sourceFiles) poll(known map[string]*sourceFileState, first bool) ([]string, error) {
	names, err := s.list()
	if err != nil {
		return nil, err
	}
	present := make(map[string]bool, len(names))
	var ready []string
	for _, name := range names {
		fi, err := os.Stat(filepath.Join(s.path, name))
		if err != nil || !fi.Mode().IsRegular() {
			continue // removed since listing, or a special file
		}
		present[name] = true
		st := known[name]
		if st == nil {
			known[name] = &sourceFileState{size: fi.Size(), mod: fi.ModTime(), handled: first}
			continue
		}
		if st.size != fi.Size() || !st.mod.Equal(fi.ModTime()) {
			*st = sourceFileState{size: fi.Size(), mod: fi.ModTime()} // changed: wait for it to settle
			continue
		}
		if !st.handled {
			st.handled = true
			ready = append(ready, name)
		}
	}
	for name := range known {
		if !present[name] {
			delete(known, name)
		}
	}
	return ready, nil
}
