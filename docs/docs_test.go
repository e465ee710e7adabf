// Package docs holds the project's prose documents; its test keeps them
// honest about the files they name.
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	// mdLink is a Markdown link's target: [text](target).
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// codePath is a code span that names a file by its extension, e.g.
	// `crypto/doc.go` or `.ci/run`'s siblings.
	codePath = regexp.MustCompile("`(\\.{0,2}/?[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*\\.(?:go|md|json|sql|sh|yaml|yml|toml))`")
)

// TestDocumentsNameOnlyRepositoryFiles reads README.md, BENCHMARKS.md
// and docs/*.md and fails on a link or a file name that points outside
// the repository (a reader who clones it has nothing else) or at a file
// that does not exist.
func TestDocumentsNameOnlyRepositoryFiles(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	docs = append([]string{filepath.Join(root, "README.md"), filepath.Join(root, "BENCHMARKS.md")}, docs...)
	basenames := map[string]bool{}
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			basenames[d.Name()] = true
		}
		return nil
	})
	checked := 0
	for _, doc := range docs {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatalf("%v", err)
		}
		name, _ := filepath.Rel(root, doc)
		var targets []string
		for _, m := range mdLink.FindAllStringSubmatch(string(text), -1) {
			targets = append(targets, m[1])
		}
		for _, m := range codePath.FindAllStringSubmatch(string(text), -1) {
			targets = append(targets, m[1])
		}
		for _, target := range targets {
			if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			if strings.HasPrefix(target, "/v1/") {
				continue // a route of the server's API, not a file
			}
			if !strings.Contains(target, "/") && basenames[target] {
				checked++ // a bare name like doc.go: some package's file
				continue
			}
			// Links resolve against the document's folder; bare file
			// names in code spans against the repository root.
			path := filepath.Join(filepath.Dir(doc), target)
			if _, err := os.Stat(path); err != nil {
				path = filepath.Join(root, target)
			}
			rel, err := filepath.Rel(root, path)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				t.Errorf("%s names %q, which is outside the repository", name, target)
				continue
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s names %q, which does not exist", name, target)
				continue
			}
			checked++
		}
	}
	if checked < 5 {
		t.Fatalf("checked only %d file names in %d documents; the patterns look wrong", checked, len(docs))
	}
}
