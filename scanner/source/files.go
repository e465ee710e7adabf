package source

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

// fileKind says what a file holds, by its extension.
type fileKind int

const (
	fileOther fileKind = iota
	fileJPEG
	filePNG
	fileText
)

func kindOf(name string) fileKind {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpg", ".jpeg":
		return fileJPEG
	case ".png":
		return filePNG
	case ".txt":
		return fileText
	}
	return fileOther
}

// files reads image files and code lists from a folder or a single file, or watches a folder.
type files struct {
	base
	path  string
	watch bool
	seq   uint64
	// onPoll, if set by a test, runs after each dirwatch poll.
	onPoll func()
}

func newFiles(b baseArgs, path string, watch bool) (*files, error) {
	if path == "" {
		return nil, errors.New("missing path")
	}
	return &files{base: base{name: b.name, cfg: b.cfg}, path: path, watch: watch}, nil
}

// Run sends each file's inputs, blocking until the consumer takes them.
func (s *files) Run(ctx context.Context, out chan<- Input) error {
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

func (s *files) runOnce(ctx context.Context, out chan<- Input) error {
	fi, err := os.Stat(s.path)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		// A file named on its own must be usable: failing loudly beats a silent empty run.
		if kindOf(s.path) == fileOther {
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
func (s *files) list() ([]string, error) {
	entries, err := os.ReadDir(s.path) // sorted by name
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		name := e.Name()
		// Dot files include macOS "._x.jpg" resource forks, which are not images.
		if e.IsDir() || strings.HasPrefix(name, ".") || kindOf(name) == fileOther {
			continue
		}
		names = append(names, name)
	}
	return names, nil
}

// sendFileLogged sends a file found in a folder: a file that cannot be read is logged, counted
// and skipped. Only cancellation stops it.
func (s *files) sendFileLogged(ctx context.Context, out chan<- Input, path string) error {
	err := s.sendFile(ctx, out, path)
	if err != nil && ctx.Err() == nil {
		s.rejected.Add(1)
		s.cfg.Logger.Warn("skipped a file", "source", s.name, "err", err)
		return nil
	}
	return err
}

// sendFile sends the frame of an image file or the codes of a text file.
func (s *files) sendFile(ctx context.Context, out chan<- Input, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	src := "file:" + path
	kind := kindOf(path)
	if kind == fileText {
		err := scanLines(f, MaxLine, func(code string) error {
			s.seq++
			return s.send(ctx, out, Input{Source: src, Text: code, At: s.cfg.Now(), Seq: s.seq})
		}, func(n int) {
			s.rejected.Add(1)
			s.cfg.Logger.Warn("dropped an overlong line", "source", s.name, "file", path, "bytes", n, "max", MaxLine)
		})
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxImageFile+1))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxImageFile {
		return fmt.Errorf("%s: image file larger than %d MiB", path, maxImageFile>>20)
	}
	g, err := decodeImage(data, kind)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	s.seq++
	return s.send(ctx, out, Input{Source: src, Frame: g, At: s.cfg.Now(), Seq: s.seq})
}

// maxImageFile bounds the size of an image file.
const maxImageFile = 64 << 20

// decodeImage decodes a JPEG or PNG to its luminance plane after checking its size.
func decodeImage(data []byte, kind fileKind) (*image.Gray, error) {
	if kind == fileJPEG {
		return DecodeJPEG(data)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return LumaOf(img), nil
}

// fileState is what dirwatch knows about a file.
type fileState struct {
	size    int64
	mod     time.Time
	handled bool // this size and time were delivered, or present at start
}

// runWatch polls the folder. Files present at the first poll are remembered, not delivered; a
// file is delivered once its size and modification time match across two polls.
func (s *files) runWatch(ctx context.Context, out chan<- Input) error {
	known := make(map[string]*fileState)
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
func (s *files) poll(known map[string]*fileState, first bool) ([]string, error) {
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
			known[name] = &fileState{size: fi.Size(), mod: fi.ModTime(), handled: first}
			continue
		}
		if st.size != fi.Size() || !st.mod.Equal(fi.ModTime()) {
			*st = fileState{size: fi.Size(), mod: fi.ModTime()} // changed: wait for it to settle
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
