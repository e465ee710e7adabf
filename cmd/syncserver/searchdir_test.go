package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// An on-disk search index left by an earlier release is removed at start;
// a search.bleve that is not a bleve index is left alone.
func TestRemoveOldSearchIndex(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	old := t.TempDir()
	dir := filepath.Join(old, "search.bleve")
	if err := os.MkdirAll(filepath.Join(dir, "store"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"index_meta.json", "store/root.bolt"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	removeOldSearchIndex(log, old)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("old index still there: %v", err)
	}

	other := t.TempDir()
	mine := filepath.Join(other, "search.bleve", "notes.txt")
	if err := os.MkdirAll(filepath.Dir(mine), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mine, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	removeOldSearchIndex(log, other)
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("a directory that is not a bleve index was touched: %v", err)
	}
}
