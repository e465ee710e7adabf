package httpapi

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestHandlersGoThroughServices keeps the HTTP layer an adapter: it
// parses, calls one service method and writes. It links no payment
// provider and no store (the services own those), and no handler
// reaches into a service's Store field.
func TestHandlersGoThroughServices(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/admitone/admitone/purchase") {
		t.Fatalf("go list -deps looks wrong (%d packages, no purchase)", len(deps))
	}
	const module = "github.com/admitone/admitone/"
	// (bbolt is linked anyway: the search index, bleve, keeps its
	// segments' metadata in it.)
	for _, banned := range []string{module + "payment", module + "storage", "github.com/stripe/", "github.com/jackc/pgx"} {
		for _, d := range deps {
			if d == banned || strings.HasPrefix(d, strings.TrimSuffix(banned, "/")+"/") {
				t.Errorf("httpapi links %s", d)
			}
		}
	}

	storeField := regexp.MustCompile(`\.Store\.[A-Z]`)
	files, _ := filepath.Glob("*.go")
	read := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		read++
		for i, line := range strings.Split(string(src), "\n") {
			if storeField.MatchString(line) {
				t.Errorf("%s:%d reaches into a service's store: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
	if read < 5 {
		t.Fatalf("read only %d files", read)
	}
}
